// The deployment lifecycle's Jobs (backup, wipe, migrate, seed): pure builders of the desired Jobs
// of one revision, and pure readings of the Jobs and Pods the cluster reports back. The
// reconciler decides when to create, wait, retry or clean up; see docs/design/lifecycle.md.
import type { V1Container, V1Job, V1Pod } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { backupArgs, backupEnabled, backupVolume } from './backup.js';
import { labels, ownerReference, type OwnedMetadata } from './labels.js';
import { appContainerName, podTemplate } from './pod-template.js';
import { stableHash } from '../../runtime/canonical-json.js';
import { revisionAnnotation, revisionLength } from './revision.js';

/** The database steps a new revision can need, in the order they run. */
export const jobKinds = ['backup', 'wipe', 'migrate', 'seed'] as const;
export type JobKind = (typeof jobKinds)[number];

/** Label naming the step a Job performs (selects a kind's history). */
export const jobKindLabel = 'notejam.io/job-kind';
/** Label naming the revision a Job was created for. */
export const jobRevisionLabel = revisionAnnotation;
/** Label holding the seed key (seed Jobs only): which data set, for which database state. */
export const seedKeyLabel = 'notejam.io/seed-key';
/** Annotation counting the operator's attempts at one Job name (for the retry backoff). */
export const attemptAnnotation = 'notejam.io/attempt';
/** Annotation recording the instance's `metadata.generation` a Job was created for. */
export const generationAnnotation = 'notejam.io/generation';
/**
 * The instance annotation a person sets to a new value (any: a date, a counter) to ask
 * for another attempt after the retries ran out; a Job records the value it was created
 * under, so the operator sees when it changed.
 */
export const retryAnnotation = 'notejam.io/retry';
/** `app.kubernetes.io/component` of the Jobs and their pods: never the app pods' `web`. */
export const lifecycleComponent = 'lifecycle';

/** Limits of one Job. */
export interface JobPolicy {
  /** Pod retries by the Job controller (a transient database outage). */
  backoffLimit: number;
  /** Wall-clock limit of the whole Job, retries included. */
  activeDeadlineSeconds: number;
  /** The Job (and its pods) are deleted this long after finishing. */
  ttlSecondsAfterFinished: number;
}

const oneWeek = 7 * 24 * 3600;
/** Seeding ten million notes takes long, and so may backing them up; a migration or a wipe does not. */
export const jobPolicies: Readonly<Record<JobKind, JobPolicy>> = {
  backup: { backoffLimit: 2, activeDeadlineSeconds: 2 * 3600, ttlSecondsAfterFinished: oneWeek },
  wipe: { backoffLimit: 2, activeDeadlineSeconds: 10 * 60, ttlSecondsAfterFinished: oneWeek },
  migrate: { backoffLimit: 2, activeDeadlineSeconds: 30 * 60, ttlSecondsAfterFinished: oneWeek },
  seed: { backoffLimit: 2, activeDeadlineSeconds: 2 * 3600, ttlSecondsAfterFinished: oneWeek },
};

/**
 * The Jobs a new revision runs before the Deployment moves to it, in order: the backup
 * first (the data as the deployed revision left it), then the rest. A SQLite database lives
 * in the app pod's own volume, out of reach of a Job: the pod migrates it (init container)
 * and `wipe` is a fresh volume, so SQLite needs no Job.
 */
export function lifecycleSteps(instance: NotejamInstance): JobKind[] {
  const { database, lifecycle } = instance.spec;
  if (database.type !== 'mysql') return [];
  const steps: JobKind[] = [];
  if (backupEnabled(instance)) steps.push('backup');
  if (lifecycle.onDeploy === 'wipe') steps.push('wipe');
  steps.push('migrate');
  if (lifecycle.seed.enabled) steps.push('seed');
  return steps;
}

/**
 * Identifies one seeding: the data set (sizes and random seed) and, when every revision
 * starts from a wiped database, the revision. A seed Job is named from it, so the same
 * specification is loaded once, and a changed one is loaded again.
 */
