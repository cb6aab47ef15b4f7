// SIGTERM: stop accepting, finish the requests in flight, close the pool, exit 0; and the
// maintenance server the pods run while a dev database is recreated.
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { TEST_SECRET } from './support/app';
import { CLI, runCli } from './support/cli';
import { createTestDatabase, type TestDatabase } from './support/databases';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(port: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not come up');
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('graceful shutdown', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    expect((await runCli(['migrate'], database.env)).code).toBe(0);
  });

  afterAll(async () => {
    await database.drop();
  });

  // A test that fails before its server has exited must not leave it running (jest would
  // wait for it forever).
  const servers: ChildProcess[] = [];
  afterEach(() => {
    for (const child of servers.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** `serve` (or `maintenance`) on free ports, up and answering; output and exit code collected. */
  async function startServer(
    command: 'serve' | 'maintenance' = 'serve',
    env: Record<string, string> = {},
  ) {
    const port = await freePort();
    const managementPort = await freePort();
    const child = spawn(process.execPath, [CLI, command], {
      env: {
        PATH: process.env.PATH ?? '',
        ...database.env,
        PORT: String(port),
        MANAGEMENT_PORT: String(managementPort),
        SESSION_SECRET: TEST_SECRET,
        SHUTDOWN_GRACE_SECONDS: '20',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    servers.push(child);
    const exited = exitOf(child);
    await waitUntilUp(managementPort);
    return { port, managementPort, child, exited, output: () => output };
  }

  it('answers a request that is in flight when SIGTERM arrives, refuses new ones and exits 0', async () => {
    const { port, child, exited, output } = await startServer();

    // A form post whose body is still arriving: the request is in flight.
    const body =
      'email=slow%40example.com&password=long+enough&repeat_password=long+enough&_csrf=x';
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      `POST /signup/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));

    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // A new connection is refused (fetch could reuse a kept-alive one, which is still served).
    await expect(
      new Promise((resolve, reject) =>
        net.connect(port, '127.0.0.1').once('connect', resolve).once('error', reject),
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    socket.write(body.slice(10));
    await closed;
    // Answered in full (403: the form carries no valid CSRF token), not cut off.
    expect(response).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(response).toContain('</html>');

    expect(await exited).toBe(0);
    expect(output()).toContain('shutting down: finishing requests in flight');
    expect(output()).toContain('"msg":"stopped"');
  });

  it.each([
    ['serve', '/signin/'],
    ['maintenance', '/static/notejam.css'],
  ] as const)(
    '%s keeps idle connections above proxy timeouts, and tells a keep-alive client to close with the next answer instead of resetting its connection',
    async (command, page) => {
      const { port, managementPort, child, exited } = await startServer(command);
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      const get = async (count: number) => {
        socket.write(`GET ${page} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
        const end = Date.now() + 5000;
        while ((received.match(/HTTP\/1\.1 /g) ?? []).length < count && Date.now() < end)
          await new Promise((resolve) => setTimeout(resolve, 20));
      };

      await get(1); // the connection is now idle and kept alive
      expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(received.toLowerCase()).toContain('connection: keep-alive');
      // Idle connections stay open longer than an ingress controller or load balancer keeps
      // its own (60 s), so the proxy, not the app, closes them: no request races a close.
      expect(received.toLowerCase()).toContain('keep-alive: timeout=75');
      // The management port as long: Prometheus keeps its connection open between scrapes
      // (30 s), and Node's default of 5 s would close it under a scrape now and then.
      const probe = await fetch(`http://127.0.0.1:${managementPort}/healthz`);
      expect(probe.headers.get('keep-alive')).toBe('timeout=75');
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Until the pages have drained, the probes answer: alive, no longer ready.
      const readiness = await fetch(`http://127.0.0.1:${managementPort}/readyz`);
      expect(readiness.status).toBe(503);
      expect(await readiness.json()).toEqual({ status: 'unavailable', reason: 'shutting down' });
      expect((await fetch(`http://127.0.0.1:${managementPort}/healthz`)).status).toBe(200);

      // Still open: the next request on it is answered, and told that the connection ends.
      await get(2);
      const second = received.slice(received.lastIndexOf('HTTP/1.1 '));
      expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(second.toLowerCase()).toContain('connection: close');
      await closed;
      expect(await exited).toBe(0);
    },
  );

  it('maintenance answers every page with 503 and Retry-After, keeps the probes on the management port up and never opens the database', async () => {
    // A MySQL server that does not exist: maintenance must not need it.
    const unreachable = { DB_TYPE: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: '1', DB_NAME: 'none' };
    const { port, managementPort, child, exited, output } = await startServer('maintenance', {
      ...unreachable,
      DB_USER: 'none',
      DB_PASSWORD: '',
    });
    for (const page of ['/', '/signin/', '/notes/1/', '/healthz', '/nothing-here']) {
      const response = await fetch(`http://127.0.0.1:${port}${page}`, { redirect: 'manual' });
      expect({ page, status: response.status }).toEqual({ page, status: 503 });
      expect(response.headers.get('retry-after')).toBe('30');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).toContain('Notejam is being updated');
    }
    const post = await fetch(`http://127.0.0.1:${port}/signup/`, { method: 'POST', body: 'x=1' });
    expect(post.status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/static/notejam.css`)).status).toBe(200);
    const management = `http://127.0.0.1:${managementPort}`;
    expect((await fetch(`${management}/healthz`)).status).toBe(200);
    expect((await fetch(`${management}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${management}/metrics`)).text()).toContain(
      'process_cpu_seconds_total',
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('maintenance page');
  });
});
