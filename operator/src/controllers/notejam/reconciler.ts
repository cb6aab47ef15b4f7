/**
 * The NotejamInstance reconcile loop, read top to bottom like controller-runtime's:
 * get the instance, compute the desired children, apply them, create the session Secret
 * once, observe the Deployment, write the status if it changed, say when to come back.
 * Level-based and idempotent; a steady state makes no write at all.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
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
import { desiredChildren } from './children.js';
import { randomSessionSecret, sessionSecret } from './session-secret.js';
import { computeStatus, conditionStatus, statusChanged } from './status.js';

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
  randomSecretValue?: () => string;
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
      return {};
    }

    // 2. Compute the desired children.
    const context = {
      image: imageToRun(instance),
      serviceMonitorAvailable: deps.serviceMonitorAvailable,
    };
    const desired = desiredChildren(instance, context);

    // 3. Apply them (and prune what is no longer desired), create the session Secret once.
    // What each child looks like now (the apply response, or the cache when nothing changed).
    const current = new Map<string, KubernetesObject | undefined>();
    let applyError: Error | undefined;
    try {
      for (const child of desired)
        current.set(child.kind, await applyChild(instance, key, child, log));
      await pruneUndesired(instance, desired, log);
      await ensureSessionSecret(instance, log);
    } catch (err) {
      applyError = err as Error;
    }

    // 4. Observe the Deployment (its status changes bring us back here).
    const observation = {
      deployment: current.get('Deployment') as V1Deployment | undefined,
      applyError: applyError?.message,
      serviceMonitorUnavailable:
        instance.spec.monitoring.serviceMonitor && !deps.serviceMonitorAvailable,
    };

    // 5. Write the status, only when it changed; tell the story with Events.
    const status = computeStatus(instance, observation, new Date());
    if (statusChanged(instance.status, status)) {
      await writeStatus(instance, status);
      announceTransitions(instance, instance.status, status);
    }
    if (applyError) {
      events.record(instance, 'Warning', 'ApplyFailed', 'Apply', applyError.message);
      throw applyError;
    }

    // 6. Come back on the next event or resync.
    return {};
  };

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
    if (became(conditionTypes.degraded, 'True')) {
      const reason =
        after.conditions?.find((c) => c.type === conditionTypes.degraded)?.reason ?? 'Degraded';
      events.record(instance, 'Warning', reason, 'Reconcile', message(conditionTypes.degraded));
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

/**
 * The image the pods run. Without a deployment lifecycle it is the spec's image; the
 * lifecycle (migrations first) will hold it back until the new revision is migrated.
 */
function imageToRun(instance: NotejamInstance): string {
  return instance.spec.image;
}

function isControlledBy(object: KubernetesObject, owner: NotejamInstance): boolean {
  return (
    object.metadata?.ownerReferences?.some(
      (ref) => ref.controller === true && ref.uid === owner.metadata.uid,
    ) ?? false
  );
}
