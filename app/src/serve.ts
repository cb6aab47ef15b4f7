import type { Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AppConfig } from './config/config';
import { connect, describeDatabase, migrationStatus } from './database/data-source';
import { createHttpApp } from './http-app';

/** Starts the web server; resolves -1 ("still running") once listening. */
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
  const { app, lifecycle, sessionStore } = await createHttpApp(config, dataSource, logger);
  try {
    await app.listen(config.port);
  } catch (error) {
    // Release the pool so the process can exit with the one-line message.
    sessionStore.stopPruning();
    await app.close().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    const reason =
      (error as { code?: unknown }).code === 'EADDRINUSE' ? 'it is in use' : String(error);
    throw new Error(`cannot listen on port ${config.port}: ${reason}`, { cause: error });
  }
  logger.info(
    { port: config.port, database: describeDatabase(config.database) },
    `Notejam listening on http://localhost:${config.port}`,
  );

  const server = app.getHttpServer() as Server;
  let stopping = false;
  // While stopping, a keep-alive connection is closed as soon as its last response is out.
  server.on('request', (_req, res: ServerResponse) => {
    res.once('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
  });
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    lifecycle.shuttingDown = true;
    logger.info(
      { signal, graceSeconds: config.shutdownGraceSeconds },
      'shutting down: finishing requests in flight',
    );
    const deadline = setTimeout(() => {
      logger.warn('grace period over: closing the remaining connections');
      server.closeAllConnections();
    }, config.shutdownGraceSeconds * 1000);
    deadline.unref();
    // Stops accepting; the callback runs once every in-flight request has been answered.
    server.close(() => {
      clearTimeout(deadline);
      sessionStore.stopPruning();
      void app
        .close()
        .then(() => dataSource.destroy())
        .then(
          () => {
            logger.info('stopped');
            logger.flush();
            process.exitCode = 0;
          },
          (error: unknown) => {
            logger.error({ err: error }, 'error while stopping');
            process.exitCode = 1;
          },
        );
    });
    // Keep-alive connections with no request in flight would hold server.close open.
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return -1;
}
