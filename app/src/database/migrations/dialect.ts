import type { QueryRunner } from 'typeorm';

/**
 * The few spots where SQLite and MySQL/MariaDB spell the same schema differently. Names
 * compare case-insensitively on both (NOCASE / a _ci collation) so the name orders agree.
 */
export interface Dialect {
  serialKey: string;
  timestamp: string;
  longText: string;
  caseInsensitive: string;
  tableOptions: string;
  dropIndex(table: string, index: string): string;
}

const sqlite: Dialect = {
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  timestamp: 'DATETIME',
  longText: 'TEXT',
  caseInsensitive: 'COLLATE NOCASE',
  tableOptions: '',
  dropIndex: (_table, index) => `DROP INDEX ${index}`,
};

const mysql: Dialect = {
  serialKey: 'INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY',
  timestamp: 'DATETIME(3)',
  longText: 'MEDIUMTEXT',
  caseInsensitive: 'COLLATE utf8mb4_unicode_ci',
  tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
  dropIndex: (table, index) => `DROP INDEX ${index} ON ${table}`,
};

export function dialectOf(runner: QueryRunner): Dialect {
  const type = runner.connection.options.type;
  if (type === 'better-sqlite3') return sqlite;
  if (type === 'mysql') return mysql;
  throw new Error(`no migration dialect for database type ${type}`);
}
