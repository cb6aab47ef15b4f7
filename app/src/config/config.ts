// The app's only reader of the environment. Everything is validated once at start; a bad
// value stops the process with a message that names the variable.
import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';

export type NodeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface SqliteConfig {
  type: 'sqlite';
  path: string;
}

/**
 * TLS to MySQL. `require`: encrypted, and the server's certificate must chain to `ca` (or,
 * without it, to the CAs Node.js trusts); its host name is not compared, because Cloud
 * SQL's per-instance server certificates do not name the private IP the app dials (the
 * instance's own CA signs nothing else). `verify-identity`: the certificate must also name
 * the host (a server certificate issued for its DNS name or address).
 */
export type MysqlTls = { mode: 'off' } | { mode: 'require' | 'verify-identity'; ca?: string };

export interface MysqlConfig {
  type: 'mysql';
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  poolSize: number;
  tls: MysqlTls;
}

export type DatabaseConfig = SqliteConfig | MysqlConfig;

export interface MailConfig {
  /** SMTP connection URL; undefined means "write reset links to the log" (development only). */
  smtpUrl?: string;
  from: string;
}

export interface AppConfig {
  nodeEnv: NodeEnv;
  /** Pages. */
  port: number;
  /** Probes and metrics, kept off the pages' port so no Ingress route can reach them. */
  managementPort: number;
  database: DatabaseConfig;
  sessionSecret: string;
  /** True when SESSION_SECRET was absent and the development default is in use. */
  sessionSecretIsDefault: boolean;
  sessionIdleSeconds: number;
  /** A session ends this long after sign-in, however active it is. */
  sessionLifetimeSeconds: number;
  /**
   * Whose X-Forwarded-For and X-Forwarded-Proto to believe: nobody (false), that many
   * proxies in front, or proxies at these addresses/subnets. Never everybody: then any
   * client could choose its own address (and so its own rate limits).
   */
  trustProxy: false | number | string[];
  /** How long an idle keep-alive connection stays open; above the proxies' own idle timeouts. */
  keepAliveTimeoutSeconds: number;
  logLevel: LogLevel;
  shutdownGraceSeconds: number;
  /** Base URL used in e-mailed links; never taken from the request's Host header. */
  publicUrl: string;
  mail: MailConfig;
  rateLimit: RateLimitConfig;
  /** Where `migrate` and `wipe` report the schema version (the kubelet reads the file). */
  terminationMessagePath: string;
}

