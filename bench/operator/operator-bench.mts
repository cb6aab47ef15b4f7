// Operator benchmark on the real control plane (run by hand: `make bench-operator`).
// The operator runs as deployed (operator/dist/main.js, a child process, under config/rbac's
// permissions, with the V8 heap ceiling the container gets: Dockerfile.operator's heap
// percentage of config/manager's memory limit); the benchmark observes the children and
// instances through its own watches, so measuring adds no polling load.
// The instances are mysql ones: each first rollout waits for its migrate Job, which the Job
// runner (operator/test/support/job-runner.ts) plays the kubelet for.
//  1. latency: time from applying one instance to all of its children applied (N runs),
//     each migrate Job running the app's real CLI against MariaDB (`make mariadb`);
//  2. cold start: COLD_INSTANCES (1,000) instances exist before the operator starts, with
//     MAX_CONCURRENT_LIFECYCLE_JOBS as high as the fleet (the cap is not measured); time
//     until its caches are synced, and until every instance has its children and a status
//     for its generation, and the API requests it made. Their migrate Jobs succeed at once
//     (the runner runs `true` for them: 1,000 real migrations would measure the app's CLI
//     on two cores, not the operator);
//  3. steady state: API writes and requests over several resync periods afterwards;
//  4. memory: the operator's RSS (now and its peak, from /proc) and heap with everything
//     cached, and a standby replica's (a second process campaigning for the same Lease).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { Informer } from '../../operator/src/runtime/informer.ts';
import { leaseSpecOnTheWire } from '../../operator/src/runtime/leader-election.ts';
import { createLogger } from '../../operator/src/runtime/logger.ts';
import { startControlPlane, writeKubeConfig } from '../../operator/test/envtest/control-plane.ts';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  type LifecycleJobs,
  operatorIdentity,
  operatorNamespace,
  repoRoot,
  runLifecycleJobs,
  types,
  waitFor,
} from '../../operator/test/integration/support.ts';

const latencyRuns = Number(process.env.LATENCY_RUNS ?? 20);
const coldInstances = Number(process.env.COLD_INSTANCES ?? 1000);
const resyncSeconds = 10;
const childKinds = [types.serviceAccount, types.secret, types.deployment, types.service, types.pdb];

/** The container's memory limit (config/manager, which the chart's default matches), in MiB. */
function containerLimitMiB(): number {
  type Manifest = {
    kind?: string;
    spec?: {
      template: { spec: { containers: Array<{ resources: { limits: { memory: string } } }> } };
    };
  };
  const deployment = parseAllDocuments(
    readFileSync(`${repoRoot}config/manager/manager.yaml`, 'utf8'),
  )
    .map((document) => document.toJS() as Manifest | null)
    .find((manifest) => manifest?.kind === 'Deployment');
  const limit = String(deployment?.spec?.template.spec.containers[0]?.resources.limits.memory);
  const match = /^(\d+)Mi$/.exec(limit);
  if (!match) throw new Error(`config/manager: memory limit ${limit} is not in Mi`);
  return Number(match[1]);
}

/**
 * The V8 flags of the image's entry point, as the container would apply them: the
 * old-space percentage of the container's limit becomes an absolute --max-old-space-size
 * (no cgroup limit here), the other flags are passed as they are.
 */
function containerHeapFlags(limitMiB: number): string[] {
  const dockerfile = readFileSync(`${repoRoot}Dockerfile.operator`, 'utf8');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (!entrypoint) throw new Error('Dockerfile.operator has no JSON-form ENTRYPOINT');
  const flags = (JSON.parse(entrypoint) as string[]).filter((arg) => arg.startsWith('--'));
  const percentage = flags.find((flag) => flag.startsWith('--max-old-space-size-percentage='));
  if (!percentage) throw new Error('Dockerfile.operator sets no --max-old-space-size-percentage');
  const share = Number(percentage.split('=')[1]) / 100;
  return flags.map((flag) =>
    flag === percentage ? `--max-old-space-size=${Math.floor(limitMiB * share)}` : flag,
  );
}

/** The environment the image's runtime stage sets (`ENV name=value` lines after its last FROM). */
function containerEnv(): Record<string, string> {
  const dockerfile = readFileSync(`${repoRoot}Dockerfile.operator`, 'utf8');
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return Object.fromEntries(
    [...runtimeStage.matchAll(/^ENV (\w+)=(\S+)$/gm)].map(([, name, value]) => [name, value]),
  );
}

function instance(namespace: string, name: string): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec: {
      // Pinned: the benchmark measures the operator, not a registry this machine cannot reach.
      image: `ghcr.io/notejam/notejam:v0.1@sha256:${'0'.repeat(64)}`,
      environment: 'production',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
    },
  } as KubernetesObject;
}

/** Peak and current resident memory of a process, from /proc (kB there, MiB here). */
function memoryOf(pid: number): { peakMiB: number; rssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
  return { peakMiB: field('VmHWM'), rssMiB: field('VmRSS') };
}

