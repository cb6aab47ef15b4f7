/**
 * Plays the Job controller and the kubelet for Jobs, and nothing else, on the test control
 * plane (which has neither): it watches Jobs, runs each Job's container as a LOCAL process
 * (the app image's entrypoint `node dist/cli.js` mapped to this repository's
 * `app/dist/cli.js`) with the environment its pod spec declares — Secret and ConfigMap
 * references resolved through the API — and reports back through the API what the real
 * components would:
 * - a Pod per attempt, labelled and owned like the Job controller's, whose status the
 *   runner sets like a kubelet: `terminated` with the exit code and the termination
 *   message — the content of the file the container wrote (the process gets
 *   `TERMINATION_MESSAGE_PATH`, a fresh temporary file, for the pod's
 *   `terminationMessagePath`), or, when it wrote none, failed and has
 *   `terminationMessagePolicy: FallbackToLogsOnError`, the tail of its output (where the
 *   reconciler reads a succeeded Job's schema version and a failed Job's log tail);
 * - the Job's status: `startTime`, `active`/`ready`, `succeeded`/`failed`, and the terminal
 *   conditions as Kubernetes 1.35 validates them (`SuccessCriteriaMet` then `Complete` with
 *   `completionTime`; `FailureTarget` then `Failed`), honouring `backoffLimit` and
 *   `activeDeadlineSeconds`.
 * A PersistentVolumeClaim mounted by the container is a directory of the runner's, one per
 * claim, kept across Jobs like a real volume (`claimDirectory`): the claim must exist, and
 * arguments naming a path under the mount path are pointed there (the process cannot
 * mount anything). Other volumes (emptyDir /tmp) are the host's.
 * Each finished run is also handed to `onFinished` and to `finished(namespace, name)`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BatchV1Api,
  CoreV1Api,
  Watch,
  type KubeConfig,
  type V1Container,
  type V1ContainerState,
  type V1EnvVar,
  type V1Job,
  type V1JobCondition,
  type V1Pod,
} from '@kubernetes/client-node';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The kubelet keeps at most this much of the log as a termination message. */
const terminationMessageBytes = 2048;
const terminationMessageLines = 80;
/** ...and at most this much of the termination message file. */
const terminationMessageFileBytes = 4096;

export interface JobRun {
  namespace: string;
  name: string;
  uid: string;
  succeeded: boolean;
  /** The exit code of each attempt (null when killed by the deadline). */
  exitCodes: (number | null)[];
  /** The last lines of the final attempt's output (stdout and stderr, interleaved). */
  logTail: string;
  /** The Failed condition's reason when the Job failed. */
  reason?: string;
}

export interface JobRunnerOptions {
  kubeConfig: KubeConfig;
  /** Watch this namespace only; every namespace by default. */
  namespace?: string;
  /** Run only the Jobs matching this label selector. */
  labelSelector?: string;
  /** What the image's ENTRYPOINT stands for locally; default `node <repo>/app/dist/cli.js`. */
  entrypoint?: string[];
  /** The image's WORKDIR locally; default `<repo>/app`. */
  workingDirectory?: string;
  /** Variables every process gets besides the pod's (the host's PATH by default). */
  baseEnvironment?: Record<string, string>;
  /** Pause before a failed attempt is replaced; default 0. */
  retryDelayMs?: number;
  /** Awaited before a Job's first attempt starts (a test can hold a Job running). */
  beforeRun?: (job: V1Job) => Promise<void>;
  /**
   * Whether the kubelet could pull an image; default every image. A Job whose image cannot
   * be pulled gets its pod, which stays Pending in ImagePullBackOff (its container never
   * starts) until the Job is deleted or its deadline passes.
   */
  pullable?: (image: string) => boolean;
  onFinished?: (run: JobRun) => void;
}

type Outcome = { run: JobRun } | { error: Error };

interface RunState {
  processes: Set<ChildProcess>;
  cancelled: boolean;
  /** Aborted when the Job is deleted or the runner stops. */
  cancel: AbortController;
  done: Promise<void>;
}

