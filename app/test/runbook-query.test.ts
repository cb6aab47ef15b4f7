// The query helper of docs/runbooks/restore-notes.md ("Checking the restored data"), run
// exactly as written there (node -e in the app's directory, as in the image) against the
// test MariaDB over TLS.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { TEST_MYSQL_CA, unrelatedCa } from './support/tls';

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

  it('says why in one line and exits 1 when the server certificate does not check out', () => {
    const result = query('SELECT 1', unrelatedCa());
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^cannot open the MySQL database .* over TLS \(require\): .*TLS handshake failed/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says why in one line and exits 1 on a bad setting', () => {
    const result = query('SELECT 1', 'not a certificate');
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'DB_TLS_CA must hold the PEM text of the CA certificate(s) (-----BEGIN CERTIFICATE----- ...)',
    );
  });
});
