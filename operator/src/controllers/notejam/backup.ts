// The backup before a migration (spec.lifecycle.backup): whether an instance takes one, the
// volume the operator keeps them on, and what the backup Job reports back. The Job itself
// is built with the other lifecycle Jobs (jobs.ts); it runs the app's `backup` command,
// which exports the database and applies the retention (app/src/database/portable/).
import type { V1Job, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { defaults } from '../../api/v1alpha1/schema.js';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames } from './labels.js';
import { ownedClaim, type DesiredPersistentVolumeClaim } from './persistent-volume-claim.js';
import { parseSchemaVersion, succeededMessages } from './schema-version.js';

/** Where the backup Job mounts the backup volume. */
export const backupDirectory = '/var/lib/notejam/backups';
const backupVolumeName = 'backups';

/**
 * Whether a new revision's migrations wait for a backup: as `lifecycle.backup.enabled`
 * says, and when it is unset, for production instances on MySQL. A SQLite database lives
 * in the pod's volume, out of reach of a Job (the API server refuses enabling it).
 */
export function backupEnabled(instance: NotejamInstance): boolean {
  const { database, environment, lifecycle } = instance.spec;
  if (database.type !== 'mysql') return false;
  return lifecycle.backup.enabled ?? environment === 'production';
}

/**
 * The backup volume, `<instance>-backups`, while backups are on. Owned by the instance like
 * every child: deleting the instance deletes its backups (copy them off first, see
 * docs/runbooks/restore-backup.md). Never deleted otherwise, even when backups are turned off.
 */
export function backupVolumeClaim(
  instance: NotejamInstance,
): DesiredPersistentVolumeClaim | undefined {
  if (!backupEnabled(instance)) return undefined;
  const { size, storageClassName } = instance.spec.lifecycle.backup;
  return ownedClaim(instance, childNames.backups(instance), {
    size: size ?? defaults.backupSize,
    storageClassName,
  });
}

/** The backup volume as the backup Job's pod mounts it. */
export function backupVolume(instance: NotejamInstance): {
  volume: V1Volume;
  mount: V1VolumeMount;
} {
  return {
    volume: {
      name: backupVolumeName,
      persistentVolumeClaim: { claimName: childNames.backups(instance) },
    },
    mount: { name: backupVolumeName, mountPath: backupDirectory },
  };
}

/** `backup <dir> --keep <retention> --label before-<revision>` (the file name says what it preceded). */
export function backupArgs(instance: NotejamInstance, revision: string): string[] {
  return [
    'backup',
    backupDirectory,
    '--keep',
    String(instance.spec.lifecycle.backup.retention),
    '--label',
    `before-${revision}`,
  ];
}

/** What `backup` leaves in its termination message (app/src/termination-message.ts). */
export interface BackupReport {
  file: string;
  schemaVersion?: string;
  sizeBytes?: number;
  rows?: number;
}

const fileLine = /^exportFile=([A-Za-z0-9._-]{1,253})$/;
const numberLine = /^(exportBytes|exportRows)=(\d{1,16})$/;

/** The backup a termination message reports, or undefined (e.g. "nothing to back up"). */
export function parseBackupReport(message: string | undefined): BackupReport | undefined {
  let report: BackupReport | undefined;
  const numbers: Record<string, number> = {};
  for (const raw of (message ?? '').split('\n')) {
    const line = raw.trim();
    const file = fileLine.exec(line);
    if (file) report = { file: file[1]! };
    const number = numberLine.exec(line);
    if (number) numbers[number[1]!] = Number(number[2]);
  }
  if (!report) return undefined;
  const schemaVersion = parseSchemaVersion(message);
  return {
    ...report,
    ...(schemaVersion ? { schemaVersion } : {}),
    ...(numbers.exportBytes !== undefined ? { sizeBytes: numbers.exportBytes } : {}),
    ...(numbers.exportRows !== undefined ? { rows: numbers.exportRows } : {}),
  };
}

/** The backup the succeeded pod of a backup Job reported. */
export function reportedBackup(job: V1Job, pods: V1Pod[]): BackupReport | undefined {
  return succeededMessages(job, pods).map(parseBackupReport).find(Boolean);
}
