/**
 * Brings an instance's children to the desired state: the session Secret created once,
 * every desired child server-side applied, and what the spec no longer asks for deleted.
 * Each child on its own: one the API server refuses (a PVC that cannot be resized) is a
 * failure of the reconcile, and the others are still applied. Events and log lines say
 * what changed; an unchanged child costs no API call.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { Applier } from '../../runtime/apply.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { type KubeClient, isConflict, isNotFound } from '../../runtime/kube-client.js';
import type { ResourceType } from '../../runtime/resources.js';
import type { ReconcileRun } from './reconcile-run.js';
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
    return this.ownedKind(kind).informer.controlledBy(instance.metadata.uid)[0] as T | undefined;
  }

  /** Creates the session Secret once; an existing one is never changed (its value is the key). */
  async ensureSessionSecret(run: ReconcileRun): Promise<void> {
    const { instance } = run;
    const secret = sessionSecret(instance, this.randomSecretValue());
    const name = secret.metadata?.name ?? '';
    const secrets = this.ownedKind('Secret');
    if (secrets.informer.get(instance.metadata.namespace, name)) return;
    await run.attempt('SessionSecret', `creating Secret ${name}`, async () => {
      try {
        await this.deps.client.create(secrets.type, secret, this.deps.applier.fieldManager);
      } catch (err) {
        if (isConflict(err)) return; // created before our cache saw it: keep that value
        throw err;
      }
      run.log.info('created session secret', { name });
      this.deps.events.record(instance, 'Normal', 'Created', 'Create', `Created Secret ${name}`);
    });
  }

  /**
   * Applies each desired child on its own, then (unless told not to: a child needed early,
   * like the backup volume) prunes the undesired ones. Returns the kinds whose apply
   * succeeded (unchanged ones included) and the Deployment as the API server answered the
   * apply: its status is the one to assess, not the status of the Deployment read before
   * (which, complete on the previous template, would call a rollout that has only just
   * begun Ready).
   */
  async apply(
    run: ReconcileRun,
    desired: KubernetesObject[],
    { prune = true }: { prune?: boolean } = {},
  ): Promise<{ kinds: Set<string>; deployment?: V1Deployment }> {
    const kinds = new Set<string>();
    let deployment: V1Deployment | undefined;
    for (const child of desired) {
      const doing = `applying ${child.kind} ${child.metadata?.name}`;
      const done = await run.attempt(child.kind ?? 'Child', doing, async () => {
        const object = await this.applyChild(run, child);
        if (child.kind === 'Deployment') deployment = object as V1Deployment | undefined;
      });
      if (done) kinds.add(child.kind ?? '');
    }
    if (prune) await this.pruneUndesired(run, desired);
    return { kinds, deployment };
  }

  /** Applies one child; returns it as the API server answered (the live copy if unchanged). */
  private async applyChild(
    run: ReconcileRun,
    child: KubernetesObject,
  ): Promise<KubernetesObject | undefined> {
    const { instance, log } = run;
    const kind = this.ownedKind(child.kind);
    const live = kind.informer.get(child.metadata?.namespace, child.metadata?.name ?? '');
    const toApply =
      child.kind === 'Deployment'
        ? this.handOverReplicas(instance, child as V1Deployment, live as V1Deployment | undefined)
        : child;
    const { outcome, object } = await this.deps.applier.apply(kind.type, toApply, live, run.key);
    if (outcome === 'unchanged') return object;
    const reason = outcome === 'created' ? 'Created' : 'Updated';
    log.info(reason.toLowerCase(), { kind: child.kind, name: child.metadata?.name });
    this.deps.events.record(
      instance,
      'Normal',
      reason,
      'Apply',
      `${reason} ${child.kind} ${child.metadata?.name}`,
    );
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

  private async pruneUndesired(run: ReconcileRun, desired: KubernetesObject[]) {
    const { instance } = run;
    const namespace = instance.metadata.namespace;
    const wanted = new Set(desired.map((child) => `${child.kind}/${child.metadata?.name}`));
    for (const [kind, { type, informer, prune }] of this.deps.owned) {
      if (!prune) continue;
      for (const object of informer.controlledBy(instance.metadata.uid)) {
        const name = object.metadata?.name ?? '';
        if (wanted.has(`${kind}/${name}`)) continue;
        await run.attempt(`${kind}Prune`, `deleting ${kind} ${name}`, async () => {
          try {
            await this.deps.client.delete(type, namespace, name, object.metadata?.uid);
          } catch (err) {
            if (!isConflict(err) && !isNotFound(err)) throw err; // replaced or already gone
          }
          this.deps.applier.forget(type, namespace, name);
          run.log.info('deleted', { kind, name });
          this.deps.events.record(
            instance,
            'Normal',
            'Deleted',
            'Prune',
            `Deleted ${kind} ${name}: no longer in the spec`,
          );
        });
      }
    }
  }

  private ownedKind(kind: string | undefined): OwnedKind {
    const entry = this.deps.owned.get(kind ?? '');
    if (!entry) throw new Error(`the operator does not watch ${kind ?? 'objects without a kind'}`);
    return entry;
  }
}
