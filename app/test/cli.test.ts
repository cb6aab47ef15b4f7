// The CLI the Kubernetes Jobs run: exit codes, messages and effects.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect } from '../src/database/data-source';
import { MIGRATIONS } from '../src/database/migrations';
import { TEST_SECRET } from './support/app';
import { expectOneLineFailure, runCli } from './support/cli';
import {
  createTestDatabase,
  DATABASE_KINDS,
  TEST_MYSQL_URL,
  type TestDatabase,
} from './support/databases';

async function counts(
  database: TestDatabase,
): Promise<{ users: number; pads: number; notes: number }> {
  const dataSource = await connect(database.config);
  try {
    const count = async (table: string) =>
      Number((await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    return { users: await count('users'), pads: await count('pads'), notes: await count('notes') };
  } finally {
    await dataSource.destroy();
  }
}

async function noteNames(database: TestDatabase): Promise<string[]> {
  const dataSource = await connect(database.config);
  try {
    const rows: { name: string }[] = await dataSource.query('SELECT name FROM notes ORDER BY id');
    return rows.map((row) => row.name);
  } finally {
    await dataSource.destroy();
  }
}

const NEWEST_MIGRATION = new MIGRATIONS[MIGRATIONS.length - 1]!().name;

describe.each(DATABASE_KINDS)('the CLI on %s', (kind) => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let podDir: string;
  let terminationLog: string;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    podDir = fs.mkdtempSync(path.join(os.tmpdir(), 'notejam-cli-'));
    terminationLog = path.join(podDir, 'termination-log');
    env = {
      ...database.env,
      SESSION_SECRET: TEST_SECRET,
      TERMINATION_MESSAGE_PATH: terminationLog,
    };
  });

  afterEach(async () => {
    await database.drop();
    fs.rmSync(podDir, { recursive: true, force: true });
  });

  it('migrates, reports the status and exits non-zero while migrations are pending', async () => {
    const pending = await runCli(['migrate', '--status'], env);
    expect(pending.code).toBe(1);
    expect(pending.stdout).toMatch(/pending\s+InitialSchema/);
    expect(pending.stdout).toContain('3 migration(s) pending');

    const seedTooEarly = await runCli(
      ['seed', '--users', '1', '--pads-per-user', '1', '--notes-per-pad', '1'],
      env,
    );
    expectOneLineFailure(seedTooEarly, 2, /run "migrate" first/);

    expect(fs.existsSync(terminationLog)).toBe(false); // --status and failures report nothing

    const migrate = await runCli(['migrate'], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(
      /^applied 3 migration\(s\): InitialSchema\d+, SortIndexesSessionsResets\d+, TextRulesSessionVersionsRateLimits\d+$/m,
    );
    expect(fs.readFileSync(terminationLog, 'utf8')).toBe(`schemaVersion=${NEWEST_MIGRATION}\n`);
    fs.rmSync(terminationLog);
    const again = await runCli(['migrate'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^schema is up to date/);
    // Up to date is reported too: every migrate Job tells the operator the schema version.
    expect(fs.readFileSync(terminationLog, 'utf8')).toBe(`schemaVersion=${NEWEST_MIGRATION}\n`);

    // Outside a pod the directory is usually missing: nothing is written, migrate succeeds.
    const elsewhere = path.join(podDir, 'missing', 'termination-log');
    const outside = await runCli(['migrate'], { ...env, TERMINATION_MESSAGE_PATH: elsewhere });
    expect(outside.code).toBe(0);
    expect(fs.existsSync(path.dirname(elsewhere))).toBe(false);
    // An unwritable path (a directory) never fails the command either.
    expect((await runCli(['migrate'], { ...env, TERMINATION_MESSAGE_PATH: podDir })).code).toBe(0);

    const status = await runCli(['migrate', '--status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/applied\s+SortIndexesSessionsResets/);
    expect(status.stdout).toContain('schema is up to date');
  });

  it('seeds the requested sizes deterministically and idempotently, and wipes only with --yes', async () => {
    expect((await runCli(['migrate'], env)).code).toBe(0);
    const args = [
      'seed',
      '--users',
      '2',
      '--pads-per-user',
      '3',
      '--notes-per-pad',
      '4',
      '--seed',
      '7',
    ];
    const first = await runCli(args, env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^seed: created 2 users, 6 pads, 24 notes/);
    expect(await counts(database)).toEqual({ users: 2, pads: 6, notes: 24 });
    const names = await noteNames(database);

    const second = await runCli(args, env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^seed: created 0 users, 0 pads, 0 notes/);
    expect(await counts(database)).toEqual({ users: 2, pads: 6, notes: 24 });

    const bigger = await runCli(
      ['seed', '--users', '3', '--pads-per-user', '3', '--notes-per-pad', '5', '--seed', '7'],
      env,
    );
    expect(bigger.stdout).toMatch(/^seed: created 1 users, 3 pads, 21 notes/);
    expect(await counts(database)).toEqual({ users: 3, pads: 9, notes: 45 });

    const refused = await runCli(['wipe'], env);
    expectOneLineFailure(refused, 2, /run "wipe --yes"/);
    expect(await counts(database)).toEqual({ users: 3, pads: 9, notes: 45 });

    // Another application's table in the same database: wipe leaves it alone.
    const foreign = await connect(database.config);
    await foreign.query('CREATE TABLE other_app_data (id INTEGER PRIMARY KEY, value VARCHAR(20))');
    await foreign.query("INSERT INTO other_app_data (id, value) VALUES (1, 'kept')");
    await foreign.destroy();

    fs.rmSync(terminationLog);
    const wiped = await runCli(['wipe', '--yes'], env);
    expect(wiped.code).toBe(0);
    expect(wiped.stdout).toMatch(/^wiped the/);
    expect(fs.readFileSync(terminationLog, 'utf8')).toBe(`schemaVersion=${NEWEST_MIGRATION}\n`);
    expect(await counts(database)).toEqual({ users: 0, pads: 0, notes: 0 });
    expect((await runCli(['migrate', '--status'], env)).code).toBe(0);
    const after = await connect(database.config);
    try {
      expect(await after.query('SELECT id, value FROM other_app_data')).toEqual([
        { id: 1, value: 'kept' },
      ]);
    } finally {
      await after.destroy();
    }

    expect((await runCli(args, env)).code).toBe(0);
    expect(await noteNames(database)).toEqual(names);
  });

  it('rejects bad arguments with one line and exit code 2', async () => {
    expectOneLineFailure(
      await runCli(
        ['seed', '--users', 'many', '--pads-per-user', '1', '--notes-per-pad', '1'],
        env,
      ),
      2,
      /--users must be a whole number/,
    );
    expectOneLineFailure(
      await runCli(['seed', '--users', '1'], env),
      2,
      /seed needs --pads-per-user/,
    );
    expectOneLineFailure(await runCli(['migrate', '--force'], env), 2, /--force/);
    expectOneLineFailure(await runCli(['explode'], env), 2, /unknown command "explode"/);
  });
});

describe('the CLI with a bad configuration or an unreachable database', () => {
  const server = new URL(TEST_MYSQL_URL);
  const mysql = (overrides: Record<string, string>) => ({
    DB_TYPE: 'mysql',
    DB_HOST: server.hostname,
    DB_PORT: server.port || '3306',
    DB_NAME: 'notejam_absent',
    DB_USER: decodeURIComponent(server.username),
    DB_PASSWORD: decodeURIComponent(server.password),
    SESSION_SECRET: TEST_SECRET,
    ...overrides,
  });

  it('names the variable that is wrong', async () => {
    expectOneLineFailure(
      await runCli(['migrate'], { DB_TYPE: 'postgres' }),
      2,
      /configuration error: DB_TYPE must be one of sqlite, mysql/,
    );
    expectOneLineFailure(
      await runCli(['serve'], { DB_TYPE: 'mysql', DB_HOST: 'db' }),
      2,
      /DB_PASSWORD is required/,
    );
    expectOneLineFailure(
      await runCli(['serve'], { PORT: '70000' }),
      2,
      /PORT must be a whole number/,
    );
    expectOneLineFailure(
      await runCli(['serve'], { NODE_ENV: 'production' }),
      2,
      /SESSION_SECRET is required/,
    );
  });

  it('fails at start with a clear line for a wrong password, for serve and migrate', async () => {
    for (const command of ['serve', 'migrate']) {
      const result = await runCli([command], mysql({ DB_PASSWORD: 'wrong-password' }));
      expectOneLineFailure(
        result,
        1,
        /cannot open the MySQL database "notejam_absent" at .* as user "notejam": Access denied/,
      );
      expect(result.stderr).not.toContain('wrong-password');
    }
  });

  it('fails at start with a clear line for an unreachable host', async () => {
    const result = await runCli(['serve'], mysql({ DB_HOST: '127.0.0.1', DB_PORT: '1' }));
    expectOneLineFailure(
      result,
      1,
      /cannot open the MySQL database .* at 127\.0\.0\.1:1 .*ECONNREFUSED/,
    );
  });

  it('fails with one line when a port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      for (const variable of ['PORT', 'MANAGEMENT_PORT']) {
        const other = variable === 'PORT' ? 'MANAGEMENT_PORT' : 'PORT';
        const result = await runCli(
          ['serve'],
          mysql({ DB_NAME: 'mysql', [variable]: String(port), [other]: String(port + 1) }),
        );
        expectOneLineFailure(
          result,
          1,
          new RegExp(`cannot listen on port ${port} \\(${variable}\\): it is in use`),
        );
      }
    } finally {
      taken.close();
    }
  });
});
