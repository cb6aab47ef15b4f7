/**
 * Performs the deployment lifecycle of one instance: gathers what `decideLifecycle` needs
 * (the instance's Jobs from the cache, the revision its Deployment runs, which Jobs never
 * started), passes a new Job through the cluster-wide cap (job-slots.ts), carries out the
 * decision (create, retry, supersede or read a Job), says what the status should show and
 * what the Deployment runs next, and keeps a short Job history. The decision itself is
 * pure (lifecycle.ts); this is the part that talks to the API server. Every API error
 * becomes a failure of the reconcile (reconcile-run.ts) naming what was refused. See
 * docs/design/lifecycle.md, section 3.
 */
import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { type KubeClient, isConflict, isNotFound } from '../../runtime/kube-client.js';
import type { ResourceType } from '../../runtime/resources.js';
import type { ImageTarget } from './image-target.js';
import type { JobSlots } from './job-slots.js';
import {
  attemptOf,
  failureLogTail,
  jobKindLabel,
  jobNeverStarted,
  jobOutcome,
  jobPodSelector,
  jobRevisionLabel,
  jobsToDelete,
  retryAnnotation,
  type JobKind,
  type JobTarget,
  type LifecycleJob,
} from './jobs.js';
import { childNames } from './labels.js';
import { type BackupReport, reportedBackup } from './backup.js';
import { maintenanceAnnotation } from './deployment.js';
import {
  decideLifecycle,
  inMaintenance,
  targetJobNames,
  type CompletedStep,
  type LifecycleDecision,
} from './lifecycle.js';
import {
  lifecycleReport,
  retriesExhaustedReason,
  stepNames,
  type LifecycleExtras,
} from './lifecycle-status.js';
import type { ReconcileRun } from './reconcile-run.js';
import { type DeployedRevision, deployedRevision, revision } from './revision.js';
import { nextSchemaVersion, reportedSchemaVersion } from './schema-version.js';
import { assessRollout, type ConditionInput, type LifecycleReport } from './status.js';

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
  /** The cap on lifecycle Jobs running at once, across every instance. */
  slots: JobSlots;
}

/** What one pass of the lifecycle did: for the status, and what the Deployment runs next. */
export interface LifecycleOutcome {
  report: LifecycleReport;
  /** What the Deployment should run after this reconcile; undefined: no Deployment yet. */
  deploy?: DeployedRevision;
  /** The pods show the maintenance page (a dev wipe on MySQL is under way). */
  maintenance: boolean;
}

/** When pods of an earlier template are left after the maintenance rollout, look again after this (pods are not watched). */
const previousPodsRecheckMs = 2000;

/** Whether the Deployment's maintenance page rolled out completely (deployment.ts). */
export function maintenanceRolledOut(live: V1Deployment | undefined): boolean {
  return (
    live?.spec?.template.metadata?.annotations?.[maintenanceAnnotation] === 'true' &&
    assessRollout(live).complete
  );
}

/**
 * The pods the Deployment selects that do not run the maintenance page, terminating ones
 * included: a pod carries its template's annotations, so these are pods of a serving
 * template. The Deployment's status counts none of the terminating ones, yet they answer
 * the keep-alive connections they hold until their drain ends and keep their database
 * connections open: a wipe must not start before they are gone.
 */
export function previousTemplatePods(pods: V1Pod[]): V1Pod[] {
  return pods.filter((pod) => pod.metadata?.annotations?.[maintenanceAnnotation] !== 'true');
}

export class LifecycleRunner {
  constructor(private readonly deps: LifecycleRunnerDeps) {}

