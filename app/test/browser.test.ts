// The main journeys in headless Chromium (Debian's chromium through playwright-core).
// Screenshots of the main pages go to app/test-artifacts/screenshots/ for reviewers.
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', 'test-artifacts', 'screenshots');

describe('in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run "make chromium"`);
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startTestApp('sqlite');
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    expect(app.serverErrors).toEqual([]);
    await app.close();
  });

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const title = (page: Page) => page.locator('.page-title').textContent();
  const flash = (page: Page) => page.locator('.alert').allTextContents();
  const noteNames = (page: Page) => page.locator('td.note-name a').allTextContents();

  async function createNote(page: Page, name: string, text: string, pad?: string) {
    await page.goto(`${base}/notes/create/`);
    await page.fill('#name', name);
    await page.fill('#text', text);
    if (pad) await page.selectOption('#pad', { label: pad });
    await page.click('button[type=submit]');
  }

  it('sign up, sign in, pads, notes, sorting, editing, moving, deleting, password change, sign out and in', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const email = 'journey@example.com';

    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/signin/?next=%2F`);
    await page.click('text=Sign up >> nth=0');
    await page.fill('#email', email);
    await page.fill('#password', 'first password');
    await page.fill('#repeat_password', 'first password');
    await shot(page, 'signup');
    await page.click('button[type=submit]');
    expect(await flash(page)).toEqual(['Account is created. Now you can sign in.']);

    await page.fill('#email', email);
    await page.fill('#password', 'first password');
    await shot(page, 'signin');
    await page.click('button[type=submit]');
    expect(await flash(page)).toEqual(['You are signed in!']);
    expect(await title(page)).toBe('All notes (0)');

    for (const pad of ['Work', 'Home']) {
      await page.click('text=New pad');
      await page.fill('#name', pad);
      await page.click('button[type=submit]');
      expect(await flash(page)).toEqual(['Pad is successfully created']);
    }
    expect(await page.locator('.pad-list a').allTextContents()).toEqual(['Home', 'Work']);

    await createNote(page, 'Budget', 'Numbers\nand more numbers', 'Work');
    expect(page.url()).toMatch(/\/pads\/\d+\/$/);
    expect(await flash(page)).toEqual(['Note is successfully created']);
    await createNote(page, 'Agenda', 'Monday', 'Work');
    await createNote(page, 'Chores', 'Dishes', 'Home');
    await page.goto(`${base}/`);
    expect(await title(page)).toBe('All notes (3)');
    expect(await noteNames(page)).toEqual(['Chores', 'Agenda', 'Budget']);
    await page.click('th.note-name a[title="A to Z"]');
    expect(await noteNames(page)).toEqual(['Agenda', 'Budget', 'Chores']);
    await page.click('th.note-name a[title="Z to A"]');
    expect(await noteNames(page)).toEqual(['Chores', 'Budget', 'Agenda']);
    await page.click('th.date a[title="Oldest first"]');
    expect(await noteNames(page)).toEqual(['Budget', 'Agenda', 'Chores']);
    await shot(page, 'all-notes');

    await page.click('text=Budget');
    expect(await title(page)).toBe('Budget');
    expect(await page.locator('.note-text').textContent()).toBe('Numbers\nand more numbers');
    await shot(page, 'note');
    await page.click('a.button:has-text("Edit")');
    await page.fill('#name', 'Budget 2027');
    await page.selectOption('#pad', { label: 'Home' });
    await shot(page, 'note-edit');
    await page.click('button[type=submit]');
    expect(await flash(page)).toEqual(['Note is successfully updated']);
    expect(await title(page)).toBe('Home (2)');
    await shot(page, 'pad');

    await page.click('text=Chores');
    await page.click('text=Delete it');
    await shot(page, 'note-delete');
    await page.click('button:has-text("Yes, delete it")');
    expect(await flash(page)).toEqual(['Note is successfully deleted']);
    expect(await title(page)).toBe('Home (1)');

    await page.click('text=Pad settings');
    await page.click('text=Delete pad');
    expect(await page.locator('.confirm').textContent()).toContain(
      'All notes in this pad will be deleted too.',
    );
    await page.click('button:has-text("Yes, delete it")');
    expect(await flash(page)).toEqual(['Pad is successfully deleted']);
    expect(await title(page)).toBe('All notes (1)');

    await page.click('text=Account settings');
    await page.fill('#old_password', 'first password');
    await page.fill('#new_password', 'second password');
    await page.fill('#repeat_new_password', 'second password');
    await shot(page, 'settings');
    await page.click('button[type=submit]');
    expect(await flash(page)).toEqual(['Your password is successfully changed.']);

    await page.click('text=Sign out');
    expect(page.url()).toBe(`${base}/signin/`);
    await page.fill('#email', email);
    await page.fill('#password', 'first password');
    await page.click('button[type=submit]');
    expect(await page.locator('.alert-error').textContent()).toBe('Wrong email or password');
    await page.fill('#password', 'second password');
    await page.click('button[type=submit]');
    expect(await title(page)).toBe('All notes (1)');
    expect(await noteNames(page)).toEqual(['Agenda']);
    await page.close();
  }, 120_000);

  it('fits a 360 px wide phone screen without sideways scrolling', async () => {
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    await page.goto(`${base}/signup/`);
    await page.fill('#email', 'phone@example.com');
    await page.fill('#password', 'phone password');
    await page.fill('#repeat_password', 'phone password');
    await page.click('button[type=submit]');
    await page.fill('#email', 'phone@example.com');
    await page.fill('#password', 'phone password');
    await page.click('button[type=submit]');
    await page.click('text=New pad');
    await page.fill('#name', 'A pad with a rather long name for a small screen');
    await page.click('button[type=submit]');
    await createNote(
      page,
      'A note with a long name that has to wrap somewhere',
      'Text',
      'A pad with a rather long name for a small screen',
    );
    // One column: the pads come above the notes.
    await page.goto(`${base}/`);
    const pads = await page.locator('.pads').boundingBox();
    const content = await page.locator('.content').boundingBox();
    expect(pads!.y + pads!.height).toBeLessThanOrEqual(content!.y);
    for (const [name, url] of [
      ['phone-all-notes', '/'],
      ['phone-note-create', '/notes/create/'],
      ['phone-settings', '/settings/'],
    ]) {
      await page.goto(`${base}${url}`);
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
      expect(width).toBeLessThanOrEqual(360);
      await shot(page, name);
    }
    await page.close();
  });
});
