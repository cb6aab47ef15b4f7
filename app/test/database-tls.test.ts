// DB_TLS and DB_TLS_CA against the test MariaDB, which hack/mariadb.sh runs with TLS and a
// throwaway CA (TEST_MYSQL_CA); their validation is in config.test.ts.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createConnection, type Connection } from 'mysql2/promise';
import { loadConfig, type MysqlConfig } from '../src/config/config';
import { connect, DatabaseUnavailableError, mysqlSslOptions } from '../src/database/data-source';
import { createTestDatabase, TEST_MYSQL_URL, type TestDatabase } from './support/databases';
import { TEST_MYSQL_CA, unrelatedCa } from './support/tls';

const SECRET = 'a-session-secret-of-at-least-32-characters';

describe('DB_TLS against MariaDB with TLS on', () => {
  const server = new URL(TEST_MYSQL_URL);
  const host = server.hostname;
  const port = Number(server.port || 3306);
  const tlsOnlyUser = `notejam_tls_${randomBytes(4).toString('hex')}`;
  const tlsOnlyPassword = randomBytes(12).toString('hex');
  let database: TestDatabase;
  let admin: Connection;
  let testCa: string;

  beforeAll(async () => {
    if (!fs.existsSync(TEST_MYSQL_CA)) {
      throw new Error(
        `${TEST_MYSQL_CA} is missing: start the test MariaDB with TLS ("make mariadb")`,
      );
    }
    testCa = fs.readFileSync(TEST_MYSQL_CA, 'utf8');
    database = await createTestDatabase('mysql');
    admin = await createConnection({
      host,
      port,
      user: decodeURIComponent(server.username),
      password: decodeURIComponent(server.password),
    });
    // Like a Cloud SQL instance with ssl_mode ENCRYPTED_ONLY: plain connections are refused.
    await admin.query(`CREATE USER ?@'127.0.0.1' IDENTIFIED BY ? REQUIRE SSL`, [
      tlsOnlyUser,
      tlsOnlyPassword,
    ]);
  });

  afterAll(async () => {
    await admin?.query(`DROP USER IF EXISTS ?@'127.0.0.1'`, [tlsOnlyUser]);
    await admin?.end();
    await database?.drop();
  });

  function appConfig(tls: Record<string, string>): MysqlConfig {
    return loadConfig({ ...database.env, ...tls, SESSION_SECRET: SECRET }).database as MysqlConfig;
  }

  it('with DB_TLS=require and the server CA, the app connects encrypted', async () => {
    const dataSource = await connect(appConfig({ DB_TLS: 'require', DB_TLS_CA: testCa }));
    try {
      const [cipher] = await dataSource.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      expect(cipher.Value).not.toBe('');
      const [version] = await dataSource.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
      expect(version.Value).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await dataSource.destroy();
    }
  });

  it('with DB_TLS=verify-identity the certificate must also name the host it dials', async () => {
    const dataSource = await connect(appConfig({ DB_TLS: 'verify-identity', DB_TLS_CA: testCa }));
    await dataSource.destroy();
  });

  it('with a CA that did not sign the server certificate, it fails and says why', async () => {
    const attempt = connect(appConfig({ DB_TLS: 'require', DB_TLS_CA: unrelatedCa() }));
    await expect(attempt).rejects.toThrow(DatabaseUnavailableError);
    await expect(attempt).rejects.toThrow(
      /cannot open the MySQL database .* over TLS \(require\): .*certificate.* \(TLS handshake failed: DB_TLS_CA must hold the CA that signed the server's certificate/,
    );
  });

  it('a user that requires TLS gets in only over TLS', async () => {
    const credentials = { host, port, user: tlsOnlyUser, password: tlsOnlyPassword };
    await expect(createConnection(credentials)).rejects.toThrow(/Access denied/);
    const tls = (
      loadConfig({ ...database.env, DB_TLS: 'require', DB_TLS_CA: testCa, SESSION_SECRET: SECRET })
        .database as MysqlConfig
    ).tls;
    const connection = await createConnection({ ...credentials, ssl: mysqlSslOptions(tls) });
    try {
      const [rows] = await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      expect((rows as { Value: string }[])[0]!.Value).not.toBe('');
    } finally {
      await connection.end();
    }
  });
});
