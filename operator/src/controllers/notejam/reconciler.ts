/**
 * The NotejamInstance reconcile, as a short list of stages read top to bottom like
 * controller-runtime's: get the instance, learn which image its spec asks for, create the
 * session Secret once, run the database steps of a new revision (lifecycle-runner.ts),
 * apply each child with the image the lifecycle allows (children-applier.ts), write the
 * status if it changed (status-writer.ts), say when to come back. A paused instance only
 * gets its status written. A failed step does not
 * end the reconcile: the others run, the status says what refused what, then the
 * reconcile fails (reconcile-run.ts). Level-based and idempotent; a steady state makes no
 * write at all. See docs/design/lifecycle.md.
 */
import type { KubernetesObject, V1Deployment, V1Job, V1Secret } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { Applier } from '../../runtime/apply.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import { type ResourceType, objectKey } from '../../runtime/resources.js';
import type { ImageResolver } from '../../registry/resolver.js';
import { backupVolumeClaim } from './backup.js';
import { ChildrenApplier, type OwnedKind } from './children-applier.js';
import { desiredChildren } from './children.js';
import { DatabaseSecretHashes, databaseSecretAnnotation } from './database-secret.js';
import { imageResolvedCondition, imageTarget, type ImageTarget } from './image-target.js';
import type { JobSlots } from './job-slots.js';
import { LifecycleRunner } from './lifecycle-runner.js';
import { ReconcileRun } from './reconcile-run.js';
import { deployedRevision } from './revision.js';
import { computeStatus, degradedBy, type ConditionInput, type Observation } from './status.js';
import { StatusWriter } from './status-writer.js';

export type { OwnedKind } from './children-applier.js';

export interface ReconcilerDeps {
  instanceType: ResourceType;
  instances: Informer<NotejamInstance>;
  /** Keyed by kind; the ServiceMonitor kind only while the cluster serves it. */
  owned: ReadonlyMap<string, OwnedKind>;
  client: KubeClient;
  applier: Applier;
  events: EventRecorder;
  /** Whether ServiceMonitors can be created now (service-monitor-support.ts). */
  serviceMonitorAvailable: () => boolean;
  /** The lifecycle Jobs (component lifecycle), watched so their completion brings us back. */
  jobs: { type: ResourceType; informer: Informer<V1Job> };
  /** The cap on lifecycle Jobs running at once, across every instance. */
  jobSlots: JobSlots;
  /** Pods are only listed: a failed Job's log tail, a finished one's schema version. */
  podType: ResourceType;
  /** The image pull Secrets in the cache (none is ever read from the API server). */
  pullSecret: (namespace: string, name: string) => V1Secret | undefined;
  secretType: ResourceType;
  /** Every Secret's metadata (never content): changes of the database Secrets roll the pods. */
  databaseSecrets: Informer<KubernetesObject>;
  /** Reads only its cache: resolutions run in the background and enqueue their instances. */
  resolver: ImageResolver;
  randomSecretValue?: () => string;
  now?: () => Date;
}

