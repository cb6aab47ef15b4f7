// Sessions in the database: shared by replicas, idle and absolute expiry, revocation that no
// request in flight can undo, none for anonymous visitors; cookie flags.
import request from 'supertest';
import { UserSession } from '../src/database/entities';
import { PadsService } from '../src/pads/pads.service';
import { SessionsService } from '../src/sessions/sessions.service';
import { startTestApp, type TestApp } from './support/app';
import { Browser } from './support/browser';
import { DATABASE_KINDS } from './support/databases';

/** The `name=value` of a cookie a response sets, or undefined. */
function setCookie(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const cookies = (res.headers['set-cookie'] ?? []) as string[];
  return cookies.find((cookie) => cookie.startsWith(`${name}=`));
}

/**
 * Holds the next page view of `app` after its session was loaded (at the pads column) until
 * `release` is called: a request in flight, deterministically.
 */
function holdNextPageView(app: TestApp) {
  const pads = app.http.app.get(PadsService);
  const listFor = pads.listFor.bind(pads);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const reachedHold = new Promise<void>((resolve) => (reached = resolve));
  pads.listFor = async (userId: number) => {
    pads.listFor = listFor;
    reached();
    await held;
    return listFor(userId);
  };
  return { reached: reachedHold, release };
}

describe.each(DATABASE_KINDS)('sessions on %s', (kind) => {
  let replicaA: TestApp;
  let replicaB: TestApp;
  let users = 0;
  const newUser = () => `session${++users}@example.com`;
  const sessionRows = () => replicaA.dataSource.getRepository(UserSession);

  beforeAll(async () => {
    replicaA = await startTestApp(kind, { env: { TRUST_PROXY: 'loopback' } });
    replicaB = await startTestApp(kind, { database: replicaA.database });
  });

  afterAll(async () => {
    expect([...replicaA.serverErrors, ...replicaB.serverErrors]).toEqual([]);
    await replicaB.close();
    await replicaA.close();
  });

  it('are shared by replicas on the same database', async () => {
    const b = await new Browser(replicaA.server).signedIn(newUser());
    const cookie = String((await b.get('/')).request.cookies);
    const onB = await request(replicaB.server).get('/').set('Cookie', cookie);
    expect(onB.status).toBe(200);
    expect(onB.text).toContain(`session${users}@example.com:`);
  });

  it('are never created for anonymous visitors, whatever they view or submit', async () => {
    const before = await sessionRows().count();
    for (let i = 0; i < 5; i++) {
      const b = new Browser(replicaA.server);
      for (const path of ['/signin/', '/signup/', '/forgot-password/', '/']) await b.get(path);
      await b.submit('/signin/', { email: 'nobody@example.com', password: 'not the password' });
      await b.submit('/forgot-password/', { email: 'nobody@example.com' });
    }
    expect(await sessionRows().count()).toBe(before);
  });

  it('end after the idle time, and are pruned', async () => {
    const b = await new Browser(replicaA.server).signedIn(newUser());
    expect((await b.get('/')).status).toBe(200);
    await sessionRows()
      .createQueryBuilder()
      .update()
      .set({ expiresAt: String(Date.now() - 1000) })
      .execute();
    expect((await b.get('/')).status).toBe(302);
    expect(await replicaA.http.app.get(SessionsService).pruneExpired()).toBeGreaterThan(0);
    expect(await sessionRows().count()).toBe(0);
  });

  it('end after their absolute lifetime, however active', async () => {
    const b = await new Browser(replicaA.server).signedIn(newUser());
    const lifetimeMs = replicaA.config.sessionLifetimeSeconds * 1000;
    // Signed in a lifetime ago, and used a moment ago (the idle deadline is still ahead).
    await sessionRows()
      .createQueryBuilder()
      .update()
      .set({ createdAt: String(Date.now() - lifetimeMs - 1000) })
      .execute();
    expect((await b.get('/')).status).toBe(302);
  });

  it('keep the token out of the database and carry no user data', async () => {
    const b = await new Browser(replicaA.server).signedIn(newUser());
    const token = /notejam\.sid=([^;]+)/.exec(String((await b.get('/')).request.cookies))![1];
    const rows = await sessionRows().find();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).not.toBe(token);
    }
  });

  it('stay revoked after a password change, even by a request in flight with the old session', async () => {
    const email = newUser();
    const owner = await new Browser(replicaA.server).signedIn(email);
    const thief = new Browser(replicaB.server);
    await thief.signIn(email);
    // A flash waiting for the next page: viewing it changes what the request keeps.
    await thief.submit('/pads/create/', { name: 'Thief pad' });

    // The thief's page view is held after its session was loaded, until the change is done.
    const hold = holdNextPageView(replicaB);
    const inFlight = thief.get('/').then((res) => res);
    await hold.reached;
    const changed = await owner.submit('/settings/', {
      old_password: 'correct horse battery',
      new_password: 'new password 1',
      repeat_new_password: 'new password 1',
    });
    expect(changed.status).toBe(302);
    hold.release();
    await inFlight;
    expect((await thief.get('/')).status).toBe(302);
    expect((await owner.get('/')).status).toBe(200);
  });

  it('stay ended after sign-out, even by a request in flight with it', async () => {
    const b = await new Browser(replicaA.server).signedIn(newUser());
    const cookie = String((await b.get('/')).request.cookies);
    await b.submit('/pads/create/', { name: 'Flash pending' });
    const hold = holdNextPageView(replicaA);
    const inFlight = b.get('/').then((res) => res);
    await hold.reached;
    expect((await request(replicaA.server).get('/signout/').set('Cookie', cookie)).status).toBe(
      302,
    );
    hold.release();
    await inFlight;
    expect((await request(replicaA.server).get('/').set('Cookie', cookie)).status).toBe(302);
  });

  it('mark cookies Secure behind a TLS proxy, HttpOnly and SameSite=Lax always', async () => {
    const plain = await request(replicaA.server).get('/signin/');
    const anonymous = setCookie(plain, 'notejam.csrf');
    expect(anonymous).toMatch(/HttpOnly/);
    expect(anonymous).toMatch(/SameSite=Lax/);
    expect(anonymous).not.toMatch(/Secure/);
    const tls = await request(replicaA.server).get('/signin/').set('X-Forwarded-Proto', 'https');
    expect(setCookie(tls, 'notejam.csrf')).toMatch(/; Secure/);

    const email = newUser();
    await new Browser(replicaA.server).signUp(email);
    const b = new Browser(replicaA.server);
    const token = await b.csrfToken('/signin/');
    const signedIn = await b.agent
      .post('/signin/')
      .set('X-Forwarded-Proto', 'https')
      .type('form')
      .send({ email, password: 'correct horse battery', _csrf: token });
    const session = setCookie(signedIn, 'notejam.sid');
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Max-Age=\d+/);
  });
});