/** A terminal Job condition as the Job controller writes it. */
const jobCondition = (
  type: string,
  reason: string,
  message: string,
  now: Date,
): V1JobCondition => ({
  type,
  status: 'True',
  reason,
  message,
  lastProbeTime: now,
  lastTransitionTime: now,
});
const isTrue = (job: V1Job, type: string) =>
  (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
const isFinished = (job: V1Job) => isTrue(job, 'Complete') || isTrue(job, 'Failed');
const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/** Keeps the last bytes and lines of a stream of output. */
class OutputTail {
  private text = '';
  append(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-64 * 1024);
  }
  tail(maxBytes: number, maxLines: number): string {
    const lines = this.text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    let result = lines.slice(-maxLines).join('\n');
    while (Buffer.byteLength(result) > maxBytes)
      result = result.slice(result.indexOf('\n') + 1 || 1);
    return result;
  }
}

export class JobRunner {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly runs = new Map<string, RunState>();
  /** Finished runs by Job uid, in the order they finished. */
  private readonly outcomes = new Map<string, { key: string; outcome: Outcome }>();
  private waiters: {
    key: string;
    uid: string | undefined;
    resolve: (run: JobRun) => void;
    reject: (error: Error) => void;
  }[] = [];
  private watchAbort: AbortController | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private volumesRoot: string | undefined;