export function notejamReconciler(deps: ReconcilerDeps): Reconciler {
  const { applier, client, events } = deps;
  const fieldManager = applier.fieldManager;
  const children = new ChildrenApplier({
    owned: deps.owned,
    client,
    applier,
    events,
    randomSecretValue: deps.randomSecretValue,
  });
  const lifecycleRunner = new LifecycleRunner({
    client,
    events,
    fieldManager,
    jobs: deps.jobs,
    podType: deps.podType,
    slots: deps.jobSlots,
  });
  const databaseSecrets = new DatabaseSecretHashes(client, deps.secretType, deps.databaseSecrets);
  const statusWriter = new StatusWriter({
    client,
    events,
    instanceType: deps.instanceType,
    fieldManager,
  });

  return async function reconcile(request: ReconcileRequest, { signal, log }: ReconcileContext) {
    const key = objectKey(request.namespace, request.name);

    // 1. Get the instance. Gone or going: its children follow through their owner references.
    const instance = deps.instances.get(request.namespace, request.name);
    if (!instance || instance.metadata.deletionTimestamp) {
      applier.forgetOwner(key);
      deps.resolver.forget(key);
      deps.jobSlots.forget(key);
      return {};
    }
    const run = new ReconcileRun(instance, key, deps.now?.() ?? new Date(), log, signal);
    // The Deployment as the cache shows it: what runs, whatever this reconcile manages to do.
    const live = children.live<V1Deployment>(instance, 'Deployment');

    // Paused: no child is changed and no Job started (a running one finishes); the status
    // says so, and keeps what it said about the deployment until the instance resumes.
    if (instance.spec.paused) {
      const observation: Observation = {
        deployment: live,
        deployed: deployedRevision(instance, live),
        paused: true,
      };
      await statusWriter.update(
        instance,
        (current) => computeStatus(current, observation, run.now),
        [],
      );
      return run.result();
    }

    // 2. Which image the spec asks for (a tag resolved to its digest, or known not to exist).
    const image = resolveImage(run, live);

    // 3. The database steps of a new revision; the Deployment moves only after they succeed.
    // The Jobs' pods refer to the session Secret like the app's, and the backup Job to the
    // backup volume: they exist first.
    await children.ensureSessionSecret(run);
    const backups = backupVolumeClaim(instance);
    if (backups) await children.apply(run, [backups], { prune: false });
    const lifecycle = await lifecycleRunner.run(run, image.target, image.condition, live);
    run.checkpoint();

    // 4. Apply each child (the pods run what the lifecycle allows, with the database
    // settings of now: a rotated password rolls them), prune the rest.
    const secretHash =
      (await databaseSecrets.hashFor(run)) ??
      live?.spec?.template.metadata?.annotations?.[databaseSecretAnnotation];
    const desired = desiredChildren(instance, {
      image: lifecycle.deploy?.image,
      ...(lifecycle.deploy?.revision ? { revision: lifecycle.deploy.revision } : {}),
      ...(secretHash ? { databaseSecretHash: secretHash } : {}),
      ...(lifecycle.maintenance ? { maintenance: true } : {}),
      serviceMonitorAvailable: deps.serviceMonitorAvailable(),
    });
    const applied = await children.apply(run, desired);
    run.checkpoint();

    // 5. Write the status, only when it changed; tell the story with Events.
    const observation: Observation = {
      lifecycle: lifecycle.report,
      // As this reconcile left it: a rollout it began is not assessed on the previous template.
      deployment: applied.deployment ?? live,
      // What the Deployment runs now: as applied, or as it was when its apply failed.
      deployed: applied.kinds.has('Deployment')
        ? lifecycle.deploy
        : deployedRevision(instance, live),
      failures: run.failures,
      serviceMonitorUnavailable:
        instance.spec.monitoring.serviceMonitor && !deps.serviceMonitorAvailable(),
    };
    await statusWriter.update(
      instance,
      (current) => computeStatus(current, observation, run.now),
      degradedBy(observation),
    );

    // 6. Come back on the next event (Jobs, Deployment, a new digest) or to retry; fail
    // when a step failed.
    return run.result();
  };

  /**
   * What the shared resolver knows of spec.image now, and the ImageResolved condition it
   * gives. Never waits for a registry: an image not resolved yet holds any new revision,
   * and the resolver enqueues the instance when it answers.
   */
  function resolveImage(
    run: ReconcileRun,
    live: V1Deployment | undefined,
  ): { target: ImageTarget; condition: ConditionInput } {
    const { instance } = run;
    const resolution = deps.resolver.lookup({
      subscriber: run.key,
      image: instance.spec.image,
      pullSecrets: pullSecrets(instance),
      deployedImage: deployedRevision(instance, live)?.image,
    });
    return {
      target: imageTarget(resolution),
      condition: imageResolvedCondition(instance.spec.image, resolution),
    };
  }

  /** The Secrets named by spec.imagePullSecrets that exist (a missing one shows as a 401). */
  function pullSecrets(instance: NotejamInstance): V1Secret[] {
    return (instance.spec.imagePullSecrets ?? [])
      .map(({ name }) => deps.pullSecret(instance.metadata.namespace, name))
      .filter((secret): secret is V1Secret => secret !== undefined);
  }
}
