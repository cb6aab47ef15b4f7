// The operator survives what production throws at it, on a control plane of its own (the
// API server is stopped and started here): leader election between two real operator
// processes (dist/main.js, as deployed), an API server restart, silent watches.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type {
  KubeConfig,
  KubernetesObject,
  V1Deployment,
  V1Lease,
  V1Namespace,
} from '@kubernetes/client-node';
import type { RunningOperator } from '../../src/operator.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { type ControlPlane, startControlPlane, writeKubeConfig } from '../envtest/control-plane.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  operatorIdentity,
  operatorNamespace,
  repoRoot,
  runLifecycleJobs,
  runOperator,
  type LifecycleJobs,
  sleep,
  testConfig,
  types,
  waitFor,
} from './support.js';

// Real API server round trips; each step waits for the operator with its own deadline.
jest.setTimeout(60_000);
const namespace = 'resilience';
const mainJs = `${repoRoot}operator/dist/main.js`;
const leaseName = 'notejam-operator.notejam.io';
const leaseDurationMs = 4000;

let plane: ControlPlane;
let admin: KubeClient;
let identity: KubeConfig;
let kubeconfigPath: string;
let lifecycleJobs: LifecycleJobs;

function instance(name: string, image: string): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec: {
      image,
      environment: 'test',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
    },
  } as KubernetesObject;
}

const imageOf = async (name: string) =>
  (await admin.getIfExists<V1Deployment>(types.deployment, namespace, name))?.spec?.template.spec
    ?.containers[0].image;

const leaseHolder = async () =>
  (await admin.getIfExists<V1Lease>(types.lease, operatorNamespace, leaseName))?.spec
    ?.holderIdentity;

/** An operator process as deployed: dist/main.js, configured by environment variables. */
class OperatorProcess {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private metricsPort = 0;

