import type { Logger } from 'pino';
import type { AppConfig } from './config/config';
import { connect, describeDatabase, migrationStatus } from './database/data-source';
import { HousekeepingService } from './database/housekeeping.service';
import { installGracefulShutdown } from './graceful-shutdown';
import { createHttpApp } from './http-app';
import { listenOnPorts } from './listen';

/** Starts the web server and the management server; resolves -1 ("still running") once listening. */
export async function serve(config: AppConfig, logger: Logger): Promise<number> {
  const dataSource = await connect(config.database);
  const { pending } = await migrationStatus(dataSource);
  if (pending.length > 0) {
    logger.warn(
      { pending },
      'the schema is not up to date: /readyz reports 503 until "migrate" has run',
    );
  }
  if (config.sessionSecretIsDefault) {
    logger.warn(
      'SESSION_SECRET is not set: using the development default (SQLite development only)',
    );
  }
  const { app, server, management, lifecycle } = await createHttpApp(config, dataSource, logger);
  try {
    await listenOnPorts(config, server, management);
  } catch (error) {
    // Release the pool so the process can exit with the one-line message.
    management.close();
    await app.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }
  // Once now (e.g. for names a pod of the previous release saved during the rolling update
  // that just started this one), then every 10 minutes.
  if (pending.length === 0) void app.get(HousekeepingService).runAll();
  logger.info(
    {
      port: config.port,
      managementPort: config.managementPort,
      database: describeDatabase(config.database),
    },
    `Notejam listening on http://localhost:${config.port}`,
  );

  installGracefulShutdown(server, {
    graceSeconds: config.shutdownGraceSeconds,
    logger,
    onSignal: () => (lifecycle.shuttingDown = true),
    management,
    release: async () => {
      await app.close();
      await dataSource.destroy();
    },
  });
  return -1;
}
