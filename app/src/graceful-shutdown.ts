import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Logger } from 'pino';

export interface GracefulShutdownOptions {
  graceSeconds: number;
  logger: Logger;
  /** Runs at the signal, before anything closes (e.g. readiness turns off). */
  onSignal?: () => void;
  /** The probes' server: it answers (readiness: not ready) until the pages have drained. */
  management: Server;
  /** Runs once every connection has ended: release what the server used. */
  release: () => Promise<void>;
}

/**
 * On SIGTERM or SIGINT: stop accepting, finish the requests in flight (up to the grace
 * period), tell each kept-alive connection `Connection: close` on its next answer rather
 * than resetting it, then close the management server, release and exit 0. Installed
 * before the server's own request listeners, so no response is written before it has seen
 * the request.
 */
export function installGracefulShutdown(server: Server, options: GracefulShutdownOptions): void {
  const { logger, graceSeconds } = options;
  let stopping = false;
  // Responses whose headers are not out yet: told to close their connection on shutdown.
  const unanswered = new Set<ServerResponse>();
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
    options.onSignal?.();
    logger.info({ signal, graceSeconds }, 'shutting down: finishing requests in flight');
    // A keep-alive client learns from `Connection: close` on its next answer that the
    // connection ends; closing it while idle instead races with the request the client may
    // be sending on it right then (a reset, seen under load during rolling updates).
    for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
    const deadline = setTimeout(() => {
      logger.warn('grace period over: closing the remaining connections');
      server.closeAllConnections();
    }, graceSeconds * 1000);
    deadline.unref();
    // Stops accepting, without http.Server#close's immediate closing of idle keep-alive
    // connections (the race above): they end with their next answer, or when idle for the
    // server's keepAliveTimeout as always. The callback runs once all have ended.
    NetServer.prototype.close.call(server, () => {
      clearTimeout(deadline);
      options.management.close();
      options.management.closeAllConnections();
      void options.release().then(
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
}
