/**
 * The operator's configuration, from environment variables only. Every value is checked
 * at start; a bad one stops the process with a message naming the variable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { serviceAccountDir } from './runtime/cluster-access.js';
import type { LeaderElectionConfig } from './runtime/leader-election.js';
import { type LogLevel, isLogLevel } from './runtime/logger.js';

export interface OperatorConfig {
  /** Only this namespace; undefined watches all namespaces. */
  watchNamespace?: string;
  metricsPort: number;
  healthPort: number;
  logLevel: LogLevel;
  maxConcurrentReconciles: number;
  /** A reconcile is aborted (and retried) after this long (RECONCILE_TIMEOUT). */
  reconcileTimeoutMs?: number;
  /** Lifecycle Jobs (wipe, migrate, seed) running at once across all instances (MAX_CONCURRENT_LIFECYCLE_JOBS). */
  maxConcurrentLifecycleJobs?: number;
  resyncPeriodMs: number;
  watchTimeoutSeconds: number;
  watchSilenceTimeoutMs: number;
  /** How often a spec.image tag is resolved to its digest again (IMAGE_RESOLVE_INTERVAL). */
  imageResolveIntervalMs?: number;
  /** How long one registry request may take before it counts as failed (IMAGE_RESOLVE_TIMEOUT). */
  imageResolveTimeoutMs?: number;
  /** Registries (host[:port]) spoken to over plain HTTP (PLAIN_HTTP_REGISTRIES); loopback always is. */
  plainHttpRegistries?: string[];
  /** Undefined when LEADER_ELECTION=false. */
  leaderElection?: LeaderElectionConfig;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

const inClusterNamespaceFile = join(serviceAccountDir, 'namespace');

type Env = Record<string, string | undefined>;

export function loadConfig(
  env: Env = process.env,
  readNamespaceFile = defaultNamespaceFile,
): OperatorConfig {
  const watchTimeoutSeconds = duration(env, 'WATCH_TIMEOUT', '5m') / 1000;
  const config: OperatorConfig = {
    watchNamespace: optional(env, 'WATCH_NAMESPACE'),
    metricsPort: port(env, 'METRICS_PORT', 8080),
    healthPort: port(env, 'HEALTH_PORT', 8081),
    logLevel: logLevel(env),
    maxConcurrentReconciles: integer(env, 'MAX_CONCURRENT_RECONCILES', 4, 1, 64),
    reconcileTimeoutMs: duration(env, 'RECONCILE_TIMEOUT', '1m'),
    maxConcurrentLifecycleJobs: integer(env, 'MAX_CONCURRENT_LIFECYCLE_JOBS', 10, 1, 1000),
    resyncPeriodMs: duration(env, 'RESYNC_PERIOD', '10m'),
    watchTimeoutSeconds: Math.max(1, Math.round(watchTimeoutSeconds)),
    // Longer than the longest server-side watch timeout: only a dead watch is this quiet.
    watchSilenceTimeoutMs: duration(
      env,
      'WATCH_SILENCE_TIMEOUT',
      `${2 * Math.round(watchTimeoutSeconds) + 30}s`,
    ),
    imageResolveIntervalMs: duration(env, 'IMAGE_RESOLVE_INTERVAL', '2m'),
    imageResolveTimeoutMs: duration(env, 'IMAGE_RESOLVE_TIMEOUT', '10s'),
    plainHttpRegistries: registryList(env, 'PLAIN_HTTP_REGISTRIES'),
  };
  if (boolean(env, 'LEADER_ELECTION', true)) {
    const namespace =
      optional(env, 'LEADER_ELECTION_NAMESPACE') ??
      optional(env, 'POD_NAMESPACE') ??
      readNamespaceFile();
    if (!namespace) {
      throw new ConfigError(
        'LEADER_ELECTION_NAMESPACE',
        'required with LEADER_ELECTION=true outside a cluster (or set POD_NAMESPACE)',
      );
    }
    const leaseDurationMs = duration(env, 'LEADER_ELECTION_LEASE_DURATION', '15s');
    const renewDeadlineMs = duration(env, 'LEADER_ELECTION_RENEW_DEADLINE', '10s');
    const retryPeriodMs = duration(env, 'LEADER_ELECTION_RETRY_PERIOD', '2s');
    if (renewDeadlineMs >= leaseDurationMs) {
      throw new ConfigError(
        'LEADER_ELECTION_RENEW_DEADLINE',
        'must be shorter than LEADER_ELECTION_LEASE_DURATION',
      );
    }
    if (retryPeriodMs >= renewDeadlineMs) {
      throw new ConfigError(
        'LEADER_ELECTION_RETRY_PERIOD',
        'must be shorter than LEADER_ELECTION_RENEW_DEADLINE',
      );
    }
    config.leaderElection = {
      namespace,
      name: optional(env, 'LEADER_ELECTION_ID') ?? 'notejam-operator.notejam.io',
      identity: optional(env, 'POD_NAME') ?? `${hostname()}_${randomBytes(4).toString('hex')}`,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    };
  }
  return config;
}

function defaultNamespaceFile(): string | undefined {
  return existsSync(inClusterNamespaceFile)
    ? readFileSync(inClusterNamespaceFile, 'utf8').trim() || undefined
    : undefined;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Comma-separated `host[:port]` names. */
function registryList(env: Env, name: string): string[] {
  const value = optional(env, name);
  if (value === undefined) return [];
  const hosts = value.split(',').map((host) => host.trim());
  const bad = hosts.find((host) => !/^[A-Za-z0-9.-]+(:\d+)?$/.test(host));
  if (bad !== undefined)
    throw new ConfigError(name, `expected comma-separated host[:port] names, got "${bad}"`);
  return hosts;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(name, `expected true or false, got "${value}"`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

function port(env: Env, name: string, fallback: number): number {
  return integer(env, name, fallback, 0, 65535);
}

function logLevel(env: Env): LogLevel {
  const value = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!isLogLevel(value))
    throw new ConfigError('LOG_LEVEL', `expected debug, info, warn or error, got "${value}"`);
  return value;
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go-style duration (`500ms`, `15s`, `1m30s`) in milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g))
    total += Number(amount) * units[unit];
  return total;
}

function duration(env: Env, name: string, fallback: string): number {
  const value = optional(env, name) ?? fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new ConfigError(
      name,
      `expected a positive duration such as 500ms, 15s or 10m, got "${value}"`,
    );
  }
  return ms;
}