const limitMiB = containerLimitMiB();
const heapFlags = containerHeapFlags(limitMiB);
const imageEnv = containerEnv();
// A Service per instance: the harness's /24 service range holds 254 of them.
const plane = await startControlPlane({
  apiServerFlags: ['--service-cluster-ip-range=10.0.0.0/16'],
});
const admin = adminClient(plane);
const quiet = createLogger({ level: 'error' });
const operators: ChildProcess[] = [];
const lifecycleJobs: LifecycleJobs[] = [];
try {
  await installCrd(admin);
  const workDir = mkdtempSync(join(tmpdir(), 'notejam-bench-'));
  const kubeconfig = writeKubeConfig(await operatorIdentity(plane, admin), workDir);
  console.log(`operator logs: ${workDir}/<name>.log`);

  // When each child was first seen, by kind/namespace/name; the instances as they are.
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
  const instances = new Informer<KubernetesObject & { status?: { observedGeneration?: number } }>(
    admin,
    { type: types.instance },
    quiet,
  );
  instances.start();
  const childrenOf = (namespace: string, name: string) =>
    childKinds.map(
      (type) => `${type.kind}/${namespace}/${type.kind === 'Secret' ? `${name}-session` : name}`,
    );
  const allSeenAt = (namespace: string, name: string) => {
    const times = childrenOf(namespace, name).map((key) => firstSeen.get(key));
    return times.every((time) => time !== undefined) ? Math.max(...(times as number[])) : undefined;
  };

  /** An operator process as deployed; `synced` resolves when its caches are (controllers start). */
  const startOperator = (name: string, env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [...heapFlags, `${repoRoot}operator/dist/main.js`], {
      env: {
        ...imageEnv,
        PATH: process.env.PATH,
        KUBECONFIG: kubeconfig,
        LEADER_ELECTION: 'false',
        METRICS_PORT: '0',
        HEALTH_PORT: '0',
        RESYNC_PERIOD: `${resyncSeconds}s`,
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    operators.push(child);
    child.stdout?.pipe(createWriteStream(join(workDir, `${name}.log`)));
    let metricsPort = 0;
    let healthPort = 0;
    let syncedAt: number | undefined;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('serving metrics and probes')) {
        ({ metrics: metricsPort, health: healthPort } = JSON.parse(line) as {
          metrics: number;
          health: number;
        });
      } else if (line.includes('"msg":"started"') && line.includes('"controller"')) {
        syncedAt ??= performance.now();
      } else if (line.includes('"level":"error"')) {
        process.stderr.write(`${name}: ${line}\n`);
      }
    });
    const metrics = async () => {
      const port = await waitFor(`${name}'s metrics port`, () => metricsPort || undefined);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const sum = (metric: string, filter: (labels: string) => boolean = () => true) =>
        text
          .split('\n')
          .filter((line) => line.startsWith(metric) && filter(line))
          .reduce((total, line) => total + Number(line.split(' ').pop()), 0);
      const isWrite = (line: string) => /method="(POST|PUT|PATCH|DELETE)"/.test(line);
      return {
        requests: sum('rest_client_requests_total{'),
        writes: sum('rest_client_requests_total{', isWrite),
        heapMiB: sum('nodejs_heap_size_used_bytes ') / 2 ** 20,
        heapTotalMiB: sum('nodejs_heap_size_total_bytes ') / 2 ** 20,
        gcSeconds: sum('nodejs_gc_duration_seconds_sum{'),
        apiSeconds: sum('rest_client_request_duration_seconds_sum{'),
        apiCount: sum('rest_client_request_duration_seconds_count{'),
        loopLagMaxMs: sum('nodejs_eventloop_lag_max_seconds ') * 1000,
        ...memoryOf(child.pid ?? 0),
      };
    };
    const ready = () =>
      waitFor(
        `${name}'s caches to sync`,
        async () =>
          healthPort > 0 && (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200,
        300_000,
      );
    const stop = async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    };
    return { child, metrics, ready, stop, syncedAt: () => syncedAt };
  };

  // 1. Latency of one instance, operator warm and idle.
  await ensureNamespace(admin, 'bench-latency');
  lifecycleJobs.push(await runLifecycleJobs(plane, admin, 'bench-latency'));
  const warm = startOperator('latency');
  await warm.metrics();
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
  await warm.stop();

  // 2. Cold start with COLD_INSTANCES instances waiting.
  await ensureNamespace(admin, 'bench-cold');
  lifecycleJobs.push(
    await runLifecycleJobs(plane, admin, 'bench-cold', { runner: { entrypoint: ['true'] } }),
  );
  for (let i = 0; i < coldInstances; i++) {
    await admin.apply(types.instance, instance('bench-cold', `cold-${i}`), {
      fieldManager,
      force: true,
    });
  }
  const coldStart = performance.now();
  // The Job cap lifted to the fleet: under the default (10 at once) a cold start measures
  // how fast the Job runner turns Jobs over (~10 a minute on this machine), not the operator.
  const leader = startOperator('leader', {
    MAX_CONCURRENT_LIFECYCLE_JOBS: String(Math.min(coldInstances, 1000)),
  });
  await waitFor(
    'every cold instance to converge',
    () => {
      for (let i = 0; i < coldInstances; i++)
        if (allSeenAt('bench-cold', `cold-${i}`) === undefined) return false;
      const cold = instances.list('bench-cold');
      return (
        cold.length === coldInstances &&
        cold.every((item) => item.status?.observedGeneration === item.metadata?.generation)
      );
    },
    1_800_000,
  );
  const coldSeconds = (performance.now() - coldStart) / 1000;
  const syncSeconds = ((leader.syncedAt() ?? NaN) - coldStart) / 1000;
  const afterCold = await leader.metrics();

  // 3. Steady state, once the cold start's tail has been written: Events wait in a bounded
  // backlog written two at a time, so some are still being sent when the last instance
  // converges. Quiet = no write for one resync period (10 minutes at most).
  const tailStart = performance.now();
  let settled = afterCold;
  for (let quietSince = performance.now(); performance.now() - tailStart < 600_000;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = await leader.metrics();
    if (now.writes !== settled.writes) quietSince = performance.now();
    settled = now;
    if (performance.now() - quietSince >= resyncSeconds * 1000) break;
  }
  const tailSeconds = (performance.now() - tailStart) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 3 * resyncSeconds * 1000 + 2000));
  const steady = await leader.metrics();

  // 4. A standby replica: caches only, waiting for a Lease held elsewhere for an hour (the
  // measured leader runs without election: on this loaded machine a renewal may take longer
  // than the renew deadline, and a leader stepping down would end the measurement).
  await admin.create(
    types.lease,
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'notejam-operator.notejam.io', namespace: operatorNamespace },
      spec: leaseSpecOnTheWire({
        holderIdentity: 'elsewhere',
        leaseDurationSeconds: 3600,
        renewTime: new Date(),
      }),
    } as KubernetesObject,
    fieldManager,
  );
  const standbyStart = performance.now();
  const standby = startOperator('standby', {
    LEADER_ELECTION: 'true',
    POD_NAMESPACE: operatorNamespace,
    POD_NAME: 'bench-standby',
  });
  await standby.ready();
  const standbySyncSeconds = (performance.now() - standbyStart) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 2 * resyncSeconds * 1000));
  const standbyMemory = await standby.metrics();
  await standby.stop();

  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(0);
  const cpu = cpus();
  const total = coldInstances + latencyRuns;
  console.log(
    [
      `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}, Node.js ${process.versions.node}, kube-apiserver ${plane.version}`,
      `operator V8 flags: ${heapFlags.join(' ')} (as in the image, with a ${limitMiB} MiB container limit), environment ${JSON.stringify(imageEnv)}`,
      `latency (apply -> ${childKinds.length} children applied), ${latencyRuns} runs: median ${pick(0.5)} ms, p90 ${pick(0.9)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`,
      `cold start, ${coldInstances} instances: caches synced after ${syncSeconds.toFixed(1)} s, converged in ${coldSeconds.toFixed(1)} s with ${afterCold.requests} API requests (${afterCold.writes} writes, ${(afterCold.requests / coldInstances).toFixed(1)} requests per instance, ${((1000 * afterCold.apiSeconds) / afterCold.apiCount).toFixed(0)} ms each on average, watches included); GC ${afterCold.gcSeconds.toFixed(1)} s, event loop lag max ${afterCold.loopLagMaxMs.toFixed(0)} ms`,
      `after converging: ${settled.writes - afterCold.writes} more writes (the Events' backlog) until quiet for ${resyncSeconds} s, ${tailSeconds.toFixed(1)} s`,
      `steady state, ${3 * resyncSeconds} s (3 resync periods): ${steady.writes - settled.writes} writes, ${steady.requests - settled.requests} requests`,
      `leader memory with ${total} instances cached: RSS ${steady.rssMiB.toFixed(0)} MiB (peak ${steady.peakMiB.toFixed(0)} MiB), heap used ${steady.heapMiB.toFixed(0)} of ${steady.heapTotalMiB.toFixed(0)} MiB`,
      `standby with ${total} instances cached: ready after ${standbySyncSeconds.toFixed(1)} s, RSS ${standbyMemory.rssMiB.toFixed(0)} MiB (peak ${standbyMemory.peakMiB.toFixed(0)} MiB), heap used ${standbyMemory.heapMiB.toFixed(0)} of ${standbyMemory.heapTotalMiB.toFixed(0)} MiB, ${standbyMemory.requests} API requests`,
    ].join('\n'),
  );
  await leader.stop();
  await Promise.all([...watchers, instances].map((informer) => informer.stop()));
} finally {
  for (const child of operators) if (child.exitCode === null) child.kill('SIGKILL');
  for (const jobs of lifecycleJobs) await jobs.stop();
  await admin.close();
  await plane.stop();
}
