/**
 * The instance's status as a pure function of what the reconciler observed. Conditions
 * keep their lastTransitionTime while their status stays the same, so observing the same
 * world twice yields an identical status, and the reconciler writes nothing.
 */
import type { V1Deployment, V1DeploymentCondition } from '@kubernetes/client-node';
import {
  conditionTypes,
  type Condition,
  type ConditionStatus,
  type NotejamInstance,
  type NotejamInstanceStatus,
  type Phase,
} from '../../api/v1alpha1/types.js';
import { canonicalJson } from '../../runtime/canonical-json.js';
import type { StepFailure } from './failures.js';
import { selectorLabels } from './labels.js';

export interface Observation {
  /** The instance's Deployment as the cache shows it; undefined before it exists. */
  deployment: V1Deployment | undefined;
  /** What the Deployment runs after this reconcile (moved on rollOut), for status.revision. */
  deployed?: { image: string; revision?: string };
  /** The steps of this reconcile that failed (failures.ts), in the order they ran. */
  failures?: readonly StepFailure[];
  /** `monitoring.serviceMonitor` is set but the ServiceMonitor CRD is not installed. */
  serviceMonitorUnavailable?: boolean;
  /** Where the deployment lifecycle stands (lifecycle.ts' decision, as performed). */
  lifecycle?: LifecycleReport;
  /** spec.paused: the operator changed nothing this time. */
  paused?: boolean;
}

export type ConditionInput = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/** What one reconcile's lifecycle step did and found, for the status. */
export interface LifecycleReport {
  /** Wiping, Migrating or Seeding while a database step of a new revision is under way. */
  phase?: Phase;
  /** The Job (and its pods) under way, for Progressing. */
  progress?: string;
  /**
   * A step failed and waits for its retry, or the target cannot be had (its image does
   * not exist): Degraded with this reason and message.
   */
  failure?: { reason: string; message: string };
  /** The last seeding, when a seed Job completed. */
  seed?: NonNullable<NotejamInstanceStatus['seed']>;
  /**
   * On the rollOut of a revision migrated by a Job: the schema version its pod reported,
   * or null when it reported none (an app release that does not). Absent: unchanged.
   */
  schemaVersion?: string | null;
  /** The backup a backup Job of a new revision took (status.lastBackup), once it completed. */
  lastBackup?: NonNullable<NotejamInstanceStatus['lastBackup']>;
  /** Lifecycle conditions to set (ImageResolved, MigrationsApplied, Seeded); others are kept. */
  conditions: ConditionInput[];
}

export function computeStatus(
  instance: NotejamInstance,
  observed: Observation,
  now: Date,
): NotejamInstanceStatus {
  const previous = instance.status ?? {};
  const generation = instance.metadata.generation ?? 0;
  const rollout = assessRollout(observed.deployment);

  const lifecycle = observed.lifecycle;
  const failures = degradedBy(observed, rollout);
  const [first] = failures;
  const degraded: ConditionInput = first
    ? {
        type: conditionTypes.degraded,
        status: 'True',
        reason: first.reason,
        message: failures.map((failure) => failure.message).join('\n'),
      }
    : {
        type: conditionTypes.degraded,
        status: 'False',
        reason: 'AsExpected',
        message: 'No failure',
      };
  const progressing: ConditionInput = lifecycle?.phase
    ? {
        type: conditionTypes.progressing,
        status: 'True',
        reason: lifecycle.phase,
        message: lifecycle.progress ?? lifecycle.phase,
      }
    : rollout.complete
      ? {
          type: conditionTypes.progressing,
          status: 'False',
          reason: 'RolloutComplete',
          message: rollout.message,
        }
      : {
          type: conditionTypes.progressing,
          status: 'True',
          reason: rollout.reason,
          message: rollout.message,
        };
  const monitoringNote = observed.serviceMonitorUnavailable
    ? '; monitoring.serviceMonitor is ignored: the ServiceMonitor CRD (monitoring.coreos.com/v1) is not installed'
    : '';
  const ready: ConditionInput = rollout.complete
    ? {
        type: conditionTypes.ready,
        status: 'True',
        reason: 'Available',
        message: rollout.message + monitoringNote,
      }
    : {
        type: conditionTypes.ready,
        status: 'False',
        reason: rollout.reason,
        message: rollout.message + monitoringNote,
      };

  const paused: ConditionInput = observed.paused
    ? {
        type: conditionTypes.paused,
        status: 'True',
        reason: 'Paused',
        message:
          'spec.paused is true: the operator changes no child and starts no lifecycle Job (one already running finishes); set it to false to resume',
      }
    : {
        type: conditionTypes.paused,
        status: 'False',
        reason: 'NotPaused',
        message: 'spec.paused is false',
      };

  // Paused, nothing was attempted: what was last said about progress and failures stands.
  const updates = observed.paused
    ? [ready, paused, { ...progressingWhilePaused(previous), type: conditionTypes.progressing }]
    : [ready, progressing, degraded, paused, ...(lifecycle?.conditions ?? [])];
  let conditions = previous.conditions ?? [];
  for (const condition of updates) {
    conditions = setCondition(conditions, condition, generation, now);
  }

  // Failed only when nothing serves: a failed step while the previous revision serves is Degraded.
  const isDegraded = degraded.status === 'True';
  const phase: Phase = observed.paused
    ? (previous.phase ?? (observed.deployment ? 'RollingOut' : 'Pending'))
    : isDegraded
      ? rollout.available > 0
        ? 'Degraded'
        : 'Failed'
      : lifecycle?.phase
        ? lifecycle.phase
        : rollout.complete
          ? 'Ready'
          : observed.deployment
            ? 'RollingOut'
            : 'Pending';

  const status: NotejamInstanceStatus = {
    ...previous,
    observedGeneration: generation,
    phase,
    conditions,
  };
  if (observed.deployed) {
    status.deployedImage = observed.deployed.image;
    if (observed.deployed.revision === undefined) delete status.revision;
    else status.revision = observed.deployed.revision;
  }
  if (lifecycle?.seed) status.seed = lifecycle.seed;
  if (lifecycle?.lastBackup) status.lastBackup = lifecycle.lastBackup;
  // For the scale subresource (kubectl scale, autoscalers): the app pods' selector.
  status.selector = Object.entries(selectorLabels(instance))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  if (lifecycle?.schemaVersion === null) delete status.schemaVersion;
  else if (lifecycle?.schemaVersion) status.schemaVersion = lifecycle.schemaVersion;
  if (observed.deployment) {
    status.replicas = observed.deployment.status?.replicas ?? 0;
    status.readyReplicas = observed.deployment.status?.readyReplicas ?? 0;
  }
  return status;
}

