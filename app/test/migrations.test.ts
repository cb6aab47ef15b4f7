// Schema changes by migrations only, with the same meaning on SQLite and MariaDB.
import { DataSource, type DataSourceOptions } from 'typeorm';
import { connect, createDataSource, migrationStatus } from '../src/database/data-source';
import { MIGRATIONS } from '../src/database/migrations';
import {
  createTestDatabase,
  DATABASE_KINDS,
  type DatabaseKind,
  type TestDatabase,
} from './support/databases';

const LATEST_TABLES = ['migrations', 'notes', 'pads', 'password_resets', 'sessions', 'users'];
const SORT_INDEXES = [
  'notes_pad_name',
  'notes_pad_updated',
  'notes_user_name',
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
  const options = createDataSource(database.config).options;
  return new DataSource({
    ...options,
    migrations: MIGRATIONS.slice(0, count),
  } as DataSourceOptions);
}

const shapes: Partial<Record<DatabaseKind, SchemaShape>> = {};

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
      expect(shape.tables.notes.indexes).toContain('notes_pad_name(pad_id,name)');
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
    await old.query('INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)', [
      'old@example.com',
      'hash',
      when,
    ]);
    await old.query(
      'INSERT INTO pads (user_id, name, created_at, updated_at) VALUES (1, ?, ?, ?)',
      ['Old pad', when, when],
    );
    await old.query(
      'INSERT INTO notes (user_id, pad_id, name, text, created_at, updated_at) VALUES (1, 1, ?, ?, ?, ?), (1, NULL, ?, ?, ?, ?)',
      ['In pad', 'text 😀', when, when, 'No pad', 'more', when, when],
    );
    await old.destroy();

    const dataSource = await connect(database.config);
    try {
      expect((await migrationStatus(dataSource)).pending).toEqual([MIGRATIONS[1].name]);
      await dataSource.runMigrations();
      const notes: { name: string; text: string; pad_id: number | null }[] = await dataSource.query(
        'SELECT name, text, pad_id FROM notes ORDER BY id',
      );
      expect(notes).toEqual([
        { name: 'In pad', text: 'text 😀', pad_id: 1 },
        { name: 'No pad', text: 'more', pad_id: null },
      ]);
      expect(await dataSource.query('SELECT email FROM users')).toEqual([
        { email: 'old@example.com' },
      ]);
      await dataSource.query(
        'INSERT INTO sessions (id, user_id, data, expires_at) VALUES (?, 1, ?, ?)',
        ['sid', '{}', Date.now()],
      );

      // And back: the newest migration can be undone and redone without losing notes.
      await dataSource.undoLastMigration();
      expect((await migrationStatus(dataSource)).pending).toEqual([MIGRATIONS[1].name]);
      await dataSource.runMigrations();
      expect(await dataSource.query('SELECT COUNT(*) AS n FROM notes')).toEqual([
        { n: kind === 'mysql' ? '2' : 2 },
      ]);
    } finally {
      await dataSource.destroy();
    }
  });

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

describe('the two databases', () => {
  it('end up with the same tables, columns and indexes', () => {
    expect(shapes.sqlite).toBeDefined();
    expect(shapes.mysql).toEqual(shapes.sqlite);
  });
});
