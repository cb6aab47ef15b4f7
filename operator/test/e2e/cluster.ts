// The end-to-end suite's view of the cluster: kubectl on the current kube context
// (KUBECONFIG), the NotejamInstance of each environment, the objects the operator made for
// it, HTTP access through its Service's ClusterIP, and `step`, which names the phase that
// failed and prints what explains it.
//
// The suite runs on a node of the cluster, or on a host with a route to the service CIDR
// (`make kind-up` adds one for kind): it talks to the app the way other pods do, through
// the ClusterIP and kube-proxy, so a rollout moves the traffic as it moves a client's.
//
// Variables (`make e2e` sets the first two):
//   E2E_NEXT_IMAGE    an app image the cluster can pull, other than the deployed ones: the
//                     "new release" rolled into dev, test and prod
//   E2E_BROKEN_IMAGE  an app image whose `migrate` fails against MariaDB
//                     (operator/test/e2e/images/failing-migration/)
//   KUBECONFIG        the cluster (kubectl's own variable)
import { afterAll, beforeAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export type Environment = 'dev' | 'test' | 'prod';

/** The namespace of the operator (hack/kind/deploy.sh installs its chart there). */
export const operatorNamespace = 'notejam-system';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface SeedStatus {
  key: string;
  users?: number;
  padsPerUser?: number;
  notesPerPad?: number;
  randomSeed?: number;
  seededAt?: string;
}

export interface BackupStatus {
  file: string;
  persistentVolumeClaim?: string;
  schemaVersion?: string;
  sizeBytes?: number;
  rows?: number;
  revision?: string;
  completedAt?: string;
}

export interface Instance {
  metadata: { name: string; namespace: string; generation: number };
  spec: { image: string; paused?: boolean };
  status?: {
    observedGeneration?: number;
    phase?: string;
    deployedImage?: string;
    revision?: string;
    schemaVersion?: string;
    seed?: SeedStatus;
    lastBackup?: BackupStatus;
    readyReplicas?: number;
    conditions?: Condition[];
  };
}

interface Metadata {
  name: string;
  uid: string;
  creationTimestamp: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string; uid: string }>;
}

