import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { migrationStatus } from '../database/data-source';
import type { Metrics } from '../metrics/metrics';
import type { Lifecycle } from './lifecycle';

export interface ManagementContext {
  metrics: Metrics;
  /** Why the process cannot serve, or undefined when it can (what /readyz reports). */
  readiness: { check(): Promise<string | undefined> };
  logger: Logger;
}

/**
 * Probes and metrics on a port of their own (MANAGEMENT_PORT): the Service offers it to
 * Prometheus, the kubelet calls it on the pod, and no Ingress route leads to it, so
 * readiness details and metrics stay inside the cluster. Plain Node HTTP: no session, no
 * page layout, nothing of the page pipeline to get stuck behind.
 *   GET /healthz  the process answers (liveness)
 *   GET /readyz   the readiness check passes (for `serve`: DatabaseReadiness)
 *   GET /metrics  Prometheus text format
 */
export function createManagementServer(context: ManagementContext): Server {
  return createServer((req, res) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = ROUTES.has(req.url ?? '') ? (req.url as string) : 'unmatched';
      context.metrics.observeRequest(route, req.method ?? 'GET', res.statusCode, seconds);
    });
    void answer(req, res, context).catch((error: unknown) => {
      context.logger.error({ err: error }, 'management endpoint failed');
      if (!res.headersSent) json(res, 500, { status: 'error' });
    });
  });
}

const ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  { metrics, readiness }: ManagementContext,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return json(res, 405, { status: 'method not allowed' });
  switch (req.url) {
    case '/healthz':
      return json(res, 200, { status: 'ok' });
    case '/readyz': {
      const reason = await readiness.check();
      return reason === undefined
        ? json(res, 200, { status: 'ok' })
        : json(res, 503, { status: 'unavailable', reason });
    }
    case '/metrics': {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(body);
      return;
    }
    default:
      return json(res, 404, { status: 'not found' });
  }
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

/**
 * Why the app cannot serve (shutting down, the database does not answer, a migration is
 * pending), or undefined when it can. The answer names the kind of problem
 * only; the driver's own message (host names, users, SQL states) goes to the log, once per
 * change of state, not to whoever can reach the probe.
 */
export class DatabaseReadiness {
  private lastReason: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly lifecycle: Lifecycle,
    private readonly logger: Logger,
  ) {}

  async check(): Promise<string | undefined> {
    const { lifecycle, dataSource, logger } = this;
    if (lifecycle.shuttingDown) return 'shutting down';
    let reason: string | undefined;
    let failure: unknown;
    try {
      await dataSource.query('SELECT 1');
      const { pending } = await migrationStatus(dataSource);
      if (pending.length > 0) reason = `pending migrations: ${pending.join(', ')}`;
    } catch (error) {
      reason = 'database unreachable';
      failure = error;
    }
    if (reason !== this.lastReason) {
      if (reason === undefined) logger.info('ready again');
      else logger.warn({ err: failure }, `not ready: ${reason}`);
      this.lastReason = reason;
    }
    return reason;
  }
}