/** Progressing while paused: stopped, saying where (the condition's message before the pause). */
function progressingWhilePaused(previous: NotejamInstanceStatus): Omit<ConditionInput, 'type'> {
  const before = previous.conditions?.find((c) => c.type === conditionTypes.progressing);
  if (before?.reason === 'Paused')
    return { status: before.status, reason: before.reason, message: before.message };
  return {
    status: 'False',
    reason: 'Paused',
    message: before?.status === 'True' ? `Paused while: ${before.message}` : 'Paused',
  };
}

/**
 * What makes the instance Degraded, one entry per failure, the first naming the condition:
 * the lifecycle's (why the spec is not deployed), the failed steps' in the order they ran,
 * then a stalled rollout.
 */
export function degradedBy(
  observed: Observation,
  rollout: RolloutAssessment = assessRollout(observed.deployment),
): Array<{ reason: string; message: string }> {
  return [
    ...(observed.lifecycle?.failure ? [observed.lifecycle.failure] : []),
    ...(observed.failures ?? []).map(({ reason, message }) => ({ reason, message })),
    ...(rollout.deadlineExceeded
      ? [{ reason: 'ProgressDeadlineExceeded', message: rollout.message }]
      : []),
  ];
}

/** Whether writing `next` would change anything (a steady state must write nothing). */
export function statusChanged(
  current: NotejamInstanceStatus | undefined,
  next: NotejamInstanceStatus,
): boolean {
  return canonicalJson(current ?? {}) !== canonicalJson(next);
}

/** Replaces the condition of the same type; the transition time moves only with the status. */
export function setCondition(
  conditions: readonly Condition[],
  input: ConditionInput,
  observedGeneration: number,
  now: Date,
): Condition[] {
  const existing = conditions.find((condition) => condition.type === input.type);
  const lastTransitionTime =
    existing && existing.status === input.status
      ? existing.lastTransitionTime
      : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const next: Condition = { ...input, observedGeneration, lastTransitionTime };
  return existing
    ? conditions.map((condition) => (condition === existing ? next : condition))
    : [...conditions, next];
}

export function conditionStatus(
  status: NotejamInstanceStatus | undefined,
  type: string,
): ConditionStatus | undefined {
  return status?.conditions?.find((condition) => condition.type === type)?.status;
}

interface RolloutAssessment {
  complete: boolean;
  deadlineExceeded: boolean;
  available: number;
  reason: string;
  message: string;
  image?: string;
}

/** `kubectl rollout status`'s rules: observed, fully updated, old pods gone, all available. */
export function assessRollout(deployment: V1Deployment | undefined): RolloutAssessment {
  if (!deployment) {
    return {
      complete: false,
      deadlineExceeded: false,
      available: 0,
      reason: 'Creating',
      message: 'Waiting for the Deployment to be created',
    };
  }
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const image = deployment.spec?.template?.spec?.containers?.[0]?.image;
  const progressingCondition = status.conditions?.find(
    (c: V1DeploymentCondition) => c.type === 'Progressing',
  );
  const base = { available, image };

  if (progressingCondition?.reason === 'ProgressDeadlineExceeded') {
    return {
      ...base,
      complete: false,
      deadlineExceeded: true,
      reason: 'ProgressDeadlineExceeded',
      message: `Rollout stalled: ${progressingCondition.message ?? 'progress deadline exceeded'}`,
    };
  }
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) {
    return {
      ...base,
      complete: false,
      deadlineExceeded: false,
      reason: 'RollingOut',
      message: 'Waiting for the Deployment controller to observe the new spec',
    };
  }
  if (updated < desired) {
    return {
      ...base,
      complete: false,
      deadlineExceeded: false,
      reason: 'RollingOut',
      message: `${updated} of ${desired} replicas updated`,
    };
  }
  if (total > updated) {
    return {
      ...base,
      complete: false,
      deadlineExceeded: false,
      reason: 'RollingOut',
      message: `${total - updated} old replicas pending termination`,
    };
  }
  if (available < desired) {
    return {
      ...base,
      complete: false,
      deadlineExceeded: false,
      reason: 'RollingOut',
      message: `${available} of ${desired} updated replicas available`,
    };
  }
  return {
    ...base,
    complete: true,
    deadlineExceeded: false,
    reason: 'Available',
    message: `${available} of ${desired} replicas available`,
  };
}
