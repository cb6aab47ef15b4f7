import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Logger } from 'pino';
import type { AppConfig } from './config/config';
import { connect, describeDatabase, migrationStatus } from './database/data-source';
import { HousekeepingService } from './database/housekeeping.service';
import { createHttpApp } from './http-app';

/** Listens on all interfaces (IPv6 and IPv4), or IPv4 only where IPv6 is off. */
async function listen(server: Server, port: number): Promise<void> {
  const attempt = (host: string) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.removeListener('error', onError);
        resolve();
      });
    });
  try {
    await attempt('::');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EAFNOSUPPORT') throw error;
    await attempt('0.0.0.0');
  }
}

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
  for (const [name, target, port] of [
    ['PORT', server, config.port],
    ['MANAGEMENT_PORT', management, config.managementPort],
  ] as const) {
    try {
      await listen(target, port);
    } catch (error) {
      // Release the pool so the process can exit with the one-line message.
      management.close();
      await app.close().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
      const reason =
        (error as { code?: unknown }).code === 'EADDRINUSE' ? 'it is in use' : String(error);
      throw new Error(`cannot listen on port ${port} (${name}): ${reason}`, { cause: error });
    }
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

  let stopping = false;
  // Responses whose headers are not out yet: told to close their connection on shutdown.
  const unanswered = new Set<ServerResponse>();
  // First of the request listeners, so that no response is written before it runs.
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (stopping) {
      res.setHeader('Connection', 'close');
      return;
    }
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res)); // after 'finish', or on an abort
  });
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    lifecycle.shuttingDown = true;
    logger.info(
      { signal, graceSeconds: config.shutdownGraceSeconds },
      'shutting down: finishing requests in flight',
    );
    // A keep-alive client learns from `Connection: close` on its next answer that the
    // connection ends; closing it while idle instead races with the request the client may
    // be sending on it right then (a reset, seen under load during rolling updates).
    for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
    const deadline = setTimeout(() => {
      logger.warn('grace period over: closing the remaining connections');
      server.closeAllConnections();
    }, config.shutdownGraceSeconds * 1000);
    deadline.unref();
    // Stops accepting, without http.Server#close's immediate closing of idle keep-alive
    // connections (the race above): they end with their next answer, or when idle for the
    // server's keepAliveTimeout as always. The callback runs once all have ended.
    NetServer.prototype.close.call(server, () => {
      clearTimeout(deadline);
      management.close();
      management.closeAllConnections();
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
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  return -1;
}
