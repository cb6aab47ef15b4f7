// How a lifecycle decision reads in the status: the phase and progress of the step under
// way, the lifecycle conditions, and the record of the last seeding. Pure, so observing
// the same decision twice yields the same status (and no write).
import type { V1Job } from '@kubernetes/client-node';
import { conditionTypes, type NotejamInstance } from '../../api/v1alpha1/types.js';
import type { ImageResolution } from '../../registry/resolver.js';
import { jobKindLabel, jobOutcome, lifecycleSteps, seedKey, type JobKind } from './jobs.js';
import type { LifecycleDecision } from './lifecycle.js';
import type { ConditionInput, LifecycleReport } from './status.js';

/** `Migration`, `Wipe`, `Seed`: the step in reasons and Event names. */
export const stepNames: Readonly<Record<JobKind, string>> = {
  wipe: 'Wipe',
  migrate: 'Migration',
  seed: 'Seed',
};

export function imageResolvedCondition(
  specImage: string,
  resolution: ImageResolution,
): ConditionInput {
  const type = conditionTypes.imageResolved;
  if (resolution.error) {
    const kept =
      resolution.source === 'lastKnown'
        ? `; keeping the last known digest ${resolution.digest}`
        : `; deploying ${specImage} by tag`;
    return {
      type,
      status: 'False',
      reason: resolution.error.reason,
      message: `${resolution.error.message}${kept}`,
    };
  }
  if (resolution.source === 'spec')
    return { type, status: 'True', reason: 'Pinned', message: `${specImage} names its digest` };
  return {
    type,
    status: 'True',
    reason: 'Resolved',
    message: `${specImage} resolves to ${resolution.digest}`,
  };
}

const jobName = (job: V1Job | undefined) => job?.metadata?.name ?? '';

/**
 * The report of a decision. `deployed` is what the Deployment runs after it (moved by
 * rollOut), `failure` the Degraded reason and message of a step waiting for its retry.
 */
export function lifecycleReport(
  instance: NotejamInstance,
  decision: LifecycleDecision,
  revision: string,
  extra: Pick<LifecycleReport, 'deployed' | 'failure'> & { imageResolved: ConditionInput },
): LifecycleReport {
  const report: LifecycleReport = { ...extra, conditions: [extra.imageResolved] };
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
  const done = new Map(decision.completed.map((step) => [step.step, step.job]));
  const running =
    decision.action === 'wait' || decision.action === 'create' || decision.action === 'retry';
  if (running) {
    const job = decision.job;
    report.phase = decision.phase;
    report.progress = `Job ${jobName(job)} is running for revision ${revision}`;
  }
  const pending = (step: JobKind): ConditionInput['reason'] =>
    decision.action === 'backOff' && decision.step === step
      ? `${stepNames[step]}Failed`
      : running && decision.job.metadata?.labels?.[jobKindLabel] === step
        ? 'Running'
        : 'Pending';

  if (steps.includes('migrate')) {
    const job = done.get('migrate');
    report.conditions.push(
      done.has('migrate')
        ? {
            type: conditionTypes.migrationsApplied,
            status: 'True',
            reason: 'Applied',
            message: `Migrations of revision ${revision} applied by Job ${jobName(job)}`,
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
