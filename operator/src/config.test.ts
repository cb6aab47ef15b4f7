import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, parseDuration } from './config.js';

const noNamespaceFile = () => undefined;

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, noNamespaceFile);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has production defaults (leader election on, client-go timings)', () => {
    const config = loadConfig(
      { POD_NAMESPACE: 'notejam-system', POD_NAME: 'op-1' },
      noNamespaceFile,
    );
    expect(config).toEqual({
      watchNamespace: undefined,
      metricsPort: 8080,
      healthPort: 8081,
      logLevel: 'info',
      maxConcurrentReconciles: 4,
      reconcileTimeoutMs: 60_000,
      maxConcurrentLifecycleJobs: 10,
      resyncPeriodMs: 600_000,
      watchTimeoutSeconds: 300,
      watchSilenceTimeoutMs: 630_000,
      imageResolveIntervalMs: 120_000,
      imageResolveTimeoutMs: 10_000,
      plainHttpRegistries: [],
      leaderElection: {
        namespace: 'notejam-system',
        name: 'notejam-operator.notejam.io',
        identity: 'op-1',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        WATCH_NAMESPACE: 'team-a',
        METRICS_PORT: '9090',
        HEALTH_PORT: '9091',
        LOG_LEVEL: 'debug',
        MAX_CONCURRENT_RECONCILES: '8',
        RECONCILE_TIMEOUT: '2m',
        MAX_CONCURRENT_LIFECYCLE_JOBS: '3',
        RESYNC_PERIOD: '30s',
        WATCH_TIMEOUT: '1m',
        WATCH_SILENCE_TIMEOUT: '90s',
        IMAGE_RESOLVE_INTERVAL: '30s',
        IMAGE_RESOLVE_TIMEOUT: '3s',
        PLAIN_HTTP_REGISTRIES: 'registry.local:5000, mirror.internal',
        LEADER_ELECTION_NAMESPACE: 'ops',
        LEADER_ELECTION_ID: 'lease',
        LEADER_ELECTION_LEASE_DURATION: '4s',
        LEADER_ELECTION_RENEW_DEADLINE: '3s',
        LEADER_ELECTION_RETRY_PERIOD: '500ms',
      },
      noNamespaceFile,
    );
    expect(config).toMatchObject({
      watchNamespace: 'team-a',
      metricsPort: 9090,
      healthPort: 9091,
      logLevel: 'debug',
      maxConcurrentReconciles: 8,
      reconcileTimeoutMs: 120_000,
      maxConcurrentLifecycleJobs: 3,
      resyncPeriodMs: 30_000,
      watchTimeoutSeconds: 60,
      watchSilenceTimeoutMs: 90_000,
      imageResolveIntervalMs: 30_000,
      imageResolveTimeoutMs: 3_000,
      plainHttpRegistries: ['registry.local:5000', 'mirror.internal'],
      leaderElection: {
        namespace: 'ops',
        name: 'lease',
        leaseDurationMs: 4000,
        renewDeadlineMs: 3000,
        retryPeriodMs: 500,
      },
    });
  });

  it('needs no namespace without leader election', () => {
    expect(
      loadConfig({ LEADER_ELECTION: 'false' }, noNamespaceFile).leaderElection,
    ).toBeUndefined();
  });

  it('takes the lease namespace from the in-cluster service account', () => {
    expect(loadConfig({}, () => 'from-file').leaderElection?.namespace).toBe('from-file');
  });

  it.each([
    [{}, 'LEADER_ELECTION_NAMESPACE'],
    [{ LEADER_ELECTION: 'yes' }, 'LEADER_ELECTION'],
    [{ LEADER_ELECTION: 'false', METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ LEADER_ELECTION: 'false', HEALTH_PORT: 'http' }, 'HEALTH_PORT'],
    [{ LEADER_ELECTION: 'false', LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ LEADER_ELECTION: 'false', RESYNC_PERIOD: '10' }, 'RESYNC_PERIOD'],
    [{ LEADER_ELECTION: 'false', MAX_CONCURRENT_RECONCILES: '0' }, 'MAX_CONCURRENT_RECONCILES'],
    [
      { LEADER_ELECTION: 'false', MAX_CONCURRENT_LIFECYCLE_JOBS: '0' },
      'MAX_CONCURRENT_LIFECYCLE_JOBS',
    ],
    [{ LEADER_ELECTION: 'false', IMAGE_RESOLVE_INTERVAL: '2' }, 'IMAGE_RESOLVE_INTERVAL'],
    [{ LEADER_ELECTION: 'false', IMAGE_RESOLVE_TIMEOUT: '0s' }, 'IMAGE_RESOLVE_TIMEOUT'],
    [{ LEADER_ELECTION: 'false', PLAIN_HTTP_REGISTRIES: 'http://r:5000' }, 'PLAIN_HTTP_REGISTRIES'],
    [
      { POD_NAMESPACE: 'x', LEADER_ELECTION_RENEW_DEADLINE: '20s' },
      'LEADER_ELECTION_RENEW_DEADLINE',
    ],
    [{ POD_NAMESPACE: 'x', LEADER_ELECTION_RETRY_PERIOD: '10s' }, 'LEADER_ELECTION_RETRY_PERIOD'],
  ])('refuses %j naming %s', (env, variable) => {
    const err = errorOf(env as Record<string, string>);
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(new RegExp(`^${variable}: `));
  });
});

describe('parseDuration', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });

  it('refuses anything else', () => {
    for (const text of ['', '15', 's', '1d', '-5s', '5 s'])
      expect(parseDuration(text)).toBeUndefined();
  });
});
