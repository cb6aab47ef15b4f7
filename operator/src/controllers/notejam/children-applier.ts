/**
 * Brings an instance's children to the desired state: the session Secret created once,
 * every desired child server-side applied, and what the spec no longer asks for deleted.
 * Events and log lines say what changed; an unchanged child costs no API call.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { Applier } from '../../runtime/apply.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { type KubeClient, isConflict, isNotFound } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import type { ResourceType } from '../../runtime/resources.js';
import { isControlledBy } from './labels.js';
import { randomSessionSecret, sessionSecret } from './session-secret.js';

/** An object kind the instance owns, with the cache that watches it. */
export interface OwnedKind {
  type: ResourceType;
  informer: Informer;
  /** Delete it when no longer desired. False for data (PVCs) and the session Secret. */
  prune: boolean;
}

export interface ChildrenApplierDeps {
  /** Keyed by kind. */
  owned: ReadonlyMap<string, OwnedKind>;
  client: KubeClient;
  applier: Applier;
  events: EventRecorder;
  randomSecretValue?: () => string;
}

export class ChildrenApplier {
  private readonly randomSecretValue: () => string;

  constructor(private readonly deps: ChildrenApplierDeps) {
    this.randomSecretValue = deps.randomSecretValue ?? randomSessionSecret;
  }

  /** The cached child of `kind` the instance controls (e.g. its Deployment), if any. */
  live<T extends KubernetesObject>(instance: NotejamInstance, kind: string): T | undefined {
    return this.ownedKind(kind)
      .informer.list(instance.metadata.namespace)
      .find((object) => isControlledBy(object, instance)) as T | undefined;
  }

  /** Creates the session Secret once; an existing one is never changed (its value is the key). */
  async ensureSessionSecret(instance: NotejamInstance, log: Logger): Promise<void> {
    const secret = sessionSecret(instance, this.randomSecretValue());
    const secrets = this.ownedKind('Secret');
    if (secrets.informer.get(instance.metadata.namespace, secret.metadata?.name ?? '')) return;
    try {
      await this.deps.client.create(secrets.type, secret, this.deps.applier.fieldManager);
    } catch (err) {
      if (isConflict(err)) return; // created before our cache saw it: keep that value
      throw err;
    }
    log.info('created session secret', { name: secret.metadata?.name });
    this.deps.events.record(
      instance,
      'Normal',
      'Created',
      'Create',
      `Created Secret ${secret.metadata?.name}`,
    );
  }

  /**
   * Applies the desired children, then prunes the undesired ones. Returns what each
   * applied child looks like now (the apply response, or the cache when nothing changed).
   */
  async apply(
    instance: NotejamInstance,
    owner: string,
    desired: KubernetesObject[],
    log: Logger,
  ): Promise<Map<string, KubernetesObject | undefined>> {
    const current = new Map<string, KubernetesObject | undefined>();
    for (const child of desired)
      current.set(child.kind ?? '', await this.applyChild(instance, owner, child, log));
    await this.pruneUndesired(instance, desired, log);
    return current;
  }

  private async applyChild(
    instance: NotejamInstance,
    owner: string,
    child: KubernetesObject,
    log: Logger,
  ): Promise<KubernetesObject | undefined> {
    const kind = this.ownedKind(child.kind);
    const live = kind.informer.get(child.metadata?.namespace, child.metadata?.name ?? '');
    const toApply =
      child.kind === 'Deployment'
        ? this.handOverReplicas(instance, child as V1Deployment, live as V1Deployment | undefined)
        : child;
    const { outcome, object } = await this.deps.applier.apply(kind.type, toApply, live, owner);
    if (outcome === 'created') {
      log.info('created', { kind: child.kind, name: child.metadata?.name });
      this.deps.events.record(
        instance,
        'Normal',
        'Created',
        'Apply',
        `Created ${child.kind} ${child.metadata?.name}`,
      );
    } else if (outcome === 'configured') {
      log.info('updated', { kind: child.kind, name: child.metadata?.name });
      this.deps.events.record(
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
  private handOverReplicas(
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
    if (this.deps.applier.owns(live, ['spec', 'replicas']) && live.spec?.replicas !== undefined) {
      return { ...desired, spec: { ...desired.spec, replicas: live.spec.replicas } };
    }
    return desired;
  }

  private async pruneUndesired(
    instance: NotejamInstance,
    desired: KubernetesObject[],
    log: Logger,
  ) {
    const wanted = new Set(desired.map((child) => `${child.kind}/${child.metadata?.name}`));
    for (const [kind, { type, informer, prune }] of this.deps.owned) {
      if (!prune) continue;
      for (const object of informer.list(instance.metadata.namespace)) {
        const name = object.metadata?.name ?? '';
        if (!isControlledBy(object, instance) || wanted.has(`${kind}/${name}`)) continue;
        try {
          await this.deps.client.delete(
            type,
            instance.metadata.namespace,
            name,
            object.metadata?.uid,
          );
        } catch (err) {
          if (!isConflict(err) && !isNotFound(err)) throw err; // replaced or already gone
        }
        this.deps.applier.forget(type, instance.metadata.namespace, name);
        log.info('deleted', { kind, name });
        this.deps.events.record(
          instance,
          'Normal',
          'Deleted',
          'Prune',
          `Deleted ${kind} ${name}: no longer in the spec`,
        );
      }
    }
  }

  private ownedKind(kind: string | undefined): OwnedKind {
    const entry = this.deps.owned.get(kind ?? '');
    if (!entry) throw new Error(`the operator does not watch ${kind ?? 'objects without a kind'}`);
    return entry;
  }
}
