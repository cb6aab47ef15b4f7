// Password reset by e-mail through a real SMTP server, and what the logs must never contain.
import { Writable } from 'node:stream';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
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
});
