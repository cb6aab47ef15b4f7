/**
 * The operator's HTTP endpoints, controller-runtime style: /metrics (Prometheus text
 * format) and the probes /healthz (the process serves requests) and /readyz (every named
 * check passes; the failing ones are listed). One server may serve both groups.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type ReadinessCheck = () => boolean;

export interface ProbeServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startProbeServer(options: {
  port: number;
  host?: string;
  /** Serve /metrics from this registry. */
  registry?: Registry;
  /** Serve /healthz and /readyz with these readiness checks. */
  readiness?: Record<string, ReadinessCheck>;
}): Promise<ProbeServer> {
  const { registry, readiness } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics' && registry) {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
      );
      return;
    }
    if (path === '/healthz' && readiness) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (path === '/readyz' && readiness) {
      const failing = Object.entries(readiness)
        .filter(([, check]) => !check())
        .map(([name]) => name);
      const body = failing.length === 0 ? 'ok' : `not ready: ${failing.join(', ')}`;
      res.writeHead(failing.length === 0 ? 200 : 503, { 'content-type': 'text/plain' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
