// `maintenance`: what the pods serve while the operator recreates a dev database (a wipe
// on MySQL): every page answers 503 with Retry-After, and the probes on the management
// port stay up, so no request reaches a schema that is being dropped and no client finds
// the Service without pods. It never opens the database.
import * as fs from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { AppConfig } from './config/config';
import { installGracefulShutdown } from './graceful-shutdown';
import { keepIdleConnections, listenOnPorts } from './listen';
import { Lifecycle } from './management/lifecycle';
import { createManagementServer } from './management/management-server';
import { Metrics } from './metrics/metrics';
import { PUBLIC_DIR } from './web/views';

/** Seconds a client is asked to wait: a dev wipe, migration and seed take about this long. */
export const MAINTENANCE_RETRY_AFTER_SECONDS = 30;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Back in a moment · Notejam</title>
  <link rel="stylesheet" href="/static/notejam.css">
</head>
<body>
  <div class="page">
    <header class="site-header">
      <h1><span class="logo">note<span class="logo-jam">jam:</span></span> <span class="page-title">Back in a moment</span></h1>
    </header>
    <main class="content content-account">
      <p>Notejam is being updated. Please try again in a minute.</p>
    </main>
  </div>
</body>
</html>
`;

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** The pages' port: the stylesheet, and the maintenance page for everything else. */
export function maintenanceHandler(
  stylesheet: Buffer,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (new URL(req.url ?? '/', 'http://localhost').pathname === '/static/notejam.css') {
      res.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8' }).end(stylesheet);
      return;
    }
    res
      .writeHead(503, {
        'Content-Type': 'text/html; charset=utf-8',
        'Retry-After': String(MAINTENANCE_RETRY_AFTER_SECONDS),
      })
      .end(req.method === 'HEAD' ? undefined : PAGE);
  };
}

/**
 * Starts the maintenance page on PORT and the probes and metrics on MANAGEMENT_PORT (ready
 * until shutdown: the Service keeps these pods until the operator rolls out the new
 * revision); resolves -1 ("still running") once listening.
 */
export async function serveMaintenance(config: AppConfig, logger: Logger): Promise<number> {
  const stylesheet = fs.readFileSync(path.join(PUBLIC_DIR, 'notejam.css'));
  const server = createServer(maintenanceHandler(stylesheet));
  // As the servers of `serve`: idle connections outlast the proxies' own and Prometheus' scrapes.
  keepIdleConnections(server, config.keepAliveTimeoutSeconds);
  const metrics = new Metrics('none');
  const lifecycle = new Lifecycle();
  const management = createManagementServer({
    metrics,
    readiness: { check: async () => (lifecycle.shuttingDown ? 'shutting down' : undefined) },
    logger,
  });
  keepIdleConnections(management, config.keepAliveTimeoutSeconds);
  try {
    await listenOnPorts(config, server, management);
  } catch (error) {
    server.close();
    management.close();
    throw error;
  }
  logger.info(
    {
      port: config.port,
      managementPort: config.managementPort,
      retryAfterSeconds: MAINTENANCE_RETRY_AFTER_SECONDS,
    },
    `Notejam maintenance page on http://localhost:${config.port}`,
  );
  installGracefulShutdown(server, {
    graceSeconds: config.shutdownGraceSeconds,
    logger,
    onSignal: () => (lifecycle.shuttingDown = true),
    management,
    release: async () => undefined,
  });
  return -1;
}
