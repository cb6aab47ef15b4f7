/**
 * Performs the deployment lifecycle of one instance: gathers what `decideLifecycle` needs
 * (the instance's Jobs from the cache), carries out its decision (create, retry or read a
 * Job), says what the status should show, and keeps a short Job history. The decision
 * itself is pure (lifecycle.ts); this is the part that talks to the API server. See
 * docs/design/lifecycle.md, section 3.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { type KubeClient, isConflict, isNotFound } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import type { ResourceType } from '../../runtime/resources.js';
import {
  attemptOf,
  failureLogTail,
  jobKindLabel,
  jobPodSelector,
  jobRevisionLabel,
  jobsToDelete,
  type JobKind,
  type JobTarget,
  type LifecycleJob,
} from './jobs.js';
import { isControlledBy } from './labels.js';
import {
  decideLifecycle,
  targetJobNames,
  type CompletedStep,
  type LifecycleDecision,
} from './lifecycle.js';
import { stepNames } from './lifecycle-status.js';
import { reportedSchemaVersion } from './schema-version.js';
import type { LifecycleReport } from './status.js';

/** Finished lifecycle Jobs kept per kind (`kubectl get jobs` shows the recent history). */
export const jobHistoryLimit = 3;
/** When a Job of the name being created is still being deleted (409), look again after this. */
const recreateRetryMs = 1000;

export interface LifecycleRunnerDeps {
  client: KubeClient;
  events: EventRecorder;
  /** The field manager of the Jobs the operator creates. */
  fieldManager: string;
  /** The lifecycle Jobs (component lifecycle), watched so their completion brings us back. */
  jobs: { type: ResourceType; informer: Informer<V1Job> };
  /** Pods are only listed: a failed Job's log tail, a finished one's schema version. */
  podType: ResourceType;
}

/** What one pass of the lifecycle did, for the status and the requeue. */
export interface LifecycleOutcome {
  decision: LifecycleDecision;
  report: Pick<LifecycleReport, 'deployed' | 'failure' | 'schemaVersion'>;
  requeueAfterMs?: number;
}

export class LifecycleRunner {
  constructor(private readonly deps: LifecycleRunnerDeps) {}

  /** Decides and performs this reconcile's step towards `target`, then cleans up old Jobs. */
  async run(
    instance: NotejamInstance,
    target: JobTarget,
    now: Date,
    log: Logger,
  ): Promise<LifecycleOutcome> {
    const jobs = this.ownJobs(instance);
    const decision = decideLifecycle({
      instance,
      target,
      jobs,
      now,
      deployedRevision: instance.status?.revision,
      seededKey: instance.status?.seed?.key,
    });
    const performed = await this.perform(instance, decision, target, now, log);
    await this.cleanUpJobs(instance, jobs, target, log);
    return { decision, ...performed };
  }

  private ownJobs(instance: NotejamInstance): V1Job[] {
    return this.deps.jobs.informer
      .list(instance.metadata.namespace)
      .filter((job) => isControlledBy(job, instance));
  }

