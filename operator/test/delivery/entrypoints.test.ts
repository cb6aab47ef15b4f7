// The images' entry points, run the way the images run them: the runtime stage's WORKDIR
// (mirrored by the workspace directory, which holds the same dist/ the image copies), its
// ENV, its ENTRYPOINT and CMD, a non-root user's view of the world (only the data dir and
// /tmp are written), its HEALTHCHECK command, and SIGTERM as Kubernetes sends it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerfileCommand, dockerfileEnv, repoDirectoryOf } from './dockerfile.js';
import { run } from './support.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHttp(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited with ${child.exitCode} before ${url} answered:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output()}`);
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('Dockerfile.app entry point', () => {
  const [command = '', ...entryArgs] = dockerfileCommand('Dockerfile.app', 'ENTRYPOINT');
  const defaultArgs = dockerfileCommand('Dockerfile.app', 'CMD');
  const cwd = repoDirectoryOf('/app');
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'notejam-image-data-'));
    // The image's ENV, with its data dir moved to a temporary one; what Kubernetes adds.
    env = {
      PATH: process.env['PATH'],
      ...dockerfileEnv('Dockerfile.app'),
      DB_PATH: path.join(dataDir, 'notejam.sqlite'),
      SESSION_SECRET: 'entrypoint-test-session-secret-0123456789abcdef',
    };
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is the CLI, offering the commands the operator runs as container args', () => {
    const result = run(command, [...entryArgs, '--help'], { cwd });
    expect(result.status).toBe(0);
    for (const subcommand of ['serve', 'migrate', 'wipe', 'seed'])
      expect(result.stdout + result.stderr).toContain(subcommand);
  });

  it('defaults to serving, answers its HEALTHCHECK, and exits 0 on SIGTERM', async () => {
    const migrate = spawn(command, [...entryArgs, 'migrate'], { cwd, env, stdio: 'pipe' });
    let migrateOutput = '';
    migrate.stdout.on('data', (chunk: Buffer) => (migrateOutput += chunk.toString()));
    migrate.stderr.on('data', (chunk: Buffer) => (migrateOutput += chunk.toString()));
    expect({ exit: await exitOf(migrate), migrateOutput }).toEqual({ exit: 0, migrateOutput });

    const port = String(await freePort());
    expect(defaultArgs).toEqual(['serve']);
    const server = spawn(command, [...entryArgs, ...defaultArgs], {
      cwd,
      env: { ...env, PORT: port },
      stdio: 'pipe',
    });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, server, () => output);
      const [healthCommand = '', ...healthArgs] = dockerfileCommand(
        'Dockerfile.app',
        'HEALTHCHECK',
      );
      const healthcheck = await new Promise<number | null>((resolve) => {
        const probe = spawn(healthCommand, healthArgs, {
          cwd,
          env: { ...env, PORT: port },
          stdio: 'ignore',
        });
        probe.once('exit', resolve);
      });
      expect(healthcheck).toBe(0);
      server.kill('SIGTERM');
      expect({ exit: await exitOf(server), output }).toEqual({ exit: 0, output });
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  }, 120_000);
});