  /**
   * Decides and performs this reconcile's step towards the revision `image` makes, given
   * the `live` Deployment (from the cache), then cleans up old Jobs.
   */
  async run(
    run: ReconcileRun,
    image: ImageTarget,
    imageResolved: ConditionInput | undefined,
    live: V1Deployment | undefined,
  ): Promise<LifecycleOutcome> {
    const { instance } = run;
    const target: JobTarget | undefined =
      image.state === 'found'
        ? { image: image.image, revision: revision(instance, image.image) }
        : undefined;
    const deployed = deployedRevision(instance, live, target);
    const jobs = this.ownJobs(run);
    const decision = decideLifecycle({
      instance,
      target,
      jobs,
      now: run.now,
      deployedRevision: deployed?.revision,
      seededKey: instance.status?.seed?.key,
      neverStarted: target ? await this.neverStarted(run, jobs, target) : undefined,
      serving: live !== undefined,
      ...(await this.maintenancePods(run, live)),
    });
    const extras: LifecycleExtras = {
      ...(imageResolved ? { imageResolved } : {}),
      ...(image.state === 'notFound'
        ? { failure: { reason: 'ImageNotFound', message: image.message } }
        : {}),
    };
    const performed = await this.perform(run, decision, target, deployed, extras);
    const lastBackup = target && (await this.backupTaken(run, performed.decision, target));
    await this.cleanUpJobs(run, jobs, target);
    return {
      report: lifecycleReport(instance, performed.decision, target?.revision, {
        ...performed.extras,
        ...(lastBackup ? { lastBackup } : {}),
      }),
      deploy: performed.deploy,
      maintenance: inMaintenance(instance, performed.decision, live !== undefined),
    };
  }

  /**
   * The backup the target's backup Job reported, once it completed and until the status
   * records it (read from its pod's termination message once per revision); undefined when
   * there is none to record (no backup step, not done yet, recorded, or nothing to back up).
   */
  private async backupTaken(
    run: ReconcileRun,
    decision: LifecycleDecision,
    target: JobTarget,
  ): Promise<LifecycleExtras['lastBackup']> {
    if (!('completed' in decision)) return undefined;
    const job = decision.completed.find((done) => done.step === 'backup')?.job;
    if (!job || run.instance.status?.lastBackup?.revision === target.revision) return undefined;
    let report: BackupReport | undefined;
    await run.attempt('JobPods', `listing the pods of Job ${job.metadata?.name}`, async () => {
      report = reportedBackup(job, await this.podsOf(job));
    });
    if (!report) return undefined;
    const outcome = jobOutcome(job);
    const completedAt =
      outcome.state === 'succeeded'
        ? outcome.finishedAt?.toISOString().replace(/\.\d{3}Z$/, 'Z')
        : undefined;
    return {
      ...report,
      persistentVolumeClaim: childNames.backups(run.instance),
      revision: target.revision,
      ...(completedAt ? { completedAt } : {}),
    };
  }

  /**
   * Whether only maintenance pods are left (see `previousTemplatePods`); the pods are
   * listed only once the maintenance page rolled out, and looked at again until the
   * previous ones are gone.
   */
  private async maintenancePods(
    run: ReconcileRun,
    live: V1Deployment | undefined,
  ): Promise<{ maintenanceReady: boolean; previousPods?: number }> {
    const matchLabels = live?.spec?.selector.matchLabels;
    if (!maintenanceRolledOut(live) || !matchLabels) return { maintenanceReady: false };
    let previousPods: number | undefined;
    await run.attempt(
      'AppPods',
      `listing the pods of Deployment ${live?.metadata?.name}`,
      async () => {
        const pods = await this.deps.client.list<V1Pod>(this.deps.podType, {
          namespace: run.instance.metadata.namespace,
          labelSelector: Object.entries(matchLabels)
            .map(([key, value]) => `${key}=${value}`)
            .join(','),
        });
        previousPods = previousTemplatePods(pods.items).length;
      },
    );
    if (previousPods === undefined) return { maintenanceReady: false };
    if (previousPods > 0) run.requeueAfter(previousPodsRecheckMs);
    return { maintenanceReady: previousPods === 0, previousPods };
  }

  private ownJobs(run: ReconcileRun): V1Job[] {
    return this.deps.jobs.informer.controlledBy(run.instance.metadata.uid);
  }

  /**
   * The uids of running Jobs of other revisions whose container never started: when a
   * newer revision arrives they are deleted instead of waited for (a mistyped tag's Job in
   * ImagePullBackOff would otherwise hold the fix back until its deadline).
   */
  private async neverStarted(
    run: ReconcileRun,
    jobs: V1Job[],
    target: JobTarget,
  ): Promise<Set<string>> {
    const ours = targetJobNames(run.instance, target);
    const idle = new Set<string>();
    for (const job of jobs) {
      if (ours.has(job.metadata?.name ?? '') || jobOutcome(job).state !== 'running') continue;
      await run.attempt('JobPods', `listing the pods of Job ${job.metadata?.name}`, async () => {
        if (jobNeverStarted(job, await this.podsOf(job))) idle.add(job.metadata?.uid ?? '');
      });
    }
    return idle;
  }

