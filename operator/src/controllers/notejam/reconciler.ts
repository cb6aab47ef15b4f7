/**
 * The NotejamInstance reconcile, as a short list of stages read top to bottom like
 * controller-runtime's: get the instance, resolve its image and revision, create the
 * session Secret once, run the database steps of a new revision (lifecycle-runner.ts),
 * apply the children with the image the lifecycle allows (children-applier.ts), write the
 * status if it changed (status-writer.ts), say when to come back. Level-based and
 * idempotent; a steady state makes no write at all. See docs/design/lifecycle.md.
 */
import type { V1Deployment, V1Job, V1Secret } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { Applier } from '../../runtime/apply.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { type KubeClient, isNotFound } from '../../runtime/kube-client.js';
import { type ResourceType, objectKey } from '../../runtime/resources.js';
import type { ImageResolver } from '../../registry/resolver.js';
import { ChildrenApplier, type OwnedKind } from './children-applier.js';
import { desiredChildren } from './children.js';
import type { JobTarget } from './jobs.js';
import { LifecycleRunner } from './lifecycle-runner.js';
import { imageResolvedCondition, lifecycleReport } from './lifecycle-status.js';
import { revision } from './revision.js';
import { computeStatus } from './status.js';
import { StatusWriter } from './status-writer.js';

export type { OwnedKind } from './children-applier.js';

export interface ReconcilerDeps {
  instanceType: ResourceType;
  instances: Informer<NotejamInstance>;
  /** Keyed by kind. */
  owned: ReadonlyMap<string, OwnedKind>;
  client: KubeClient;
  applier: Applier;
  events: EventRecorder;
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
  });
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
    signal.throwIfAborted();

    // 3. The database steps of a new revision; the Deployment moves only after they succeed.
    // The Jobs' pods refer to the session Secret like the app's: it exists first.
    await children.ensureSessionSecret(instance, log);
    const performed = await lifecycleRunner.run(instance, target, now, log);
    const lifecycle = lifecycleReport(instance, performed.decision, target.revision, {
      imageResolved: imageResolvedCondition(instance.spec.image, resolution),
      ...performed.report,
    });
    signal.throwIfAborted();

    // 4. Apply the children (the pods run the deployed image until rollOut), prune the rest.
    const desired = desiredChildren(instance, {
      image: lifecycle.deployed?.image ?? liveDeploymentImage(instance),
      serviceMonitorAvailable: deps.serviceMonitorAvailable,
    });
    let current = new Map();
    let applyError: Error | undefined;
    try {
      current = await children.apply(instance, key, desired, log);
    } catch (err) {
      applyError = err as Error;
    }

    // 5. Write the status, only when it changed; tell the story with Events.
    const status = computeStatus(
      instance,
      {
        lifecycle,
        deployment: current.get('Deployment') as V1Deployment | undefined,
        applyError: applyError?.message,
        serviceMonitorUnavailable:
          instance.spec.monitoring.serviceMonitor && !deps.serviceMonitorAvailable,
      },
      now,
    );
    await statusWriter.update(instance, status);
    if (applyError) {
      events.record(instance, 'Warning', 'ApplyFailed', 'Apply', applyError.message);
      throw applyError;
    }

    // 6. Come back on the next event (Jobs, Deployment), to retry, or to resolve the tag again.
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

  /**
   * Without a recorded deployed image (a fresh instance, or one deployed by an operator
   * version before the lifecycle), the image the live Deployment runs: never pruned or
   * moved before a revision's steps succeed.
   */
  function liveDeploymentImage(instance: NotejamInstance): string | undefined {
    if (instance.status?.deployedImage) return instance.status.deployedImage;
    return children.live<V1Deployment>(instance, 'Deployment')?.spec?.template.spec?.containers[0]
      ?.image;
  }
}
