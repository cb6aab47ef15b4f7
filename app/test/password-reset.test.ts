// Password reset by e-mail through a real SMTP server, and what the logs must never contain.
import { Writable } from 'node:stream';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { PasswordResetsService } from '../src/auth/password-resets.service';
import { PasswordReset } from '../src/database/entities';
import { startTestApp, type TestApp } from './support/app';
import { Browser, flashes } from './support/browser';
import { DATABASE_KINDS } from './support/databases';

interface Delivered {
  to: string[];
  raw: string;
}

function startSmtpServer(): Promise<{ server: SMTPServer; port: number; inbox: Delivered[] }> {
  const inbox: Delivered[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      stream.on('end', () => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0, inbox });
    });
  });
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The reset link of a delivered message (quoted-printable soft breaks undone). */
function resetPath(raw: string): string {
  const body = raw.replace(/=\r?\n/g, '');
  const match = /http:\/\/notejam\.test(\/reset-password\/[A-Za-z0-9_-]+\/)/.exec(body);
  if (!match) throw new Error(`no reset link in:\n${raw}`);
  return match[1];
}

describe.each(DATABASE_KINDS)('password reset on %s', (kind) => {
  let app: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let logs = '';

  beforeAll(async () => {
    smtp = await startSmtpServer();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs += chunk.toString();
        callback();
      },
    });
    app = await startTestApp(kind, {
      env: {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        PUBLIC_URL: 'http://notejam.test',
        MAIL_FROM: 'Notejam <no-reply@notejam.test>',
        RATE_LIMIT_ATTEMPTS: '3',
      },
      logger: pino({ level: 'trace' }, sink),
    });
  });

  afterAll(async () => {
    expect(app.serverErrors).toEqual([]);
    await app.close();
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
  });

  it('mails a single-use link that sets a new password and ends every session', async () => {
    const email = 'forgetful@example.com';
    const signedIn = await new Browser(app.server).signedIn(email, 'old password 1');
    const noteText = 'secret note text that must not be logged';
    await signedIn.createNote('Private', noteText);

    const b = new Browser(app.server);
    const asked = await b.submit('/forgot-password/', { email: 'Forgetful@Example.com' });
    expect(asked.headers.location).toBe('/signin/');
    const message = await waitFor('the reset e-mail', () =>
      smtp.inbox.find((m) => m.to.includes(email)),
    );
    expect(message.raw).toMatch(/^Subject: Reset your Notejam password/m);
    expect(message.raw).toMatch(/^From: Notejam <no-reply@notejam\.test>/m);
    const link = resetPath(message.raw);

    const form = await b.get(link);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="new_password"');
    const mismatch = await b.submit(link, {
      new_password: 'new password 1',
      repeat_new_password: 'other password',
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.text).toContain('Passwords do not match.');

    const done = await b.submit(link, {
      new_password: 'new password 1',
      repeat_new_password: 'new password 1',
    });
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe('/signin/');
    expect(flashes((await b.get('/signin/')).text)).toEqual([
      'Your password is successfully changed. Now you can sign in.',
    ]);
    expect((await signedIn.get('/')).status).toBe(302);
    expect((await new Browser(app.server).signIn(email, 'old password 1')).status).toBe(422);
    expect((await new Browser(app.server).signIn(email, 'new password 1')).status).toBe(302);

    const reused = await b.get(link);
    expect(reused.text).toContain('This link is invalid, already used or expired.');
    const reusedPost = await b.submit(
      link,
      { new_password: 'third password', repeat_new_password: 'third password' },
      '/signin/',
    );
    expect(reusedPost.status).toBe(404);
    expect((await new Browser(app.server).signIn(email, 'new password 1')).status).toBe(302);

    const token = link.split('/')[2];
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(noteText);
    expect(logs).not.toContain('old password 1');
    expect(logs).not.toContain('new password 1');
    expect(logs).toContain('/reset-password/[redacted]/');
  });

  it('sends nothing for an unknown address and answers the same', async () => {
    const before = smtp.inbox.length;
    const b = new Browser(app.server);
    const res = await b.submit('/forgot-password/', { email: 'nobody-here@example.com' });
    expect(res.headers.location).toBe('/signin/');
    expect(flashes((await b.get('/signin/')).text)).toEqual([
      'If an account with this e-mail exists, we have sent it a link to choose a new password.',
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.inbox.length).toBe(before);
  });

  it('refuses an expired link and a made-up one', async () => {
    const email = 'late@example.com';
    await new Browser(app.server).signUp(email, 'old password 1');
    const b = new Browser(app.server);
    await b.submit('/forgot-password/', { email });
    const message = await waitFor('the reset e-mail', () =>
      smtp.inbox.find((m) => m.to.includes(email)),
    );
    const link = resetPath(message.raw);
    await app.dataSource
      .createQueryBuilder()
      .update(PasswordReset)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where('used_at IS NULL')
      .execute();
    expect((await b.get(link)).text).toContain('This link is invalid, already used or expired.');
    expect(
      (
        await b.submit(
          link,
          { new_password: 'new password 1', repeat_new_password: 'new password 1' },
          '/signin/',
        )
      ).status,
    ).toBe(404);
    expect((await b.get(`/reset-password/${'A'.repeat(43)}/`)).text).toContain(
      'This link is invalid',
    );
    expect((await b.get('/reset-password/<script>/')).status).toBe(200);
  });

  /** Asks for a reset link for `email` and returns it once delivered. */
  async function resetLink(email: string): Promise<string> {
    const delivered = smtp.inbox.filter((m) => m.to.includes(email)).length;
    await new Browser(app.server).submit('/forgot-password/', { email });
    const messages = await waitFor('the reset e-mail', () => {
      const all = smtp.inbox.filter((m) => m.to.includes(email));
      return all.length > delivered ? all : undefined;
    });
    return resetPath(messages[messages.length - 1].raw);
  }

  it('kills pending links when the password is changed in the settings', async () => {
    const email = 'changed-elsewhere@example.com';
    const b = await new Browser(app.server).signedIn(email, 'old password 1');
    const link = await resetLink(email);
    expect((await new Browser(app.server).get(link)).text).toContain('name="new_password"');
    const changed = await b.submit('/settings/', {
      old_password: 'old password 1',
      new_password: 'new password 2',
      repeat_new_password: 'new password 2',
    });
    expect(changed.status).toBe(302);
    const stranger = new Browser(app.server);
    expect((await stranger.get(link)).text).toContain(
      'This link is invalid, already used or expired.',
    );
    const attempt = await stranger.submit(
      link,
      { new_password: 'taken over 1', repeat_new_password: 'taken over 1' },
      '/signin/',
    );
    expect(attempt.status).toBe(404);
    expect((await new Browser(app.server).signIn(email, 'new password 2')).status).toBe(302);
  });

  it('prunes expired links', async () => {
    const email = 'pruned@example.com';
    await new Browser(app.server).signUp(email, 'old password 1');
    await resetLink(email);
    const resets = app.dataSource.getRepository(PasswordReset);
    expect(await resets.count()).toBeGreaterThan(0);
    await resets
      .createQueryBuilder()
      .update()
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .execute();
    expect(await app.http.app.get(PasswordResetsService).pruneExpired()).toBeGreaterThan(0);
    expect(await resets.count()).toBe(0);
  });

  it('answers as usual over the limit, and sends nothing more', async () => {
    const email = 'popular@example.com';
    await new Browser(app.server).signUp(email, 'old password 1');
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const b = new Browser(app.server);
      const res = await b.submit('/forgot-password/', { email });
      answers.push([res.status, res.headers.location, flashes((await b.get('/signin/')).text)]);
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0][0]).toBe(302);
    await waitFor('three reset e-mails', () =>
      smtp.inbox.filter((m) => m.to.includes(email)).length >= 3 ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.inbox.filter((m) => m.to.includes(email))).toHaveLength(3);
  });
});
