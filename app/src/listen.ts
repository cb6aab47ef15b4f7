import type { Server } from 'node:http';
import type { AppConfig } from './config/config';

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

/**
 * Starts the pages' server on PORT, then the management server on MANAGEMENT_PORT; a port
 * that cannot be had fails with one sentence naming its setting (the caller releases what
 * it opened).
 */
export async function listenOnPorts(
  config: Pick<AppConfig, 'port' | 'managementPort'>,
  pages: Server,
  management: Server,
): Promise<void> {
  for (const [setting, server, port] of [
    ['PORT', pages, config.port],
    ['MANAGEMENT_PORT', management, config.managementPort],
  ] as const) {
    try {
      await listen(server, port);
    } catch (error) {
      const reason =
        (error as { code?: unknown }).code === 'EADDRINUSE' ? 'it is in use' : String(error);
      throw new Error(`cannot listen on port ${port} (${setting}): ${reason}`, { cause: error });
    }
  }
}

/**
 * Idle keep-alive connections stay open `seconds`. Node drops a connection whose request
 * headers take longer than its headers timeout; that must outlast the keep-alive timeout, or
 * a request arriving on an idle connection just before it could be cut off (the 502s
 * proxies report).
 */
export function keepIdleConnections(server: Server, seconds: number): void {
  server.keepAliveTimeout = seconds * 1000;
  server.headersTimeout = (seconds + 5) * 1000;
}
