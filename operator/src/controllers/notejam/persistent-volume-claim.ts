import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { defaults } from '../../api/v1alpha1/schema.js';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames, ownedMetadata, type OwnedMetadata } from './labels.js';

export type DesiredPersistentVolumeClaim = V1PersistentVolumeClaim & {
  apiVersion: 'v1';
  kind: 'PersistentVolumeClaim';
  metadata: OwnedMetadata;
};

/**
 * The SQLite data volume, or undefined when there is none to keep: MySQL instances keep
 * their data in the database server, and `wipe` instances start every pod from an empty
 * emptyDir. Owned by the instance, so deleting the instance deletes the data.
 */
export function persistentVolumeClaim(
  instance: NotejamInstance,
): DesiredPersistentVolumeClaim | undefined {
  const { database, lifecycle } = instance.spec;
  if (database.type !== 'sqlite' || lifecycle.onDeploy === 'wipe') return undefined;
  return ownedClaim(instance, childNames.data(instance), {
    size: database.sqlite?.size ?? defaults.sqliteSize,
    storageClassName: database.sqlite?.storageClassName,
  });
}

/** A ReadWriteOnce claim the instance owns (component `data`). */
export function ownedClaim(
  instance: NotejamInstance,
  name: string,
  { size, storageClassName }: { size: string | number; storageClassName?: string },
): DesiredPersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: ownedMetadata(instance, name, 'data'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName ? { storageClassName } : {}),
      resources: { requests: { storage: String(size) } },
    },
  };
}
