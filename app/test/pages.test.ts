// The whole site over HTTP, on a SQLite file and on the MariaDB server.
import request from 'supertest';
import { Note, Pad, User } from '../src/database/entities';
import { startTestApp, type TestApp } from './support/app';
import { Browser, escapeHtml, flashes, noteNames, pageTitle } from './support/browser';
import { DATABASE_KINDS } from './support/databases';

describe.each(DATABASE_KINDS)('Notejam pages on %s', (kind) => {
  let app: TestApp;
  let userCount = 0;
  const newUser = () => `user${++userCount}@example.com`;
  const browser = () => new Browser(app.server);
  const signedIn = async () => {
    const email = newUser();
    return { email, browser: await browser().signedIn(email) };
  };
  const noteRow = (id: number) => app.dataSource.getRepository(Note).findOneBy({ id });

  beforeAll(async () => {
    // Many sign-ins from one address: the rate limit has its own test.
    app = await startTestApp(kind, { env: { RATE_LIMIT_ATTEMPTS: '100000' } });
  });

  afterAll(async () => {
    // Checked once per database over every request of the suite.
    expect(app.serverErrors).toEqual([]);
    await app.close();
  });

  describe('addresses', () => {
    it('redirects paths without the trailing slash, keeping the query and the method', async () => {
      const b = browser();
      const get = await b.get('/signin?next=/pads/1/');
      expect(get.status).toBe(301);
      expect(get.headers.location).toBe('/signin/?next=/pads/1/');
      const post = await b.postRaw('/signup', {});
      expect(post.status).toBe(308);
      expect(post.headers.location).toBe('/signup/');
      const sneaky = await b.get('//evil.example/x');
      expect(sneaky.headers.location).toBe('/evil.example/x/');
    });

    it('sends anonymous visitors of private pages to sign in with next', async () => {
      for (const path of [
        '/',
        '/notes/create/?pad=3',
        '/pads/create/',
        '/settings/',
        '/notes/1/',
        '/pads/1/edit/',
      ]) {
        const res = await browser().get(path);
        expect(res.status).toBe(302);
        expect(res.headers.location).toBe(`/signin/?next=${encodeURIComponent(path)}`);
      }
    });

    it('answers unknown pages with 404 and serves the stylesheet', async () => {
      expect((await browser().get('/no-such-page/')).status).toBe(404);
      const css = await browser().get('/static/notejam.css');
      expect(css.status).toBe(200);
      expect(css.headers['content-type']).toMatch(/text\/css/);
      expect((await browser().get('/static/missing.css')).status).toBe(404);
    });
  });

  describe('sign up', () => {
    it('explains every problem next to its field and keeps the e-mail', async () => {
      const b = browser();
      const empty = await b.submit('/signup/', { email: '', password: '', repeat_password: '' });
      expect(empty.status).toBe(422);
      expect(empty.text.match(/This field is required\./g)).toHaveLength(3);
      const bad = await b.submit('/signup/', {
        email: 'not-an-email',
        password: 'short',
        repeat_password: 'short',
      });
      expect(bad.text).toContain('Enter a valid e-mail address.');
      expect(bad.text).toContain('Use at least 8 characters.');
      expect(bad.text).toContain('value="not-an-email"');
      const mismatch = await b.submit('/signup/', {
        email: 'a@example.com',
        password: 'long enough',
        repeat_password: 'different one',
      });
      expect(mismatch.text).toContain('Passwords do not match.');
      expect(empty.text).toContain('At least 8 characters.');
    });

    it('creates the account without signing in, and refuses the same e-mail in other case', async () => {
      const b = browser();
      const email = newUser();
      const res = await b.signUp(email);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/signin/');
      const signInPage = await b.get('/signin/');
      expect(flashes(signInPage.text)).toEqual(['Account is created. Now you can sign in.']);
      expect((await b.get('/')).status).toBe(302);
      const again = await browser().signUp(email.toUpperCase());
      expect(again.status).toBe(422);
      expect(again.text).toContain('This e-mail is already registered.');
    });
  });

  describe('sign in and out', () => {
    it('says the same for a wrong password and an unknown e-mail', async () => {
      const email = newUser();
      await browser().signUp(email);
      for (const [who, password] of [
        [email, 'wrong password'],
        ['nobody@example.com', 'correct horse battery'],
      ]) {
        const res = await browser().signIn(who, password);
        expect(res.status).toBe(422);
        expect(res.text).toContain('Wrong email or password');
        expect(res.text).toContain(`value="${who}"`);
      }
    });

    it('signs in with a new session id, greets, and signs out', async () => {
      const email = newUser();
      const b = browser();
      await b.signUp(email);
      const before = await b.get('/signin/');
      const cookieBefore = /notejam\.sid=([^;]+)/.exec(String(before.headers['set-cookie']))?.[1];
      const token = /name="_csrf" value="([^"]+)"/.exec(before.text)![1];
      const res = await b.postRaw('/signin/', {
        email: email.toUpperCase(),
        password: 'correct horse battery',
        _csrf: token,
      });
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/');
      const cookieAfter = /notejam\.sid=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1];
      expect(cookieAfter).toBeDefined();
      expect(cookieAfter).not.toBe(cookieBefore);
      expect(String(res.headers['set-cookie'])).toMatch(/HttpOnly/);
      expect(String(res.headers['set-cookie'])).toMatch(/SameSite=Lax/);
      const home = await b.get('/');
      expect(pageTitle(home.text)).toBe('All notes (0)');
      expect(flashes(home.text)).toEqual(['You are signed in!']);
      expect(home.text).toContain(`${email}:`);
      expect(home.text).toContain('Create your first note.');
      expect(home.text).toContain('No pads');
      const out = await b.get('/signout/');
      expect(out.headers.location).toBe('/signin/');
      expect((await b.get('/')).status).toBe(302);
    });

    it('follows next only to local paths', async () => {
      const email = newUser();
      await browser().signUp(email);
      const cases: [string, string][] = [
        ['/pads/create/', '/pads/create/'],
        ['/notes/create/?pad=1', '/notes/create/?pad=1'],
        ['//evil.example/', '/'],
        ['https://evil.example/', '/'],
        ['/\\evil.example', '/'],
      ];
      for (const [next, expected] of cases) {
        const b = browser();
        const action = `/signin/?next=${encodeURIComponent(next)}`;
        const res = await b.submit(action, { email, password: 'correct horse battery' });
        expect(res.headers.location).toBe(expected);
      }
    });

    it('answers the forgot-password form the same whether or not the e-mail exists', async () => {
      const email = newUser();
      await browser().signUp(email);
      const texts = [];
      for (const who of [email, 'stranger@example.com']) {
        const b = browser();
        const res = await b.submit('/forgot-password/', { email: who });
        expect(res.status).toBe(302);
        expect(res.headers.location).toBe('/signin/');
        texts.push(flashes((await b.get('/signin/')).text));
      }
      expect(texts[0]).toEqual(texts[1]);
      const invalid = await browser().submit('/forgot-password/', { email: 'nope' });
      expect(invalid.status).toBe(422);
      expect(invalid.text).toContain('Enter a valid e-mail address.');
    });
  });

  describe('pads', () => {
    it('creates, shows, renames and deletes a pad with its notes', async () => {
      const { browser: b } = await signedIn();
      const tooLong = await b.submit('/pads/create/', { name: 'x'.repeat(101) });
      expect(tooLong.status).toBe(422);
      expect(tooLong.text).toContain('Use at most 100 characters.');
      const blank = await b.submit('/pads/create/', { name: '   ' });
      expect(blank.text).toContain('This field is required.');

      const created = await b.submit('/pads/create/', { name: 'Work' });
      expect(created.headers.location).toBe('/');
      const home = await b.get('/');
      expect(flashes(home.text)).toEqual(['Pad is successfully created']);
      const padId = await b.createPad('Home');
      const workId = Number(/href="\/pads\/(\d+)\/"[^>]*>Work</.exec(home.text)![1]);

      await b.createNote('In home', 'text', padId);
      const padPage = await b.get(`/pads/${padId}/`);
      expect(pageTitle(padPage.text)).toBe('Home (1)');
      expect(padPage.text).toContain(`href="/notes/create/?pad&#x3D;${padId}"`);
      expect(padPage.text).toContain(`href="/pads/${padId}/edit/"`);
      expect(padPage.text).not.toContain('<th scope="col" class="note-pad">');

      const renamed = await b.submit(`/pads/${padId}/edit/`, { name: 'House' });
      expect(renamed.headers.location).toBe(`/pads/${padId}/`);
      const renamedPage = await b.get(`/pads/${padId}/`);
      expect(pageTitle(renamedPage.text)).toBe('House (1)');
      expect(flashes(renamedPage.text)).toEqual(['Pad is successfully updated']);

      const confirm = await b.get(`/pads/${padId}/delete/`);
      expect(confirm.text).toContain('Are you sure you want to delete <strong>House</strong>?');
      expect(confirm.text).toContain('All notes in this pad will be deleted too.');
      const deleted = await b.submit(`/pads/${padId}/delete/`, {});
      expect(deleted.headers.location).toBe('/');
      const after = await b.get('/');
      expect(flashes(after.text)).toEqual(['Pad is successfully deleted']);
      expect(pageTitle(after.text)).toBe('All notes (0)');
      expect(await app.dataSource.getRepository(Pad).countBy({ id: padId })).toBe(0);
      expect(await app.dataSource.getRepository(Note).countBy({ padId })).toBe(0);
      expect((await b.get(`/pads/${workId}/`)).status).toBe(200);
    });
  });

  describe('notes', () => {
    it('creates, shows, edits, moves and deletes notes, redirecting to the right pad', async () => {
      const { browser: b } = await signedIn();
      const padA = await b.createPad('Pad A');
      const padB = await b.createPad('Pad B');

      const form = await b.get(`/notes/create/?pad=${padA}`);
      expect(form.text).toMatch(new RegExp(`<option value="${padA}" selected>Pad A</option>`));
      expect(form.text).toContain('<option value="">---------</option>');

      const errors = await b.submit('/notes/create/', { name: '', text: '  ', pad: '' });
      expect(errors.status).toBe(422);
      expect(errors.text.match(/This field is required\./g)).toHaveLength(2);

      const loose = await b.submit('/notes/create/', { name: 'Loose', text: 'no pad', pad: '' });
      expect(loose.headers.location).toBe('/');
      expect(flashes((await b.get('/')).text)).toEqual(['Note is successfully created']);
      const looseId = await b.noteIdByName('Loose');
      expect((await noteRow(looseId))!.padId).toBeNull();

      const inA = await b.submit('/notes/create/', {
        name: 'In A',
        text: 'line one\r\nline two',
        pad: String(padA),
      });
      expect(inA.headers.location).toBe(`/pads/${padA}/`);
      const inAId = await b.noteIdByName('In A');
      const view = await b.get(`/notes/${inAId}/`);
      expect(pageTitle(view.text)).toBe('In A');
      expect(view.text).toMatch(/Last edited: Today at \d\d:\d\d/);
      expect(view.text).toContain('<div class="note-text">line one\nline two</div>');
      expect(view.text).toContain(`href="/notes/${inAId}/edit/"`);
      expect(view.text).toContain('Delete it');

      const all = await b.get('/');
      expect(pageTitle(all.text)).toBe('All notes (2)');
      expect(all.text).toContain('No pad');
      expect(all.text).toContain(`<a href="/pads/${padA}/">Pad A</a>`);

      const edit = await b.get(`/notes/${inAId}/edit/`);
      expect(edit.text).toContain('value="In A"');
      expect(edit.text).toMatch(new RegExp(`<option value="${padA}" selected>`));
      const moved = await b.submit(`/notes/${inAId}/edit/`, {
        name: 'Moved',
        text: 'now in B',
        pad: String(padB),
      });
      expect(moved.headers.location).toBe(`/pads/${padB}/`);
      const padBPage = await b.get(`/pads/${padB}/`);
      expect(flashes(padBPage.text)).toEqual(['Note is successfully updated']);
      expect(noteNames(padBPage.text)).toEqual(['Moved']);
      expect(pageTitle((await b.get(`/pads/${padA}/`)).text)).toBe('Pad A (0)');

      const unpadded = await b.submit(`/notes/${inAId}/edit/`, {
        name: 'Moved',
        text: 'no pad now',
        pad: '',
      });
      expect(unpadded.headers.location).toBe('/');
      expect((await noteRow(inAId))!.padId).toBeNull();

      const confirm = await b.get(`/notes/${looseId}/delete/`);
      expect(confirm.text).toContain('Are you sure you want to delete <strong>Loose</strong>?');
      const deleted = await b.submit(`/notes/${looseId}/delete/`, {});
      expect(deleted.headers.location).toBe('/');
      expect(flashes((await b.get('/')).text)).toEqual(['Note is successfully deleted']);
      expect(await noteRow(looseId)).toBeNull();
    });

    it('refuses a pad that is not one of the user own pads', async () => {
      const { browser: owner } = await signedIn();
      const foreignPad = await owner.createPad('Not yours');
      const { browser: b } = await signedIn();
      for (const pad of [String(foreignPad), '0', 'abc', '999999', '-1']) {
        const res = await b.submit('/notes/create/', { name: 'Sneaky', text: 'x', pad });
        expect(res.status).toBe(422);
        expect(res.text).toContain('Choose one of your pads.');
        expect(res.text).toContain('value="Sneaky"');
      }
      expect(pageTitle((await b.get('/')).text)).toBe('All notes (0)');
    });

    it('sorts by name and by last change, both ways, on all notes and on a pad', async () => {
      const { browser: b } = await signedIn();
      const pad = await b.createPad('Sorted');
      const ids: Record<string, number> = {};
      for (const name of ['banana', 'Apple', 'cherry'])
        ids[name] = await b.createNote(name, 'text', pad);
      const at = (days: number) => new Date(Date.now() - days * 86_400_000);
      await app.dataSource.getRepository(Note).update(ids.banana, { updatedAt: at(3) });
      await app.dataSource.getRepository(Note).update(ids.Apple, { updatedAt: at(1) });
      await app.dataSource.getRepository(Note).update(ids.cherry, { updatedAt: at(20) });
      const expected: Record<string, string[]> = {
        name: ['Apple', 'banana', 'cherry'],
        '-name': ['cherry', 'banana', 'Apple'],
        updated_at: ['cherry', 'banana', 'Apple'],
        '-updated_at': ['Apple', 'banana', 'cherry'],
        bogus: ['Apple', 'banana', 'cherry'],
      };
      for (const base of ['/', `/pads/${pad}/`]) {
        for (const [order, names] of Object.entries(expected)) {
          expect(noteNames((await b.get(`${base}?order=${order}`)).text)).toEqual(names);
        }
        expect(noteNames((await b.get(base)).text)).toEqual(expected['-updated_at']);
        expect(noteNames((await b.get(`${base}?order=name&order=-name`)).text)).toEqual(
          expected['-updated_at'],
        );
      }
      const page = (await b.get('/')).text;
      expect(page).toContain('Yesterday at');
      expect(page).toContain('3 days ago');
      expect(page).toMatch(/<td class="date">\d{4}-\d\d-\d\d<\/td>/);
      expect(page).toContain('href="/?order&#x3D;name"');
    });

    it('keeps 10,000 characters with emoji and line breaks exactly', async () => {
      const { browser: b } = await signedIn();
      const text = `${'😀 notes ✓ ünïcödé\n'.repeat(526)}end 🎉`;
      expect(text.length).toBe(10_000);
      const id = await b.createNote('Long 📝', text);
      expect((await noteRow(id))!.text).toBe(text);
      const view = await b.get(`/notes/${id}/`);
      expect(view.text).toContain(`<div class="note-text">${text}</div>`);
      const edit = await b.get(`/notes/${id}/edit/`);
      expect(edit.text).toContain(`required>\n${text}</textarea>`);
      expect(pageTitle(view.text)).toBe('Long 📝');
    });

    it('escapes HTML in names and text everywhere', async () => {
      const { browser: b } = await signedIn();
      const evil = '<script>alert("x")</script>&"\'';
      const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#x27;';
      const pad = await b.createPad(evil);
      const id = await b.createNote(evil, `${evil}\n<b>bold</b>`, pad);
      for (const path of [
        '/',
        `/pads/${pad}/`,
        `/notes/${id}/`,
        `/notes/${id}/edit/`,
        `/notes/${id}/delete/`,
        `/pads/${pad}/edit/`,
        `/pads/${pad}/delete/`,
      ]) {
        const res = await b.get(path);
        expect(res.status).toBe(200);
        expect(res.text).not.toContain('<script>');
        expect(res.text).not.toContain('<b>bold</b>');
        expect(res.text).toContain(escaped);
      }
    });
  });

  describe('text on both databases', () => {
    it('keeps josé@ and jose@ apart, and finds an account however its address is typed', async () => {
      const accented = `josé.${++userCount}@example.com`;
      const plain = accented.replace('é', 'e');
      expect((await browser().signUp(accented)).status).toBe(302);
      expect((await browser().signUp(plain)).status).toBe(302);
      const stored = await app.dataSource
        .getRepository(User)
        .findBy([{ email: accented }, { email: plain }]);
      expect(stored.map((user) => user.email).sort()).toEqual([plain, accented].sort());
      // Decomposed (e + combining acute) and upper-case: the same account after normalisation.
      const typed = accented.replace('é', 'E\u0301').toUpperCase();
      expect((await browser().signUp(typed)).text).toContain('This e-mail is already registered.');
      const b = browser();
      expect((await b.signIn(typed)).status).toBe(302);
      expect((await b.get('/')).text).toContain(`${accented}:`);
      // Full case folding: ß and SS are one spelling.
      const strasse = `strasse.${++userCount}@example.com`;
      expect((await browser().signUp(strasse.replace('ss', 'ß'))).status).toBe(302);
      expect((await browser().signUp(strasse.toUpperCase())).status).toBe(422);
    });

    it('orders names the way people read them, accents and case second', async () => {
      const { browser: b } = await signedIn();
      for (const name of ['Zebra', 'éclair', 'apple', 'Eagle', 'Éclair', 'eclair']) {
        await b.createPad(name);
        await b.createNote(name, 'text');
      }
      const expected = ['apple', 'Eagle', 'eclair', 'éclair', 'Éclair', 'Zebra'];
      expect(noteNames((await b.get('/?order=name')).text)).toEqual(expected);
      expect(noteNames((await b.get('/?order=-name')).text)).toEqual([...expected].reverse());
      const pads = [
        ...(await b.get('/')).text.matchAll(/<li><a href="\/pads\/\d+\/">([^<]*)<\/a>/g),
      ];
      expect(pads.map((m) => m[1])).toEqual(expected.map(escapeHtml));
    });

    it('counts name lengths in characters: 100 emoji fit, 101 do not', async () => {
      const { browser: b } = await signedIn();
      const hundred = '📝'.repeat(100);
      expect(hundred.length).toBe(200);
      const pad = await b.createPad(hundred);
      const id = await b.createNote(hundred, 'text', pad);
      expect((await noteRow(id))!.name).toBe(hundred);
      for (const [action, fields] of [
        ['/pads/create/', { name: `${hundred}📝` }],
        ['/notes/create/', { name: `${hundred}📝`, text: 'x', pad: '' }],
      ] as const) {
        const res = await b.submit(action, fields);
        expect(res.status).toBe(422);
        expect(res.text).toContain('Use at most 100 characters.');
      }
    });
  });

  describe('settings', () => {
    it('changes the password, keeps this session and ends the others', async () => {
      const email = newUser();
      const b = await browser().signedIn(email);
      const other = browser();
      await other.signIn(email);
      expect((await other.get('/')).status).toBe(200);

      const wrong = await b.submit('/settings/', {
        old_password: 'nope nope',
        new_password: 'new password 1',
        repeat_new_password: 'new password 1',
      });
      expect(wrong.status).toBe(422);
      expect(wrong.text).toContain('The old password is not right.');
      const mismatch = await b.submit('/settings/', {
        old_password: 'correct horse battery',
        new_password: 'new password 1',
        repeat_new_password: 'new password 2',
      });
      expect(mismatch.text).toContain('Passwords do not match.');
      const short = await b.submit('/settings/', {
        old_password: 'correct horse battery',
        new_password: 'short',
        repeat_new_password: 'short',
      });
      expect(short.text).toContain('Use at least 8 characters.');

      const ok = await b.submit('/settings/', {
        old_password: 'correct horse battery',
        new_password: 'new password 1',
        repeat_new_password: 'new password 1',
      });
      expect(ok.status).toBe(302);
      const home = await b.get('/');
      expect(home.status).toBe(200);
      expect(flashes(home.text)).toEqual(['Your password is successfully changed.']);
      expect((await other.get('/')).status).toBe(302);
      expect((await browser().signIn(email, 'correct horse battery')).status).toBe(422);
      expect((await browser().signIn(email, 'new password 1')).status).toBe(302);
    });
  });

  describe('security', () => {
    it('refuses a POST without a valid CSRF token with 403 and changes nothing', async () => {
      const { browser: b } = await signedIn();
      const pad = await b.createPad('Guarded');
      const note = await b.createNote('Guarded note', 'original', pad);
      const otherSessionToken = await browser().csrfToken('/signin/');
      const attempts: [string, Record<string, string>][] = [
        ['/pads/create/', { name: 'Injected' }],
        ['/notes/create/', { name: 'Injected', text: 'x', pad: '' }],
        [`/notes/${note}/edit/`, { name: 'Changed', text: 'changed', pad: '' }],
        [`/notes/${note}/delete/`, {}],
        [`/pads/${pad}/edit/`, { name: 'Changed' }],
        [`/pads/${pad}/delete/`, {}],
        [
          '/settings/',
          {
            old_password: 'correct horse battery',
            new_password: 'hijacked 123',
            repeat_new_password: 'hijacked 123',
          },
        ],
      ];
      for (const [action, fields] of attempts) {
        for (const token of [undefined, '', 'forged-token', otherSessionToken]) {
          const res = await b.postRaw(
            action,
            token === undefined ? fields : { ...fields, _csrf: token },
          );
          expect(res.status).toBe(403);
        }
      }
      const row = await noteRow(note);
      expect(row).toMatchObject({ name: 'Guarded note', text: 'original', padId: pad });
      expect((await app.dataSource.getRepository(Pad).findOneBy({ id: pad }))!.name).toBe(
        'Guarded',
      );
      const home = await b.get('/');
      expect(pageTitle(home.text)).toBe('All notes (1)');
      expect(home.text).not.toContain('Injected');
      const anonymous = await browser().postRaw('/signup/', {
        email: 'csrf@example.com',
        password: 'long enough',
        repeat_password: 'long enough',
      });
      expect(anonymous.status).toBe(403);
    });

    it("answers 404 for another user's notes and pads, on GET and POST, and changes nothing", async () => {
      const { browser: owner } = await signedIn();
      const pad = await owner.createPad('Private pad');
      const note = await owner.createNote('Private note', 'secret text', pad);
      const { browser: intruder } = await signedIn();
      const token = await intruder.csrfToken('/pads/create/');
      for (const path of [
        `/notes/${note}/`,
        `/notes/${note}/edit/`,
        `/notes/${note}/delete/`,
        `/pads/${pad}/`,
        `/pads/${pad}/edit/`,
        `/pads/${pad}/delete/`,
      ]) {
        const res = await intruder.get(path);
        expect(res.status).toBe(404);
        expect(res.text).not.toContain('Private');
      }
      const posts: [string, Record<string, string>][] = [
        [`/notes/${note}/edit/`, { name: 'Stolen', text: 'x', pad: '' }],
        [`/notes/${note}/delete/`, {}],
        [`/pads/${pad}/edit/`, { name: 'Stolen' }],
        [`/pads/${pad}/delete/`, {}],
      ];
      for (const [path, fields] of posts) {
        expect((await intruder.postRaw(path, { ...fields, _csrf: token })).status).toBe(404);
      }
      expect(await noteRow(note)).toMatchObject({
        name: 'Private note',
        text: 'secret text',
        padId: pad,
      });
      expect((await app.dataSource.getRepository(Pad).findOneBy({ id: pad }))!.name).toBe(
        'Private pad',
      );
      expect((await intruder.get(`/notes/create/?pad=${pad}`)).text).not.toContain('Private pad');
    });

    it('answers 404 for non-numeric, zero, huge and missing ids on GET and POST', async () => {
      const { browser: b } = await signedIn();
      const token = await b.csrfToken('/pads/create/');
      for (const id of [
        'abc',
        '1.5',
        '-1',
        '0',
        '01',
        '1e3',
        '99999999999999999999',
        '2147483648',
        '424242',
      ]) {
        for (const path of [
          `/notes/${id}/`,
          `/notes/${id}/edit/`,
          `/notes/${id}/delete/`,
          `/pads/${id}/`,
          `/pads/${id}/edit/`,
          `/pads/${id}/delete/`,
        ]) {
          expect((await b.get(path)).status).toBe(404);
          if (!path.match(/^\/(notes|pads)\/[^/]+\/$/)) {
            expect(
              (await b.postRaw(path, { _csrf: token, name: 'x', text: 'x', pad: '' })).status,
            ).toBe(404);
          }
        }
      }
    });

    it('sends security headers and a strict content security policy', async () => {
      const res = await browser().get('/signin/');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('script-src');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.text).not.toContain('<script');
    });
  });

  describe('operational endpoints', () => {
    it('serves probes and metrics on the management port only, without sessions', async () => {
      const management = request(app.management);
      const health = await management.get('/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      const ready = await management.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.headers['set-cookie']).toBeUndefined();
      const metrics = await management.get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('process_cpu_user_seconds_total');
      expect(metrics.text).toMatch(
        /http_request_duration_seconds_count\{route="\/notes\/:id",method="GET",status="404"\}/,
      );
      expect(metrics.text).toMatch(
        /http_request_duration_seconds_count\{route="\/readyz",method="GET",status="200"\}/,
      );
      expect(metrics.text).toMatch(/notejam_notes_created_total [1-9]/);
      expect(metrics.text).toMatch(/notejam_signups_total [1-9]/);
      expect(metrics.text).not.toMatch(/route="\/notes\/\d+/);
      if (kind === 'mysql') {
        expect(metrics.text).toMatch(
          /notejam_db_query_duration_seconds_count\{outcome="ok"\} [1-9]/,
        );
        expect(metrics.text).toMatch(
          /notejam_db_pool_acquire_duration_seconds_count\{outcome="ok"\} [1-9]/,
        );
      } else {
        expect(metrics.text).not.toContain('notejam_db_query_duration_seconds');
      }
      expect((await management.get('/signin/')).status).toBe(404);
      // The pages' port (the one an Ingress routes to) knows none of them.
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        const res = await browser().get(path);
        expect(res.status).toBe(301);
        const followed = await browser().get(`${path}/`);
        expect(followed.status).toBe(404);
        expect(followed.text).not.toContain('process_cpu');
      }
    });

    it('honours an incoming request id', async () => {
      const res = await browser().get('/healthz').set('X-Request-Id', 'abc-123');
      expect(res.headers['x-request-id']).toBe('abc-123');
    });
  });
});
