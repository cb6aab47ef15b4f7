// The app's queries, as SQL both databases understand (lower-case unquoted names, `?`
// placeholders), run as prepared statements on the drivers TypeORM opened. TypeORM keeps
// the connection, the migrations and the schema; the request path skips its query builder
// and entity hydration, which took a quarter of a page view's CPU (docs/benchmarks.md).
import { channel } from 'node:diagnostics_channel';
import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/config';

/**
 * Every statement the app runs is published here (`{ sql }`) when someone listens: for
 * tracing, and for the tests that count what a page costs. Free when nobody does.
 */
export const SQL_STATEMENTS = channel('notejam:sql');

function published(sql: string): string {
  if (SQL_STATEMENTS.hasSubscribers) SQL_STATEMENTS.publish({ sql });
  return sql;
}

export type SqlValue = string | number | bigint | Buffer | Date | null;
export type Row = Record<string, unknown>;

export interface RunResult {
  /** Rows inserted, changed or deleted. */
  changes: number;
  /** The AUTOINCREMENT id of an INSERT. */
  insertId: number;
}

/** A place to run statements: the database, or one transaction on it. */
export interface SqlRunner {
  all<T extends Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
}

export interface Sql extends SqlRunner {
  readonly dialect: DatabaseConfig['type'];
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it
   * throws. On SQLite, nothing else runs on the connection meanwhile.
   */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** A DATETIME column's value as a Date (SQLite keeps UTC text, MySQL returns a Date). */
  date(value: unknown): Date;
}

/** Injection token of the Sql of the app's data source. */
export const SQL = Symbol('SQL');

export function sqlOf(dataSource: DataSource): Sql {
  return dataSource.options.type === 'mysql'
    ? new MysqlSql(dataSource.driver as unknown as { pool: MysqlPool })
    : new SqliteSql(
        (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection,
      );
}

// --- SQLite (better-sqlite3: synchronous, one connection) ------------------------------------

interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): Row[];
  get(...params: unknown[]): Row | undefined;
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
}

/** How TypeORM writes a DATETIME on SQLite: UTC, `YYYY-MM-DD HH:MM:SS.sss`. */
function sqliteDatetime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

class SqliteSql implements Sql {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, SqliteStatement>();
  /** Settles when the transaction in progress ends; statements outside it wait for it. */
  private transactionDone: Promise<void> | undefined;

  constructor(private readonly db: SqliteDatabase) {}

  async all<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    while (this.transactionDone) await this.transactionDone;
    return this.statement(sql).all(...this.bind(params)) as T[];
  }

  async get<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    while (this.transactionDone) await this.transactionDone;
    return this.statement(sql).get(...this.bind(params)) as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    while (this.transactionDone) await this.transactionDone;
    return this.execute(sql, params);
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    while (this.transactionDone) await this.transactionDone;
    let end!: () => void;
    this.transactionDone = new Promise((resolve) => (end = resolve));
    const tx: SqlRunner = {
      all: async <R extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        this.statement(sql).all(...this.bind(params)) as R[],
      get: async <R extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        this.statement(sql).get(...this.bind(params)) as R | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => this.execute(sql, params),
    };
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(tx);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.transactionDone = undefined;
      end();
    }
  }

  date(value: unknown): Date {
    if (value instanceof Date) return value;
    const text = String(value);
    // Read by position: a list reads a thousand, and parsing the string form is slow.
    return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?$/.test(text)
      ? new Date(
          Date.UTC(
            Number(text.slice(0, 4)),
            Number(text.slice(5, 7)) - 1,
            Number(text.slice(8, 10)),
            Number(text.slice(11, 13)),
            Number(text.slice(14, 16)),
            Number(text.slice(17, 19)),
            text.length > 19 ? Number(text.slice(20, 23)) : 0,
          ),
        )
      : new Date(`${text.replace(' ', 'T')}Z`);
  }

  private execute(sql: string, params: readonly SqlValue[]): RunResult {
    const result = this.statement(sql).run(...this.bind(params));
    return { changes: result.changes, insertId: Number(result.lastInsertRowid) };
  }

  private statement(sql: string): SqliteStatement {
    published(sql);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private bind(params: readonly SqlValue[]): unknown[] {
    return params.map((value) => (value instanceof Date ? sqliteDatetime(value) : value));
  }
}

// --- MySQL / MariaDB (mysql2's pool, binary protocol with statements prepared per connection) --

type Callback<T> = (error: Error | null, result: T) => void;

interface MysqlConnection {
  execute(sql: string, params: unknown[], callback: Callback<unknown>): void;
  query(sql: string, callback: Callback<unknown>): void;
  release(): void;
}

interface MysqlPool {
  execute(sql: string, params: unknown[], callback: Callback<unknown>): void;
  getConnection(callback: Callback<MysqlConnection>): void;
}

interface MysqlResultHeader {
  affectedRows: number;
  insertId: number;
}

function execute(
  target: Pick<MysqlPool, 'execute'>,
  sql: string,
  params: readonly SqlValue[],
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    target.execute(published(sql), [...params], (error, result) =>
      error ? reject(error) : resolve(result),
    ),
  );
}

function runnerOn(target: Pick<MysqlPool, 'execute'>): SqlRunner {
  return {
    all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      (await execute(target, sql, params)) as T[],
    get: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      ((await execute(target, sql, params)) as T[])[0],
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      const header = (await execute(target, sql, params)) as MysqlResultHeader;
      return { changes: header.affectedRows, insertId: Number(header.insertId) };
    },
  };
}

class MysqlSql implements Sql {
  readonly dialect = 'mysql';
  private readonly pool: MysqlPool;
  readonly all: SqlRunner['all'];
  readonly get: SqlRunner['get'];
  readonly run: SqlRunner['run'];

  constructor(driver: { pool: MysqlPool }) {
    this.pool = driver.pool;
    ({ all: this.all, get: this.get, run: this.run } = runnerOn(this.pool));
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const connection = await new Promise<MysqlConnection>((resolve, reject) =>
      this.pool.getConnection((error, result) => (error ? reject(error) : resolve(result))),
    );
    const statement = (sql: string) =>
      new Promise<void>((resolve, reject) =>
        connection.query(sql, (error) => (error ? reject(error) : resolve())),
      );
    try {
      await statement('START TRANSACTION');
      try {
        const result = await work(runnerOn(connection));
        await statement('COMMIT');
        return result;
      } catch (error) {
        await statement('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      connection.release();
    }
  }

  date(value: unknown): Date {
    return value instanceof Date ? value : new Date(String(value));
  }
}
