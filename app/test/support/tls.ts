// TLS material for tests against the test MariaDB, which hack/mariadb.sh runs with TLS and
// a throwaway CA.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The CA that signed the test MariaDB's server certificate. */
export const TEST_MYSQL_CA = process.env.TEST_MYSQL_CA ?? '/run/notejam-mariadb/tls/ca.pem';

/** A self-signed CA that signed nothing the test server presents. */
export function unrelatedCa(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notejam-wrong-ca-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=Not the test MariaDB CA',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'ca.pem'),
      ],
      { stdio: 'ignore' },
    );
    return fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
