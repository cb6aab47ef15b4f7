/**
 * A real OCI distribution registry (CNCF distribution's `registry`, built once by
 * hack/oci-registry.sh) on a free loopback port, for the image-resolution tests: anonymous,
 * with htpasswd (Basic) auth, or with token (Bearer) auth backed by a small token service
 * that signs ES256 JWTs with a key the registry trusts through its JWKS file.
 * `pushImage` uploads a config blob and a manifest through the registry's HTTP API, as
 * `docker push` would.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePorts } from '../envtest/control-plane.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A fixed test account; the htpasswd line holds its bcrypt hash (cost 4). */
export const testAccount = { username: 'notejam-ci', password: 'registry-test-password' };
const testAccountHtpasswd = `${testAccount.username}:$2b$04$emokhsRsic5L6zDht9WbOuyd.AowLOWAEKeP3bC5zjTp1SSSzdr4a\n`;

export type RegistryAuth = 'none' | 'basic' | 'token';

export interface TestRegistry {
  /** host:port, as written in image references. */
  host: string;
  auth: RegistryAuth;
  /** Pushes a new, unique image under repository:tag and returns its manifest digest. */
  pushImage(repository: string, tag: string): Promise<string>;
  /** Tokens the token service handed out to clients (token auth; 0 otherwise). */
  tokensIssued(): number;
  stop(): Promise<void>;
}

async function registryBinary(): Promise<string> {
  const { stdout } = await promisify(execFile)(join(repoRoot, 'hack/oci-registry.sh'), {
    maxBuffer: 1 << 20,
  });
  return stdout.trim();
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A token service as a Docker-compatible registry's auth server runs it (ES256 JWTs). */
async function startTokenService(
  privateKey: KeyObject,
  keyId: string,
  issuer: string,
  service: string,
): Promise<{ server: Server; realm: string; issue(scope: string): string; served(): number }> {
  let served = 0;
  const issue = (scope: string) => {
    const [type, name, actions] = scope.split(':');
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: keyId }));
    const claims = base64url(
      JSON.stringify({
        iss: issuer,
        sub: testAccount.username,
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access: [{ type, name, actions: (actions ?? '').split(',') }],
      }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${header}.${claims}.${base64url(signature)}`;
  };
  const expected = `Basic ${Buffer.from(`${testAccount.username}:${testAccount.password}`).toString('base64')}`;
  const server = createHttpServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://token');
    if (url.pathname !== '/token') return void response.writeHead(404).end();
    if (request.headers.authorization !== expected) return void response.writeHead(401).end();
    if (url.searchParams.get('service') !== service) return void response.writeHead(400).end();
    const token = issue(url.searchParams.get('scope') ?? '');
    served++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  const [port] = await freePorts(1);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, realm: `http://127.0.0.1:${port}/token`, issue, served: () => served };
}

async function waitUntilServing(
  url: string,
  process: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (process.exitCode !== null)
      throw new Error(`the registry exited (${process.exitCode}):\n${log()}`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the registry did not start within 30 s:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startTestRegistry(auth: RegistryAuth): Promise<TestRegistry> {
  const binary = await registryBinary();
  const dir = await mkdtemp(join(tmpdir(), 'notejam-oci-registry-'));
  const [port] = await freePorts(1);
  const host = `127.0.0.1:${port}`;
  let authConfig = '';
  let tokenService: Awaited<ReturnType<typeof startTokenService>> | undefined;
  if (auth === 'basic') {
    await writeFile(join(dir, 'htpasswd'), testAccountHtpasswd);
    authConfig = `auth:\n  htpasswd:\n    realm: notejam-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyId = randomUUID();
    await writeFile(
      join(dir, 'jwks.json'),
      JSON.stringify({
        keys: [{ ...publicKey.export({ format: 'jwk' }), kid: keyId, use: 'sig', alg: 'ES256' }],
      }),
    );
    tokenService = await startTokenService(
      privateKey,
      keyId,
      'notejam-test-issuer',
      'notejam-test-registry',
    );
    authConfig =
      `auth:\n  token:\n    realm: ${tokenService.realm}\n    service: notejam-test-registry\n` +
      `    issuer: notejam-test-issuer\n    jwks: ${join(dir, 'jwks.json')}\n    signingalgorithms: [ES256]\n`;
  }
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n` +
      `http:\n  addr: ${host}\n${authConfig}`,
  );
  let output = '';
  const child = spawn(binary, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', OTEL_TRACES_EXPORTER: 'none' },
  });
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await waitUntilServing(`http://${host}/v2/`, child, () => output);

  const authorization = (scope: string): Record<string, string> => {
    if (auth === 'basic') {
      return {
        authorization: `Basic ${Buffer.from(`${testAccount.username}:${testAccount.password}`).toString('base64')}`,
      };
    }
    if (tokenService) return { authorization: `Bearer ${tokenService.issue(scope)}` };
    return {};
  };

  const pushImage = async (repository: string, tag: string): Promise<string> => {
    const headers = authorization(`repository:${repository}:pull,push`);
    // A unique config blob makes every push a new manifest, hence a new digest.
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: new Date().toISOString(),
        nonce: randomUUID(),
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    );
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers,
    });
    if (start.status !== 202)
      throw new Error(`blob upload refused: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location') ?? '', `http://${host}`);
    location.searchParams.set('digest', configDigest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: config,
    });
    if (put.status !== 201)
      throw new Error(`blob upload failed: ${put.status} ${await put.text()}`);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [],
      }),
    );
    const pushed = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    });
    if (pushed.status !== 201)
      throw new Error(`manifest push failed: ${pushed.status} ${await pushed.text()}`);
    return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  };

  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (tokenService) await new Promise((resolve) => tokenService?.server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  };
  return { host, auth, pushImage, tokensIssued: () => tokenService?.served() ?? 0, stop };
}
