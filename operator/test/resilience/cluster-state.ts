// What the resilience suite reads and does beyond the e2e suite's helpers (../e2e/cluster.ts):
// nodes and zones, powering a local-cluster node off and on (hack/local-cluster/node.sh),
// stopping and starting the database, the operator's Lease, a sampler of prod's replica
// curve, and Prometheus' HTTP API.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { kubectl, operatorNamespace, waitFor } from '../e2e/cluster.js';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../../..');
export const zoneLabel = 'topology.kubernetes.io/zone';

export interface Node {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export async function nodes(): Promise<Node[]> {
  return (JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])) as { items: Node[] }).items;
}

export function isReady(node: Node): boolean {
  return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Zone of each node, by node name. */
export async function zonesByNode(): Promise<Map<string, string>> {
  return new Map(
    (await nodes()).map((node) => [node.metadata.name, node.metadata.labels?.[zoneLabel] ?? '']),
  );
}

/**
 * Powers a local-cluster node off (kubelet, containerd and every container killed at once,
 * its traffic dropped) or on again, through hack/local-cluster/node.sh (root).
 */
export async function power(node: string, state: 'off' | 'on'): Promise<void> {
  const script = join(repoRoot, 'hack/local-cluster/node.sh');
  try {
    await run(script, [`power-${state}`, node], { encoding: 'utf8' });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`node.sh power-${state} ${node}: ${stderr?.trim() || message}`, {
      cause: error,
    });
  }
}

export interface Lease {
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
  };
}

export const leaseName = 'notejam-operator.notejam.io';

export async function operatorLease(): Promise<Lease> {
  return JSON.parse(
    await kubectl(['-n', operatorNamespace, 'get', 'lease', leaseName, '-o', 'json']),
  ) as Lease;
}

export interface PodSummary {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { containerStatuses?: { ready: boolean; restartCount: number }[] };
}

export async function operatorPods(): Promise<PodSummary[]> {
  return (
    JSON.parse(
      await kubectl([
        '-n',
        operatorNamespace,
        'get',
        'pods',
        '-l',
        'app.kubernetes.io/name=notejam-operator',
        '-o',
        'json',
      ]),
    ) as { items: PodSummary[] }
  ).items;
}

/**
 * Kills every process of a pod at once (SIGKILL through its cgroups on this host): a crash,
 * with no chance to release a Lease or close connections. The kubelet restarts the
 * containers afterwards, as after any crash.
 */
export async function killPodProcesses(uid: string): Promise<number> {
  const script = `for procs in $(find /sys/fs/cgroup/pids -path "*pod${uid}*" -name cgroup.procs); do
      cat "$procs"; done | sort -u | xargs -r kill -KILL; echo done`;
  const { stdout } = await run('bash', ['-c', script], { encoding: 'utf8' });
  if (!stdout.includes('done')) throw new Error(`could not kill the processes of pod ${uid}`);
  return Date.now();
}

