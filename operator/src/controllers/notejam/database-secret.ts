// Credential rotation: the app pods read the database settings from the referenced Secret
// when they start (secretKeyRef), so a rotated password reaches them only through new pods.
// A hash of the values they read goes into the pod template's annotations (not into the
// revision: a new password is not a new release and runs no database step), and a change
// of it rolls the Deployment like any template change, with the usual zero-downtime update.
import type { V1Secret } from '@kubernetes/client-node';
import { stableHash } from '../../runtime/canonical-json.js';
import { mysqlSecretKeys } from './pod-template.js';

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
