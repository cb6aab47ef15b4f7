/**
 * Server-side apply with one field manager and force, plus the memory that makes a steady
 * state write nothing. An apply is skipped when the live object is the very one we last
 * applied to (same uid), the desired object hashes the same, and the fields the server
 * records as ours (managedFields, operation Apply) are unchanged. Anyone who changes a field
 * we own takes its ownership, which shows up there, so drift is still repaired; fields we
 * never set (HPA-written replicas, defaults, status) are none of our business.
 * After a restart the memory is empty: each object is applied once (a no-op on the server).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { stableHash } from './canonical-json.js';
import type { KubeClient } from './kube-client.js';
import { type ResourceType, objectKey, resourceId } from './resources.js';

/** What the apply did: made the object, changed it, or found it as desired (no write or a no-op). */
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

interface Applied {
  owner: string;
  uid: string;
  resourceVersion: string;
  desiredHash: string;
  /** Hash of our managedFields entry (the entry itself is kilobytes per object). */
  ownedFieldsHash: string;
}

export class Applier {
  private readonly applied = new Map<string, Applied>();

  constructor(
    private readonly client: KubeClient,
    readonly fieldManager: string,
  ) {}

  /**
   * @param live the object as last seen (informer cache), undefined when absent
   * @param owner a key grouping the objects of one owner, for forgetOwner()
   */
  async apply<T extends KubernetesObject>(
    type: ResourceType,
    desired: T,
    live: T | undefined,
    owner: string,
  ): Promise<{ outcome: ApplyOutcome; object: T | undefined }> {
    const key = memoryKey(type, desired);
    const desiredHash = stableHash(desired);
    const known = this.applied.get(key);
    if (
      live &&
      known &&
      known.uid === live.metadata?.uid &&
      known.desiredHash === desiredHash &&
      known.ownedFieldsHash === this.ownedFieldsHash(live)
    ) {
      return { outcome: 'unchanged', object: live };
    }
    const object = await this.client.apply<T>(type, desired, {
      fieldManager: this.fieldManager,
      force: true,
    });
    const uid = object.metadata?.uid ?? '';
    const resourceVersion = object.metadata?.resourceVersion ?? '';
    this.applied.set(key, {
      owner,
      uid,
      resourceVersion,
      desiredHash,
      ownedFieldsHash: this.ownedFieldsHash(object),
    });
    // The cache may not show an object we applied moments ago: our memory knows it.
    const before =
      live ??
      (known?.uid === uid ? { metadata: { resourceVersion: known.resourceVersion } } : undefined);
    const outcome: ApplyOutcome = !before
      ? 'created'
      : before.metadata?.resourceVersion === resourceVersion
        ? 'unchanged'
        : 'configured';
    return { outcome, object };
  }

  /** Whether `path` (e.g. ['spec', 'replicas']) is among the fields this manager applied. */
  owns(live: KubernetesObject, path: string[]): boolean {
    let fields = this.ownedFieldSet(live);
    for (const segment of path) {
      fields = (fields as Record<string, unknown> | undefined)?.[`f:${segment}`];
      if (fields === undefined) return false;
    }
    return true;
  }

  forget(type: ResourceType, namespace: string | undefined, name: string): void {
    this.applied.delete(`${resourceId(type)}:${objectKey(namespace, name)}`);
  }

  forgetOwner(owner: string): void {
    for (const [key, entry] of this.applied) if (entry.owner === owner) this.applied.delete(key);
  }

  private ownedFieldSet(object: KubernetesObject): unknown {
    const entry = object.metadata?.managedFields?.find(
      (field) =>
        field.manager === this.fieldManager && field.operation === 'Apply' && !field.subresource,
    );
    return entry?.fieldsV1;
  }

  private ownedFieldsHash(object: KubernetesObject): string {
    return stableHash(this.ownedFieldSet(object) ?? null);
  }
}

function memoryKey(type: ResourceType, object: KubernetesObject): string {
  return `${resourceId(type)}:${objectKey(object.metadata?.namespace, object.metadata?.name ?? '')}`;
}
