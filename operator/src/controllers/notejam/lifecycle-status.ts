// How a lifecycle decision reads in the status: the phase and progress of the step under
// way, the lifecycle conditions, and the record of the last seeding. Pure, so observing
// the same decision twice yields the same status (and no write).
import type { V1Job } from '@kubernetes/client-node';
import { conditionTypes, type NotejamInstance } from '../../api/v1alpha1/types.js';
import {
  attemptOf,
  jobKindLabel,
  jobOutcome,
  jobRevisionLabel,
  lifecycleSteps,
  seedKey,
  type JobKind,
} from './jobs.js';
import type { LifecycleDecision } from './lifecycle.js';
import type { ConditionInput, LifecycleReport } from './status.js';

/** Degraded's reason once a step's retries (spec.lifecycle.maxRetries) are used up. */
export const retriesExhaustedReason = 'RetriesExhausted';

/** MigrationsApplied's reason when a rollback runs code older than the database schema. */
export const schemaNewerThanCode = 'SchemaNewerThanCode';

/** `Backup`, `Migration`, `Wipe`, `Seed`: the step in reasons and Event names. */
export const stepNames: Readonly<Record<JobKind, string>> = {
  backup: 'Backup',
  wipe: 'Wipe',
  migrate: 'Migration',
  seed: 'Seed',
};

const jobName = (job: V1Job | undefined) => job?.metadata?.name ?? '';

/** What the performer of a decision adds to its report. */
export interface LifecycleExtras {
  /** The ImageResolved condition, when the registry was asked this time. */
  imageResolved?: ConditionInput;
  /** A step waiting for its retry, or a target that cannot be had: Degraded. */
  failure?: LifecycleReport['failure'];
  /** On rollOut: the schema version to record (null: forget it). */
  schemaVersion?: string | null;
  /** On rollOut: the version the revision's code reaches, when older than the schema's. */
  codeBehind?: string;
  /** The backup the target revision's backup Job took, once it completed. */
  lastBackup?: LifecycleReport['lastBackup'];
}

