// A minimal Notejam user over HTTP: keeps the session cookie, reads each form's CSRF token,
// and reports the status and redirect target of every form post.
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

  private async request(method: string, path: string, form?: URLSearchParams): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0)
      headers['cookie'] = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
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
