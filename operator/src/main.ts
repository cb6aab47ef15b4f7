/**
 * The operator process: configuration from the environment (see README, "Operator"),
 * Kubernetes credentials from KUBECONFIG / ~/.kube/config / the in-cluster service account.
 * SIGTERM or SIGINT drains the workers and releases the leader lease before exiting.
 */
import { ConfigError, loadConfig } from './config.js';
import { startOperator } from './operator.js';
import { ClusterAccessError, loadClusterAccess } from './runtime/cluster-access.js';
import { createLogger } from './runtime/logger.js';

async function main(): Promise<void> {
  let config;
  let kubeConfig;
  try {
    config = loadConfig();
    kubeConfig = await loadClusterAccess();
  } catch (err) {
    if (err instanceof ConfigError) {
      createLogger().error('invalid configuration', { variable: err.variable, error: err.message });
    } else if (err instanceof ClusterAccessError) {
      createLogger().error('invalid Kubernetes credentials', {
        source: err.source,
        error: err.message,
      });
    } else throw err;
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel });
  logger.info('starting', {
    server: kubeConfig.getCurrentCluster()?.server,
    watchNamespace: config.watchNamespace ?? '(all)',
    leaderElection: config.leaderElection
      ? `${config.leaderElection.namespace}/${config.leaderElection.name}`
      : 'off',
  });
  const operator = await startOperator({ config, kubeConfig, logger });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('signal received, shutting down', { signal });
    operator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('unclean shutdown', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  createLogger().error('operator failed to start', { err });
  process.exit(1);
});
