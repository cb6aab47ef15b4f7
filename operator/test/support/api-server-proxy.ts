/**
 * A plain-HTTP proxy in front of the test control plane's kube-apiserver, for a client
 * whose requests the test wants to see or hold back: everything is passed on (watches
 * streamed) with the client's own credentials, except requests the test chooses to hold,
 * which never reach the API server, as with an API server that takes arbitrarily long to
 * answer them. Each request passed on is recorded, so a test can tell which writes the
 * client made and when.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface ApiServerProxy {
  /** A copy of the given kubeconfig that talks through the proxy. */
  kubeConfig: KubeConfig;
  /** Requests passed on so far, as `METHOD path` (query left out), in order. */
  forwarded(): string[];
  /** Holds every later request `matches` selects: it gets no answer until the client gives up. */
  hold(matches: (method: string, path: string) => boolean): void;
  /** Requests held so far. */
  held(): string[];
  close(): Promise<void>;
}

export async function startApiServerProxy(target: KubeConfig): Promise<ApiServerProxy> {
  const cluster = target.getCurrentCluster();
  if (!cluster?.caData) throw new Error('the kubeconfig has no cluster CA');
  const upstream = new URL(cluster.server);
  const ca = Buffer.from(cluster.caData, 'base64');
  const forwarded: string[] = [];
  const held: string[] = [];
  let holding: ((method: string, path: string) => boolean) | undefined;
  const sockets = new Set<Socket>();

  const pass = (request: IncomingMessage, response: ServerResponse) => {
    const outgoing = httpsRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream.host },
        ca,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    response.on('close', () => outgoing.destroy());
    request.pipe(outgoing);
  };

  const server = createServer((request, response) => {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://proxy').pathname;
    if (holding?.(method, path)) {
      held.push(`${method} ${path}`);
      request.resume(); // read the body, answer nothing
      return;
    }
    forwarded.push(`${method} ${path}`);
    pass(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(target.exportConfig());
  const proxied = new KubeConfig();
  proxied.loadFromOptions({
    // Plain HTTP on loopback: client-node wants that said explicitly (no TLS to verify).
    clusters: kubeConfig.clusters.map((entry) =>
      entry.name === cluster.name
        ? { ...entry, server: `http://127.0.0.1:${port}`, skipTLSVerify: true }
        : entry,
    ),
    users: kubeConfig.users,
    contexts: kubeConfig.contexts,
    currentContext: kubeConfig.currentContext,
  });

  return {
    kubeConfig: proxied,
    forwarded: () => [...forwarded],
    hold: (matches) => (holding = matches),
    held: () => [...held],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