  constructor(readonly name: string) {
    this.child = spawn(process.execPath, [mainJs], {
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: kubeconfigPath,
        POD_NAME: name,
        POD_NAMESPACE: operatorNamespace,
        METRICS_PORT: '0',
        HEALTH_PORT: '0',
        LOG_LEVEL: 'info',
        RESYNC_PERIOD: '2s',
        LEADER_ELECTION_LEASE_DURATION: `${leaseDurationMs}ms`,
        LEADER_ELECTION_RENEW_DEADLINE: '3s',
        LEADER_ELECTION_RETRY_PERIOD: '500ms',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; metrics?: number; level: string };
      if (entry.msg === 'serving metrics and probes' && entry.metrics)
        this.metricsPort = entry.metrics;
      if (entry.level === 'error' || entry.level === 'warn')
        process.stderr.write(`${this.name}: ${line}\n`);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  async leaderStatus(): Promise<number> {
    const port = await waitFor(`${this.name}'s metrics port`, () => this.metricsPort || undefined);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text
      .split('\n')
      .find((candidate) => candidate.startsWith('leader_election_master_status{'));
    return Number(line?.split(' ').pop() ?? NaN);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

beforeAll(async () => {
  if (!existsSync(mainJs))
    throw new Error(`${mainJs} is missing: run \`npm run build -w operator\` first`);
  plane = await startControlPlane();
  admin = adminClient(plane);
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  // The mysql instances' migrate Jobs run for real before their Deployments exist.
  lifecycleJobs = await runLifecycleJobs(plane, admin, namespace);
  identity = await operatorIdentity(plane, admin);
  kubeconfigPath = writeKubeConfig(identity, plane.workDir); // removed with the plane
}, 180_000);

afterAll(async () => {
  await lifecycleJobs?.stop();
  await admin?.close();
  await plane?.stop();
});

describe('leader election', () => {
  const processes: OperatorProcess[] = [];
  afterAll(async () => {
    for (const child of processes) child.signal('SIGKILL');
    await Promise.all(processes.map((child) => child.exited));
  });

  it('elects one of two operator processes; a standby takes over when the leader stops', async () => {
    const a = new OperatorProcess('operator-a');
    processes.push(a);
    await waitFor('operator-a to lead', async () => (await leaseHolder()) === 'operator-a');
    const b = new OperatorProcess('operator-b');
    processes.push(b);
    await sleep(2 * leaseDurationMs);
    expect([await a.leaderStatus(), await b.leaderStatus()]).toEqual([1, 0]);
    expect(await leaseHolder()).toBe('operator-a');

    await admin.apply(types.instance, instance('elected', 'ghcr.io/notejam/notejam:v1'), {
      fieldManager,
      force: true,
    });
    await waitFor(
      'the leader to reconcile',
      async () => (await imageOf('elected')) === 'ghcr.io/notejam/notejam:v1',
    );

    // A clean stop releases the lease: the standby leads at its next retry, and reconciles.
    a.signal('SIGTERM');
    expect(await a.exited).toBe(0);
    await waitFor(
      'operator-b to lead after the release',
      async () => (await leaseHolder()) === 'operator-b',
      leaseDurationMs,
    );
    await admin.apply(types.instance, instance('elected', 'ghcr.io/notejam/notejam:v2'), {
      fieldManager,
      force: true,
    });
    await waitFor(
      'the new leader to reconcile',
      async () => (await imageOf('elected')) === 'ghcr.io/notejam/notejam:v2',
    );

    // A crash releases nothing: the standby waits out the lease, then takes over.
    const c = new OperatorProcess('operator-c');
    processes.push(c);
    await waitFor('operator-c to run as a standby', async () => (await c.leaderStatus()) === 0);
    b.signal('SIGKILL');
    await b.exited;
    await waitFor(
      'operator-c to lead after the crash',
      async () => (await leaseHolder()) === 'operator-c',
      2 * leaseDurationMs,
    );
    await admin.apply(types.instance, instance('elected', 'ghcr.io/notejam/notejam:v3'), {
      fieldManager,
      force: true,
    });
    await waitFor(
      'operator-c to reconcile',
      async () => (await imageOf('elected')) === 'ghcr.io/notejam/notejam:v3',
    );
    c.signal('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(await leaseHolder()).toBeUndefined();
  }, 120_000);
});

describe('an interrupted API server', () => {
  let operator: RunningOperator;
  beforeAll(async () => {
    operator = await runOperator(identity, testConfig({ resyncPeriodMs: 2000 }));
  });
  afterAll(async () => {
    await operator?.stop();
  });

  it('recovers after the API server restarts and reconciles what changed', async () => {
    await admin.apply(types.instance, instance('survivor', 'ghcr.io/notejam/notejam:v1'), {
      fieldManager,
      force: true,
    });
    await waitFor(
      'the first reconcile',
      async () => (await imageOf('survivor')) === 'ghcr.io/notejam/notejam:v1',
    );

    await plane.stopApiServer();
    await sleep(3000); // every watch breaks; the informers back off and retry
    await plane.startApiServer();
    // Changed before the operator's informers have relisted: the relist must bring it in.
    await admin.apply(types.instance, instance('survivor', 'ghcr.io/notejam/notejam:v2'), {
      fieldManager,
      force: true,
    });
    await admin.delete(types.service, namespace, 'survivor');

    await waitFor(
      'the new image',
      async () => (await imageOf('survivor')) === 'ghcr.io/notejam/notejam:v2',
      60_000,
    );
    await waitFor(
      'the Service to be recreated',
      () => admin.getIfExists(types.service, namespace, 'survivor'),
      60_000,
    );
    const restarts = await operator.metrics.watchRestarts.get();
    expect(
      restarts.values.filter((sample) => sample.labels.reason === 'error').length,
    ).toBeGreaterThan(0);
  }, 120_000);
});

describe('watches', () => {
  it('keeps a quiet watch open past 30 s (the client-node 2.0.0 bug) and still delivers its events', async () => {
    const client = new KubeClient(plane.admin());
    const label = `quiet-${Date.now()}`;
    const list = await client.list<V1Namespace>(types.namespace, {
      labelSelector: `test=${label}`,
    });
    const seen: string[] = [];
    const stop = new AbortController();
    let failure: unknown;
    const watching = client
      .watch<V1Namespace>(
        types.namespace,
        {
          labelSelector: `test=${label}`,
          resourceVersion: list.metadata?.resourceVersion ?? '',
          timeoutSeconds: 120,
          inactivityTimeoutMs: 150_000,
          signal: stop.signal,
        },
        (event) => seen.push(`${event.type} ${event.object.metadata?.name}`),
      )
      .catch((err: unknown) => (failure = err));
    await sleep(35_000);
    await admin.apply(
      types.namespace,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: label, labels: { test: label } } },
      { fieldManager, force: true },
    );
    await waitFor(
      'the event on the long-lived watch',
      () => seen.includes(`ADDED ${label}`) || undefined,
    );
    expect(failure).toBeUndefined();
    stop.abort();
    await watching;
    await client.close();
  }, 60_000);

  it('relists a watch that stays silent too long', async () => {
    const operator = await runOperator(identity, testConfig({ watchSilenceTimeoutMs: 1500 }));
    try {
      await waitFor(
        'a silent watch to be replaced',
        async () =>
          (await operator.metrics.watchRestarts.get()).values.some(
            (sample) => sample.labels.reason === 'silent',
          ),
        15_000,
      );
      await admin.apply(types.instance, instance('after-silence', 'ghcr.io/notejam/notejam:v1'), {
        fieldManager,
        force: true,
      });
      await waitFor(
        'a reconcile after the relist',
        async () => (await imageOf('after-silence')) === 'ghcr.io/notejam/notejam:v1',
      );
    } finally {
      await operator.stop();
    }
  }, 60_000);
});