  /** Performs the decision: creates, retries or reads a Job; says what the status should show. */
  private async perform(
    instance: NotejamInstance,
    decision: LifecycleDecision,
    target: JobTarget,
    now: Date,
    log: Logger,
  ): Promise<Omit<LifecycleOutcome, 'decision'>> {
    const status = instance.status;
    const kept =
      status?.deployedImage && status.revision
        ? { image: status.deployedImage, revision: status.revision }
        : undefined;
    switch (decision.action) {
      case 'steady':
      case 'wait':
        return { report: { deployed: kept } };
      case 'create': {
        const created = await this.createJob(instance, decision.job, log);
        return {
          report: { deployed: kept },
          ...(created ? {} : { requeueAfterMs: recreateRetryMs }),
        };
      }
      case 'retry': {
        await this.deleteJob(decision.failed, log);
        const created = await this.createJob(instance, decision.job, log);
        return {
          report: { deployed: kept },
          ...(created ? {} : { requeueAfterMs: recreateRetryMs }),
        };
      }
      case 'backOff': {
        const job = decision.job;
        const tail = failureLogTail(job, await this.podsOf(job));
        const retry = decision.retryAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
        const message =
          `Job ${job.metadata?.name} failed (${decision.reason}: ${decision.message}); ` +
          `revision ${target.revision} is not deployed, the previous one keeps serving; retrying at ${retry}` +
          (tail ? `. Log tail:\n${tail}` : '');
        return {
          report: {
            deployed: kept,
            failure: { reason: `${stepNames[decision.step]}Failed`, message },
          },
          requeueAfterMs: decision.retryAt.getTime() - now.getTime(),
        };
      }
      case 'rollOut': {
        const deployed = { image: target.image, revision: target.revision };
        if (target.revision === status?.revision) return { report: { deployed } };
        log.info('rolling out', { revision: target.revision, image: target.image });
        this.deps.events.record(
          instance,
          'Normal',
          'RollingOut',
          'RollOut',
          `Moving the Deployment to ${target.image} (revision ${target.revision})`,
        );
        const schemaVersion = await this.schemaVersionOf(decision.completed);
        return { report: { deployed, ...(schemaVersion === undefined ? {} : { schemaVersion }) } };
      }
    }
  }

  private async podsOf(job: V1Job): Promise<V1Pod[]> {
    const pods = await this.deps.client.list<V1Pod>(this.deps.podType, {
      namespace: job.metadata?.namespace,
      labelSelector: jobPodSelector(job),
    });
    return pods.items;
  }

  /**
   * The schema version the revision's migrate Job (or its wipe, which migrates too) left in
   * its pod's termination message; null when it left none, undefined without such a Job
   * (SQLite: the pods migrate their own database). Read once per revision, on its rollOut.
   */
  private async schemaVersionOf(completed: CompletedStep[]): Promise<string | null | undefined> {
    const job = (['migrate', 'wipe'] as const)
      .map((step) => completed.find((done) => done.step === step)?.job)
      .find((found) => found !== undefined);
    if (!job) return undefined;
    return reportedSchemaVersion(job, await this.podsOf(job)) ?? null;
  }

  /** POSTs a Job; false when its name is still taken by one being deleted (come back soon). */
  private async createJob(
    instance: NotejamInstance,
    job: LifecycleJob,
    log: Logger,
  ): Promise<boolean> {
    try {
      await this.deps.client.create(this.deps.jobs.type, job, this.deps.fieldManager);
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    const step = stepNames[job.metadata.labels[jobKindLabel] as JobKind];
    const attempt = attemptOf(job);
    log.info('created job', { name: job.metadata.name, attempt });
    this.deps.events.record(
      instance,
      'Normal',
      `${step}Started`,
      'CreateJob',
      `Created Job ${job.metadata.name} (attempt ${attempt}) for revision ${job.metadata.labels[jobRevisionLabel]}`,
    );
    return true;
  }

  /** Deletes a Job with its pods (the API's default for Jobs would orphan them). */
  private async deleteJob(job: V1Job, log: Logger) {
    try {
      await this.deps.client.delete(
        this.deps.jobs.type,
        job.metadata?.namespace,
        job.metadata?.name ?? '',
        job.metadata?.uid,
        'Background',
      );
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err; // replaced or already gone
    }
    log.info('deleted job', { name: job.metadata?.name });
  }

  /** Keeps a short history of finished Jobs per kind; the target's and running ones stay. */
  private async cleanUpJobs(
    instance: NotejamInstance,
    jobs: V1Job[],
    target: JobTarget,
    log: Logger,
  ) {
    for (const job of jobsToDelete(jobs, jobHistoryLimit, targetJobNames(instance, target))) {
      await this.deleteJob(job, log);
    }
  }
}