export interface RateLimitConfig {
  /**
   * Failed sign-ins per account and client address before that pair is refused; per
   * account (any address) before its attempts are slowed down (never refused); reset
   * e-mails per account; wrong old passwords per account.
   */
  attempts: number;
  /** Failed sign-ins, sign-ups and reset requests per client address (IPv6: per /64). */
  addressAttempts: number;
  windowSeconds: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DEV_SESSION_SECRET = 'notejam-development-only-session-secret-do-not-use';
const MIN_SECRET_LENGTH = 32;
const MYSQL_VARIABLES = ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'] as const;

/** A set value: undefined when missing or blank. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = read(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${value}")`);
  }
  return Number(value);
}

function required(env: Env, name: string, why: string): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError(name, `is required ${why}`);
  return value;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

function mysqlTls(env: Env): MysqlTls {
  const mode = oneOf(env, 'DB_TLS', ['off', 'require', 'verify-identity'] as const, 'off');
  const ca = read(env, 'DB_TLS_CA');
  if (mode === 'off') {
    if (ca !== undefined) {
      throw new ConfigError('DB_TLS_CA', 'is set but DB_TLS is off (set DB_TLS=require)');
    }
    return { mode };
  }
  if (ca === undefined) return { mode };
  const certificates = ca.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new ConfigError(
      'DB_TLS_CA',
      'must hold the PEM text of the CA certificate(s) (-----BEGIN CERTIFICATE----- ...)',
    );
  }
  certificates.forEach((pem, index) => {
    try {
      new X509Certificate(pem);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError('DB_TLS_CA', `certificate ${index + 1} cannot be read: ${reason}`);
    }
  });
  return { mode, ca: certificates.join('\n') };
}

function mysqlFromUrl(raw: string, poolSize: number, tls: MysqlTls): MysqlConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a valid URL');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError('DATABASE_URL', `must start with mysql:// (got "${url.protocol}//")`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname) throw new ConfigError('DATABASE_URL', 'must name a host');
  if (!url.username) throw new ConfigError('DATABASE_URL', 'must name a user');
  if (!database)
    throw new ConfigError(
      'DATABASE_URL',
      'must name a database (mysql://user:password@host:port/database)',
    );
  const port = url.port === '' ? 3306 : Number(url.port);
  return {
    type: 'mysql',
    host: url.hostname,
    port,
    database,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    poolSize,
    tls,
  };
}

function database(env: Env, nodeEnv: NodeEnv): DatabaseConfig {
  const type = oneOf(env, 'DB_TYPE', ['sqlite', 'mysql'] as const, 'sqlite');
  if (type === 'sqlite') {
    const file =
      read(env, 'DB_PATH') ??
      path.join('data', `notejam${nodeEnv === 'test' ? '-test' : ''}.sqlite`);
    return { type, path: path.resolve(file) };
  }
  const poolSize = integer(env, 'DB_POOL_SIZE', 10, 1, 200);
  const tls = mysqlTls(env);
  const url = read(env, 'DATABASE_URL');
  if (url !== undefined) {
    const alsoSet = MYSQL_VARIABLES.find((name) => read(env, name) !== undefined);
    if (alsoSet) {
      throw new ConfigError(
        'DATABASE_URL',
        `and ${alsoSet} are both set; use one way to name the database`,
      );
    }
    return mysqlFromUrl(url, poolSize, tls);
  }
  const why = 'when DB_TYPE=mysql (or set DATABASE_URL)';
  const password = env.DB_PASSWORD;
  if (password === undefined) throw new ConfigError('DB_PASSWORD', `is required ${why}`);
  return {
    type,
    host: required(env, 'DB_HOST', why),
    port: integer(env, 'DB_PORT', 3306, 1, 65535),
    database: required(env, 'DB_NAME', why),
    username: required(env, 'DB_USER', why),
    password,
    poolSize,
    tls,
  };
}

function trustProxy(env: Env): AppConfig['trustProxy'] {
  const value = read(env, 'TRUST_PROXY');
  if (value === undefined || value === 'false') return false;
  if (value === 'true') {
    throw new ConfigError(
      'TRUST_PROXY',
      'must not be true: that believes X-Forwarded-For from any client, which could then choose its own address; give the number of proxies in front of the app (e.g. 1) or their addresses/subnets',
    );
  }
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  const address = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/;
  const bad = entries.find((entry) => !address.test(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      'TRUST_PROXY',
      `must be false, a hop count or a comma-separated list of addresses/subnets (bad entry "${bad}")`,
    );
  }
  return entries;
}

function publicUrl(env: Env, port: number): string {
  const value = read(env, 'PUBLIC_URL');
  if (value === undefined) return `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('PUBLIC_URL', `is not a valid URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('PUBLIC_URL', 'must start with http:// or https://');
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = oneOf(
    env,
    'NODE_ENV',
    ['development', 'test', 'production'] as const,
    'development',
  );
  const port = integer(env, 'PORT', 3000, 1, 65535);
  const managementPort = integer(env, 'MANAGEMENT_PORT', 9464, 1, 65535);
  if (managementPort === port) {
    throw new ConfigError('MANAGEMENT_PORT', `must differ from PORT (both are ${port})`);
  }
  const db = database(env, nodeEnv);

  let sessionSecret = read(env, 'SESSION_SECRET');
  const sessionSecretIsDefault = sessionSecret === undefined;
  if (sessionSecret === undefined) {
    if (db.type !== 'sqlite' || nodeEnv === 'production') {
      throw new ConfigError(
        'SESSION_SECRET',
        `is required (at least ${MIN_SECRET_LENGTH} characters) unless running the SQLite development default`,
      );
    }
    sessionSecret = DEV_SESSION_SECRET;
  } else if (sessionSecret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      'SESSION_SECRET',
      `must be at least ${MIN_SECRET_LENGTH} characters long`,
    );
  }

  const smtpUrl = read(env, 'SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl)) {
    throw new ConfigError(
      'SMTP_URL',
      'must look like smtp://user:password@host:port or smtps://...',
    );
  }
  if (smtpUrl !== undefined && read(env, 'PUBLIC_URL') === undefined) {
    throw new ConfigError(
      'PUBLIC_URL',
      'is required when SMTP_URL is set (links in e-mails point there)',
    );
  }
  const from = read(env, 'MAIL_FROM') ?? 'Notejam <notejam@localhost>';

  return {
    nodeEnv,
    port,
    managementPort,
    database: db,
    sessionSecret,
    sessionSecretIsDefault,
    sessionIdleSeconds: integer(env, 'SESSION_IDLE_MINUTES', 60 * 24, 1, 60 * 24 * 90) * 60,
    sessionLifetimeSeconds: integer(env, 'SESSION_LIFETIME_HOURS', 24 * 7, 1, 24 * 365) * 3600,
    trustProxy: trustProxy(env),
    // nginx-ingress keeps idle upstream connections 60 s, AWS load balancers 60 s: the app
    // must keep them longer, or a request sent as it closes one fails with a 502.
    keepAliveTimeoutSeconds: integer(env, 'KEEP_ALIVE_TIMEOUT_SECONDS', 75, 1, 3600),
    logLevel: oneOf(
      env,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      nodeEnv === 'test' ? 'silent' : 'info',
    ),
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 20, 0, 3600),
    publicUrl: publicUrl(env, port),
    mail: { smtpUrl, from },
    rateLimit: {
      attempts: integer(env, 'RATE_LIMIT_ATTEMPTS', 10, 1, 100000),
      addressAttempts: integer(env, 'RATE_LIMIT_ADDRESS_ATTEMPTS', 100, 1, 1000000),
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 15 * 60, 1, 86400),
    },
    terminationMessagePath: path.resolve(
      read(env, 'TERMINATION_MESSAGE_PATH') ?? '/dev/termination-log',
    ),
  };
}

/** Nest injection token for the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
