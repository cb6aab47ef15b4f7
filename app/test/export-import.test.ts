// `export` and `import`: every row from one engine to the other, files of an older schema,
// and each refusal (a newer schema, a non-empty database, a damaged file) leaving the
// database as it was. The CLI runs as built, against SQLite files and the MariaDB server.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { DataSource } from 'typeorm';
import { connect } from '../src/database/data-source';
import { Note, User } from '../src/database/entities';
import { MIGRATIONS } from '../src/database/migrations';
import { TEST_SECRET } from './support/app';
import { CLI, cliEnv, expectOneLineFailure, runCli, type CliResult } from './support/cli';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './support/databases';

const OLDEST = new MIGRATIONS[0]!().name;
const NEWEST = new MIGRATIONS[MIGRATIONS.length - 1]!().name;
/** In the order the file holds them: parents first, then by name. */
const TABLES = [
  'rate_limits',
  'users',
  'pads',
  'notes',
  'password_resets',
  'sessions',
  'user_sessions',
];

let workDir: string;
const databases: TestDatabase[] = [];

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'notejam-export-'));
});

afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function newDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const database = await createTestDatabase(kind);
  databases.push(database);
  return database;
}

function envOf(database: TestDatabase, extra: Record<string, string> = {}) {
  return { ...database.env, SESSION_SECRET: TEST_SECRET, ...extra };
}

function cli(database: TestDatabase, ...args: string[]): Promise<CliResult> {
  return runCli(args, envOf(database), 120_000);
}

async function migrated(kind: DatabaseKind): Promise<TestDatabase> {
  const database = await newDatabase(kind);
  expect((await cli(database, 'migrate')).code).toBe(0);
  return database;
}

