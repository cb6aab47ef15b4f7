import type { QueryRunner } from 'typeorm';

/**
 * The few spots where SQLite and MySQL/MariaDB spell the same schema differently. Name
 * columns compare case-insensitively on both (NOCASE / a _ci collation); the order of names
 * comes from `name_sort_key` (common/collation-key.ts), never from these collations.
 */
export interface Dialect {
  serialKey: string;
  timestamp: string;
  longText: string;
  caseInsensitive: string;
  /** A column compared byte for byte (SQLite's default; MySQL's _bin collation). */
  exactText: string;
  /** A byte string column of up to `bytes` bytes that an index can hold. */
  bytes(length: number): string;
  /** The empty byte string, as a literal. */
  emptyBytes: string;
  tableOptions: string;
}

const sqlite: Dialect = {
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  timestamp: 'DATETIME',
  longText: 'TEXT',
  caseInsensitive: 'COLLATE NOCASE',
  exactText: '',
  bytes: () => 'BLOB',
  emptyBytes: "x''",
  tableOptions: '',
};

const mysql: Dialect = {
  serialKey: 'INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY',
  timestamp: 'DATETIME(3)',
  longText: 'MEDIUMTEXT',
  caseInsensitive: 'COLLATE utf8mb4_unicode_ci',
  exactText: 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
  bytes: (length) => `VARBINARY(${length})`,
  emptyBytes: "''",
  tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
};

export function dialectOf(runner: QueryRunner): Dialect {
  const type = runner.connection.options.type;
  if (type === 'better-sqlite3') return sqlite;
  if (type === 'mysql') return mysql;
  throw new Error(`no migration dialect for database type ${type}`);
}

/**
 * Schema changes that do nothing when already done. MySQL commits every DDL statement on
 * its own, so a migration that failed halfway leaves its first steps in place while it is
 * not recorded as applied: written with these, running it again finishes the job instead
 * of failing on the first step. (SQLite rolls a failed migration back entirely.)
 */
export interface Schema {
  readonly sql: Dialect;
  /** `definition` is the part between the parentheses of CREATE TABLE. */
  createTable(table: string, definition: string): Promise<void>;
  dropTable(table: string): Promise<void>;
  createIndex(table: string, index: string, columns: string[], unique?: boolean): Promise<void>;
  dropIndex(table: string, index: string): Promise<void>;
  addColumn(table: string, column: string, definition: string): Promise<void>;
  dropColumn(table: string, column: string): Promise<void>;
  hasColumn(table: string, column: string): Promise<boolean>;
}

export function schemaOf(runner: QueryRunner): Schema {
  const sql = dialectOf(runner);
  const isSqlite = sql === sqlite;
  const exists = async (query: string, params: unknown[]) =>
    ((await runner.query(query, params)) as unknown[]).length > 0;
  const hasIndex = (table: string, index: string) =>
    isSqlite
      ? exists("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ? AND tbl_name = ?", [
          index,
          table,
        ])
      : exists(
          'SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ? LIMIT 1',
          [table, index],
        );
  const hasColumn = (table: string, column: string) =>
    isSqlite
      ? exists('SELECT 1 FROM pragma_table_info(?) WHERE name = ?', [table, column])
      : exists(
          'SELECT 1 FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?',
          [table, column],
        );
  return {
    sql,
    hasColumn,
    createTable: async (table, definition) => {
      await runner.query(`CREATE TABLE IF NOT EXISTS ${table} (${definition})${sql.tableOptions}`);
    },
    dropTable: async (table) => {
      await runner.query(`DROP TABLE IF EXISTS ${table}`);
    },
    createIndex: async (table, index, columns, unique = false) => {
      if (await hasIndex(table, index)) return;
      await runner.query(
        `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${index} ON ${table} (${columns.join(', ')})`,
      );
    },
    dropIndex: async (table, index) => {
      if (!(await hasIndex(table, index))) return;
      await runner.query(isSqlite ? `DROP INDEX ${index}` : `DROP INDEX ${index} ON ${table}`);
    },
    addColumn: async (table, column, definition) => {
      if (await hasColumn(table, column)) return;
      await runner.query(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    },
    dropColumn: async (table, column) => {
      if (!(await hasColumn(table, column))) return;
      await runner.query(`ALTER TABLE ${table} DROP COLUMN ${column}`);
    },
  };
}
