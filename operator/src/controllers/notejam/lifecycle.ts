// The decision of one reconcile about the database steps of a revision, as a pure function
// of what the reconciler observed: which Job to create, wait for, retry — or that the
// Deployment may move. The reconciler performs the action and writes status and Events
// (docs/design/lifecycle.md, section 3). Level-based: the same observations give the same
// answer, so a restarted operator carries on where the previous one stopped.
import type { V1Job } from '@kubernetes/client-node';
import type { NotejamInstance, Phase } from '../../api/v1alpha1/types.js';
import {
  attemptOf,
  jobKindLabel,
  jobOutcome,
  lifecycleJob,
  lifecycleSteps,
  nextAttempt,
  retriesExhausted,
  retryDueAt,
  seedKey,
  type JobKind,
  type JobTarget,
  type LifecycleJob,
} from './jobs.js';

export interface LifecycleObservation {
  instance: NotejamInstance;
  /**
   * The revision the spec asks for now: resolved image and its revision hash. Undefined
   * when its image is not known to exist (the registry says the tag does not): hold.
   */
  target?: JobTarget;
  /** The revision the Deployment runs, from its own annotation (undefined for a new instance). */
  deployedRevision?: string;
  /** The seed key last loaded (from status), so a seed survives its Job's TTL. */
  seededKey?: string;
  /** The instance's lifecycle Jobs, from the informer. */
  jobs: V1Job[];
  /** uids of running Jobs whose container never started (`jobNeverStarted`). */
  neverStarted?: ReadonlySet<string>;
  /** A Deployment exists: pods serve (the old revision's, or its maintenance page). */
  serving?: boolean;
  /**
   * Every pod of the Deployment runs the maintenance page: it rolled out completely and no
   * pod of an earlier template is left, terminating ones included (they still answer the
   * connections they hold and keep their database connections until they exit).
   */
  maintenanceReady?: boolean;
  /** Pods of an earlier template still there once the maintenance page rolled out. */
  previousPods?: number;
  now: Date;
}

/** A step of the target revision that has succeeded (for MigrationsApplied / Seeded). */
export interface CompletedStep {
  step: JobKind;
  /**
   * The Job that did it; absent for a seed recorded in status whose Job is gone, and for
   * the steps of the deployed revision when only its seed runs again.
   */
  job?: V1Job;
}

export type LifecycleDecision =
  /** No target to work towards (its image does not exist): nothing is created, nothing moves. */
  | { action: 'hold' }
  /** The target is deployed (and seeded as specified): nothing to run, the Deployment stays as it is. */
  | { action: 'steady' }
  /** Every step succeeded: move the Deployment to the target image and record the revision. */
  | { action: 'rollOut'; completed: CompletedStep[] }
  /** Create this Job (POST; 409 AlreadyExists means it is there already: requeue). */
  | { action: 'create'; job: LifecycleJob; phase: Phase; completed: CompletedStep[] }
  /** A Job is running (this revision's, or an older one's that must finish first): wait. */
  | { action: 'wait'; job: V1Job; phase: Phase; completed: CompletedStep[] }
  /**
   * A Job of an older revision that never started (its image cannot be pulled, say):
   * nothing of it ran, so delete it rather than wait for its deadline; the target follows.
   */
  | { action: 'supersede'; job: V1Job }
  /**
   * `create` or `retry`, turned away by the cap on lifecycle Jobs running at once
   * (job-slots.ts): wait for a slot; the reconciler decides this, not `decideLifecycle`.
   */
  | {
      action: 'queued';
      job: LifecycleJob;
      completed: CompletedStep[];
      inUse: number;
      limit: number;
    }
  /** A step failed and its retry is not due: Degraded with the reason and log tail; requeue at `retryAt`. */
  | {
      action: 'backOff';
      job: V1Job;
      step: JobKind;
      reason: string;
      message: string;
      retryAt: Date;
      completed: CompletedStep[];
    }
  /** The retry is due: delete `failed` (propagationPolicy Background), then create `job`. */
  | {
      action: 'retry';
      failed: V1Job;
      job: LifecycleJob;
      phase: Phase;
      completed: CompletedStep[];
    }
  /**
   * A step failed `attempts` times, `spec.lifecycle.maxRetries` used up: Degraded
   * (RetriesExhausted), nothing is retried until the spec or the retry request changes.
   */
  | {
      action: 'exhausted';
      job: V1Job;
      step: JobKind;
      reason: string;
      message: string;
      attempts: number;
      completed: CompletedStep[];
    }
  /**
   * Before a wipe while pods serve: move them to the maintenance page and wait until every
   * pod runs it, so that none serves against a schema being dropped.
   */
  | { action: 'maintenance'; completed: CompletedStep[]; previousPods?: number };

