/**
 * Throw-away databases on the MariaDB test server (`make mariadb`, TEST_MYSQL_URL), through
 * the `mariadb` command-line client that comes with the server package.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const server = new URL(process.env.TEST_MYSQL_URL ?? 'mysql://notejam:notejam@127.0.0.1:3306');

export const mysqlServer = {
  host: server.hostname,
  port: Number(server.port || 3306),
  username: decodeURIComponent(server.username),
  password: decodeURIComponent(server.password),
};

/** Runs SQL and returns the rows, tab-separated columns. */
export async function mysqlQuery(sql: string, database?: string): Promise<string[][]> {
  const args = [
    '--batch',
    '--skip-column-names',
    `--host=${mysqlServer.host}`,
    `--port=${mysqlServer.port}`,
  ];
  args.push(`--user=${mysqlServer.username}`, ...(database ? [database] : []), '-e', sql);
  try {
    const { stdout } = await promisify(execFile)('mariadb', args, {
      env: { ...process.env, MYSQL_PWD: mysqlServer.password },
    });
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'));
  } catch (error) {
    throw new Error(
      `the MariaDB test server at ${server.host} refused "${sql}" (start it with "make mariadb"): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

export interface TestMysqlDatabase {
  name: string;
  drop(): Promise<void>;
}

export async function createMysqlDatabase(prefix = 'notejam_operator'): Promise<TestMysqlDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await mysqlQuery(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return { name, drop: async () => void (await mysqlQuery(`DROP DATABASE IF EXISTS ${name}`)) };
}

/** The keys of the database Secret a NotejamInstance references, for a test database. */
export function databaseSecretData(database: TestMysqlDatabase): Record<string, string> {
  return {
    host: mysqlServer.host,
    port: String(mysqlServer.port),
    database: database.name,
    username: mysqlServer.username,
    password: mysqlServer.password,
  };
}
