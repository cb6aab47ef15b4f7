import type { Server } from 'node:http';
import request from 'supertest';

export type Fields = Record<string, string>;

/**
 * A user agent with its own cookie jar that submits forms the way a browser does: it reads
 * the CSRF token from the page the form is on.
 */
export class Browser {
  readonly agent: ReturnType<typeof request.agent>;

  constructor(server: Server) {
    this.agent = request.agent(server);
  }

  get(path: string) {
    return this.agent.get(path);
  }

  /** The CSRF token of the form on `page`. */
  async csrfToken(page = '/signin/'): Promise<string> {
    const res = await this.agent.get(page);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${page} (status ${res.status})`);
    return token;
  }

  /** Submits `fields` to `action` with a valid CSRF token taken from `page` (default: `action`). */
  async submit(action: string, fields: Fields, page = action) {
    const token = await this.csrfToken(page);
    return this.agent
      .post(action)
      .type('form')
      .send({ ...fields, _csrf: token });
  }

  /** Posts without touching the token (for the CSRF tests). */
  postRaw(action: string, fields: Fields) {
    return this.agent.post(action).type('form').send(fields);
  }

  async signUp(email: string, password = 'correct horse battery') {
    return this.submit('/signup/', { email, password, repeat_password: password });
  }

  async signIn(email: string, password = 'correct horse battery') {
    return this.submit('/signin/', { email, password });
  }

  /** Signs up and in; returns this browser. */
  async signedIn(email: string, password = 'correct horse battery'): Promise<this> {
    const up = await this.signUp(email, password);
    if (up.status !== 302) throw new Error(`sign-up of ${email} failed with ${up.status}`);
    const signIn = await this.signIn(email, password);
    if (signIn.status !== 302) throw new Error(`sign-in of ${email} failed with ${signIn.status}`);
    return this;
  }

  async createPad(name: string): Promise<number> {
    await this.submit('/pads/create/', { name });
    const home = await this.agent.get('/');
    const matches = [...home.text.matchAll(/<a href="\/pads\/(\d+)\/"[^>]*>([^<]*)<\/a>/g)];
    const match = matches.find((m) => m[2] === escapeHtml(name));
    if (!match) throw new Error(`pad ${name} not in the pads column`);
    return Number(match[1]);
  }

  async createNote(name: string, text: string, pad: number | '' = ''): Promise<number> {
    const res = await this.submit('/notes/create/', { name, text, pad: String(pad) });
    if (res.status !== 302) throw new Error(`creating note ${name} failed with ${res.status}`);
    return this.noteIdByName(name);
  }

  async noteIdByName(name: string): Promise<number> {
    const home = await this.agent.get('/');
    const match = [...home.text.matchAll(/<a href="\/notes\/(\d+)\/">([^<]*)<\/a>/g)].find(
      (m) => m[2] === escapeHtml(name),
    );
    if (!match) throw new Error(`note ${name} not on the all-notes page`);
    return Number(match[1]);
  }
}

/** The text of the `.page-title` element. */
export function pageTitle(html: string): string | undefined {
  return /<span class="page-title">([^<]*)<\/span>/.exec(html)?.[1];
}

/** The flash messages on a page. */
export function flashes(html: string): string[] {
  return [...html.matchAll(/<div class="alert alert-\w+" role="\w+">([^<]*)<\/div>/g)].map(
    (m) => m[1],
  );
}

/** Note names in table order. */
export function noteNames(html: string): string[] {
  return [...html.matchAll(/<td class="note-name"><a href="\/notes\/\d+\/">([^<]*)<\/a>/g)].map(
    (m) => m[1],
  );
}

/** What Handlebars writes for `{{value}}`. */
export function escapeHtml(value: string): string {
  const entities: Record<string, string> = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#x27;',
    '`': '&#x60;',
    '=': '&#x3D;',
  };
  return value.replace(/[&<>"'`=]/g, (c) => entities[c]);
}
