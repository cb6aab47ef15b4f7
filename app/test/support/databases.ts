import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../../src/config/config';

/** The MariaDB server of the test suite; tests fail (never skip) when it does not answer. */
export const TEST_MYSQL_URL =
  process.env.TEST_MYSQL_URL ?? 'mysql://notejam:notejam@127.0.0.1:3306';

/** A database that exists for one test suite and is removed afterwards. */
export interface TestDatabase {
  config: DatabaseConfig;
  /** The same database as environment variables, for the CLI. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export type DatabaseKind = 'sqlite' | 'mysql';
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'mysql'];

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  return kind === 'sqlite' ? createSqliteDatabase() : createMysqlDatabase();
}

function createSqliteDatabase(): TestDatabase {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notejam-test-'));
  const file = path.join(dir, 'notejam.sqlite');
  return {
    config: { type: 'sqlite', path: file },
    env: { DB_TYPE: 'sqlite', DB_PATH: file },
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function createMysqlDatabase(): Promise<TestDatabase> {
  const server = new URL(TEST_MYSQL_URL);
  const name = `notejam_test_${randomBytes(6).toString('hex')}`;
  const admin = () =>
    createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username),
      password: decodeURIComponent(server.password),
    });
  let connection;
  try {
    connection = await admin();
  } catch (error) {
    throw new Error(
      `the MariaDB test server at ${server.host} does not answer (start it with "make mariadb"): ${String(error)}`,
      { cause: error },
    );
  }
  await connection.query(
    `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  await connection.end();
  const config: DatabaseConfig = {
    type: 'mysql',
    host: server.hostname,
    port: Number(server.port || 3306),
    database: name,
    username: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
    poolSize: 5,
    tls: { mode: 'off' },
  };
  return {
    config,
    env: {
      DB_TYPE: 'mysql',
      DB_HOST: config.host,
      DB_PORT: String(config.port),
      DB_NAME: name,
      DB_USER: config.username,
      DB_PASSWORD: config.password,
    },
    drop: async () => {
      const cleanup = await admin();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name}`);
      await cleanup.end();
    },
  };
}