  constructor(private readonly options: JobRunnerOptions) {
    this.batch = options.kubeConfig.makeApiClient(BatchV1Api);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Starts watching; resolves once the Jobs that already exist have been listed. */
  async start(): Promise<void> {
    await removeAbandonedVolumes();
    this.volumesRoot = await mkdtemp(join(tmpdir(), `${volumesPrefix}${process.pid}-`));
    await this.relist();
    this.loop = this.watchLoop();
  }

  /** Stops watching, kills the processes still running, and waits for their reports. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watchAbort?.abort();
    for (const run of this.runs.values()) {
      run.cancelled = true;
      run.cancel.abort();
      for (const child of run.processes) child.kill('SIGTERM');
    }
    await Promise.allSettled([...this.runs.values()].map((run) => run.done));
    await this.loop;
    if (this.volumesRoot) await rm(this.volumesRoot, { recursive: true, force: true });
  }

  /** The local directory standing for a PersistentVolumeClaim (what the Jobs wrote to it). */
  claimDirectory(namespace: string, claim: string): string {
    if (!this.volumesRoot) throw new Error('the job runner has not started');
    return join(this.volumesRoot, namespace, claim);
  }

  /** [mount path, local directory] of each claim the container mounts; the claims must exist. */
  private async claimMounts(
    namespace: string,
    job: V1Job,
    container: V1Container,
  ): Promise<[string, string][]> {
    const volumes = job.spec?.template.spec?.volumes ?? [];
    const mounts: [string, string][] = [];
    for (const mount of container.volumeMounts ?? []) {
      const claim = volumes.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
      if (!claim) continue;
      await this.core
        .readNamespacedPersistentVolumeClaim({ namespace, name: claim })
        .catch((error: unknown) => {
          // A real pod waits for its claim; this one fails, so a test sees what is missing.
          const missing = (error as { code?: number }).code === 404;
          throw new Error(
            `PersistentVolumeClaim ${claim}: ${missing ? 'not found' : (error as Error).message}`,
          );
        });
      const directory = this.claimDirectory(namespace, claim);
      await mkdir(directory, { recursive: true });
      mounts.push([mount.mountPath, directory]);
    }
    return mounts;
  }

  /**
   * The outcome of a Job run by this runner, once it is finished; rejected when the runner
   * could not run it (e.g. a Secret the pod refers to is missing). With `uid`, the run of
   * exactly that Job object.
   */
  finished(namespace: string, name: string, uid?: string): Promise<JobRun> {
    const key = keyOf(namespace, name);
    // The latest run of that name (a Job deleted and created again is a new run), or of that uid.
    const known = [...this.outcomes]
      .reverse()
      .find(([runUid, run]) => run.key === key && (!uid || runUid === uid));
    if (known) {
      const outcome = known[1].outcome;
      return 'run' in outcome ? Promise.resolve(outcome.run) : Promise.reject(outcome.error);
    }
    return new Promise((resolve, reject) => this.waiters.push({ key, uid, resolve, reject }));
  }

  private settle(uid: string, key: string, outcome: Outcome): void {
    this.outcomes.set(uid, { key, outcome });
    if ('run' in outcome) this.options.onFinished?.(outcome.run);
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.key !== key || (waiter.uid && waiter.uid !== uid)) return true;
      if ('run' in outcome) waiter.resolve(outcome.run);
      else waiter.reject(outcome.error);
      return false;
    });
  }

  private async relist(): Promise<string | undefined> {
    const selector = this.options.labelSelector
      ? { labelSelector: this.options.labelSelector }
      : {};
    const list = this.options.namespace
      ? await this.batch.listNamespacedJob({ namespace: this.options.namespace, ...selector })
      : await this.batch.listJobForAllNamespaces(selector);
    for (const job of list.items) this.consider(job);
    return list.metadata?.resourceVersion;
  }

  /** Watches until stopped; a watch that ends (client-node drops quiet ones) is resumed by a relist. */
  private async watchLoop(): Promise<void> {
    const path = this.options.namespace
      ? `/apis/batch/v1/namespaces/${this.options.namespace}/jobs`
      : '/apis/batch/v1/jobs';
    let resourceVersion: string | undefined;
    while (!this.stopped) {
      try {
        resourceVersion ??= await this.relist();
        await new Promise<void>((resolve, reject) => {
          new Watch(this.options.kubeConfig)
            .watch(
              path,
              {
                labelSelector: this.options.labelSelector,
                resourceVersion,
                allowWatchBookmarks: true,
              },
              (type, object: V1Job) => {
                if (object.metadata?.resourceVersion)
                  resourceVersion = object.metadata.resourceVersion;
                if (type === 'ADDED' || type === 'MODIFIED') this.consider(object);
                else if (type === 'DELETED') this.cancel(object);
                else if (type === 'ERROR') resourceVersion = undefined; // 410 Gone: relist
              },
              (error: unknown) => (error && !this.stopped ? reject(error) : resolve()),
            )
            .then((abort) => {
              this.watchAbort = abort;
              if (this.stopped) abort.abort();
            }, reject);
        });
      } catch {
        resourceVersion = undefined;
        if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private consider(job: V1Job): void {
    const { namespace, name, uid } = job.metadata ?? {};
    if (!namespace || !name || !uid || this.stopped || this.runs.has(uid)) return;
    if (isFinished(job) || job.spec?.suspend) return;
    const state: RunState = {
      processes: new Set(),
      cancelled: false,
      cancel: new AbortController(),
      done: Promise.resolve(),
    };
    this.runs.set(uid, state);
    state.done = this.run(job, state).catch((error: unknown) => {
      // A Job deleted mid-run, or the runner stopped: nothing left to report to.
      if (state.cancelled || this.stopped) return;
      const cause = error instanceof Error ? error : new Error(String(error));
      this.settle(uid, keyOf(namespace, name), {
        error: new Error(`the job runner could not run ${namespace}/${name}: ${cause.message}`, {
          cause,
        }),
      });
    });
  }

  private cancel(job: V1Job): void {
    const state = this.runs.get(job.metadata?.uid ?? '');
    if (!state) return;
    state.cancelled = true;
    state.cancel.abort();
    for (const child of state.processes) child.kill('SIGTERM');
  }

  private async run(job: V1Job, state: RunState): Promise<void> {
    const namespace = job.metadata!.namespace!;
    const name = job.metadata!.name!;
    const container = job.spec?.template.spec?.containers[0];
    if (!container) throw new Error(`Job ${namespace}/${name} has no container`);
    if (this.options.pullable && !this.options.pullable(container.image ?? '')) {
      await this.neverPulled(job, container, state);
      return;
    }
    await this.options.beforeRun?.(job);

    const startTime = job.status?.startTime ?? new Date();
    await this.updateJobStatus(namespace, name, (status) => {
      status.startTime = status.startTime ?? startTime;
      status.active = 1;
      status.ready = 1;
      status.terminating = 0;
    });
    const backoffLimit = job.spec?.backoffLimit ?? 6;
    const deadline = job.spec?.activeDeadlineSeconds;
    const deadlineAt =
      deadline === undefined ? undefined : new Date(startTime).getTime() + deadline * 1000;
    const exitCodes: (number | null)[] = [];
    let tail: string;
    let failure: { reason: string; message: string } | undefined;
    for (;;) {
      const attempt = await this.runAttempt(job, container, state, deadlineAt);
      if (state.cancelled) return;
      exitCodes.push(attempt.exitCode);
      tail = attempt.tail;
      if (attempt.exitCode === 0) break;
      if (attempt.deadlineExceeded) {
        failure = {
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
        };
      } else if (exitCodes.length > backoffLimit) {
        failure = {
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        };
      }
      if (failure) break;
      await this.updateJobStatus(namespace, name, (status) => {
        status.failed = exitCodes.length;
      });
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 0));
    }

    const now = new Date();
    const condition = (type: string, reason: string, message = '') =>
      jobCondition(type, reason, message, now);
    await this.updateJobStatus(namespace, name, (status) => {
      status.active = 0;
      status.ready = 0;
      status.failed = exitCodes.filter((code) => code !== 0).length;
      if (failure) {
        // The Job controller first marks the target, then the terminal condition.
        status.conditions = [
          ...(status.conditions ?? []),
          condition('FailureTarget', failure.reason, failure.message),
          condition('Failed', failure.reason, failure.message),
        ];
      } else {
        status.succeeded = 1;
        status.completionTime = now;
        status.conditions = [
          ...(status.conditions ?? []),
          condition(
            'SuccessCriteriaMet',
            'CompletionsReached',
            'Reached expected number of succeeded pods',
          ),
          condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
        ];
      }
    });
    const result: JobRun = {
      namespace,
      name,
      uid: job.metadata!.uid!,
      succeeded: !failure,
      exitCodes,
      logTail: tail,
      ...(failure ? { reason: failure.reason } : {}),
    };
    this.settle(result.uid, keyOf(namespace, name), { run: result });
  }

  /**
   * A Job whose image the kubelet cannot pull: its pod is created and reported Pending in
   * ImagePullBackOff, the Job active but never ready, until the Job is deleted (or its
   * deadline fails it, as the Job controller would).
   */
  private async neverPulled(job: V1Job, container: V1Container, state: RunState): Promise<void> {
    const namespace = job.metadata!.namespace!;
    const name = job.metadata!.name!;
    const startTime = job.status?.startTime ?? new Date();
    await this.updateJobStatus(namespace, name, (status) => {
      status.startTime = status.startTime ?? startTime;
      status.active = 1;
      status.ready = 0;
      status.terminating = 0;
    });
    const pod = await this.createPod(job);
    await this.reportPod(pod, container, 'Pending', {
      waiting: {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${container.image}"`,
      },
    });
    const deadline = job.spec?.activeDeadlineSeconds;
    const expired = await new Promise<boolean>((resolve) => {
      const timer =
        deadline === undefined
          ? undefined
          : setTimeout(
              () => resolve(true),
              Math.max(0, new Date(startTime).getTime() + deadline * 1000 - Date.now()),
            );
      state.cancel.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!expired) return;
    const now = new Date();
    const failed = (type: string) =>
      jobCondition(type, 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
    await this.updateJobStatus(namespace, name, (status) => {
      status.active = 0;
      status.conditions = [...(status.conditions ?? []), failed('FailureTarget'), failed('Failed')];
    });
    this.settle(job.metadata!.uid!, keyOf(namespace, name), {
      run: {
        namespace,
        name,
        uid: job.metadata!.uid!,
        succeeded: false,
        exitCodes: [],
        logTail: '',
        reason: 'DeadlineExceeded',
      },
    });
  }

  /** One pod: created like the Job controller does, run, and its status set like a kubelet. */
  private async runAttempt(
    job: V1Job,
    container: V1Container,
    state: RunState,
    deadlineAt: number | undefined,
  ): Promise<{ exitCode: number | null; tail: string; deadlineExceeded: boolean }> {
    const namespace = job.metadata!.namespace!;
    const pod = await this.createPod(job);
    // Both throw for what a real pod would wait for (a missing Secret or claim).
    const environment = await this.environment(namespace, pod, container);
    const mounts = await this.claimMounts(namespace, job, container);
    // The pod's terminationMessagePath, mapped to a file of this attempt's own; made after
    // what can throw, so that it is always removed once the process has exited.
    const podDir = await mkdtemp(join(tmpdir(), 'notejam-job-pod-'));
    const terminationLog = join(podDir, 'termination-log');
    const env = { ...environment, TERMINATION_MESSAGE_PATH: terminationLog };
    const [command, ...entryArgs] = container.command ??
      this.options.entrypoint ?? [process.execPath, join(repoRoot, 'app/dist/cli.js')];
    const local = (arg: string) => {
      const mount = mounts.find(([path]) => arg === path || arg.startsWith(`${path}/`));
      return mount ? mount[1] + arg.slice(mount[0].length) : arg;
    };
    const args = [...entryArgs, ...(container.args ?? []).map(local)];
    const output = new OutputTail();
    const startedAt = new Date();
    const child = spawn(command!, args, {
      cwd: container.workingDir ?? this.options.workingDirectory ?? join(repoRoot, 'app'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    state.processes.add(child);
    child.stdout?.on('data', (chunk: Buffer) => output.append(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.append(chunk));
    let deadlineExceeded = false;
    const timer =
      deadlineAt === undefined
        ? undefined
        : setTimeout(
            () => {
              deadlineExceeded = true;
              child.kill('SIGKILL');
            },
            Math.max(0, deadlineAt - Date.now()),
          );
    const exitCode = await new Promise<number | null>((resolve) => {
      child.once('error', (error) => {
        output.append(Buffer.from(`${error.message}\n`));
        resolve(127);
      });
      child.once('close', (code) => resolve(code));
    });
    clearTimeout(timer);
    state.processes.delete(child);
    const tail = output.tail(terminationMessageBytes, terminationMessageLines);
    const written = await readFile(terminationLog)
      .then((content) => content.subarray(0, terminationMessageFileBytes).toString('utf8'))
      .catch(() => '');
    await rm(podDir, { recursive: true, force: true });
    if (!state.cancelled) {
      const code = exitCode ?? 137;
      const fallbackToLogs = container.terminationMessagePolicy === 'FallbackToLogsOnError';
      const message = written || (code !== 0 && fallbackToLogs ? tail : '');
      await this.reportPod(
        pod,
        container,
        code === 0 ? 'Succeeded' : 'Failed',
        {
          terminated: {
            exitCode: code,
            reason: code === 0 ? 'Completed' : deadlineExceeded ? 'DeadlineExceeded' : 'Error',
            startedAt,
            finishedAt: new Date(),
            ...(message ? { message } : {}),
          },
        },
        startedAt,
      );
    }
    return { exitCode, tail, deadlineExceeded };
  }

  /** Sets the pod's status as the kubelet reports it: its phase and its one container's state. */
  private async reportPod(
    pod: V1Pod,
    container: V1Container,
    phase: string,
    state: V1ContainerState,
    startTime?: Date,
  ): Promise<void> {
    await this.core.replaceNamespacedPodStatus({
      namespace: pod.metadata!.namespace!,
      name: pod.metadata!.name!,
      body: {
        ...pod,
        status: {
          phase,
          ...(startTime ? { startTime } : {}),
          containerStatuses: [
            {
              name: container.name,
              image: container.image ?? '',
              imageID: '',
              ready: false,
              started: false,
              restartCount: 0,
              state,
            },
          ],
        },
      },
    });
  }

  private async createPod(job: V1Job): Promise<V1Pod> {
    const template = job.spec!.template;
    const name = `${job.metadata!.name!.slice(0, 57)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    return this.core.createNamespacedPod({
      namespace: job.metadata!.namespace!,
      body: {
        metadata: {
          name,
          labels: {
            ...template.metadata?.labels,
            'batch.kubernetes.io/job-name': job.metadata!.name!,
            'job-name': job.metadata!.name!,
          },
          annotations: template.metadata?.annotations,
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              name: job.metadata!.name!,
              uid: job.metadata!.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        // "Scheduled" onto a node that is this process.
        spec: { ...template.spec!, nodeName: 'notejam-job-runner' },
      },
    });
  }

  /** The container's environment as the kubelet assembles it (envFrom, then env in order). */
  private async environment(
    namespace: string,
    pod: V1Pod,
    container: V1Container,
  ): Promise<Record<string, string>> {
    const env: Record<string, string> = {
      ...(this.options.baseEnvironment ?? { PATH: process.env.PATH ?? '' }),
    };
    const secrets = new Map<string, Promise<Record<string, string>>>();
    const configMaps = new Map<string, Promise<Record<string, string>>>();
    const secret = (name: string) => {
      if (!secrets.has(name)) {
        secrets.set(
          name,
          this.core
            .readNamespacedSecret({ namespace, name })
            .then((s) =>
              Object.fromEntries(
                Object.entries(s.data ?? {}).map(([k, v]) => [
                  k,
                  Buffer.from(v, 'base64').toString('utf8'),
                ]),
              ),
            ),
        );
      }
      return secrets.get(name)!;
    };
    const configMap = (name: string) => {
      if (!configMaps.has(name)) {
        configMaps.set(
          name,
          this.core.readNamespacedConfigMap({ namespace, name }).then((c) => c.data ?? {}),
        );
      }
      return configMaps.get(name)!;
    };
    for (const source of container.envFrom ?? []) {
      const values = source.secretRef
        ? await secret(source.secretRef.name!)
        : source.configMapRef
          ? await configMap(source.configMapRef.name!)
          : {};
      for (const [key, value] of Object.entries(values))
        env[`${source.prefix ?? ''}${key}`] = value;
    }
    for (const variable of container.env ?? []) {
      const value = await this.valueOf(variable, pod, secret, configMap);
      if (value !== undefined)
        env[variable.name] = value.replace(
          /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
          (all, ref: string) => env[ref] ?? all,
        );
    }
    return env;
  }

  private async valueOf(
    variable: V1EnvVar,
    pod: V1Pod,
    secret: (name: string) => Promise<Record<string, string>>,
    configMap: (name: string) => Promise<Record<string, string>>,
  ): Promise<string | undefined> {
    const from = variable.valueFrom;
    if (!from) return variable.value ?? '';
    const lookup = async (
      ref: { name?: string; key: string; optional?: boolean },
      read: typeof secret,
      what: string,
    ) => {
      const values = await read(ref.name ?? '').catch((error: unknown) => {
        if (ref.optional) return {} as Record<string, string>;
        throw new Error(`${what} ${ref.name} for ${variable.name}: ${(error as Error).message}`);
      });
      if (!(ref.key in values) && !ref.optional)
        throw new Error(`${what} ${ref.name} has no key ${ref.key} (for ${variable.name})`);
      return values[ref.key];
    };
    if (from.secretKeyRef) return lookup(from.secretKeyRef, secret, 'Secret');
    if (from.configMapKeyRef) return lookup(from.configMapKeyRef, configMap, 'ConfigMap');
    if (from.fieldRef) {
      const fields: Record<string, string | undefined> = {
        'metadata.name': pod.metadata?.name,
        'metadata.namespace': pod.metadata?.namespace,
        'spec.nodeName': pod.spec?.nodeName,
        'spec.serviceAccountName': pod.spec?.serviceAccountName,
      };
      return fields[from.fieldRef.fieldPath];
    }
    throw new Error(`unsupported valueFrom for ${variable.name}`);
  }

  /** Read-modify-write of the Job's status, retried on conflicts (as the Job controller does). */
  private async updateJobStatus(
    namespace: string,
    name: string,
    change: (status: NonNullable<V1Job['status']>) => void,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const job = await this.batch.readNamespacedJobStatus({ namespace, name });
      job.status = job.status ?? {};
      change(job.status);
      try {
        await this.batch.replaceNamespacedJobStatus({ namespace, name, body: job });
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 409 || attempt >= 5) throw error;
      }
    }
  }
}

const volumesPrefix = 'notejam-job-volumes-';
const volumesOwner = new RegExp(`^${volumesPrefix}(\\d+)-`);

/**
 * Removes the claim directories (`notejam-job-volumes-<pid>-*` in `dir`) of runners whose
 * process is gone: `stop` removes a runner's own, but a killed test run never gets there.
 * Returns the names removed.
 */
export async function removeAbandonedVolumes(dir = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const pid = volumesOwner.exec(name)?.[1];
    if (pid === undefined || processExists(Number(pid))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