export interface Job {
  metadata: Metadata;
  status?: {
    completionTime?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  restartCount: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface Pod {
  metadata: Metadata;
  spec: {
    nodeName?: string;
    containers: Array<{
      name: string;
      image: string;
      env?: Array<{ name: string; value?: string }>;
      resources?: { limits?: { memory?: string } };
    }>;
  };
  status: {
    phase?: string;
    reason?: string;
    message?: string;
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

interface List<T> {
  items: T[];
}

/** An image the suite is told about through a variable (see the top of this file). */
export function imageFromEnv(name: 'E2E_NEXT_IMAGE' | 'E2E_BROKEN_IMAGE'): string {
  const image = process.env[name];
  if (!image) {
    throw new Error(
      `${name} must name an app image the cluster can pull (make e2e sets it; see operator/test/e2e/cluster.ts)`,
    );
  }
  return image;
}

/**
 * What went wrong, with the error code when there is one. Not `instanceof Error`: errors
 * made by Node's own modules come from another realm than the tests' under Jest.
 */
export function messageOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof message !== 'string') return String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

const run = promisify(execFile);

/** kubectl with these arguments; never blocks the event loop (the load loops run meanwhile). */
export async function kubectl(args: string[], input?: string): Promise<string> {
  const pending = run('kubectl', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  pending.child.stdin?.end(input);
  try {
    return (await pending).stdout;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${stderr?.trim() || message}`, { cause: error });
  }
}

/** A namespace of the suite's own, under the restricted Pod Security Standard as in samples/. */
export async function createRestrictedNamespace(namespace: string): Promise<void> {
  await kubectl(['create', 'namespace', namespace]);
  await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
}

async function list<T>(namespace: string, resource: string, selector?: string): Promise<T[]> {
  const args = ['-n', namespace, 'get', resource, '-o', 'json'];
  if (selector) args.push('-l', selector);
  return (JSON.parse(await kubectl(args)) as List<T>).items;
}

export function namespaceOf(environment: Environment): string {
  return `notejam-${environment}`;
}

/** The one NotejamInstance of a namespace. */
export async function instanceIn(namespace: string): Promise<Instance> {
  const items = await list<Instance>(namespace, 'notejaminstances');
  if (items.length !== 1) {
    throw new Error(`expected one NotejamInstance in ${namespace}, found ${items.length}`);
  }
  return items[0] as Instance;
}

export function condition(instance: Instance, type: string): Condition | undefined {
  return instance.status?.conditions?.find((entry) => entry.type === type);
}

/**
 * Settled: the operator acted on the current generation, the instance is Ready, nothing is
 * under way and no step failed (a failed migration leaves it Ready on the old revision).
 */
export function isSettled(instance: Instance): boolean {
  return (
    instance.status?.observedGeneration === instance.metadata.generation &&
    condition(instance, 'Ready')?.status === 'True' &&
    condition(instance, 'Progressing')?.status !== 'True' &&
    condition(instance, 'Degraded')?.status !== 'True'
  );
}

/** Polls `probe` until it returns a value; the last error or state is in the timeout's message. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 15 * 60 * 1000, intervalMs = 3000 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const reason = last === undefined ? '' : `: ${messageOf(last)}`;
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${reason}`);
}

/** Waits until the namespace's instance is settled and passes `check`. */
export async function waitSettled(
  namespace: string,
  check: (instance: Instance) => boolean = () => true,
  intervalMs = 3000,
): Promise<Instance> {
  let last: Instance | undefined;
  try {
    return await waitFor(
      `${namespace} to settle`,
      async () => {
        last = await instanceIn(namespace);
        return isSettled(last) && check(last) ? last : undefined;
      },
      { intervalMs },
    );
  } catch (error) {
    const seen = last
      ? ` (last seen: phase ${last.status?.phase ?? '-'}, generation ${last.metadata.generation}, observed ${last.status?.observedGeneration ?? '-'}, revision ${last.status?.revision ?? '-'})`
      : '';
    throw new Error(`${(error as Error).message}${seen}`, { cause: error });
  }
}

/** A merge patch of the namespace's instance; returns it as the API server stored it. */
export async function patchInstance(namespace: string, patch: object): Promise<Instance> {
  const { name } = (await instanceIn(namespace)).metadata;
  return JSON.parse(
    await kubectl([
      '-n',
      namespace,
      'patch',
      'notejaminstance',
      name,
      '--type=merge',
      '-p',
      JSON.stringify(patch),
      '-o',
      'json',
    ]),
  ) as Instance;
}

/** Merges these fields into the spec of the namespace's instance. */
export async function patchSpec(namespace: string, spec: Record<string, unknown>): Promise<void> {
  await patchInstance(namespace, { spec });
}

export function setImage(namespace: string, image: string): Promise<void> {
  return patchSpec(namespace, { image });
}

/**
 * Sets the image and waits until it is deployed as a new revision and settled.
 * `intervalMs`: how often to look (a measured rollout looks more often).
 */
export async function rollOut(
  namespace: string,
  image: string,
  intervalMs?: number,
): Promise<Instance> {
  const before = await instanceIn(namespace);
  await setImage(namespace, image);
  return waitSettled(
    namespace,
    (instance) =>
      instance.spec.image === image && instance.status?.revision !== before.status?.revision,
    intervalMs,
  );
}

/**
 * For the tests of a describe block that change a namespace's image: waits for the
 * instance to settle first and records its image, sets it back and waits to settle after
 * them. Returns a reader of the recorded image.
 */
export function keepsImage(namespace: string): () => string {
  let original: string | undefined;
  beforeAll(() =>
    step(`${namespace}: settled, image recorded`, [namespace], async () => {
      original = (await waitSettled(namespace)).spec.image;
    }),
  );
  afterAll(() =>
    step(`${namespace}: image restored`, [namespace], async () => {
      const image = original;
      if (!image) return;
      await setImage(namespace, image);
      await waitSettled(namespace, (instance) => instance.spec.image === image);
    }),
  );
  return () => {
    if (!original) throw new Error(`the image of ${namespace} was not recorded`);
    return original;
  };
}

/** The settled instance of a namespace and the URL of its Service, as one step. */
export function settledWithService(
  namespace: string,
): Promise<{ instance: Instance; baseUrl: string }> {
  return step(`${namespace}: settled, Service found`, [namespace], async () => ({
    instance: await waitSettled(namespace),
    baseUrl: await serviceUrl(namespace),
  }));
}

/**
 * `http://<ClusterIP>:<port>` of the instance's Service (named like the instance). Every
 * request goes through kube-proxy to a ready endpoint, whichever pods the rollout runs.
 */
export async function serviceUrl(namespace: string, name?: string): Promise<string> {
  const service = name ?? (await instanceIn(namespace)).metadata.name;
  const [ip, port] = (
    await kubectl([
      '-n',
      namespace,
      'get',
      'service',
      service,
      '-o',
      'jsonpath={.spec.clusterIP} {.spec.ports[0].port}',
    ])
  ).split(' ');
  if (!ip || ip === 'None' || !port) {
    throw new Error(`service ${namespace}/${service} has no ClusterIP and port`);
  }
  return `http://${ip}:${port}`;
}

/** The instance's lifecycle Jobs of one kind (`notejam.io/job-kind`). */
export async function lifecycleJobs(
  namespace: string,
  kind: 'backup' | 'wipe' | 'migrate' | 'seed',
  revision?: string,
): Promise<Job[]> {
  const selector = [`notejam.io/job-kind=${kind}`];
  if (revision) selector.push(`notejam.io/revision=${revision}`);
  return list<Job>(namespace, 'jobs', selector.join(','));
}

export function jobSucceeded(job: Job): boolean {
  return !!job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
}

/** The label selector of an instance's app pods (its Service's and Deployment's). */
function appSelector(instance: string): string {
  return `app.kubernetes.io/name=notejam,app.kubernetes.io/instance=${instance},app.kubernetes.io/component=web`;
}

export async function podsOf(namespace: string, selector: string): Promise<Pod[]> {
  return list<Pod>(namespace, 'pods', selector);
}

/**
 * The app pods of an instance (the Service's selector) that are not terminating: a rollout
 * is complete while the old pods still drain their connections.
 */
export async function appPods(namespace: string): Promise<Pod[]> {
  const { name } = (await instanceIn(namespace)).metadata;
  const pods = await podsOf(namespace, appSelector(name));
  return pods.filter((pod) => !pod.metadata.deletionTimestamp);
}

/**
 * The app pods, terminating ones included, once every one of them belongs to the
 * ReplicaSet of the Deployment's current template (owner and pod-template-hash); undefined
 * while a pod of an earlier template is left. A rollout is complete by the Deployment's
 * status while old pods still terminate, yet those still answer the keep-alive connections
 * they hold and keep their database connections open until they exit.
 */
export async function currentTemplatePods(namespace: string): Promise<Pod[] | undefined> {
  const { name } = (await instanceIn(namespace)).metadata;
  const deployment = JSON.parse(
    await kubectl(['-n', namespace, 'get', 'deployment', name, '-o', 'json']),
  ) as { metadata: Metadata & { generation: number }; status?: { observedGeneration?: number } };
  if ((deployment.status?.observedGeneration ?? 0) < deployment.metadata.generation)
    return undefined;
  const revision = deployment.metadata.annotations?.['deployment.kubernetes.io/revision'];
  const current = (
    await list<{ metadata: Metadata }>(namespace, 'replicasets', appSelector(name))
  ).find(
    (set) =>
      set.metadata.ownerReferences?.some((owner) => owner.uid === deployment.metadata.uid) &&
      set.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision,
  );
  const hash = current?.metadata.labels?.['pod-template-hash'];
  if (!current || !hash) return undefined;
  const pods = await podsOf(namespace, appSelector(name));
  return pods.every(
    (pod) =>
      pod.metadata.labels?.['pod-template-hash'] === hash &&
      pod.metadata.ownerReferences?.some((owner) => owner.uid === current.metadata.uid),
  )
    ? pods
    : undefined;
}

/** Waits until no pod of an earlier template is left (`currentTemplatePods`). */
export function onlyCurrentTemplatePods(namespace: string): Promise<Pod[]> {
  return waitFor(
    `${namespace}: no pod of an earlier template left, terminating ones included`,
    () => currentTemplatePods(namespace),
    { intervalMs: 1000 },
  );
}

/** The revision a pod of the Deployment runs (the operator annotates the pod template). */
export function revisionOf(pod: Pod): string | undefined {
  return pod.metadata.annotations?.['notejam.io/revision'];
}

/** One line for a metric docs/benchmarks.md records (`E2E-METRIC name=value ...`). */
export function metric(line: string): void {
  process.stdout.write(`E2E-METRIC ${line}\n`);
}

/** A step's failure: its name, the cause, and the diagnostics of its namespaces. */
class StepError extends Error {}

/**
 * Runs one phase of a test. When it fails, the error names the step and carries what
 * explains it: for each namespace the NotejamInstance conditions, pod phases and container
 * states, the log tail of every container that is not ready or ended in failure (init
 * containers and Job pods included) and the events, plus every operator's log tail and
 * the sections added with `addDiagnostics`. Nested steps report once, from the innermost.
 */
export async function step<T>(
  name: string,
  namespaces: readonly string[],
  phase: () => Promise<T>,
): Promise<T> {
  try {
    return await phase();
  } catch (error) {
    if (error instanceof StepError) throw error;
    const cause = messageOf(error);
    let report: string;
    try {
      report = await diagnostics(namespaces);
    } catch (failure) {
      report = `(diagnostics could not be collected: ${String(failure)})`;
    }
    throw new StepError(`step "${name}" failed: ${cause}\n\n${report}`, { cause: error });
  }
}

const logLines = 80;
const eventLines = 100;

/** More sections for every step's failure report (e.g. Argo CD's view, in the GitOps suite). */
const extraDiagnostics: Array<() => Promise<string>> = [];

export function addDiagnostics(section: () => Promise<string>): void {
  extraDiagnostics.push(section);
}

async function diagnostics(namespaces: readonly string[]): Promise<string> {
  const sections: string[] = [];
  for (const namespace of namespaces) sections.push(await namespaceReport(namespace));
  sections.push(await operatorLogs());
  for (const section of extraDiagnostics) sections.push(await attempt(section));
  return sections.join('\n\n');
}

/** The log tail of every operator pod, wherever it runs (one namespace, or one per environment). */
async function operatorLogs(): Promise<string> {
  const lines = [`=== operator log (last ${logLines} lines per pod) ===`];
  lines.push(
    await attempt(async () => {
      const pods = JSON.parse(
        await kubectl([
          'get',
          'pods',
          '--all-namespaces',
          '-l',
          'app.kubernetes.io/name=notejam-operator',
          '-o',
          'json',
        ]),
      ) as List<Pod & { metadata: { namespace: string } }>;
      const logs: string[] = [];
      for (const pod of pods.items) {
        const { namespace, name } = pod.metadata;
        logs.push(
          `--- ${namespace}/${name} ---`,
          await attempt(() => kubectl(['-n', namespace, 'logs', name, `--tail=${logLines}`])),
        );
      }
      return logs.join('\n') || '(no operator pod)';
    }),
  );
  return lines.join('\n');
}

/** The output of `read`, or why it could not be had: a report never fails on one part. */
async function attempt(read: () => Promise<string>): Promise<string> {
  try {
    return (await read()).trimEnd();
  } catch (error) {
    return `(unavailable: ${messageOf(error)})`;
  }
}

async function namespaceReport(namespace: string): Promise<string> {
  const lines = [`=== namespace ${namespace} ===`, '--- NotejamInstances ---'];
  lines.push(
    await attempt(async () =>
      (await list<Instance>(namespace, 'notejaminstances')).map(describeInstance).join('\n'),
    ),
  );
  lines.push('--- pods ---');
  let pods: Pod[] = [];
  lines.push(
    await attempt(async () => {
      pods = await list<Pod>(namespace, 'pods');
      return pods.map(describePod).join('\n') || '(none)';
    }),
  );
  for (const pod of pods) {
    for (const status of [
      ...(pod.status.initContainerStatuses ?? []),
      ...(pod.status.containerStatuses ?? []),
    ]) {
      const previous = failedEarlier(status);
      if (!needsLogs(status) && !previous) continue;
      const args = ['-n', namespace, 'logs', pod.metadata.name, '-c', status.name];
      lines.push(
        `--- log of ${pod.metadata.name}/${status.name}${previous ? ' (previous run)' : ''}, last ${logLines} lines ---`,
        await attempt(() =>
          kubectl([...args, ...(previous ? ['--previous'] : []), `--tail=${logLines}`]),
        ),
      );
    }
  }
  lines.push(`--- events (last ${eventLines}) ---`);
  lines.push(
    await attempt(async () =>
      (await kubectl(['-n', namespace, 'get', 'events', '--sort-by=.lastTimestamp']))
        .trimEnd()
        .split('\n')
        .slice(-eventLines)
        .join('\n'),
    ),
  );
  return lines.join('\n');
}

/** Running but not ready, waiting, or terminated with a non-zero exit code. */
function needsLogs(status: ContainerStatus): boolean {
  const terminated = status.state?.terminated;
  return terminated ? terminated.exitCode !== 0 : !status.ready;
}

/** Restarted after a failure: the failed run's log is the one that explains it. */
function failedEarlier(status: ContainerStatus): boolean {
  const terminated = status.lastState?.terminated;
  return !!terminated && terminated.exitCode !== 0;
}

function describeInstance(instance: Instance): string {
  const { status } = instance;
  const head =
    `${instance.metadata.name}: phase ${status?.phase ?? '-'}, generation ${instance.metadata.generation} ` +
    `(observed ${status?.observedGeneration ?? '-'}), spec.image ${instance.spec.image}, ` +
    `deployedImage ${status?.deployedImage ?? '-'}, revision ${status?.revision ?? '-'}`;
  const conditions = (status?.conditions ?? []).map(
    (c) => `  ${c.type}=${c.status} (${c.reason ?? ''}): ${c.message ?? ''}`,
  );
  return [head, ...conditions].join('\n');
}

function describeState(state: ContainerState | undefined): string {
  if (state?.running) return 'running';
  if (state?.waiting) {
    const { reason, message } = state.waiting;
    return `waiting (${reason ?? ''}${message ? `: ${message}` : ''})`;
  }
  if (state?.terminated) {
    const { exitCode, reason } = state.terminated;
    return `terminated (exit ${exitCode}${reason ? `, ${reason}` : ''})`;
  }
  return 'unknown';
}

function describePod(pod: Pod): string {
  const { status } = pod;
  const head =
    `${pod.metadata.name}: ${status.phase ?? '-'}` +
    `${pod.metadata.deletionTimestamp ? ' (terminating)' : ''}` +
    `${status.reason ? ` (${status.reason}${status.message ? `: ${status.message}` : ''})` : ''}` +
    `${pod.spec.nodeName ? ` on ${pod.spec.nodeName}` : ''}`;
  const containers = [
    ...(status.initContainerStatuses ?? []).map((s) => ({ kind: 'init ', s })),
    ...(status.containerStatuses ?? []).map((s) => ({ kind: '', s })),
  ].map(
    ({ kind, s }) =>
      `  ${kind}${s.name}: ${describeState(s.state)}, ready ${s.ready}, restarts ${s.restartCount}` +
      `${s.lastState?.terminated ? `, last ${describeState(s.lastState)}` : ''}, image ${s.image}`,
  );
  return [head, ...containers].join('\n');
}