async function withDataSource<T>(
  database: TestDatabase,
  use: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = await connect(database.config);
  try {
    return await use(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function counts(database: TestDatabase): Promise<Record<string, number>> {
  return withDataSource(database, async (dataSource) => {
    const result: Record<string, number> = {};
    for (const table of TABLES)
      result[table] = Number((await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    return result;
  });
}

const EMPTY = Object.fromEntries(TABLES.map((table) => [table, 0]));

async function schemaIsCurrent(database: TestDatabase): Promise<boolean> {
  return (await cli(database, 'migrate', '--status')).code === 0;
}

/**
 * Seeded data plus what seeding never makes: a note without pad, odd text, sessions of both
 * stores, a reset, a rate-limit counter.
 */
async function fill(database: TestDatabase): Promise<void> {
  const seeded = await cli(
    database,
    ...['seed', '--users', '2', '--pads-per-user', '2', '--notes-per-pad', '3'],
  );
  expect(seeded.code).toBe(0);
  await withDataSource(database, async (dataSource) => {
    await dataSource.query(
      'INSERT INTO notes (user_id, pad_id, name, text, created_at, updated_at) VALUES (?, NULL, ?, ?, ?, ?)',
      [
        1,
        'Ünïcödé 🎉 "quoted"',
        'line one\nline two\ttab \\ backslash \u2028 end',
        '2024-02-29 23:59:59.999',
        '2024-03-01 00:00:00.001',
      ],
    );
    await dataSource.query(
      'INSERT INTO sessions (id, user_id, data, expires_at) VALUES (?, ?, ?, ?)',
      ['session-a', 2, '{"cookie":{},"userId":2}', '1893456000000'],
    );
    await dataSource.query(
      'INSERT INTO user_sessions (id, user_id, session_version, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      ['e'.repeat(64), 2, 0, '1764300000000', '1893456000000'],
    );
    await dataSource.query(
      'INSERT INTO rate_limits (key_hash, hits, window_ends) VALUES (?, ?, ?)',
      ['d'.repeat(64), 3, '1893456000000'],
    );
    await dataSource.query(
      'INSERT INTO password_resets (user_id, token_hash, expires_at, used_at, created_at) VALUES (?, ?, ?, NULL, ?)',
      [1, 'f'.repeat(64), '2030-01-01 00:00:00.000', '2029-12-31 23:00:00.000'],
    );
  });
}

function linesOf(file: string): string[] {
  return gunzipSync(fs.readFileSync(file)).toString('utf8').split('\n').slice(0, -1);
}

/** A copy of an export with its lines changed, gzipped again. */
function rewrite(file: string, name: string, change: (lines: string[]) => string[]): string {
  const target = path.join(workDir, name);
  fs.writeFileSync(target, gzipSync(`${change(linesOf(file)).join('\n')}\n`));
  return target;
}

/** The rows of an export, which must not depend on the engine that wrote it. */
function rowsOf(file: string): string[] {
  const [header, ...rest] = linesOf(file);
  const { tables } = JSON.parse(header!);
  return [JSON.stringify(tables), ...rest];
}

let exportCount = 0;
async function exportOf(database: TestDatabase): Promise<{ file: string; result: CliResult }> {
  const file = path.join(workDir, `export-${++exportCount}.ndjson.gz`);
  const result = await cli(database, 'export', file);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return { file, result };
}

describe.each([
  ['sqlite', 'mysql'],
  ['mysql', 'sqlite'],
] as const)('from %s to %s', (from, to) => {
  it('moves every row, unchanged, from one consistent snapshot', async () => {
    const source = await migrated(from);
    await fill(source);
    const sourceCounts = await counts(source);
    const terminationLog = path.join(workDir, `termination-${from}`);
    const file = path.join(workDir, `${from}-to-${to}.ndjson.gz`);
    const exported = await runCli(
      ['export', file],
      envOf(source, { TERMINATION_MESSAGE_PATH: terminationLog }),
    );
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toMatch(
      new RegExp(
        `^exported 23 rows \\(rate_limits 1, users 2, pads 4, notes 13, password_resets 1, sessions 1, user_sessions 1\\) at schema version ${NEWEST} from the .* to ${file} \\(\\d+\\.\\d kB\\) in `,
      ),
    );
    expect(fs.readFileSync(terminationLog, 'utf8')).toBe(
      `schemaVersion=${NEWEST}\nexportFile=${path.basename(file)}\n` +
        `exportBytes=${fs.statSync(file).size}\nexportRows=23\n`,
    );
    const [header] = linesOf(file);
    expect(JSON.parse(header!)).toMatchObject({
      format: 'notejam-export',
      formatVersion: 1,
      schemaVersion: NEWEST,
      migrations: MIGRATIONS.map((migration) => new migration().name),
      source: from,
    });
    expect(JSON.parse(header!).tables.map((t: { name: string }) => t.name)).toEqual(TABLES);

    const target = await migrated(to);
    const imported = await cli(target, 'import', file);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toMatch(
      new RegExp(`^imported 23 rows .* of schema version ${NEWEST} \\(exported from ${from} at `),
    );
    expect(await counts(target)).toEqual(sourceCounts);
    expect(await schemaIsCurrent(target)).toBe(true);

    // The other engine writes the very same rows back.
    expect(rowsOf((await exportOf(target)).file)).toEqual(rowsOf(file));
    // The app reads them alike: dates to the millisecond, text byte for byte.
    const read = (database: TestDatabase) =>
      withDataSource(database, async (dataSource) => ({
        notes: await dataSource.getRepository(Note).find({ order: { id: 'ASC' } }),
        users: await dataSource.getRepository(User).find({ order: { id: 'ASC' } }),
      }));
    expect(await read(target)).toEqual(await read(source));
    // And seeding finds its data set complete: nothing to create, ids and keys carried over.
    const reseeded = await cli(
      target,
      ...['seed', '--users', '2', '--pads-per-user', '2', '--notes-per-pad', '3'],
    );
    expect(reseeded.stdout).toMatch(/^seed: created 0 users, 0 pads, 0 notes/);
    // New rows get ids after the imported ones.
    await withDataSource(target, async (dataSource) => {
      const user = await dataSource
        .getRepository(User)
        .save({ email: 'new@example.com', passwordHash: 'x', createdAt: new Date() });
      expect(user.id).toBe(3);
    });
  });

  it('loads a file of an older schema into that schema, then migrates it', async () => {
    const source = await newDatabase(from);
    const older = await connect(source.config, MIGRATIONS.slice(0, 1));
    try {
      await older.runMigrations();
      await older.query(
        "INSERT INTO users (id, email, password_hash, created_at) VALUES (1, 'old@example.com', 'hash', '2020-01-02 03:04:05.678')",
      );
      await older.query(
        "INSERT INTO pads (id, user_id, name, created_at, updated_at) VALUES (1, 1, 'Old pad', '2020-01-02 03:04:05.678', '2020-01-02 03:04:05.678')",
      );
      await older.query(
        "INSERT INTO notes (user_id, pad_id, name, text, created_at, updated_at) VALUES (1, 1, 'Old note', 'kept', '2020-01-02 03:04:05.678', '2020-01-02 03:04:05.678')",
      );
    } finally {
      await older.destroy();
    }
    // This release exports a database still at the previous schema (the operator's backup
    // runs the new image before its migrations).
    const { file } = await exportOf(source);
    const header = JSON.parse(linesOf(file)[0]!);
    expect(header.schemaVersion).toBe(OLDEST);
    expect(header.tables.map((t: { name: string }) => t.name)).toEqual(['users', 'pads', 'notes']);

    const target = await migrated(to); // at the newest schema: undone, loaded, migrated again
    const imported = await cli(target, 'import', file);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toContain(`of schema version ${OLDEST}`);
    expect(imported.stdout).toContain(`then migrated to ${NEWEST}`);
    expect(await schemaIsCurrent(target)).toBe(true);
    expect(await counts(target)).toEqual({ ...EMPTY, users: 1, pads: 1, notes: 1 });
    const note = await withDataSource(target, (dataSource) =>
      dataSource.getRepository(Note).findOneByOrFail({ name: 'Old note' }),
    );
    expect(note.createdAt.toISOString()).toBe('2020-01-02T03:04:05.678Z');

    const fresh = await newDatabase(to); // no schema at all: migrated up to the file's first
    expect((await cli(fresh, 'import', file)).code).toBe(0);
    expect(await counts(fresh)).toEqual({ ...EMPTY, users: 1, pads: 1, notes: 1 });
    expect(await schemaIsCurrent(fresh)).toBe(true);
  });
});

describe.each(['sqlite', 'mysql'] as const)('refusals on %s', (kind) => {
  let good: string;

  beforeAll(async () => {
    const source = await migrated(kind);
    await fill(source);
    good = (await exportOf(source)).file;
  });

  it('refuses a non-empty database and leaves its data alone', async () => {
    const target = await migrated(kind);
    await fill(target);
    const before = await counts(target);
    expectOneLineFailure(
      await cli(target, 'import', good),
      2,
      /the database is not empty \(rate_limits: 1 rows, users: 2 rows, pads: 4 rows, notes: 13 rows, password_resets: 1 rows, sessions: 1 rows, user_sessions: 1 rows\): import loads only into an empty database \(run "wipe --yes" first\)/,
    );
    expect(await counts(target)).toEqual(before);
  });

  it('refuses a file of a newer schema or format before touching the database', async () => {
    const target = await migrated(kind);
    const future = rewrite(good, `future-schema-${kind}.gz`, ([header, ...rows]) => {
      const parsed = JSON.parse(header!);
      parsed.migrations.push('AddTags1999999999999');
      parsed.schemaVersion = 'AddTags1999999999999';
      return [JSON.stringify(parsed), ...rows];
    });
    expectOneLineFailure(
      await cli(target, 'import', future),
      2,
      new RegExp(
        `the file is from schema version AddTags1999999999999, which this release does not know \\(its newest is ${NEWEST}\\)`,
      ),
    );
    const newerFormat = rewrite(good, `future-format-${kind}.gz`, ([header, ...rows]) => [
      JSON.stringify({ ...JSON.parse(header!), formatVersion: 2 }),
      ...rows,
    ]);
    expectOneLineFailure(
      await cli(target, 'import', newerFormat),
      2,
      /the file has export format 2, newer than this release reads \(1\)/,
    );
    expect(await counts(target)).toEqual(EMPTY);
    expect(await schemaIsCurrent(target)).toBe(true);
  });

  it('refuses a damaged file and leaves the database empty with the current schema', async () => {
    const target = await migrated(kind);
    const lines = linesOf(good);
    const noteLine = lines.findIndex((line) => line.includes('"Ünïcödé'));
    const damaged: [string, string | Buffer, RegExp][] = [
      ['plain text', 'not gzip at all\n', /damaged gzip data \(incorrect header check\)/],
      ['no header', gzipSync('{"hello":1}\n'), /it does not start with a Notejam export header/],
      [
        'cut short',
        fs.readFileSync(good).subarray(0, fs.statSync(good).size - 20),
        /damaged gzip data \(unexpected end of file\)/,
      ],
      [
        'a bad date in the last note',
        fs.readFileSync(
          rewrite(good, `bad-date-${kind}.gz`, (all) =>
            all.map((line, index) =>
              index === noteLine ? line.replace('2024-02-29T23:59:59.999Z', 'yesterday') : line,
            ),
          ),
        ),
        new RegExp(
          `line ${noteLine + 1} \\(table notes\\), column created_at: "yesterday" is not a valid datetime`,
        ),
      ],
      [
        'a row missing',
        fs.readFileSync(
          rewrite(good, `missing-row-${kind}.gz`, (all) =>
            all.filter((_, index) => index !== noteLine),
          ),
        ),
        /line \d+ \(table notes\) is not a row of 8 values/,
      ],
      [
        'no end line',
        fs.readFileSync(rewrite(good, `no-end-${kind}.gz`, (all) => all.slice(0, -1))),
        /it ends before its end line \(cut short\?\)/,
      ],
      [
        'a note of a user not in the file',
        fs.readFileSync(
          rewrite(good, `orphan-${kind}.gz`, (all) =>
            all.map((line, index) =>
              index === noteLine ? line.replace(/^\[(\d+),1,/, '[$1,99,') : line,
            ),
          ),
        ),
        /foreign key/i,
      ],
    ];
    for (const [what, content, message] of damaged) {
      const file = path.join(workDir, `damaged-${kind}.gz`);
      fs.writeFileSync(file, content);
      const result = await cli(target, 'import', file);
      expect({ what, code: result.code }).toEqual({ what, code: 1 });
      expectOneLineFailure(result, 1, message);
      expect({ what, counts: await counts(target) }).toEqual({ what, counts: EMPTY });
    }
    expect(await schemaIsCurrent(target)).toBe(true);
    // The same database takes the sound file afterwards.
    expect((await cli(target, 'import', good)).code).toBe(0);
  });

  it('export never overwrites, needs a schema, and leaves no file when it fails', async () => {
    const source = await migrated(kind);
    expectOneLineFailure(
      await cli(source, 'export', good),
      2,
      /exists already: export never overwrites a file/,
    );
    expectOneLineFailure(await cli(source, 'export'), 2, /export needs one file to write/);
    expectOneLineFailure(
      await cli(source, 'import', path.join(workDir, 'absent.gz')),
      2,
      /absent\.gz does not exist/,
    );
    const unmigrated = await newDatabase(kind);
    const nowhere = path.join(workDir, `unmigrated-${kind}.gz`);
    expectOneLineFailure(
      await cli(unmigrated, 'export', nowhere),
      2,
      /the database has no Notejam schema yet \(run "migrate" first\): nothing to export/,
    );
    // A value the file cannot carry, in the last table: the export fails after writing.
    await withDataSource(source, (dataSource) =>
      dataSource.query(
        "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ('s', NULL, '{}', 12345678901234567)",
      ),
    );
    const failed = path.join(workDir, `failed-${kind}.gz`);
    expectOneLineFailure(
      await cli(source, 'export', failed),
      1,
      /cannot export row s of table sessions: column expires_at: 1234567890123456\d is not a safe integer/,
    );
    expect(fs.readdirSync(workDir).filter((name) => name.startsWith(`failed-${kind}`))).toEqual([]);
  });

  it('streams through standard output and input', async () => {
    const target = await migrated(kind);
    const file = path.join(workDir, `stdout-${kind}.gz`);
    const source = await migrated(kind);
    await fill(source);
    const run = (args: string[], database: TestDatabase, input?: Buffer) =>
      spawnSync(process.execPath, [CLI, ...args], { env: cliEnv(envOf(database)), input });
    const out = run(['export', '-'], source);
    expect(out.status).toBe(0);
    expect(out.stderr.toString()).toMatch(/^exported 23 rows .* to standard output/);
    fs.writeFileSync(file, out.stdout);
    expect(rowsOf(file)).toEqual(rowsOf((await exportOf(source)).file));
    const back = run(['import', '-'], target, out.stdout);
    expect(back.status).toBe(0);
    expect(await counts(target)).toEqual(await counts(source));
  });
});

describe('backup', () => {
  it('exports into the directory under a time-ordered name and keeps the newest N', async () => {
    const database = await migrated('sqlite');
    await fill(database);
    const directory = fs.mkdtempSync(path.join(workDir, 'backups-'));
    fs.writeFileSync(path.join(directory, 'notejam-20200101T000000.000Z.ndjson.gz.partial'), 'x');
    fs.writeFileSync(path.join(directory, 'keep-me.txt'), 'not a backup');
    const terminationLog = path.join(workDir, 'termination-backup');
    const names: string[] = [];
    for (let run = 1; run <= 3; run++) {
      const result = await runCli(
        ['backup', directory, '--keep', '2', '--label', `before-run-${run}`],
        envOf(database, { TERMINATION_MESSAGE_PATH: terminationLog }),
      );
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const name = /exportFile=(.+)\n/.exec(fs.readFileSync(terminationLog, 'utf8'))![1]!;
      expect(name).toMatch(
        new RegExp(`^notejam-\\d{8}T\\d{6}\\.\\d{3}Z-before-run-${run}\\.ndjson\\.gz$`),
      );
      expect(result.stdout).toContain(`to ${path.join(directory, name)}`);
      names.push(name);
    }
    expect(fs.readdirSync(directory).sort()).toEqual(['keep-me.txt', names[1], names[2]].sort());
    const restored = await migrated('mysql');
    expect((await cli(restored, 'import', path.join(directory, names[2]!))).code).toBe(0);
    expect(await counts(restored)).toEqual(await counts(database));

    // A database without schema (an instance's very first deployment): nothing to back up.
    const unmigrated = await newDatabase('mysql');
    const empty = await cli(unmigrated, 'backup', directory, '--keep', '2');
    expect(empty).toMatchObject({ code: 0, stderr: '' });
    expect(empty.stdout).toMatch(/^nothing to back up: the database has no Notejam schema yet/);
    expect(fs.readdirSync(directory)).toHaveLength(3);

    expectOneLineFailure(
      await cli(database, 'backup', path.join(directory, 'absent')),
      2,
      /absent is not a directory/,
    );
    expectOneLineFailure(
      await cli(database, 'backup', directory, '--label', 'Not OK'),
      2,
      /--label must be up to 63 lower-case letters/,
    );
    expectOneLineFailure(
      await cli(database, 'backup', directory, '--keep', '0'),
      2,
      /--keep must be at least 1/,
    );
  });
});