/**
 * Whether the pods answer the maintenance page while this decision is carried out: from a
 * dev wipe on (MySQL) until the new revision rolls out, when a Deployment serves. Before
 * the wipe (a backup first) the old revision still serves.
 */
export function inMaintenance(
  instance: NotejamInstance,
  decision: LifecycleDecision,
  serving: boolean,
): boolean {
  if (!serving || !lifecycleSteps(instance).includes('wipe')) return false;
  switch (decision.action) {
    case 'maintenance':
      return true;
    case 'create':
    case 'wait':
    case 'retry':
    case 'queued':
    case 'backOff':
    case 'exhausted': {
      const job = decision.action === 'retry' ? decision.failed : decision.job;
      const step = job.metadata?.labels?.[jobKindLabel];
      return step !== undefined && step !== 'backup';
    }
    default:
      return false;
  }
}

export const stepPhases: Readonly<Record<JobKind, Phase>> = {
  backup: 'BackingUp',
  wipe: 'Wiping',
  migrate: 'Migrating',
  seed: 'Seeding',
};

/** Names of the target's Jobs: never cleaned up (`jobsToDelete`'s `protect`). */
export function targetJobNames(instance: NotejamInstance, target: JobTarget): Set<string> {
  return new Set(
    lifecycleSteps(instance).map((step) => lifecycleJob(instance, step, target).metadata.name),
  );
}

function toMaintenance(
  observed: LifecycleObservation,
  completed: CompletedStep[],
): LifecycleDecision {
  const { previousPods } = observed;
  return { action: 'maintenance', completed, ...(previousPods ? { previousPods } : {}) };
}

export function decideLifecycle(observed: LifecycleObservation): LifecycleDecision {
  const { instance, target, jobs, now } = observed;
  // Gates before any Job is created, in order: the instance is not paused (the reconciler
  // does not decide at all then); the image exists; no other revision's step is running;
  // before a wipe, every pod shows the maintenance page; a slot is free (the reconciler's
  // `JobSlots`, after this decision); a failed step has retries left.
  if (!target) return { action: 'hold' };
  // The deployed revision's wipe and migrations are done; only a changed seed
  // specification (sizes are not part of the revision) still has work to do.
  const deployed = observed.deployedRevision === target.revision;
  const steps = lifecycleSteps(instance).filter((step) => !deployed || step === 'seed');
  const alreadyDone: CompletedStep[] = deployed
    ? lifecycleSteps(instance)
        .filter((step) => step !== 'seed')
        .map((step) => ({ step }))
    : [];
  const seeded = (step: JobKind) =>
    step === 'seed' && observed.seededKey === seedKey(instance, target.revision);
  if (deployed && steps.every(seeded)) return { action: 'steady' };

  const byName = new Map(jobs.map((job) => [job.metadata?.name, job]));
  const ours = targetJobNames(instance, target);
  // One database step at a time: a step of another revision (the spec changed during a
  // migration) finishes first; killing a MySQL migration half-way would be worse.
  const other = jobs.find(
    (job) => !ours.has(job.metadata?.name ?? '') && jobOutcome(job).state === 'running',
  );
  const otherStep = other?.metadata?.labels?.[jobKindLabel] as JobKind | undefined;
  if (other && observed.neverStarted?.has(other.metadata?.uid ?? '')) {
    return { action: 'supersede', job: other };
  }
  if (other) {
    return {
      action: 'wait',
      job: other,
      phase: stepPhases[otherStep ?? 'migrate'],
      completed: [],
    };
  }

  const completed: CompletedStep[] = [...alreadyDone];
  for (const step of steps) {
    if (seeded(step)) {
      completed.push({ step });
      continue;
    }
    const desired = lifecycleJob(instance, step, target);
    const job = byName.get(desired.metadata.name);
    if (!job) {
      if (step === 'wipe' && observed.serving && !observed.maintenanceReady)
        return toMaintenance(observed, completed);
      return { action: 'create', job: desired, phase: stepPhases[step], completed };
    }
    const outcome = jobOutcome(job);
    if (outcome.state === 'running') {
      return { action: 'wait', job, phase: stepPhases[step], completed };
    }
    if (outcome.state === 'failed') {
      const { reason, message } = outcome;
      if (retriesExhausted(instance, job)) {
        const attempts = attemptOf(job);
        return { action: 'exhausted', job, step, reason, message, attempts, completed };
      }
      const due = retryDueAt(instance, job) ?? now;
      if (now < due)
        return { action: 'backOff', job, step, reason, message, retryAt: due, completed };
      if (step === 'wipe' && observed.serving && !observed.maintenanceReady)
        return toMaintenance(observed, completed);
      const retry = lifecycleJob(instance, step, {
        ...target,
        attempt: nextAttempt(job, instance),
      });
      return { action: 'retry', failed: job, job: retry, phase: stepPhases[step], completed };
    }
    completed.push({ step, job });
  }
  return { action: 'rollOut', completed };
}
