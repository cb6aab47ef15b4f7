// Schema changes by migrations only, with the same meaning on SQLite and MariaDB.
import {
  DataSource,
  type DataSourceOptions,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import { connect, createDataSource, migrationStatus } from '../src/database/data-source';
import { MIGRATIONS, NOTEJAM_TABLES } from '../src/database/migrations';
import {
  createTestDatabase,
  DATABASE_KINDS,
  type DatabaseKind,
  type TestDatabase,
} from './support/databases';

const LATEST_TABLES = [
  'migrations',
  'notes',
  'pads',
  'password_resets',
  'rate_limits',
  'sessions',
  'user_sessions',
  'users',
];
const SORT_INDEXES = [
  'notes_pad_sort',
  'notes_pad_updated',
  'notes_user_sort',
  'notes_user_updated',
];

interface SchemaShape {
  tables: Record<string, { columns: string[]; indexes: string[] }>;
}

async function schemaShape(dataSource: DataSource): Promise<SchemaShape> {
  const runner = dataSource.createQueryRunner();
  try {
    const tables = await runner.getTables(LATEST_TABLES.filter((t) => t !== 'migrations'));
    const shape: SchemaShape = { tables: {} };
    for (const table of tables) {
      shape.tables[table.name.replace(/^.*\./, '')] = {
        // SQLite reports its INTEGER PRIMARY KEY (the rowid) as nullable; it never holds NULL.
        columns: table.columns
          .map((c) => (c.isPrimary ? `${c.name} pk` : `${c.name}${c.isNullable ? ' null' : ''}`))
          .sort(),
        indexes: table.indices
          .map((i) => `${i.name}(${i.columnNames.join(',')})${i.isUnique ? ' unique' : ''}`)
          .sort(),
      };
    }
    return shape;
  } finally {
    await runner.release();
  }
}

/** A data source that knows only the first `count` migrations (an older release). */
function olderRelease(database: TestDatabase, count: number): DataSource {
  return withMigrations(database, MIGRATIONS.slice(0, count));
}

function withMigrations(
  database: TestDatabase,
  migrations: (new () => MigrationInterface)[],
): DataSource {
  const options = createDataSource(database.config).options;
  return new DataSource({ ...options, migrations } as DataSourceOptions);
}

/**
 * The migration, failing at its `failAt`-th statement (counting from 1), as a process killed
 * halfway would leave it: on MySQL every DDL statement before that stays, committed.
 * Reports how many statements it ran.
 */
function crashing(
  Migration: new () => MigrationInterface,
  failAt: number,
  ran: { statements: number },
): new () => MigrationInterface {
  return class implements MigrationInterface {
    name = new Migration().name;

    async up(runner: QueryRunner): Promise<void> {
      ran.statements = 0;
      const failing = new Proxy(runner, {
        get: (target, property) => {
          if (property === 'query') {
            return async (...args: Parameters<QueryRunner['query']>) => {
              if (++ran.statements === failAt) throw new Error(`crash at statement ${failAt}`);
              return target.query(...args);
            };
          }
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      await new Migration().up(failing);
    }

    async down(runner: QueryRunner): Promise<void> {
      await new Migration().down(runner);
    }
  };
}

const shapes: Partial<Record<DatabaseKind, SchemaShape>> = {};

/** The schema all migrations give an empty database of this kind (worked out once). */
async function latestShape(kind: DatabaseKind): Promise<SchemaShape> {
  if (shapes[kind] === undefined) {
    const database = await createTestDatabase(kind);
    const dataSource = await connect(database.config);
    try {
      await dataSource.runMigrations();
      shapes[kind] = await schemaShape(dataSource);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  }
  return shapes[kind];
}

describe.each(DATABASE_KINDS)('migrations on %s', (kind) => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
  });

  afterEach(async () => {
    await database.drop();
  });

  it('take an empty database to the latest schema, with the sort indexes', async () => {
    const dataSource = await connect(database.config);
    try {
      expect(await migrationStatus(dataSource)).toEqual({
        applied: [],
        pending: MIGRATIONS.map((m) => m.name),
      });
      await dataSource.runMigrations();
      expect((await migrationStatus(dataSource)).pending).toEqual([]);
      const shape = await schemaShape(dataSource);
      shapes[kind] = shape;
      expect(Object.keys(shape.tables).sort()).toEqual(
        LATEST_TABLES.filter((t) => t !== 'migrations'),
      );
      const noteIndexes = shape.tables.notes.indexes.map((i) => i.replace(/\(.*$/, ''));
      expect(noteIndexes).toEqual(expect.arrayContaining(SORT_INDEXES));
      expect(shape.tables.notes.indexes).toContain('notes_user_updated(user_id,updated_at)');
      expect(shape.tables.notes.indexes).toContain('notes_pad_sort(pad_id,name_sort_key)');
      expect(shape.tables.pads.indexes).toContain('pads_user_sort(user_id,name_sort_key)');
      expect(shape.tables.users.indexes).toContain('users_email_unique(email) unique');
      expect(shape.tables.notes.columns).toContain('pad_id null');
      expect((await dataSource.runMigrations()).length).toBe(0);
    } finally {
      await dataSource.destroy();
    }
  });

  it('take a database at the first migration with data in it to the latest, keeping the data', async () => {
    const old = olderRelease(database, 1);
    await old.initialize();
    await old.runMigrations();
    const when = '2026-01-02 03:04:05.678';
    // Stored in the old spelling (trimmed and lower-cased only).
    await old.query('INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)', [
      'straße@example.com',
      'hash',
      when,
    ]);
    await old.query(
      'INSERT INTO pads (user_id, name, created_at, updated_at) VALUES (1, ?, ?, ?)',
      ['Old pad', when, when],
    );
    await old.query(
      'INSERT INTO notes (user_id, pad_id, name, text, created_at, updated_at) VALUES (1, 1, ?, ?, ?, ?), (1, NULL, ?, ?, ?, ?), (1, NULL, ?, ?, ?, ?)',
      ['Éclair', 'text 😀', when, when, 'apple', 'more', when, when, 'Zebra', 'z', when, when],
    );
    await old.destroy();

    const dataSource = await connect(database.config);
    try {
      expect((await migrationStatus(dataSource)).pending).toEqual(
        MIGRATIONS.slice(1).map((migration) => migration.name),
      );
      await dataSource.runMigrations();
      const notes: { name: string; text: string; pad_id: number | null }[] = await dataSource.query(
        'SELECT name, text, pad_id FROM notes ORDER BY name_sort_key',
      );
      expect(notes).toEqual([
        { name: 'apple', text: 'more', pad_id: null },
        { name: 'Éclair', text: 'text 😀', pad_id: 1 },
        { name: 'Zebra', text: 'z', pad_id: null },
      ]);
      expect(await dataSource.query('SELECT email, session_version FROM users')).toEqual([
        { email: 'strasse@example.com', session_version: 0 },
      ]);
      await dataSource.query(
        'INSERT INTO user_sessions (id, user_id, session_version, created_at, expires_at) VALUES (?, 1, 0, ?, ?)',
        ['0'.repeat(64), Date.now(), Date.now()],
      );

      // And back: the newest migration can be undone and redone without losing notes.
      await dataSource.undoLastMigration();
      expect((await migrationStatus(dataSource)).pending).toEqual([MIGRATIONS.at(-1)!.name]);
      await dataSource.runMigrations();
      expect(await dataSource.query('SELECT COUNT(*) AS n FROM notes')).toEqual([
        { n: kind === 'mysql' ? '3' : 3 },
      ]);
    } finally {
      await dataSource.destroy();
    }
  });

  it.each(MIGRATIONS.map((migration, index) => [migration.name, index] as const))(
    'run again to the same schema after %s failed at any statement',
    async (_name, index) => {
      const before = olderRelease(database, index);
      await before.initialize();
      await before.runMigrations();
      if (index > 0) {
        // Data for the steps that rewrite rows (e-mail spellings, sort keys).
        const when = '2026-01-02 03:04:05.678';
        await before.query(
          'INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)',
          ['josé@example.com', 'h', when],
        );
        await before.query(
          'INSERT INTO pads (user_id, name, created_at, updated_at) VALUES (1, ?, ?, ?)',
          ['Pad ü', when, when],
        );
      }
      await before.destroy();
      // TypeORM reports every failed run on the console: expected here, so kept out of it.
      const console = jest.spyOn(global.console, 'log').mockImplementation(() => undefined);
      const ran = { statements: 0 };
      // Every prefix of the migration: the run failing at statement n starts from what the run
      // failing at n - 1 left behind, the state a crash at n - 1 leaves on MySQL.
      for (let failAt = 1; ; failAt++) {
        const attempt = withMigrations(database, [
          ...MIGRATIONS.slice(0, index),
          crashing(MIGRATIONS[index], failAt, ran),
        ]);
        await attempt.initialize();
        try {
          await attempt.runMigrations();
          break; // it ran to the end: every statement had its turn to fail
        } catch (error) {
          expect(String(error)).toContain(`crash at statement ${failAt}`);
        } finally {
          await attempt.destroy();
        }
      }
      console.mockRestore();
      expect(ran.statements).toBeGreaterThan(3);
      const dataSource = await connect(database.config);
      try {
        await dataSource.runMigrations();
        expect((await migrationStatus(dataSource)).pending).toEqual([]);
        expect(await schemaShape(dataSource)).toEqual(await latestShape(kind));
      } finally {
        await dataSource.destroy();
      }
    },
    300_000,
  );

  it('cascade deletes from users to pads to notes, and keep NULL pads', async () => {
    const dataSource = await connect(database.config);
    try {
      await dataSource.runMigrations();
      const when = '2026-01-02 03:04:05.678';
      await dataSource.query(
        'INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)',
        ['a@example.com', 'h', when],
      );
      await dataSource.query(
        'INSERT INTO pads (user_id, name, created_at, updated_at) VALUES (1, ?, ?, ?)',
        ['P', when, when],
      );
      await dataSource.query(
        'INSERT INTO notes (user_id, pad_id, name, text, created_at, updated_at) VALUES (1, 1, ?, ?, ?, ?), (1, NULL, ?, ?, ?, ?)',
        ['a', 't', when, when, 'b', 't', when, when],
      );
      await dataSource.query('DELETE FROM pads WHERE id = 1');
      expect(await dataSource.query('SELECT name, pad_id FROM notes')).toEqual([
        { name: 'b', pad_id: null },
      ]);
      await dataSource.query('DELETE FROM users WHERE id = 1');
      expect(await dataSource.query('SELECT name FROM notes')).toEqual([]);
      await expect(
        dataSource.query(
          'INSERT INTO notes (user_id, pad_id, name, text, created_at, updated_at) VALUES (9, 0, ?, ?, ?, ?)',
          ['x', 't', when, when],
        ),
      ).rejects.toThrow();
    } finally {
      await dataSource.destroy();
    }
  });
});

describe('the list of tables wipe drops', () => {
  it('is every table the migrations create', () => {
    expect([...NOTEJAM_TABLES].sort()).toEqual(LATEST_TABLES);
  });
});

describe('the two databases', () => {
  it('end up with the same tables, columns and indexes', () => {
    expect(shapes.sqlite).toBeDefined();
    expect(shapes.mysql).toEqual(shapes.sqlite);
  });
});
