// DB_TLS and DB_TLS_CA: validated at start, and used against the test MariaDB, which
// hack/mariadb.sh runs with TLS and a throwaway CA (TEST_MYSQL_CA).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createConnection, type Connection } from 'mysql2/promise';
import { ConfigError, loadConfig, type MysqlConfig } from '../src/config/config';
import { connect, DatabaseUnavailableError, mysqlSslOptions } from '../src/database/data-source';
import { createTestDatabase, TEST_MYSQL_URL, type TestDatabase } from './support/databases';
import { TEST_MYSQL_CA, unrelatedCa } from './support/tls';

const SECRET = 'a-session-secret-of-at-least-32-characters';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('DB_TLS configuration', () => {
  const mysql = {
    DB_TYPE: 'mysql',
    DB_HOST: 'db',
    DB_NAME: 'notejam',
    DB_USER: 'app',
    DB_PASSWORD: 'pw',
    SESSION_SECRET: SECRET,
  };
  const ca = unrelatedCa();

  it('is off unless asked for, and takes the CA as PEM text (from DB_* or DATABASE_URL)', () => {
    expect((loadConfig(mysql).database as MysqlConfig).tls).toEqual({ mode: 'off' });
    expect(
      (loadConfig({ ...mysql, DB_TLS: 'require', DB_TLS_CA: ca }).database as MysqlConfig).tls,
    ).toEqual({ mode: 'require', ca: ca.trim() });
    const fromUrl = loadConfig({
      DB_TYPE: 'mysql',
      DATABASE_URL: 'mysql://app:pw@db:3306/notejam',
      DB_TLS: 'verify-identity',
      SESSION_SECRET: SECRET,
    });
    expect((fromUrl.database as MysqlConfig).tls).toEqual({ mode: 'verify-identity' });
  });

  it.each([
    [{ DB_TLS: 'true' }, 'DB_TLS', /must be one of off, require, verify-identity/],
    [{ DB_TLS_CA: 'x' }, 'DB_TLS_CA', /is set but DB_TLS is off/],
    [{ DB_TLS: 'require', DB_TLS_CA: '/etc/ssl/ca.pem' }, 'DB_TLS_CA', /PEM text/],
    [
      {
        DB_TLS: 'require',
        DB_TLS_CA:
          '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----',
      },
      'DB_TLS_CA',
      /certificate 1 cannot be read/,
    ],
  ])('refuses %j naming %s', (env, variable, message) => {
    const error = configError({ ...mysql, ...env });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });
});

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