export function seedKey(instance: NotejamInstance, revision: string): string {
  const { users, padsPerUser, notesPerPad, randomSeed } = instance.spec.lifecycle.seed;
  const afterWipe = instance.spec.lifecycle.onDeploy === 'wipe' ? revision : undefined;
  return stableHash({ users, padsPerUser, notesPerPad, randomSeed, afterWipe }, revisionLength);
}

const maxNameLength = 63; // a Job's name is also a label value on its pods
const hashLength = 10;

/**
 * `<instance>-<kind>-<hash>`: a Job's pod template is immutable, so what it runs (the
 * revision, or the seed key) is part of its name, and one name is never run twice at once.
 */
export function jobName(instance: NotejamInstance, kind: JobKind, key: string): string {
  const suffix = `-${kind}-${key.slice(0, hashLength)}`;
  const prefix = instance.metadata.name.slice(0, maxNameLength - suffix.length).replace(/-+$/, '');
  return `${prefix}${suffix}`;
}

/** What a lifecycle Job runs: the revision being deployed. */
export interface JobTarget {
  /** The image of the new revision (a digest reference once resolved). */
  image: string;
  /** The revision hash (revision.ts) of that image and spec. */
  revision: string;
  /** The operator's attempt at this Job name, from 1 (see `nextAttempt`). */
  attempt?: number;
}

/** The app's command line for a step (the image's entrypoint is `node dist/cli.js`). */
export function jobArgs(instance: NotejamInstance, kind: JobKind, revision: string): string[] {
  switch (kind) {
    case 'backup':
      return backupArgs(instance, revision);
    case 'migrate':
      return ['migrate'];
    case 'wipe':
      return ['wipe', '--yes'];
    case 'seed': {
      const { users, padsPerUser, notesPerPad, randomSeed } = instance.spec.lifecycle.seed;
      return [
        'seed',
        '--users',
        String(users),
        '--pads-per-user',
        String(padsPerUser),
        '--notes-per-pad',
        String(notesPerPad),
        '--seed',
        String(randomSeed),
      ];
    }
  }
}

export type LifecycleJob = V1Job & { apiVersion: 'batch/v1'; kind: 'Job'; metadata: OwnedMetadata };

/**
 * The Job running `kind` for `target`. Its pod is the app pod of that revision (same
 * image, environment — database settings by Secret reference — security context,
 * service account and pull secrets) reduced to one container that runs the step and exits.
 */
export function lifecycleJob(
  instance: NotejamInstance,
  kind: JobKind,
  target: JobTarget,
  policy: JobPolicy = jobPolicies[kind],
): LifecycleJob {
  const key = kind === 'seed' ? seedKey(instance, target.revision) : target.revision;
  const name = jobName(instance, kind, key);
  const appPod = podTemplate(instance, target.image);
  const podSpec = appPod.spec;
  const app = podSpec?.containers.find((c) => c.name === appContainerName);
  if (!podSpec || !app) throw new Error('the app pod template has no app container');

  const jobLabels: Record<string, string> = {
    ...labels(instance, 'web'),
    'app.kubernetes.io/component': lifecycleComponent,
    [jobKindLabel]: kind,
    [jobRevisionLabel]: target.revision,
  };
  if (kind === 'seed') jobLabels[seedKeyLabel] = key;

  const backups = kind === 'backup' ? backupVolume(instance) : undefined;
  const container: V1Container = {
    name: kind,
    image: app.image,
    ...(app.imagePullPolicy ? { imagePullPolicy: app.imagePullPolicy } : {}),
    args: jobArgs(instance, kind, target.revision),
    env: app.env,
    resources: app.resources,
    securityContext: app.securityContext,
    volumeMounts: [...(app.volumeMounts ?? []), ...(backups ? [backups.mount] : [])],
    // The pod status carries what the reconciler reads without the pods/log API: the
    // schema version the app writes to /dev/termination-log (schema-version.ts) and,
    // when a container fails without writing it, its last log lines (`failureLogTail`).
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  const { initContainers: _appInit, containers: _appContainers, volumes, ...shared } = podSpec;
  const retryRequest = instance.metadata.annotations?.[retryAnnotation];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: instance.metadata.namespace,
      labels: jobLabels,
      annotations: {
        [attemptAnnotation]: String(target.attempt ?? 1),
        [generationAnnotation]: String(instance.metadata.generation ?? 0),
        ...(retryRequest === undefined ? {} : { [retryAnnotation]: retryRequest }),
      },
      ownerReferences: [ownerReference(instance)],
    },
    spec: {
      backoffLimit: policy.backoffLimit,
      activeDeadlineSeconds: policy.activeDeadlineSeconds,
      ttlSecondsAfterFinished: policy.ttlSecondsAfterFinished,
      completions: 1,
      parallelism: 1,
      // A replacement pod starts only once the failed one is gone: two migrations of one
      // database never run at the same time.
      podReplacementPolicy: 'Failed',
      template: {
        metadata: { labels: { ...jobLabels } },
        spec: {
          ...shared,
          restartPolicy: 'Never',
          containers: [container],
          volumes: [...(volumes ?? []), ...(backups ? [backups.volume] : [])],
        },
      },
    },
  };
}