/** The MariaDB of test and prod (hack/kind/mariadb.yaml): whether its one pod is Ready. */
export async function databaseReady(): Promise<boolean> {
  const pods = JSON.parse(
    await kubectl(['-n', databaseNamespace, 'get', 'pods', '-l', databaseSelector, '-o', 'json']),
  ) as { items: { status: { conditions?: { type: string; status: string }[] } }[] };
  return pods.items.some((pod) =>
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

export const databaseNamespace = 'notejam-db';
const databaseSelector = 'app.kubernetes.io/name=mariadb';

/** Stops (0) or starts (1) the MariaDB StatefulSet; resolves once its pod is gone, or Ready. */
export async function scaleDatabase(replicas: 0 | 1): Promise<void> {
  await kubectl([
    '-n',
    databaseNamespace,
    'scale',
    'statefulset',
    'mariadb',
    `--replicas=${replicas}`,
  ]);
  await waitFor(
    replicas === 0 ? 'the MariaDB pod to be gone' : 'the MariaDB pod to be Ready',
    async () => {
      if (replicas === 1) return (await databaseReady()) ? true : undefined;
      const pods = await kubectl([
        '-n',
        databaseNamespace,
        'get',
        'pods',
        '-l',
        databaseSelector,
        '-o',
        'name',
      ]);
      return pods.trim() === '' ? true : undefined;
    },
    { timeoutMs: 5 * 60 * 1000, intervalMs: 1000 },
  );
}

export interface ReplicaSample {
  /** Milliseconds since the load started. */
  atMs: number;
  desired: number;
  ready: number;
  /** Ready app pods per zone. */
  readyByZone: Record<string, number>;
}

interface Pods {
  items: {
    metadata: { deletionTimestamp?: string };
    spec: { nodeName?: string };
    status: { conditions?: { type: string; status: string }[] };
  }[];
}

/** Samples prod's autoscaler and ready pods (by zone) every few seconds until stopped. */
export function sampleReplicas(
  namespace: string,
  instance: string,
  clock: () => number,
  intervalMs = 3000,
): { samples: ReplicaSample[]; stop(): Promise<void> } {
  const samples: ReplicaSample[] = [];
  let running = true;
  const selector = `app.kubernetes.io/name=notejam,app.kubernetes.io/instance=${instance},app.kubernetes.io/component=web`;
  const loop = (async () => {
    const zones = await zonesByNode();
    while (running) {
      const atMs = clock();
      try {
        const [hpa, pods] = await Promise.all([
          kubectl([
            '-n',
            namespace,
            'get',
            'hpa',
            instance,
            '-o',
            'jsonpath={.status.desiredReplicas}',
          ]),
          kubectl(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json']),
        ]);
        const readyByZone: Record<string, number> = {};
        let ready = 0;
        for (const pod of (JSON.parse(pods) as Pods).items) {
          const isReadyPod = pod.status.conditions?.some(
            (c) => c.type === 'Ready' && c.status === 'True',
          );
          if (!isReadyPod || pod.metadata.deletionTimestamp) continue;
          ready += 1;
          const zone = zones.get(pod.spec.nodeName ?? '') ?? 'unknown';
          readyByZone[zone] = (readyByZone[zone] ?? 0) + 1;
        }
        samples.push({ atMs, desired: Number(hpa) || 0, ready, readyByZone });
      } catch {
        // A sample lost to a busy API server leaves a gap in the curve, nothing more.
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

// --- Prometheus ------------------------------------------------------------------------

/** http://<ClusterIP>:9090 of the local cluster's Prometheus (hack/local-cluster/monitoring.sh). */
export async function prometheusUrl(): Promise<string> {
  const ip = (
    await kubectl([
      '-n',
      'monitoring',
      'get',
      'service',
      'prometheus',
      '-o',
      'jsonpath={.spec.clusterIP}',
    ])
  ).trim();
  if (!ip)
    throw new Error('no monitoring/prometheus Service: run hack/local-cluster/monitoring.sh');
  return `http://${ip}:9090`;
}

async function prometheusApi<T>(base: string, path: string): Promise<T> {
  const response = await fetch(`${base}${path}`);
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success')
    throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`);
  return body.data;
}

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** An instant query; the result's vector or matrix samples (a scalar becomes one sample). */
export async function query(base: string, expr: string): Promise<PromSample[]> {
  const data = await prometheusApi<{ resultType: string; result: unknown }>(
    base,
    `/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  if (data.resultType === 'scalar' || data.resultType === 'string')
    return [{ metric: {}, value: data.result as [number, string] }];
  return data.result as PromSample[];
}

export interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}

export async function alerts(base: string): Promise<Alert[]> {
  return (await prometheusApi<{ alerts: Alert[] }>(base, '/api/v1/alerts')).alerts;
}

export interface Target {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export async function activeTargets(base: string): Promise<Target[]> {
  return (await prometheusApi<{ activeTargets: Target[] }>(base, '/api/v1/targets?state=active'))
    .activeTargets;
}
