import * as path from 'node:path';
import { ConfigError, loadConfig, type MysqlConfig } from '../src/config/config';
import { unrelatedCa } from './support/tls';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const MYSQL = {
  DB_TYPE: 'mysql',
  DB_HOST: 'db',
  DB_NAME: 'notejam',
  DB_USER: 'app',
  DB_PASSWORD: 'pw',
  SESSION_SECRET: SECRET,
};

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('configuration', () => {
  it('runs on SQLite with no configuration at all (development)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      managementPort: 9464,
      keepAliveTimeoutSeconds: 75,
      sessionLifetimeSeconds: 7 * 86_400,
      rateLimit: { attempts: 10, addressAttempts: 100, windowSeconds: 900 },
      database: { type: 'sqlite', path: path.resolve('data/notejam.sqlite') },
      sessionSecretIsDefault: true,
      trustProxy: false,
      logLevel: 'info',
      sessionIdleSeconds: 86_400,
      shutdownGraceSeconds: 20,
      publicUrl: 'http://localhost:3000',
      terminationMessagePath: '/dev/termination-log',
    });
    expect(config.mail.smtpUrl).toBeUndefined();
  });

  it('reads TERMINATION_MESSAGE_PATH, the file Kubernetes takes the termination message from', () => {
    expect(
      loadConfig({ TERMINATION_MESSAGE_PATH: '/tmp/pod/termination-log' }).terminationMessagePath,
    ).toBe('/tmp/pod/termination-log');
  });

  it('reads MySQL from DB_* variables or from DATABASE_URL', () => {
    expect(loadConfig(MYSQL).database).toEqual({
      type: 'mysql',
      host: 'db',
      port: 3306,
      database: 'notejam',
      username: 'app',
      password: 'pw',
      poolSize: 10,
      tls: { mode: 'off' },
    });
    const fromUrl = loadConfig({
      DB_TYPE: 'mysql',
      DATABASE_URL: 'mysql://u%40x:p%2Fw@db.example:3307/notes',
      SESSION_SECRET: SECRET,
    });
    expect(fromUrl.database).toEqual({
      type: 'mysql',
      host: 'db.example',
      port: 3307,
      database: 'notes',
      username: 'u@x',
      password: 'p/w',
      poolSize: 10,
      tls: { mode: 'off' },
    });
    expect(loadConfig({ ...MYSQL, DB_PASSWORD: '' }).database).toMatchObject({ password: '' });
  });

  it.each([
    [{ DB_TYPE: 'postgres' }, 'DB_TYPE', /must be one of sqlite, mysql/],
    [{ PORT: 'eighty' }, 'PORT', /whole number from 1 to 65535/],
    [{ PORT: '0' }, 'PORT', /whole number/],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV', /development, test, production/],
    [{ NODE_ENV: 'production' }, 'SESSION_SECRET', /is required/],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET', /at least 32 characters/],
    [{ ...MYSQL, SESSION_SECRET: '' }, 'SESSION_SECRET', /is required/],
    [{ ...MYSQL, DB_HOST: '' }, 'DB_HOST', /is required when DB_TYPE=mysql/],
    [{ ...MYSQL, DB_NAME: ' ' }, 'DB_NAME', /is required/],
    [
      { DB_TYPE: 'mysql', DB_HOST: 'db', DB_NAME: 'n', DB_USER: 'u', SESSION_SECRET: SECRET },
      'DB_PASSWORD',
      /is required/,
    ],
    [{ ...MYSQL, DB_PORT: '3306x' }, 'DB_PORT', /whole number/],
    [{ ...MYSQL, DATABASE_URL: 'mysql://u:p@h/d' }, 'DATABASE_URL', /both set/],
    [
      { DB_TYPE: 'mysql', DATABASE_URL: 'postgres://u:p@h/d', SESSION_SECRET: SECRET },
      'DATABASE_URL',
      /mysql:\/\//,
    ],
    [
      { DB_TYPE: 'mysql', DATABASE_URL: 'mysql://u:p@h', SESSION_SECRET: SECRET },
      'DATABASE_URL',
      /must name a database/,
    ],
    [
      { DB_TYPE: 'mysql', DATABASE_URL: 'not a url', SESSION_SECRET: SECRET },
      'DATABASE_URL',
      /not a valid URL/,
    ],
    [{ ...MYSQL, DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE', /whole number from 1/],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY', /bad entry "maybe"/],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY', /must not be true: .*any client.*its own address/],
    [{ MANAGEMENT_PORT: '3000' }, 'MANAGEMENT_PORT', /must differ from PORT/],
    [{ PORT: '8080', MANAGEMENT_PORT: '8080' }, 'MANAGEMENT_PORT', /must differ from PORT/],
    [{ KEEP_ALIVE_TIMEOUT_SECONDS: '0' }, 'KEEP_ALIVE_TIMEOUT_SECONDS', /whole number from 1/],
    [{ SESSION_LIFETIME_HOURS: 'forever' }, 'SESSION_LIFETIME_HOURS', /whole number/],
    [{ RATE_LIMIT_ADDRESS_ATTEMPTS: '0' }, 'RATE_LIMIT_ADDRESS_ATTEMPTS', /whole number from 1/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /must be one of/],
    [{ SESSION_IDLE_MINUTES: '-5' }, 'SESSION_IDLE_MINUTES', /whole number/],
    [{ SHUTDOWN_GRACE_SECONDS: 'soon' }, 'SHUTDOWN_GRACE_SECONDS', /whole number/],
    [{ SMTP_URL: 'mail.example.com' }, 'SMTP_URL', /smtp:\/\//],
    [{ SMTP_URL: 'smtp://mail.example.com:25' }, 'PUBLIC_URL', /required when SMTP_URL is set/],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL', /http:\/\/ or https:\/\//],
    [{ RATE_LIMIT_ATTEMPTS: '0' }, 'RATE_LIMIT_ATTEMPTS', /whole number from 1/],
  ])('refuses %j naming %s', (env, variable, message) => {
    const error = failure(env as Record<string, string>);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable} `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it('never puts a password into a message', () => {
    const error = failure({ ...MYSQL, DB_PASSWORD: 'hunter2-secret', DB_PORT: 'x' });
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('parses TRUST_PROXY as a hop count or addresses/subnets, never "everybody"', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
    ]);
  });

  it('uses PUBLIC_URL without a trailing slash for links', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://notes.example.com/' }).publicUrl).toBe(
      'https://notes.example.com',
    );
  });
});

describe('DB_TLS configuration', () => {
  const ca = unrelatedCa();

  it('is off unless asked for, and takes the CA as PEM text (from DB_* or DATABASE_URL)', () => {
    expect((loadConfig(MYSQL).database as MysqlConfig).tls).toEqual({ mode: 'off' });
    expect(
      (loadConfig({ ...MYSQL, DB_TLS: 'require', DB_TLS_CA: ca }).database as MysqlConfig).tls,
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
    const error = failure({ ...MYSQL, ...env });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });
});
