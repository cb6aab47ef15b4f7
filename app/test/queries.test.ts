// What a page view costs the database: a fixed number of queries whatever the number of
// notes (no N+1), each query once per page, and no session write when the session was
// extended a moment ago.
// Speed itself is measured by bench/app (docs/benchmarks.md), never here.
import { nameSortKey } from '../src/common/collation-key';
import { Note, Pad, User, UserSession } from '../src/database/entities';
import { SQL_STATEMENTS } from '../src/database/sql';
import { TOUCH_GRANULARITY_MS } from '../src/sessions/sessions.service';
import { startTestApp, type TestApp } from './support/app';
import { Browser } from './support/browser';
import { DATABASE_KINDS } from './support/databases';

/** Records the SQL of every statement the app runs while `action` runs. */
async function queriesDuring(action: () => Promise<unknown>): Promise<string[]> {
  const queries: string[] = [];
  const record = (message: unknown) => queries.push((message as { sql: string }).sql);
  SQL_STATEMENTS.subscribe(record);
  try {
    await action();
  } finally {
    SQL_STATEMENTS.unsubscribe(record);
  }
  return queries;
}

const isWrite = (query: string) => /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(query);

describe.each(DATABASE_KINDS)('database work per page on %s', (kind) => {
  let app: TestApp;
  let browser: Browser;
  let userId: number;
  let padId: number;
  let noteId: number;

  /** Adds `count` notes to the pad and as many without a pad. */
  const addNotes = async (count: number) => {
    const now = new Date();
    const rows = Array.from({ length: count * 2 }, (_, i) => ({
      userId,
      padId: i % 2 === 0 ? padId : null,
      name: `Note ${i}`,
      nameSortKey: nameSortKey(`Note ${i}`),
      text: 'text',
      createdAt: now,
      updatedAt: now,
    }));
    await app.dataSource.getRepository(Note).insert(rows);
  };

  const pages = () => ['/', `/pads/${padId}/?order=name`, `/notes/${noteId}/`];

  /** The queries of one view of each page (after a first view that settles the session). */
  const queriesPerPage = async () => {
    const counts: Record<string, string[]> = {};
    for (const path of pages()) {
      expect((await browser.get(path)).status).toBe(200);
      counts[path] = await queriesDuring(async () => {
        expect((await browser.get(path)).status).toBe(200);
      });
    }
    return counts;
  };

  beforeAll(async () => {
    app = await startTestApp(kind);
    browser = await new Browser(app.server).signedIn('counted@example.com');
    userId = (
      await app.dataSource.getRepository(User).findOneByOrFail({
        email: 'counted@example.com',
      })
    ).id;
    padId = await browser.createPad('Counted');
    noteId = await browser.createNote('First', 'text', padId);
  });

  afterAll(async () => {
    expect(app.serverErrors).toEqual([]);
    await app.close();
  });

  it('runs the same few queries for 1 note and 1 pad as for 201 notes and 21 pads', async () => {
    const few = await queriesPerPage();
    await addNotes(100);
    const now = new Date();
    await app.dataSource.getRepository(Pad).insert(
      Array.from({ length: 20 }, (_, i) => ({
        userId,
        name: `Pad ${i}`,
        nameSortKey: nameSortKey(`Pad ${i}`),
        createdAt: now,
        updatedAt: now,
      })),
    );
    const many = await queriesPerPage();
    expect((await browser.get('/')).text).toContain('All notes (201)');
    expect((await browser.get('/')).text).toContain('Pad 19');
    // The session with its user, the page's own read and the pads column (which also
    // names the pads of the listed notes); nothing per note or pad.
    const counts = (queries: Record<string, string[]>) =>
      pages().map((path) => queries[path].length);
    expect(counts(few)).toEqual([3, 3, 3]);
    expect(counts(many)).toEqual(counts(few));
  });

  it('runs each query once on every page, forms included', async () => {
    for (const path of [
      ...pages(),
      '/notes/create/',
      `/notes/${noteId}/edit/`,
      `/notes/${noteId}/delete/`,
      '/pads/create/',
      `/pads/${padId}/edit/`,
      `/pads/${padId}/delete/`,
      '/settings/',
    ]) {
      const queries = await queriesDuring(async () => {
        expect((await browser.get(path)).status).toBe(200);
      });
      expect({ path, queries }).toEqual({ path, queries: [...new Set(queries)] });
    }
  });

  it('writes nothing on a page view shortly after the session was extended', async () => {
    expect((await browser.get('/')).status).toBe(200);
    for (const path of pages()) {
      const queries = await queriesDuring(() => browser.get(path));
      expect(queries.filter(isWrite)).toEqual([]);
    }
  });

  it('still extends the idle deadline once the last extension is older than the granularity', async () => {
    const sessions = app.dataSource.getRepository(UserSession);
    const [row] = await sessions.findBy({ userId });
    const staleDeadline =
      Date.now() + app.config.sessionIdleSeconds * 1000 - 2 * TOUCH_GRANULARITY_MS;
    await sessions.update({ id: row.id }, { expiresAt: String(staleDeadline) });
    const queries = await queriesDuring(() => browser.get('/'));
    expect(queries.filter(isWrite)).toHaveLength(1);
    const extended = Number((await sessions.findOneByOrFail({ id: row.id })).expiresAt);
    expect(extended).toBeGreaterThan(staleDeadline + TOUCH_GRANULARITY_MS);
  });
});