/** Where a Job stands, read from its `Complete`/`Failed` conditions only (never counters). */
export type JobOutcome =
  | { state: 'running' }
  | { state: 'succeeded'; finishedAt?: Date }
  | { state: 'failed'; reason: string; message: string; finishedAt?: Date };

export function jobOutcome(job: V1Job): JobOutcome {
  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const complete = isTrue('Complete');
  if (complete) return { state: 'succeeded', finishedAt: asDate(complete.lastTransitionTime) };
  const failed = isTrue('Failed');
  if (failed) {
    return {
      state: 'failed',
      reason: failed.reason || 'JobFailed',
      message: failed.message || 'the Job failed',
      finishedAt: asDate(failed.lastTransitionTime),
    };
  }
  return { state: 'running' };
}

function asDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value : new Date(value);
}

/**
 * Label the API server puts on a Job's pod template, and so on its pods: the Job's uid.
 * Matching pods by it, never by the Job's name, keeps apart the pods of a Job and of an
 * earlier one of the same name (a retry, a revision run again) still being collected.
 */
export const jobUidLabel = 'batch.kubernetes.io/controller-uid';

/** Selects the pods of exactly this Job. */
export function jobPodSelector(job: V1Job): string {
  return `${jobUidLabel}=${job.metadata?.uid ?? ''}`;
}

/** Whether `pod` belongs to exactly this Job. */
export function isPodOf(job: V1Job, pod: V1Pod): boolean {
  return !!job.metadata?.uid && pod.metadata?.labels?.[jobUidLabel] === job.metadata.uid;
}

/** Why a container waits that it will not get past by itself (kubelet reasons). */
const blockedReasons = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/**
 * Whether a running Job is stuck before its container ever started: every pod of it is
 * Pending, unschedulable or with its container held back for good (its image cannot be
 * pulled, its configuration is broken), and none ever ran. Deleting such a Job undoes
 * nothing, since no step of it has run. A Job without pods yet, or whose container is
 * still being created, may be about to start: it does not count.
 */
export function jobNeverStarted(job: V1Job, pods: V1Pod[]): boolean {
  const status = job.status ?? {};
  if ((status.succeeded ?? 0) > 0 || (status.failed ?? 0) > 0 || (status.ready ?? 0) > 0)
    return false;
  const own = pods.filter((pod) => isPodOf(job, pod));
  return (
    own.length > 0 &&
    own.every((pod) => {
      if (pod.status?.phase !== 'Pending') return false;
      const containers = pod.status.containerStatuses ?? [];
      const ran = containers.some(
        (c) => c.started || c.state?.running || c.state?.terminated || c.lastState?.terminated,
      );
      const unschedulable = pod.status.conditions?.some(
        (c) => c.type === 'PodScheduled' && c.status === 'False',
      );
      const heldBack =
        containers.length > 0 &&
        containers.every((c) => blockedReasons.has(c.state?.waiting?.reason ?? ''));
      return !ran && (unschedulable || heldBack);
    })
  );
}

/**
 * The tail of the log of the Job's most recent failed container, as the kubelet put it in
 * the pod status (`terminationMessagePolicy: FallbackToLogsOnError`), or undefined.
 */