  /** Performs the decision: creates, retries, deletes or reads a Job. */
  private async perform(
    run: ReconcileRun,
    decision: LifecycleDecision,
    target: JobTarget | undefined,
    deployed: DeployedRevision | undefined,
    extras: LifecycleExtras,
  ): Promise<{ decision: LifecycleDecision; extras: LifecycleExtras; deploy?: DeployedRevision }> {
    const keep = { decision, extras, deploy: deployed };
    switch (decision.action) {
      case 'hold':
      case 'steady':
      case 'wait':
      case 'queued':
      case 'maintenance':
        return keep;
      case 'exhausted': {
        const job = decision.job;
        const tail = await this.failureTail(run, job);
        const message =
          `Job ${job.metadata?.name} failed ${decision.attempts} times (${decision.reason}: ${decision.message}), ` +
          `1 attempt and spec.lifecycle.maxRetries=${run.instance.spec.lifecycle.maxRetries} retries; ` +
          `revision ${target?.revision} is not deployed, the previous one keeps serving. ` +
          `Nothing is retried until the spec changes or annotation ${retryAnnotation} gets a new value ` +
          `(docs/runbooks/instance-operations.md)` +
          (tail ? `. Log tail:\n${tail}` : '');
        return {
          ...keep,
          extras: { ...extras, failure: { reason: retriesExhaustedReason, message } },
        };
      }
      case 'supersede': {
        const job = decision.job;
        const old = job.metadata?.labels?.[jobRevisionLabel];
        run.log.info('superseding job', { name: job.metadata?.name, revision: old });
        const deleted = await this.deleteJob(run, job);
        if (deleted) {
          this.deps.events.record(
            run.instance,
            'Normal',
            'JobSuperseded',
            'DeleteJob',
            `Deleted Job ${job.metadata?.name} of revision ${old}: its container never started; revision ${target?.revision} replaces it`,
          );
        }
        return keep;
      }
      case 'create':
      case 'retry': {
        if (!this.deps.slots.tryReserve(run.key, jobRef(decision.job))) {
          const queued: LifecycleDecision = {
            action: 'queued',
            job: decision.job,
            completed: decision.completed,
            inUse: this.deps.slots.inUse(),
            limit: this.deps.slots.limit,
          };
          return { ...keep, decision: queued };
        }
        if (decision.action === 'retry' && !(await this.deleteJob(run, decision.failed))) {
          this.deps.slots.release(jobRef(decision.job));
          return keep;
        }
        const created = await this.createJob(run, decision.job);
        if (!created) this.deps.slots.release(jobRef(decision.job));
        return keep;
      }
      case 'backOff': {
        const job = decision.job;
        const tail = await this.failureTail(run, job);
        const retry = decision.retryAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
        const message =
          `Job ${job.metadata?.name} failed (${decision.reason}: ${decision.message}); ` +
          `revision ${target?.revision} is not deployed, the previous one keeps serving; retrying at ${retry}` +
          (tail ? `. Log tail:\n${tail}` : '');
        run.requeueAfter(decision.retryAt.getTime() - run.now.getTime());
        return {
          ...keep,
          extras: {
            ...extras,
            failure: { reason: `${stepNames[decision.step]}Failed`, message },
          },
        };
      }
      case 'rollOut': {
        const deploy = target && { image: target.image, revision: target.revision };
        if (!target) return { ...keep, deploy };
        if (deployed?.revision === target.revision) {
          // Only the seed of the deployed revision ran: nothing moves. The status records
          // the schema version the revision reached, unless the write that moved the
          // Deployment was lost or this reconcile reads a status older than that write (a
          // stale cache would otherwise write the older version back): read it again then.
          if (run.instance.status?.revision === target.revision) return { ...keep, deploy };
          return {
            ...keep,
            deploy,
            extras: { ...extras, ...(await this.schemaOf(run, decision.completed)) },
          };
        }
        run.log.info('rolling out', { revision: target.revision, image: target.image });
        this.deps.events.record(
          run.instance,
          'Normal',
          'RollingOut',
          'RollOut',
          `Moving the Deployment to ${target.image} (revision ${target.revision})`,
        );
        return {
          ...keep,
          deploy,
          extras: { ...extras, ...(await this.schemaOf(run, decision.completed)) },
        };
      }
    }
  }

