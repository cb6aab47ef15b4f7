// A minimal Notejam user over HTTP: keeps the session cookie, reads each form's CSRF token,
// and reports the status and redirect target of every form post.
import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';

export interface Reply {
  status: number;
  location: string | null;
  body: string;
}

export class NotejamClient {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  async get(path: string): Promise<Reply> {
    return this.request('GET', path);
  }

  /** Posts a form the way a browser would: fetches the page first for its CSRF token. */
  async submit(path: string, fields: Record<string, string>): Promise<Reply> {
    const page = await this.get(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!token) throw new Error(`no CSRF token in ${path} (status ${page.status})`);
    return this.request('POST', path, new URLSearchParams({ ...fields, _csrf: token }));
  }

  async signUp(email: string, password: string): Promise<Reply> {
    return this.submit('/signup/', { email, password, repeat_password: password });
  }

  async signIn(email: string, password: string): Promise<Reply> {
    return this.submit('/signin/', { email, password });
  }

  async createNote(name: string, text: string): Promise<Reply> {
    return this.submit('/notes/create/', { name, text, pad: '' });
  }

  /** The `Cookie` header this user sends (the session), for requests made elsewhere. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async request(method: string, path: string, form?: URLSearchParams): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers['cookie'] = this.cookieHeader();
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: form,
      redirect: 'manual',
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const separator = pair.indexOf('=');
      this.cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    return {
      status: response.status,
      location: response.headers.get('location'),
      body: await response.text(),
    };
  }
}

export interface User {
  email: string;
  password: string;
  /** The name of the note the user wrote. */
  note: string;
  /** Signed in. */
  client: NotejamClient;
}

/** Signs a new user up and in, writes a note and checks it is listed. */
export async function newUserWithNote(baseUrl: string, label: string): Promise<User> {
  const client = new NotejamClient(baseUrl);
  const tag = randomBytes(4).toString('hex');
  const email = `e2e-${label}-${Date.now()}-${tag}@example.com`;
  const password = `e2e-${randomBytes(9).toString('base64url')}`;
  const note = `Note from the ${label} end-to-end run ${tag}`;
  expect(await client.signUp(email, password)).toMatchObject({ status: 302, location: '/signin/' });
  expect((await client.signIn(email, password)).status).toBe(302);
  expect((await client.createNote(note, 'Written over HTTP through the Service.')).status).toBe(
    302,
  );
  expect((await client.get('/')).body).toContain(note);
  return { email, password, note, client };
}

/** Signs in again from a new client (another session) and checks the note is still listed. */
export async function expectNoteServed(baseUrl: string, user: User): Promise<void> {
  const client = new NotejamClient(baseUrl);
  expect((await client.signIn(user.email, user.password)).status).toBe(302);
  expect((await client.get('/')).body).toContain(user.note);
}

/**
 * Checks one answer to the user's notes page under load: why it is wrong (not 200, or
 * without the user's note), or undefined when it is right.
 */
export function notesPageCheck(user: User): (status: number, body: string) => string | undefined {
  return (status, body) =>
    status !== 200
      ? `HTTP ${status}`
      : body.includes(user.note)
        ? undefined
        : 'HTTP 200 without the note';
}
