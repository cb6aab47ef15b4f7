// The query helper of docs/runbooks/restore-notes.md ("Checking the restored data"), run
// exactly as written there (node -e in the app's directory, as in the image) against the
// test MariaDB over TLS.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/databases';

const TEST_MYSQL_CA = process.env.TEST_MYSQL_CA ?? '/run/notejam-mariadb/tls/ca.pem';
const runbook = fs.readFileSync(
  path.join(__dirname, '../../docs/runbooks/restore-notes.md'),
  'utf8',
);
const script = /\/\/ restore-query: begin\n([\s\S]*?)\/\/ restore-query: end/.exec(runbook)?.[1];

describe('the restore runbook query helper', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
  });
  afterAll(async () => {
    await database?.drop();
  });

  function query(sql: string, ca: string) {
    return spawnSync(process.execPath, ['-e', script!, sql], {
      cwd: path.join(__dirname, '..'), // the image's working directory holds dist/
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DB_TYPE: 'mysql',
        SESSION_SECRET: 'restore-shell-serves-no-sessions-at-all',
        ...database.env,
        DB_TLS: 'require',
        DB_TLS_CA: ca,
      },
    });
  }

  it('is in the runbook between its markers', () => {
    expect(script).toContain('connect(loadConfig().database)');
  });

  it('prints the rows of a query, over TLS', () => {
    const result = query(
      "SELECT VARIABLE_VALUE <> '' AS encrypted FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'",
      fs.readFileSync(TEST_MYSQL_CA, 'utf8'),
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/encrypted[\s\S]*│\s+1\s+│/);
  });

  it('says why and exits 1 when the connection fails', () => {
    const wrongCa = fs.readFileSync(TEST_MYSQL_CA, 'utf8').replace(/[A-Za-z]{8}/, 'AAAAAAAA');
    const result = query('SELECT 1', wrongCa);
    expect(result.status).not.toBe(0);
    expect(result.stderr.length).toBeGreaterThan(0);
  });
});
