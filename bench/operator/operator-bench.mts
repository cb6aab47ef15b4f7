// Operator benchmark on the real control plane (run by hand: `make bench-operator`).
// The operator runs as deployed (operator/dist/main.js, a child process, under config/rbac's
// permissions, no leader election); the benchmark observes the children through its own
// watches, so measuring adds no polling load.
// The instances are mysql ones: since the deployment lifecycle, each first rollout waits for
// its migrate Job, which the Job runner (operator/test/support/job-runner.ts) runs with the
// app's real CLI against one MariaDB database (`make mariadb`), so the times include it.
//  1. latency: time from applying one instance to all of its children applied (N runs);
//  2. cold start: 100 instances exist before the operator starts; time and API requests
//     until every instance has its children and a status for its generation;
//  3. steady state: API writes over several resync periods afterwards; operator memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, totalmem, tmpdir, type as osType, release } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Informer } from '../../operator/src/runtime/informer.ts';
import { createLogger } from '../../operator/src/runtime/logger.ts';
import { startControlPlane, writeKubeConfig } from '../../operator/test/envtest/control-plane.ts';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  type LifecycleJobs,
  operatorIdentity,
  repoRoot,
  runLifecycleJobs,
  types,
  waitFor,
} from '../../operator/test/integration/support.ts';

const latencyRuns = Number(process.env.LATENCY_RUNS ?? 20);
const coldInstances = Number(process.env.COLD_INSTANCES ?? 100);
const resyncSeconds = 10;
const childKinds = [types.serviceAccount, types.secret, types.deployment, types.service, types.pdb];

function instance(namespace: string, name: string): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec: {
      image: 'ghcr.io/notejam/notejam:v0.1',
      environment: 'production',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
    },
  } as KubernetesObject;
}

const plane = await startControlPlane();
const admin = adminClient(plane);
const quiet = createLogger({ level: 'error' });
let operator: ChildProcess | undefined;
const lifecycleJobs: LifecycleJobs[] = [];
try {
  await installCrd(admin);
  const kubeconfig = writeKubeConfig(
    await operatorIdentity(plane, admin),
    mkdtempSync(join(tmpdir(), 'notejam-bench-')),
  );

  // When each child was first seen, by kind/namespace/name.
  const firstSeen = new Map<string, number>();
  const watchers = childKinds.map((type) => {
    const informer = new Informer(
      admin,
      { type, labelSelector: 'app.kubernetes.io/managed-by=notejam-operator' },
      quiet,
    );
    informer.on((event, object) => {
      const key = `${type.kind}/${object.metadata?.namespace}/${object.metadata?.name}`;
      if (event === 'added' && !firstSeen.has(key)) firstSeen.set(key, performance.now());
    });
    informer.start();
    return informer;
  });
  const childrenOf = (namespace: string, name: string) =>
    childKinds.map(
      (type) => `${type.kind}/${namespace}/${type.kind === 'Secret' ? `${name}-session` : name}`,
    );
  const allSeenAt = (namespace: string, name: string) => {
    const times = childrenOf(namespace, name).map((key) => firstSeen.get(key));
    return times.every((time) => time !== undefined) ? Math.max(...(times as number[])) : undefined;
  };

  let metricsPort = 0;
  const startOperator = () => {
    metricsPort = 0;
    const child = spawn(process.execPath, [`${repoRoot}operator/dist/main.js`], {
      env: {
        PATH: process.env.PATH,
        KUBECONFIG: kubeconfig,
        LEADER_ELECTION: 'false',
        METRICS_PORT: '0',
        HEALTH_PORT: '0',
        RESYNC_PERIOD: `${resyncSeconds}s`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('serving metrics and probes')) continue;
        metricsPort = (JSON.parse(line) as { metrics: number }).metrics;
      }
    });
    return child;
  };
  const metrics = async () => {
    const port = await waitFor('the operator metrics port', () => metricsPort || undefined);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const sum = (name: string, filter: (labels: string) => boolean = () => true) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(name) && filter(line))
        .reduce((total, line) => total + Number(line.split(' ').pop()), 0);
    const isWrite = (line: string) => /method="(POST|PUT|PATCH|DELETE)"/.test(line);
    return {
      requests: sum('rest_client_requests_total{'),
      writes: sum('rest_client_requests_total{', isWrite),
      rssMiB: sum('process_resident_memory_bytes ') / 2 ** 20,
      heapMiB: sum('nodejs_heap_size_used_bytes ') / 2 ** 20,
    };
  };

  // 1. Latency of one instance, operator warm and idle.
  await ensureNamespace(admin, 'bench-latency');
  lifecycleJobs.push(await runLifecycleJobs(plane, admin, 'bench-latency'));
  operator = startOperator();
  await metrics();
  const latencies: number[] = [];
  for (let i = 0; i < latencyRuns; i++) {
    const name = `latency-${i}`;
    const started = performance.now();
    await admin.apply(types.instance, instance('bench-latency', name), {
      fieldManager,
      force: true,
    });
    const done = await waitFor(
      `children of ${name}`,
      () => allSeenAt('bench-latency', name),
      30_000,
    );
    latencies.push(done - started);
  }
  operator.kill('SIGTERM');
  await new Promise((resolve) => operator?.once('exit', resolve));

  // 2. Cold start with 100 instances waiting.
  await ensureNamespace(admin, 'bench-cold');
  lifecycleJobs.push(await runLifecycleJobs(plane, admin, 'bench-cold'));
  for (let i = 0; i < coldInstances; i++) {
    await admin.apply(types.instance, instance('bench-cold', `cold-${i}`), {
      fieldManager,
      force: true,
    });
  }
  const coldStart = performance.now();
  operator = startOperator();
  await waitFor(
    'every cold instance to converge',
    async () => {
      for (let i = 0; i < coldInstances; i++)
        if (allSeenAt('bench-cold', `cold-${i}`) === undefined) return false;
      const list = await admin.list<
        KubernetesObject & { status?: { observedGeneration?: number } }
      >(types.instance, {
        namespace: 'bench-cold',
      });
      return (
        list.items.every((item) => item.status?.observedGeneration === item.metadata?.generation) ||
        undefined
      );
    },
    300_000,
  );
  const coldSeconds = (performance.now() - coldStart) / 1000;
  const afterCold = await metrics();

  // 3. Steady state.
  await new Promise((resolve) => setTimeout(resolve, 3 * resyncSeconds * 1000 + 2000));
  const steady = await metrics();

  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(0);
  const cpu = cpus();
  console.log(
    [
      `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}, Node.js ${process.versions.node}, kube-apiserver ${plane.version}`,
      `latency (apply -> ${childKinds.length} children applied), ${latencyRuns} runs: median ${pick(0.5)} ms, p90 ${pick(0.9)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`,
      `cold start, ${coldInstances} instances: converged in ${coldSeconds.toFixed(1)} s with ${afterCold.requests} API requests (${afterCold.writes} writes, ${(afterCold.requests / coldInstances).toFixed(1)} requests per instance)`,
      `steady state, ${3 * resyncSeconds} s (3 resync periods): ${steady.writes - afterCold.writes} writes, ${steady.requests - afterCold.requests} requests`,
      `operator memory with ${coldInstances + latencyRuns} instances cached: RSS ${steady.rssMiB.toFixed(0)} MiB, heap used ${steady.heapMiB.toFixed(0)} MiB`,
    ].join('\n'),
  );
  await Promise.all(watchers.map((informer) => informer.stop()));
} finally {
  operator?.kill('SIGKILL');
  for (const jobs of lifecycleJobs) await jobs.stop();
  await admin.close();
  await plane.stop();
}