  /** The log tail of a failed Job's latest failed container (undefined when unreadable). */
  private async failureTail(run: ReconcileRun, job: V1Job): Promise<string | undefined> {
    let tail: string | undefined;
    await run.attempt('JobPods', `listing the pods of Job ${job.metadata?.name}`, async () => {
      tail = failureLogTail(job, await this.podsOf(job));
    });
    return tail;
  }

  private async podsOf(job: V1Job): Promise<V1Pod[]> {
    const pods = await this.deps.client.list<V1Pod>(this.deps.podType, {
      namespace: job.metadata?.namespace,
      labelSelector: jobPodSelector(job),
    });
    return pods.items;
  }

  /**
   * The schema version to record on a rollOut: what the revision's migrate Job (or its
   * wipe, which migrates too) left in its pod's termination message, never older than the
   * version recorded (a rollback reuses an old Job's report: its code is then older than
   * the schema, and the status says so). Nothing without such a Job (SQLite: the pods
   * migrate their own database). Read on its rollOut, and again until the status records
   * that revision.
   */
  private async schemaOf(
    run: ReconcileRun,
    completed: CompletedStep[],
  ): Promise<Pick<LifecycleExtras, 'schemaVersion' | 'codeBehind'>> {
    const job = (['migrate', 'wipe'] as const)
      .map((step) => completed.find((done) => done.step === step)?.job)
      .find((found) => found !== undefined);
    if (!job) return {};
    let reported: string | undefined;
    const read = await run.attempt(
      'JobPods',
      `listing the pods of Job ${job.metadata?.name}`,
      async () => {
        reported = reportedSchemaVersion(job, await this.podsOf(job));
      },
    );
    if (!read) return {};
    const next = nextSchemaVersion(run.instance.status?.schemaVersion, reported ?? null);
    return {
      schemaVersion: next.version ?? null,
      ...(next.codeBehind === undefined ? {} : { codeBehind: next.codeBehind }),
    };
  }

  /** POSTs a Job; false when it was not created (its name still taken, or refused). */
  private async createJob(run: ReconcileRun, job: LifecycleJob): Promise<boolean> {
    const step = stepNames[job.metadata.labels[jobKindLabel] as JobKind];
    let nameTaken = false;
    const created = await run.attempt(
      `${step}Job`,
      `creating Job ${job.metadata.name}`,
      async () => {
        try {
          await this.deps.client.create(this.deps.jobs.type, job, this.deps.fieldManager);
        } catch (err) {
          // Its name is still held by the previous attempt being deleted: come back soon.
          if (!isConflict(err)) throw err;
          nameTaken = true;
        }
      },
    );
    if (!created || nameTaken) {
      if (nameTaken) run.requeueAfter(recreateRetryMs);
      return false;
    }
    const attempt = attemptOf(job);
    run.log.info('created job', { name: job.metadata.name, attempt });
    this.deps.events.record(
      run.instance,
      'Normal',
      `${step}Started`,
      'CreateJob',
      `Created Job ${job.metadata.name} (attempt ${attempt}) for revision ${job.metadata.labels[jobRevisionLabel]}`,
    );
    return true;
  }

  /** Deletes a Job with its pods (the API's default for Jobs would orphan them). */
  private async deleteJob(
    run: ReconcileRun,
    job: V1Job,
    subject = 'JobDelete',
    doing = `deleting Job ${job.metadata?.name}`,
  ): Promise<boolean> {
    const name = job.metadata?.name ?? '';
    return run.attempt(subject, doing, async () => {
      try {
        await this.deps.client.delete(
          this.deps.jobs.type,
          job.metadata?.namespace,
          name,
          job.metadata?.uid,
          'Background',
        );
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err; // replaced or already gone
      }
      run.log.info('deleted job', { name });
    });
  }

  /** Keeps a short history of finished Jobs per kind; the target's and running ones stay. */
  private async cleanUpJobs(run: ReconcileRun, jobs: V1Job[], target: JobTarget | undefined) {
    const protect = target ? targetJobNames(run.instance, target) : new Set<string>();
    for (const job of jobsToDelete(jobs, jobHistoryLimit, protect)) {
      await this.deleteJob(
        run,
        job,
        'JobCleanup',
        `deleting the finished Job ${job.metadata?.name}`,
      );
    }
  }
}

function jobRef(job: LifecycleJob): { namespace: string; name: string } {
  return { namespace: job.metadata.namespace, name: job.metadata.name };
}