export function failureLogTail(job: V1Job, pods: V1Pod[]): string | undefined {
  const container = job.spec?.template.spec?.containers[0]?.name;
  const messages = pods
    .filter((pod) => isPodOf(job, pod))
    .flatMap((pod) =>
      (pod.status?.containerStatuses ?? [])
        .filter((status) => status.name === container)
        .map((status) => status.state?.terminated ?? status.lastState?.terminated)
        .filter((terminated) => terminated && terminated.exitCode !== 0 && terminated.message)
        .map((terminated) => ({
          at: asDate(terminated?.finishedAt)?.getTime() ?? 0,
          message: terminated?.message ?? '',
        })),
    )
    .sort((a, b) => b.at - a.at);
  return messages[0]?.message.trimEnd();
}

/** The operator's attempt number recorded on a Job (1 when absent or unreadable). */
export function attemptOf(job: V1Job): number {
  const value = Number(job.metadata?.annotations?.[attemptAnnotation]);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

/** Delay before the operator recreates a failed Job: 30 s, doubling, at most 10 minutes. */
export function retryDelaySeconds(failedAttempt: number): number {
  return Math.min(30 * 2 ** Math.max(0, failedAttempt - 1), 600);
}

/**
 * When a failed Job may be deleted and created again (the same name: the same revision),
 * or undefined when the Job has not failed.
 */
export function retryAt(job: V1Job): Date | undefined {
  const outcome = jobOutcome(job);
  if (outcome.state !== 'failed') return undefined;
  const failedAt = outcome.finishedAt ?? asDate(job.metadata?.creationTimestamp) ?? new Date(0);
  return new Date(failedAt.getTime() + retryDelaySeconds(attemptOf(job)) * 1000);
}

/**
 * Whether a Job was created for the instance as it is now: the same spec (generation) and
 * the same retry request (annotation). When either changed, a failure of the Job is
 * history: the next attempt is due at once and counts from 1 again.
 */
export function createdForCurrentSpec(instance: NotejamInstance, job: V1Job): boolean {
  const annotations = job.metadata?.annotations ?? {};
  return (
    annotations[generationAnnotation] === String(instance.metadata.generation ?? 0) &&
    annotations[retryAnnotation] === instance.metadata.annotations?.[retryAnnotation]
  );
}

/**
 * Whether a failed Job has used up `spec.lifecycle.maxRetries` for the spec and retry
 * request it was created under: then nothing is retried until either changes.
 */
export function retriesExhausted(instance: NotejamInstance, job: V1Job): boolean {
  return (
    jobOutcome(job).state === 'failed' &&
    createdForCurrentSpec(instance, job) &&
    attemptOf(job) > instance.spec.lifecycle.maxRetries
  );
}

/**
 * When a failed Job may be recreated for the instance as it is now: at `retryAt` (the
 * backoff), or at once when the spec or the retry request changed since it was created.
 */
export function retryDueAt(instance: NotejamInstance, job: V1Job): Date | undefined {
  const due = retryAt(job);
  if (due === undefined) return undefined;
  return createdForCurrentSpec(instance, job) ? due : new Date(0);
}

/** The attempt number of the Job that replaces a failed one (1 again after a spec change or a retry request). */
export function nextAttempt(failedJob: V1Job, instance: NotejamInstance): number {
  if (!createdForCurrentSpec(instance, failedJob)) return 1;
  return attemptOf(failedJob) + 1;
}

/**
 * The finished Jobs to delete so that each kind keeps its `keep` most recent finished
 * Jobs. Running Jobs and the `protect`ed names (the current revision's) are always kept.
 */
export function jobsToDelete(
  jobs: V1Job[],
  keep: number,
  protect: ReadonlySet<string> = new Set(),
): V1Job[] {
  const finishedByKind = new Map<string, V1Job[]>();
  for (const job of jobs) {
    const kind = job.metadata?.labels?.[jobKindLabel];
    if (!kind || protect.has(job.metadata?.name ?? '') || jobOutcome(job).state === 'running')
      continue;
    finishedByKind.set(kind, [...(finishedByKind.get(kind) ?? []), job]);
  }
  const created = (job: V1Job) => asDate(job.metadata?.creationTimestamp)?.getTime() ?? 0;
  return [...finishedByKind.values()].flatMap((finished) =>
    finished.sort((a, b) => created(b) - created(a)).slice(keep),
  );
}