/** The report of a decision for the status: phase, progress and lifecycle conditions. */
export function lifecycleReport(
  instance: NotejamInstance,
  decision: LifecycleDecision,
  revision: string | undefined,
  extras: LifecycleExtras = {},
): LifecycleReport {
  const { imageResolved, failure, schemaVersion, lastBackup } = extras;
  const report: LifecycleReport = {
    conditions: imageResolved ? [imageResolved] : [],
    ...(failure ? { failure } : {}),
    ...(schemaVersion !== undefined ? { schemaVersion } : {}),
    ...(lastBackup ? { lastBackup } : {}),
  };
  if (decision.action === 'hold' || revision === undefined) return report;
  if (decision.action === 'steady') {
    // Back on the deployed revision after a newer one failed to migrate: its migrations
    // are applied, whatever the failed attempt left in the condition. A True one is kept
    // as it is, so a steady state writes nothing.
    const migrations = instance.status?.conditions?.find(
      (condition) => condition.type === conditionTypes.migrationsApplied,
    );
    if (lifecycleSteps(instance).includes('migrate') && migrations?.status === 'False') {
      report.conditions.push({
        type: conditionTypes.migrationsApplied,
        status: 'True',
        reason: 'Applied',
        message: `Migrations of revision ${revision}, the one deployed, are applied`,
      });
    }
    return report;
  }

  const steps = lifecycleSteps(instance);
  const completed = decision.action === 'supersede' ? [] : decision.completed;
  const done = new Map(completed.map((step) => [step.step, step.job]));
  const running =
    decision.action === 'wait' || decision.action === 'create' || decision.action === 'retry';
  if (running) {
    const job = decision.job;
    report.phase = decision.phase;
    report.progress =
      decision.action === 'wait'
        ? `Job ${jobName(job)} is running for revision ${revision}`
        : `Creating Job ${jobName(job)} (attempt ${attemptOf(job)}) for revision ${revision}`;
  } else if (decision.action === 'supersede') {
    const old = decision.job.metadata?.labels?.[jobRevisionLabel];
    report.phase = 'Pending';
    report.progress = `Deleting Job ${jobName(decision.job)} of revision ${old}: its container never started, so nothing of it ran; revision ${revision} follows`;
  } else if (decision.action === 'maintenance') {
    report.phase = 'Wiping';
    report.progress = decision.previousPods
      ? `Waiting for ${decision.previousPods} pod(s) of the previous template to exit (terminating pods still serve and hold database connections) before the database is wiped for revision ${revision}; the others run the maintenance page`
      : `Moving every pod to the maintenance page before the database is wiped for revision ${revision}`;
  } else if (decision.action === 'queued') {
    report.phase = 'Pending';
    report.progress = `Job ${jobName(decision.job)} for revision ${revision} waits for a free slot: ${decision.inUse} of ${decision.limit} lifecycle Jobs (MAX_CONCURRENT_LIFECYCLE_JOBS) run across the cluster`;
  }
  const stepOf = (job: V1Job) => job.metadata?.labels?.[jobKindLabel];
  const pending = (step: JobKind): ConditionInput['reason'] =>
    decision.action === 'exhausted' && decision.step === step
      ? retriesExhaustedReason
      : decision.action === 'backOff' && decision.step === step
        ? `${stepNames[step]}Failed`
        : running && stepOf(decision.job) === step
          ? 'Running'
          : decision.action === 'queued' && stepOf(decision.job) === step
            ? 'Queued'
            : 'Pending';

  if (steps.includes('migrate')) {
    const job = done.get('migrate');
    report.conditions.push(
      done.has('migrate') && extras.codeBehind !== undefined && instance.status?.schemaVersion
        ? {
            type: conditionTypes.migrationsApplied,
            status: 'True',
            reason: schemaNewerThanCode,
            message: `The database schema is at ${instance.status.schemaVersion}, newer than ${extras.codeBehind}, the newest migration revision ${revision} knows: code older than its schema runs (a rollback). It works only if the newer migrations kept the older release working (expand/contract, docs/design/lifecycle.md)`,
          }
        : done.has('migrate')
          ? {
              type: conditionTypes.migrationsApplied,
              status: 'True',
              reason: 'Applied',
              message: job
                ? `Migrations of revision ${revision} applied by Job ${jobName(job)}`
                : `Migrations of revision ${revision}, the one deployed, are applied`,
            }
          : {
              type: conditionTypes.migrationsApplied,
              status: 'False',
              reason: pending('migrate'),
              message: `Migrations of revision ${revision} not applied yet`,
            },
    );
  } else if (decision.action === 'rollOut' && instance.spec.database.type === 'sqlite') {
    report.conditions.push({
      type: conditionTypes.migrationsApplied,
      status: 'True',
      reason: 'MigratedByPod',
      message:
        'A SQLite database is migrated by the init container of each pod, before the app starts',
    });
  }

  if (steps.includes('seed')) {
    const seed = instance.spec.lifecycle.seed;
    const key = seedKey(instance, revision);
    const what = `${seed.users} users, ${seed.padsPerUser} pads per user, ${seed.notesPerPad} notes per pad, random seed ${seed.randomSeed} (key ${key})`;
    const job = done.get('seed');
    // One message whether the Job is at hand or only its record in status (the Job may be
    // gone, or belong to an earlier revision): the condition changes only when the data does.
    const seededMessage = (seededAt: string | undefined) =>
      `Seeded ${what}${seededAt ? ` at ${seededAt}` : ''}`;
    if (job) {
      const outcome = jobOutcome(job);
      const finishedAt = outcome.state === 'succeeded' ? outcome.finishedAt : undefined;
      const seededAt = finishedAt?.toISOString().replace(/\.\d{3}Z$/, 'Z');
      report.seed = {
        key,
        users: seed.users,
        padsPerUser: seed.padsPerUser,
        notesPerPad: seed.notesPerPad,
        randomSeed: seed.randomSeed,
        ...(seededAt ? { seededAt } : {}),
      };
      report.conditions.push({
        type: conditionTypes.seeded,
        status: 'True',
        reason: 'Seeded',
        message: seededMessage(seededAt),
      });
    } else if (instance.status?.seed?.key === key) {
      report.conditions.push({
        type: conditionTypes.seeded,
        status: 'True',
        reason: 'Seeded',
        message: seededMessage(instance.status.seed.seededAt),
      });
    } else {
      report.conditions.push({
        type: conditionTypes.seeded,
        status: 'False',
        reason: pending('seed'),
        message: `Not seeded yet with ${what}`,
      });
    }
  }
  return report;
}
