// Credential rotation: the app pods read the database settings from the referenced Secret
// when they start (secretKeyRef), so a rotated password reaches them only through new pods.
// A hash of the values they read goes into the pod template's annotations (not into the
// revision: a new password is not a new release and runs no database step), and a change
// of it rolls the Deployment like any template change, with the usual zero-downtime update.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { stableHash } from '../../runtime/canonical-json.js';
import type { Informer } from '../../runtime/informer.js';
import { type KubeClient, isNotFound } from '../../runtime/kube-client.js';
import { type ResourceType, objectKey } from '../../runtime/resources.js';
import { mysqlSecretKeys } from './pod-template.js';
import type { ReconcileRun } from './reconcile-run.js';

/** Pod template annotation holding the hash of the database settings the pods were started with. */
export const databaseSecretAnnotation = 'notejam.io/database-secret-hash';

/**
 * Hash of the values of the keys the app reads (other keys of the Secret may change without
 * a rollout); `missing` when the Secret does not exist (the pods cannot start either, and
 * its creation then rolls them).
 */
export function databaseSecretHash(secret: V1Secret | undefined): string {
  if (!secret) return 'missing';
  const data = secret.data ?? {};
  const used = Object.fromEntries(Object.values(mysqlSecretKeys).map((key) => [key, data[key]]));
  return stableHash(used, 16);
}

/**
 * The hash of each instance's database Secret, read only when the Secret changed: a
 * metadata-only informer (no secret held in memory) says which resourceVersion each Secret
 * is at, and the Secret is fetched once per version. A steady state reads nothing.
 */
export class DatabaseSecretHashes {
  private readonly known = new Map<string, { resourceVersion: string; hash: string }>();

  constructor(
    private readonly client: KubeClient,
    private readonly secretType: ResourceType,
    private readonly metadata: Informer<KubernetesObject>,
  ) {
    metadata.on((event, secret) => {
      if (event === 'deleted')
        this.known.delete(objectKey(secret.metadata?.namespace, secret.metadata?.name ?? ''));
    });
  }

  /**
   * The hash for the instance's database Secret; undefined for SQLite, and when it could
   * not be read (the failure is recorded in `run`: the pods keep what they have).
   */
  async hashFor(run: ReconcileRun): Promise<string | undefined> {
    const { namespace } = run.instance.metadata;
    const name = run.instance.spec.database.mysql?.secretRef.name;
    if (run.instance.spec.database.type !== 'mysql' || !name) return undefined;
    const seen = this.metadata.get(namespace, name);
    if (!seen) return databaseSecretHash(undefined);
    const key = objectKey(namespace, name);
    const cached = this.known.get(key);
    const version = seen.metadata?.resourceVersion ?? '';
    if (cached && cached.resourceVersion === version) return cached.hash;
    let secret: V1Secret | undefined;
    const read = await run.attempt(
      'DatabaseSecret',
      `reading the database Secret ${name}`,
      async () => {
        try {
          secret = await this.client.get<V1Secret>(this.secretType, namespace, name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      },
    );
    if (!read) return undefined;
    const hash = databaseSecretHash(secret);
    this.known.set(key, { resourceVersion: secret?.metadata?.resourceVersion ?? version, hash });
    return hash;
  }
}
