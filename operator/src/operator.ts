/**
 * Assembles the operator from its configuration: one client, one metrics registry, the
 * manager and the NotejamInstance controller. main.ts runs it as a process; tests and
 * benchmarks run it in-process.
 */
import { Registry } from 'prom-client';
import type { OperatorConfig } from './config.js';
import { setUpNotejamController } from './controllers/notejam/controller.js';
import { fieldManager } from './controllers/notejam/labels.js';
import { Applier } from './runtime/apply.js';
import { EventRecorder } from './runtime/events.js';
import type { ClusterAccess } from './runtime/cluster-access.js';
import { KubeClient } from './runtime/kube-client.js';
import type { Logger } from './runtime/logger.js';
import { Manager } from './runtime/manager.js';
import { RuntimeMetrics } from './runtime/metrics.js';

export interface RunningOperator {
  manager: Manager;
  metrics: RuntimeMetrics;
  /** Drains the workers, releases the lease, closes connections. */
  stop(): Promise<void>;
}

export async function startOperator(options: {
  config: OperatorConfig;
  kubeConfig: ClusterAccess;
  logger: Logger;
  /** Leadership lost without release: the process must exit (the default does). */
  onLeadershipLost?: () => void;
  /** process_* and nodejs_* metrics; off for several operators in one process (tests). */
  processMetrics?: boolean;
}): Promise<RunningOperator> {
  const { config, logger } = options;
  const metrics = new RuntimeMetrics(new Registry(), {
    processMetrics: options.processMetrics ?? true,
  });
  const client = new KubeClient(options.kubeConfig, { metrics, userAgent: 'notejam-operator' });
  const identity = config.leaderElection?.identity ?? 'notejam-operator';
  const events = new EventRecorder(
    client,
    {
      reportingController: 'notejam.io/notejam-operator',
      reportingInstance: identity,
      fieldManager,
    },
    logger.child({ component: 'events' }),
  );
  const manager = new Manager({
    client,
    metrics,
    logger,
    metricsPort: config.metricsPort,
    healthPort: config.healthPort,
    leaderElection: config.leaderElection,
    fieldManager,
    events,
    onLeadershipLost:
      options.onLeadershipLost ??
      (() => {
        logger.error('leadership lost: exiting so a fresh process can campaign again');
        process.exit(1);
      }),
  });
  await setUpNotejamController({
    client,
    applier: new Applier(client, fieldManager),
    events,
    logger,
    metrics,
    manager,
    namespace: config.watchNamespace,
    maxConcurrentReconciles: config.maxConcurrentReconciles,
    reconcileTimeoutMs: config.reconcileTimeoutMs,
    maxConcurrentLifecycleJobs: config.maxConcurrentLifecycleJobs,
    resyncPeriodMs: config.resyncPeriodMs,
    informer: {
      watchTimeoutSeconds: config.watchTimeoutSeconds,
      silenceTimeoutMs: config.watchSilenceTimeoutMs,
    },
    imageResolution: {
      ...(config.imageResolveIntervalMs !== undefined
        ? { intervalMs: config.imageResolveIntervalMs }
        : {}),
      ...(config.imageResolveTimeoutMs !== undefined
        ? { timeoutMs: config.imageResolveTimeoutMs }
        : {}),
      plainHttpRegistries: config.plainHttpRegistries ?? [],
    },
  });
  await manager.start();
  return { manager, metrics, stop: () => manager.stop() };
}
