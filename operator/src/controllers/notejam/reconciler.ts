/**
 * The NotejamInstance reconcile loop, read top to bottom like controller-runtime's:
 * get the instance, resolve its image and revision, create the session Secret once, run
 * the database steps of a new revision (Jobs: wipe, migrate, seed), compute the desired
 * children with the image the lifecycle allows, apply them, observe the Deployment,
 * write the status if it changed, say when to come back. Level-based and idempotent; a
 * steady state makes no write at all. See docs/design/lifecycle.md.
 */
import type {
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1Pod,
  V1Secret,
} from '@kubernetes/client-node';
import {
  type NotejamInstance,
  type NotejamInstanceStatus,
  conditionTypes,
} from '../../api/v1alpha1/types.js';
import type { Applier } from '../../runtime/apply.js';
import type { ReconcileRequest, ReconcileResult, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { type KubeClient, isConflict, isNotFound } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import { type ResourceType, objectKey } from '../../runtime/resources.js';
import type { ImageResolver } from '../../registry/resolver.js';
import { desiredChildren } from './children.js';
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
import {
  decideLifecycle,
  targetJobNames,
  type CompletedStep,
  type LifecycleDecision,
} from './lifecycle.js';
import { imageResolvedCondition, lifecycleReport, stepNames } from './lifecycle-status.js';
import { revision } from './revision.js';
import { reportedSchemaVersion } from './schema-version.js';
import { randomSessionSecret, sessionSecret } from './session-secret.js';
import { computeStatus, conditionStatus, statusChanged, type LifecycleReport } from './status.js';

/** Finished lifecycle Jobs kept per kind (`kubectl get jobs` shows the recent history). */
export const jobHistoryLimit = 3;
/** When a Job of the name being created is still being deleted (409), look again after this. */
const recreateRetryMs = 1000;

/** An object kind the instance owns, with the cache that watches it. */
export interface OwnedKind {
  type: ResourceType;
  informer: Informer;
  /** Delete it when no longer desired. False for data (PVCs) and the session Secret. */
  prune: boolean;
}

export interface ReconcilerDeps {
  instanceType: ResourceType;
  instances: Informer<NotejamInstance>;
  /** Keyed by kind. */
  owned: ReadonlyMap<string, OwnedKind>;
  client: KubeClient;
  applier: Applier;
  events: EventRecorder;
  log: Logger;
  serviceMonitorAvailable: boolean;
  /** The lifecycle Jobs (component lifecycle), watched so their completion brings us back. */
  jobs: { type: ResourceType; informer: Informer<V1Job> };
  /** Pods are only listed: a failed Job's log tail, a finished one's schema version. */
  podType: ResourceType;
  secretType: ResourceType;
  resolver: ImageResolver;
  randomSecretValue?: () => string;
  now?: () => Date;
}

export function notejamReconciler(deps: ReconcilerDeps): Reconciler {
  const { applier, client, events, owned } = deps;
  const randomSecretValue = deps.randomSecretValue ?? randomSessionSecret;

  return async function reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
    const key = objectKey(request.namespace, request.name);
    const log = deps.log.child({ instance: key });

    // 1. Get the instance. Gone or going: its children follow through their owner references.
    const instance = deps.instances.get(request.namespace, request.name);
    if (!instance || instance.metadata.deletionTimestamp) {
      applier.forgetOwner(key);
      deps.resolver.forget(key);
      return {};
    }
    const now = deps.now?.() ?? new Date();

    // 2. Which image and revision the spec asks for now (a tag resolved to its digest).
    const resolution = await deps.resolver.resolve({
      key,
      image: instance.spec.image,
      pullSecrets: await pullSecrets(instance),
      deployedImage: instance.status?.deployedImage,
    });
    const target: JobTarget = {
      image: resolution.image,
      revision: revision(instance, resolution.image),
    };

    // 3. The database steps of a new revision; the Deployment moves only after they succeed.
    // The Jobs' pods refer to the session Secret like the app's: it exists first.
    await ensureSessionSecret(instance, log);
    const jobs = ownJobs(instance);
    const decision = decideLifecycle({
      instance,
      target,
      jobs,
      now,
      deployedRevision: instance.status?.revision,
      seededKey: instance.status?.seed?.key,
    });
    const performed = await performLifecycle(instance, decision, target, now, log);
    const lifecycle = lifecycleReport(instance, decision, target.revision, {
      imageResolved: imageResolvedCondition(instance.spec.image, resolution),
      ...performed.report,
    });
    await cleanUpJobs(instance, jobs, target, log);

    // 4. Compute the desired children: the pods run the deployed image until rollOut.
    const context = {
      image: lifecycle.deployed?.image ?? liveDeploymentImage(instance),
      serviceMonitorAvailable: deps.serviceMonitorAvailable,
    };
    const desired = desiredChildren(instance, context);

    // 5. Apply them (and prune what is no longer desired).
    // What each child looks like now (the apply response, or the cache when nothing changed).
    const current = new Map<string, KubernetesObject | undefined>();
    let applyError: Error | undefined;
    try {
      for (const child of desired)
        current.set(child.kind, await applyChild(instance, key, child, log));
      await pruneUndesired(instance, desired, log);
    } catch (err) {
      applyError = err as Error;
    }

    // 6. Observe the Deployment (its status changes bring us back here).
    const observation = {
      lifecycle,
      deployment: current.get('Deployment') as V1Deployment | undefined,
      applyError: applyError?.message,
      serviceMonitorUnavailable:
        instance.spec.monitoring.serviceMonitor && !deps.serviceMonitorAvailable,
    };

    // 7. Write the status, only when it changed; tell the story with Events.
    const status = computeStatus(instance, observation, now);
    if (statusChanged(instance.status, status)) {
      await writeStatus(instance, status);
      announceTransitions(instance, instance.status, status);
    }
    if (applyError) {
      events.record(instance, 'Warning', 'ApplyFailed', 'Apply', applyError.message);
      throw applyError;
    }

    // 8. Come back on the next event (Jobs, Deployment), to retry, or to resolve the tag again.
    const after = [resolution.recheckAfterMs, performed.requeueAfterMs].filter(
      (ms): ms is number => ms !== undefined,
    );
    return after.length ? { requeueAfterMs: Math.max(0, Math.min(...after)) } : {};
  };

  /** The Secrets named by spec.imagePullSecrets that exist (the resolver's credentials). */
  async function pullSecrets(instance: NotejamInstance): Promise<V1Secret[]> {
    const found: V1Secret[] = [];
    for (const { name } of instance.spec.imagePullSecrets ?? []) {
      try {
        found.push(await client.get<V1Secret>(deps.secretType, instance.metadata.namespace, name));
      } catch (err) {
        if (!isNotFound(err)) throw err; // a missing one is reported by the resolver's 401
      }
    }
    return found;
  }

  function ownJobs(instance: NotejamInstance): V1Job[] {
    return deps.jobs.informer
      .list(instance.metadata.namespace)
      .filter((job) => isControlledBy(job, instance));
  }

  /**
   * Without a recorded deployed image (a fresh instance, or one deployed by an operator
   * version before the lifecycle), the image the live Deployment runs: never pruned or
   * moved before a revision's steps succeed.
   */
  function liveDeploymentImage(instance: NotejamInstance): string | undefined {
    if (instance.status?.deployedImage) return instance.status.deployedImage;
    const deployments = ownedKind('Deployment').informer.list(instance.metadata.namespace);
    const live = deployments.find((d) => isControlledBy(d, instance)) as V1Deployment | undefined;
    return live?.spec?.template.spec?.containers[0]?.image;
  }

  /** Performs the decision: creates, retries or reads a Job; says what the status should show. */
  async function performLifecycle(
    instance: NotejamInstance,
    decision: LifecycleDecision,
    target: JobTarget,
    now: Date,
    log: Logger,
  ): Promise<{
    report: Pick<LifecycleReport, 'deployed' | 'failure' | 'schemaVersion'>;
    requeueAfterMs?: number;
  }> {
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
        const created = await createJob(instance, decision.job, log);
        return {
          report: { deployed: kept },
          ...(created ? {} : { requeueAfterMs: recreateRetryMs }),
        };
      }
      case 'retry': {
        await deleteJob(decision.failed, log);
        const created = await createJob(instance, decision.job, log);
        return {
          report: { deployed: kept },
          ...(created ? {} : { requeueAfterMs: recreateRetryMs }),
        };
      }
      case 'backOff': {
        const job = decision.job;
        const pods = await deps.client.list<V1Pod>(deps.podType, {
          namespace: instance.metadata.namespace,
          labelSelector: jobPodSelector(job),
        });
        const tail = failureLogTail(job, pods.items);
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
        events.record(
          instance,
          'Normal',
          'RollingOut',
          'RollOut',
          `Moving the Deployment to ${target.image} (revision ${target.revision})`,
        );
        const schemaVersion = await schemaVersionOf(instance, decision.completed);
        return { report: { deployed, ...(schemaVersion === undefined ? {} : { schemaVersion }) } };
      }
    }
  }

  /**
   * The schema version the revision's migrate Job (or its wipe, which migrates too) left in
   * its pod's termination message; null when it left none, undefined without such a Job
   * (SQLite: the pods migrate their own database). Read once per revision, on its rollOut.
   */
  async function schemaVersionOf(
    instance: NotejamInstance,
    completed: CompletedStep[],
  ): Promise<string | null | undefined> {
    const job = (['migrate', 'wipe'] as const)
      .map((step) => completed.find((done) => done.step === step)?.job)
      .find((found) => found !== undefined);
    if (!job) return undefined;
    const pods = await deps.client.list<V1Pod>(deps.podType, {
      namespace: instance.metadata.namespace,
      labelSelector: jobPodSelector(job),
    });
    return reportedSchemaVersion(job, pods.items) ?? null;
  }

  /** POSTs a Job; false when its name is still taken by one being deleted (come back soon). */
  async function createJob(
    instance: NotejamInstance,
    job: LifecycleJob,
    log: Logger,
  ): Promise<boolean> {
    try {
      await client.create(deps.jobs.type, job, applier.fieldManager);
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    const step = stepNames[job.metadata.labels[jobKindLabel] as JobKind];
    const attempt = attemptOf(job);
    log.info('created job', { name: job.metadata.name, attempt });
    events.record(
      instance,
      'Normal',
      `${step}Started`,
      'CreateJob',
      `Created Job ${job.metadata.name} (attempt ${attempt}) for revision ${job.metadata.labels[jobRevisionLabel]}`,
    );
    return true;
  }

  /** Deletes a Job with its pods (the API's default for Jobs would orphan them). */
  async function deleteJob(job: V1Job, log: Logger) {
    try {
      await client.delete(
        deps.jobs.type,
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
  async function cleanUpJobs(
    instance: NotejamInstance,
    jobs: V1Job[],
    target: JobTarget,
    log: Logger,
  ) {
    for (const job of jobsToDelete(jobs, jobHistoryLimit, targetJobNames(instance, target))) {
      await deleteJob(job, log);
    }
  }

  async function applyChild(
    instance: NotejamInstance,
    owner: string,
    child: KubernetesObject,
    log: Logger,
  ): Promise<KubernetesObject | undefined> {
    const kind = ownedKind(child.kind);
    const live = kind.informer.get(child.metadata?.namespace, child.metadata?.name ?? '');
    const toApply =
      child.kind === 'Deployment'
        ? handOverReplicas(instance, child as V1Deployment, live as V1Deployment | undefined)
        : child;
    const { outcome, object } = await applier.apply(kind.type, toApply, live, owner);
    if (outcome === 'created') {
      log.info('created', { kind: child.kind, name: child.metadata?.name });
      events.record(
        instance,
        'Normal',
        'Created',
        'Apply',
        `Created ${child.kind} ${child.metadata?.name}`,
      );
    } else if (outcome === 'configured') {
      log.info('updated', { kind: child.kind, name: child.metadata?.name });
      events.record(
        instance,
        'Normal',
        'Updated',
        'Apply',
        `Updated ${child.kind} ${child.metadata?.name}`,
      );
    }
    return object;
  }

  /**
   * With autoscaling, `spec.replicas` belongs to the HPA. Dropping it from our apply while we
   * still own it would reset it to 1 (SSA removes fields their last owner stops applying),
   * so until the HPA has written it (taking ownership) we keep applying the live value; a
   * new Deployment starts at the autoscaler's minimum.
   */
  function handOverReplicas(
    instance: NotejamInstance,
    desired: V1Deployment,
    live: V1Deployment | undefined,
  ): V1Deployment {
    if (!instance.spec.autoscaling.enabled || desired.spec?.replicas !== undefined || !desired.spec)
      return desired;
    if (!live)
      return {
        ...desired,
        spec: { ...desired.spec, replicas: instance.spec.autoscaling.minReplicas },
      };
    if (applier.owns(live, ['spec', 'replicas']) && live.spec?.replicas !== undefined) {
      return { ...desired, spec: { ...desired.spec, replicas: live.spec.replicas } };
    }
    return desired;
  }

  async function pruneUndesired(
    instance: NotejamInstance,
    desired: KubernetesObject[],
    log: Logger,
  ) {
    const wanted = new Set(desired.map((child) => `${child.kind}/${child.metadata?.name}`));
    for (const [kind, { type, informer, prune }] of owned) {
      if (!prune) continue;
      for (const object of informer.list(instance.metadata.namespace)) {
        const name = object.metadata?.name ?? '';
        if (!isControlledBy(object, instance) || wanted.has(`${kind}/${name}`)) continue;
        try {
          await client.delete(type, instance.metadata.namespace, name, object.metadata?.uid);
        } catch (err) {
          if (!isConflict(err) && !isNotFound(err)) throw err; // replaced or already gone
        }
        applier.forget(type, instance.metadata.namespace, name);
        log.info('deleted', { kind, name });
        events.record(
          instance,
          'Normal',
          'Deleted',
          'Prune',
          `Deleted ${kind} ${name}: no longer in the spec`,
        );
      }
    }
  }

  async function ensureSessionSecret(instance: NotejamInstance, log: Logger) {
    const secret = sessionSecret(instance, randomSecretValue());
    const secrets = ownedKind('Secret');
    if (secrets.informer.get(instance.metadata.namespace, secret.metadata?.name ?? '')) return;
    try {
      await client.create(secrets.type, secret, applier.fieldManager);
    } catch (err) {
      if (isConflict(err)) return; // created before our cache saw it: keep that value
      throw err;
    }
    log.info('created session secret', { name: secret.metadata?.name });
    events.record(
      instance,
      'Normal',
      'Created',
      'Create',
      `Created Secret ${secret.metadata?.name}`,
    );
  }

  async function writeStatus(instance: NotejamInstance, status: NotejamInstanceStatus) {
    await client.apply(
      deps.instanceType,
      {
        apiVersion: instance.apiVersion,
        kind: instance.kind,
        metadata: { name: instance.metadata.name, namespace: instance.metadata.namespace },
        status,
      } as KubernetesObject,
      { fieldManager: applier.fieldManager, force: true, subresource: 'status' },
    );
  }

  function announceTransitions(
    instance: NotejamInstance,
    before: NotejamInstanceStatus | undefined,
    after: NotejamInstanceStatus,
  ) {
    const became = (type: string, status: 'True' | 'False') =>
      conditionStatus(after, type) === status && conditionStatus(before, type) !== status;
    const message = (type: string) => after.conditions?.find((c) => c.type === type)?.message ?? '';
    if (became(conditionTypes.ready, 'True'))
      events.record(instance, 'Normal', 'Ready', 'Reconcile', message(conditionTypes.ready));
    if (became(conditionTypes.migrationsApplied, 'True'))
      events.record(
        instance,
        'Normal',
        'MigrationsApplied',
        'Reconcile',
        message(conditionTypes.migrationsApplied),
      );
    if (became(conditionTypes.seeded, 'True') || seededAgain(before, after))
      events.record(instance, 'Normal', 'Seeded', 'Reconcile', message(conditionTypes.seeded));
    // Every new failure (another Job or attempt: another message) is an Event.
    const degradedBefore = before?.conditions?.find((c) => c.type === conditionTypes.degraded);
    const degradedAfter = after.conditions?.find((c) => c.type === conditionTypes.degraded);
    if (
      degradedAfter?.status === 'True' &&
      (degradedBefore?.status !== 'True' || degradedBefore.message !== degradedAfter.message)
    ) {
      events.record(instance, 'Warning', degradedAfter.reason, 'Reconcile', degradedAfter.message);
    }
    if (
      became(conditionTypes.degraded, 'False') &&
      before !== undefined &&
      conditionStatus(before, conditionTypes.degraded) === 'True'
    ) {
      events.record(
        instance,
        'Normal',
        'Recovered',
        'Reconcile',
        'The instance is no longer degraded',
      );
    }
  }

  function ownedKind(kind: string | undefined): OwnedKind {
    const entry = owned.get(kind ?? '');
    if (!entry) throw new Error(`the operator does not watch ${kind ?? 'objects without a kind'}`);
    return entry;
  }
}

function seededAgain(before: NotejamInstanceStatus | undefined, after: NotejamInstanceStatus) {
  return !!before?.seed && !!after.seed && before.seed.key !== after.seed.key;
}

function isControlledBy(object: KubernetesObject, owner: NotejamInstance): boolean {
  return (
    object.metadata?.ownerReferences?.some(
      (ref) => ref.controller === true && ref.uid === owner.metadata.uid,
    ) ?? false
  );
}
