/**
 * Network conditions in front of the test registry that a real registry cannot be asked
 * to produce: a registry host that accepts connections and never answers (a black hole,
 * as a firewall dropping replies or a hung registry looks to a client), and a proxy that
 * passes everything on to the real registry while counting the requests.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface BlackHole {
  /** host:port, as written in image references. */
  host: string;
  /** Connections accepted so far. */
  accepted(): number;
  /** Connections open now (each one waiting for an answer that never comes). */
  open(): number;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createTcpServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    socket.resume(); // read and drop whatever the client sends; answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    accepted: () => accepted,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface CountingProxy {
  host: string;
  /** Requests passed on, as `METHOD /path`. */
  requests(): string[];
  close(): Promise<void>;
}

/** A plain-HTTP proxy to the registry at `upstream` (host:port), recording each request. */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const seen: string[] = [];
  const server = createHttpServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === 'string' && !['host', 'connection'].includes(entry[0]),
      ),
    );
    void fetch(`http://${upstream}${request.url ?? '/'}`, {
      method: request.method,
      headers,
      redirect: 'manual',
    }).then(
      async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer());
        const passed = Object.fromEntries(
          [...answer.headers].filter(
            ([name]) => !['content-length', 'transfer-encoding', 'connection'].includes(name),
          ),
        );
        response.writeHead(answer.status, passed);
        // HEAD answers carry the upstream's length but no body.
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        response.writeHead(502).end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests: () => [...seen],
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
