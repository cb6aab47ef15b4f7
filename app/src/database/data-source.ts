import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import type { DatabaseConfig, MysqlTls } from '../config/config';
import { ENTITIES } from './entities';
import { MIGRATIONS, NOTEJAM_TABLES } from './migrations';

/** mysql2's `ssl` option for DB_TLS: undefined means a plain connection. */
export function mysqlSslOptions(tls: MysqlTls) {
  if (tls.mode === 'off') return undefined;
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    rejectUnauthorized: true,
    verifyIdentity: tls.mode === 'verify-identity',
  };
}

type MigrationClass = new () => MigrationInterface;

/**
 * A TypeORM data source for the configured database; the schema comes from migrations only.
 * `migrations` is every migration of this release unless a command needs to stop at an
 * older schema version (import loads a file into the schema it was written from).
 */
export function createDataSource(
  config: DatabaseConfig,
  migrations: MigrationClass[] = MIGRATIONS,
): DataSource {
  const common = {
    entities: ENTITIES,
    migrations,
    migrationsTableName: 'migrations',
    // MySQL DDL commits implicitly, so each migration is its own unit.
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: false,
  };
  if (config.type === 'sqlite') {
    return new DataSource({
      ...common,
      type: 'better-sqlite3',
      database: config.path,
      // WAL lets readers continue while a write is in progress; busy_timeout waits for locks.
      enableWAL: true,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
      },
    });
  }
  return new DataSource({
    ...common,
    type: 'mysql',
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    database: config.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectTimeout: 10_000,
    ssl: mysqlSslOptions(config.tls),
    poolSize: config.poolSize,
    extra: { connectionLimit: config.poolSize, enableKeepAlive: true },
  });
}

/** Where the database is, for messages (never includes the password). */
export function describeDatabase(config: DatabaseConfig): string {
  return config.type === 'sqlite'
    ? `SQLite database ${config.path}`
    : `MySQL database "${config.database}" at ${config.host}:${config.port} as user "${config.username}"${config.tls.mode === 'off' ? '' : ` over TLS (${config.tls.mode})`}`;
}

export class DatabaseUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * mysql2 reports every failed TLS handshake with this code and Node's reason as the message
 * (e.g. "self-signed certificate in certificate chain"); say what to check.
 */
function tlsAdvice(error: unknown): string {
  return (error as { code?: unknown } | null)?.code === 'HANDSHAKE_SSL_ERROR'
    ? " (TLS handshake failed: DB_TLS_CA must hold the CA that signed the server's certificate, for Cloud SQL the instance's server CA; with verify-identity the certificate must also name DB_HOST)"
    : '';
}

/** Opens the data source, turning driver failures into one readable sentence. */
export async function connect(
  config: DatabaseConfig,
  migrations?: MigrationClass[],
): Promise<DataSource> {
  if (config.type === 'sqlite') fs.mkdirSync(path.dirname(config.path), { recursive: true });
  const dataSource = createDataSource(config, migrations);
  try {
    await dataSource.initialize();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseUnavailableError(
      `cannot open the ${describeDatabase(config)}: ${reason}${tlsAdvice(error)}`,
    );
  }
  return dataSource;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** The names of this release's migrations, oldest first. */
export function migrationNames(migrations: MigrationClass[] = MIGRATIONS): string[] {
  return migrations.map((migration) => {
    const instance = new migration();
    return instance.name ?? migration.name;
  });
}

/** The migrations applied to the database, oldest first; none when it has no history yet. */
export async function appliedMigrations(runner: QueryRunner): Promise<string[]> {
  if (!(await runner.hasTable('migrations'))) return [];
  const rows: { name: string }[] = await runner.query(
    'SELECT name FROM migrations ORDER BY timestamp, id',
  );
  return rows.map((row) => row.name);
}

export async function migrationStatus(dataSource: DataSource): Promise<MigrationStatus> {
  const runner = dataSource.createQueryRunner();
  try {
    const applied = await appliedMigrations(runner);
    const pending = dataSource.migrations
      .map((m) => m.name ?? m.constructor.name)
      .filter((name) => !applied.includes(name));
    return { applied, pending };
  } finally {
    await runner.release();
  }
}

/**
 * Drops Notejam's tables (application data, sessions, counters, migration history) and
 * migrates again. Other tables in the same database are left alone.
 */
export async function wipe(dataSource: DataSource): Promise<void> {
  for (const table of NOTEJAM_TABLES) await dataSource.query(`DROP TABLE IF EXISTS ${table}`);
  await dataSource.runMigrations();
}
