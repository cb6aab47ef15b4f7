// Limits that stop guessing without locking anyone out, counted in the database (so every
// replica shares them), on SQLite and MariaDB.
import request from 'supertest';
import { RateLimit } from '../src/database/entities';
import { RateLimitsService } from '../src/rate-limits/rate-limits.service';
import { startTestApp, type TestApp } from './support/app';
import { Browser } from './support/browser';
import { DATABASE_KINDS } from './support/databases';

const PASSWORD = 'correct horse battery';

describe.each(DATABASE_KINDS)('rate limits on %s', (kind) => {
  let app: TestApp;
  let replica: TestApp;
  let accounts = 0;

  beforeAll(async () => {
    const env = {
      RATE_LIMIT_ATTEMPTS: '3',
      RATE_LIMIT_ADDRESS_ATTEMPTS: '5',
      TRUST_PROXY: 'loopback',
    };
    app = await startTestApp(kind, { env });
    // A second replica on the same database: the counters are shared.
    replica = await startTestApp(kind, { env, database: app.database });
  });

  afterAll(async () => {
    expect([...app.serverErrors, ...replica.serverErrors]).toEqual([]);
    await replica.close();
    await app.close();
  });

  /** A new account (signed up from an address of its own, which the sign-up limit counts). */
  async function account(): Promise<string> {
    const email = `account${++accounts}@example.com`;
    const b = new Browser(app.server);
    const token = await b.csrfToken('/signup/');
    const res = await b.agent
      .post('/signup/')
      .set('X-Forwarded-For', `192.0.2.${accounts}`)
      .type('form')
      .send({ email, password: PASSWORD, repeat_password: PASSWORD, _csrf: token });
    if (res.status !== 302) throw new Error(`sign-up of ${email} answered ${res.status}`);
    return email;
  }

  /** A sign-in from `address` through `target` (a replica). */
  async function signIn(address: string, email: string, password: string, target = app) {
    const b = new Browser(target.server);
    const token = await b.csrfToken('/signin/');
    return b.agent
      .post('/signin/')
      .set('X-Forwarded-For', address)
      .type('form')
      .send({ email, password, _csrf: token });
  }

  const metric = async (pattern: RegExp) => {
    const text = (await request(app.management).get('/metrics')).text;
    return Number(pattern.exec(text)?.[1] ?? 0);
  };

  it('never lock the owner out: strangers failing on an account only slow it down', async () => {
    const email = await account();
    const slowedBefore = await metric(
      /notejam_rate_limited_total\{action="sign-in",outcome="slowed"\} (\d+)/,
    );
    // More failures on the account than the limit, from as many addresses, on both replicas.
    for (let i = 1; i <= 5; i++) {
      const res = await signIn(`203.0.113.${i}`, email, `guess ${i}`, i % 2 ? app : replica);
      expect(res.status).toBe(422);
      expect(res.text).toContain('Wrong email or password');
    }
    // The owner, from an address of their own: slowed down, let in.
    const owner = await signIn('198.51.100.1', email, PASSWORD);
    expect(owner.status).toBe(302);
    expect(owner.headers.location).toBe('/');
    expect(
      await metric(/notejam_rate_limited_total\{action="sign-in",outcome="slowed"\} (\d+)/),
    ).toBeGreaterThan(slowedBefore);
  });

  it('count failures, not successes: an office behind one address can all sign in', async () => {
    const office = '198.51.100.20';
    const staff = [];
    for (let i = 0; i < 7; i++) staff.push(await account());
    // More sign-ins than either limit from one address, all successful.
    for (const email of staff) expect((await signIn(office, email, PASSWORD)).status).toBe(302);
    for (const email of staff) expect((await signIn(office, email, PASSWORD)).status).toBe(302);
  });

  it('refuse an (account, address) pair over the limit, even with the right password', async () => {
    const email = await account();
    const attacker = '203.0.113.50';
    for (let i = 0; i < 3; i++)
      expect((await signIn(attacker, email, `guess ${i}`)).status).toBe(422);
    const blocked = await signIn(attacker, email, PASSWORD, replica);
    expect(blocked.status).toBe(429);
    expect(blocked.text).toMatch(/Too many attempts\. Try again in \d+ minutes?\./);
    // The same account from elsewhere, and another account from there, are not affected.
    expect((await signIn('198.51.100.51', email, PASSWORD)).status).toBe(302);
    expect((await signIn(attacker, await account(), PASSWORD)).status).toBe(302);
  });

  it('refuse an address over the limit across accounts, an IPv6 client by its /64', async () => {
    const victims = [];
    for (let i = 0; i < 6; i++) victims.push(await account());
    // Five failures from five addresses of one /64, each on another account.
    for (let i = 0; i < 5; i++) {
      const res = await signIn(`2001:db8:1:2::${(i + 10).toString(16)}`, victims[i], 'wrong guess');
      expect(res.status).toBe(422);
    }
    expect((await signIn('2001:db8:1:2:ffff::1', victims[5], PASSWORD)).status).toBe(429);
    expect((await signIn('2001:db8:1:3::1', victims[5], PASSWORD)).status).toBe(302);
  });

  it('refuse sign-ups over the limit per address', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const b = new Browser(app.server);
      const token = await b.csrfToken('/signup/');
      const res = await b.agent
        .post('/signup/')
        .set('X-Forwarded-For', '198.51.100.77')
        .type('form')
        .send({
          email: `burst${i}@example.com`,
          password: PASSWORD,
          repeat_password: PASSWORD,
          _csrf: token,
        });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([302, 302, 302, 302, 302, 429]);
  });

  it('keep bounded state: inputs are checked before any counter, keys are fixed-size hashes, expired rows go', async () => {
    const counters = app.dataSource.getRepository(RateLimit);
    const before = await counters.count();
    const huge = `${'a'.repeat(900_000)}@example.com`;
    for (let i = 0; i < 3; i++) {
      const res = await signIn('203.0.113.90', huge, 'whatever');
      expect(res.status).toBe(422);
      expect(res.text).toContain('Enter a valid e-mail address.');
    }
    expect(await counters.count()).toBe(before);

    const email = await account();
    await signIn('203.0.113.91', email, 'wrong guess');
    const rows = await counters.find();
    for (const row of rows) {
      expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.keyHash).not.toContain(email);
    }
    await counters
      .createQueryBuilder()
      .update()
      .set({ windowEnds: String(Date.now() - 1) })
      .execute();
    expect(await app.http.app.get(RateLimitsService).pruneExpired()).toBe(rows.length);
    expect(await counters.count()).toBe(0);
  });

  it('limit the settings form’s old-password check per account', async () => {
    const email = await account();
    const b = new Browser(app.server);
    expect((await b.signIn(email, PASSWORD)).status).toBe(302);
    const change = (old: string) =>
      b.submit('/settings/', {
        old_password: old,
        new_password: 'new password 1',
        repeat_new_password: 'new password 1',
      });
    for (let i = 0; i < 3; i++) {
      const res = await change(`guess ${i}`);
      expect(res.status).toBe(422);
      expect(res.text).toContain('The old password is not right.');
    }
    const blocked = await change(PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.text).toMatch(/Too many attempts\. Try again in \d+ minutes?\./);
    expect((await signIn('198.51.100.99', email, PASSWORD)).status).toBe(302);
  });
});
