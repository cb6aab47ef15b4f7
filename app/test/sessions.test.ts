// Sessions in the database: shared by replicas, idle expiry; abuse limits and cookie flags.
import request from 'supertest';
import { Session } from '../src/database/entities';
import { startTestApp, type TestApp } from './support/app';
import { Browser } from './support/browser';
import { DATABASE_KINDS } from './support/databases';

describe.each(DATABASE_KINDS)('sessions on %s', (kind) => {
  let replicaA: TestApp;
  let replicaB: TestApp;

  beforeAll(async () => {
    replicaA = await startTestApp(kind);
    replicaB = await startTestApp(kind, { database: replicaA.database });
  });

  afterAll(async () => {
    expect([...replicaA.serverErrors, ...replicaB.serverErrors]).toEqual([]);
    await replicaB.close();
    await replicaA.close();
  });

  it('are shared by replicas on the same database and survive the other replica', async () => {
    const b = await new Browser(replicaA.server).signedIn('shared@example.com');
    const cookie = String((await b.get('/')).request.cookies);
    const onB = await request(replicaB.server).get('/').set('Cookie', cookie);
    expect(onB.status).toBe(200);
    expect(onB.text).toContain('shared@example.com:');
  });

  it('end after the idle time and are pruned', async () => {
    const b = await new Browser(replicaA.server).signedIn('idle@example.com');
    expect((await b.get('/')).status).toBe(200);
    const sessions = replicaA.dataSource.getRepository(Session);
    await sessions
      .createQueryBuilder()
      .update()
      .set({ expiresAt: String(Date.now() - 1000) })
      .execute();
    expect((await b.get('/')).status).toBe(302);
    expect(await replicaA.http.sessionStore.pruneExpired()).toBeGreaterThan(0);
    expect(await sessions.countBy({ expiresAt: '0' })).toBe(0);
  });

  it('store the user so that a password change can end the others', async () => {
    await new Browser(replicaA.server).signedIn('rows@example.com');
    const rows = await replicaA.dataSource.getRepository(Session).find();
    expect(rows.some((row) => row.userId !== null)).toBe(true);
    for (const row of rows) expect(row.data).not.toContain('correct horse battery');
  });
});

describe('abuse limits and cookies', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp('sqlite', {
      env: { RATE_LIMIT_ATTEMPTS: '3', TRUST_PROXY: 'loopback' },
    });
  });

  afterAll(async () => {
    expect(app.serverErrors).toEqual([]);
    await app.close();
  });

  const from = (browser: Browser, ip: string) => ({
    signIn: async (email: string, password: string) => {
      const token = await browser.csrfToken('/signin/');
      return browser.agent
        .post('/signin/')
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ email, password, _csrf: token });
    },
  });

  it('limits sign-in attempts per address and per account, with a clear message', async () => {
    const email = 'target@example.com';
    await new Browser(app.server).signUp(email);
    const attacker = from(new Browser(app.server), '203.0.113.1');
    for (let i = 0; i < 3; i++)
      expect((await attacker.signIn(email, `guess ${i}`)).status).toBe(422);
    const blocked = await attacker.signIn(email, 'correct horse battery');
    expect(blocked.status).toBe(429);
    expect(blocked.text).toMatch(/Too many attempts\. Try again in \d+ minutes?\./);
    // Same account from another address: the per-account limit holds.
    expect(
      (await from(new Browser(app.server), '203.0.113.2').signIn(email, 'correct horse battery'))
        .status,
    ).toBe(429);
    // Another account from a fresh address is not affected.
    await new Browser(app.server).signUp('bystander@example.com');
    expect(
      (
        await from(new Browser(app.server), '203.0.113.3').signIn(
          'bystander@example.com',
          'correct horse battery',
        )
      ).status,
    ).toBe(302);
  });

  it('limits sign-ups and reset requests per address', async () => {
    const b = new Browser(app.server);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const token = await b.csrfToken('/signup/');
      const res = await b.agent
        .post('/signup/')
        .set('X-Forwarded-For', '198.51.100.7')
        .type('form')
        .send({
          email: `new${i}@example.com`,
          password: 'long enough',
          repeat_password: 'long enough',
          _csrf: token,
        });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([302, 302, 302, 429]);
    const resets = [];
    for (let i = 0; i < 4; i++) {
      const token = await b.csrfToken('/forgot-password/');
      const res = await b.agent
        .post('/forgot-password/')
        .set('X-Forwarded-For', '198.51.100.8')
        .type('form')
        .send({ email: `someone${i}@example.com`, _csrf: token });
      resets.push(res.status);
    }
    expect(resets).toEqual([302, 302, 302, 429]);
  });

  it('marks the session cookie Secure behind a TLS proxy, HttpOnly and SameSite=Lax always', async () => {
    const plain = await request(app.server).get('/signin/');
    expect(String(plain.headers['set-cookie'])).not.toMatch(/Secure/);
    const tls = await request(app.server).get('/signin/').set('X-Forwarded-Proto', 'https');
    const cookie = String(tls.headers['set-cookie']);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });
});
