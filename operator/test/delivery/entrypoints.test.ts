// The images' entry points, run the way the images run them: the runtime stage's WORKDIR
// (mirrored by the workspace directory, which holds the same dist/ the image copies), its
// ENV, its ENTRYPOINT and CMD, a non-root user's view of the world (only the data dir and
// /tmp are written), its HEALTHCHECK command, and SIGTERM as Kubernetes sends it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoordinationV1Api,
  CoreV1Api,
  loadAllYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  installCustomResourceDefinitions,
  freePorts,
  sharedControlPlane,
  writeKubeConfig,
} from '../envtest/control-plane.js';
import { dockerfileCommand, dockerfileEnv, repoDirectoryOf } from './dockerfile.js';
import { readRepoFile, run } from './support.js';

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

/** Runs an image's HEALTHCHECK command with the container's environment; resolves to its exit code. */
async function healthcheck(
  dockerfile: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<number | null> {
  const [command = '', ...args] = dockerfileCommand(dockerfile, 'HEALTHCHECK');
  return new Promise((resolve) => {
    spawn(command, args, { cwd, env, stdio: 'ignore' }).once('exit', resolve);
  });
}

/** Collects a child's stdout and stderr for failure messages. */
function captureOutput(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return () => output;
}

async function waitFor(
  condition: () => Promise<boolean>,
  output: () => string,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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
    const migrateOutput = captureOutput(migrate);
    const migrateExit = await exitOf(migrate);
    expect({ exit: migrateExit, output: migrateOutput() }).toEqual({
      exit: 0,
      output: migrateOutput(),
    });

    const [port, managementPort] = (await freePorts(2)).map(String);
    expect(defaultArgs).toEqual(['serve']);
    const serverEnv = { ...env, PORT: port, MANAGEMENT_PORT: managementPort };
    const server = spawn(command, [...entryArgs, ...defaultArgs], {
      cwd,
      env: serverEnv,
      stdio: 'pipe',
    });
    const output = captureOutput(server);
    try {
      // Probes answer on the management port only: the pages' port is what an Ingress routes.
      await waitForHttp(`http://127.0.0.1:${managementPort}/healthz`, server, output);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
      expect(await healthcheck('Dockerfile.app', cwd, serverEnv)).toBe(0);
      server.kill('SIGTERM');
      const exit = await exitOf(server);
      expect({ exit, output: output() }).toEqual({ exit: 0, output: output() });
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  }, 120_000);
});

describe('Dockerfile.operator entry point', () => {
  const [command = '', ...entryArgs] = dockerfileCommand('Dockerfile.operator', 'ENTRYPOINT');
  const cwd = repoDirectoryOf('/operator');
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(path.join(tmpdir(), 'notejam-operator-entrypoint-'));
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('starts against a real API server, leads, serves health and metrics, and exits 0 on SIGTERM', async () => {
    const plane = await sharedControlPlane();
    const admin = plane.admin();
    const crds = loadAllYaml(readRepoFile('crds/notejam.io_notejaminstances.yaml'));
    await installCustomResourceDefinitions(admin, crds as V1CustomResourceDefinition[]);
    // Its own namespace, watched alone: the shared control plane's other suites are left alone.
    const namespace = `delivery-entrypoint-${randomBytes(4).toString('hex')}`;
    await admin
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: namespace } } });

    const [metricsPort, healthPort] = (await freePorts(2)).map(String);
    // What the chart's Deployment sets, with the pod's identity and an out-of-cluster kubeconfig.
    const env = {
      PATH: process.env['PATH'],
      ...dockerfileEnv('Dockerfile.operator'),
      KUBECONFIG: writeKubeConfig(admin, workDir),
      POD_NAME: 'entrypoint-test',
      POD_NAMESPACE: namespace,
      WATCH_NAMESPACE: namespace,
      LEADER_ELECTION: 'true',
      METRICS_PORT: metricsPort,
      HEALTH_PORT: healthPort,
      LOG_LEVEL: 'info',
    };
    const operator = spawn(command, entryArgs, { cwd, env, stdio: 'pipe' });
    const output = captureOutput(operator);
    try {
      await waitForHttp(`http://127.0.0.1:${healthPort}/readyz`, operator, output);
      expect(await healthcheck('Dockerfile.operator', cwd, env)).toBe(0);
      const leases = admin.makeApiClient(CoordinationV1Api);
      await waitFor(async () => {
        const lease = await leases.listNamespacedLease({ namespace });
        return lease.items.some((item) => item.spec?.holderIdentity === env.POD_NAME);
      }, output);
      // What the chart's `helm test` hook looks for.
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain('controller_runtime_reconcile_total');
      operator.kill('SIGTERM');
      expect({ exit: await exitOf(operator), output: output() }).toEqual({
        exit: 0,
        output: output(),
      });
    } finally {
      if (operator.exitCode === null) operator.kill('SIGKILL');
    }
  }, 180_000);
});
