// The files of `backup DIR`: exports named by the time they were taken, so that the name
// order is the age order and retention needs nothing but the directory listing.
import * as fs from 'node:fs';
import * as path from 'node:path';

const backupName =
  /^notejam-\d{8}T\d{6}\.\d{3}Z(-[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?\.ndjson\.gz$/;
export const labelPattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `notejam-20261203T103155.123Z-<label>.ndjson.gz` (UTC). */
export function backupFileName(at: Date, label?: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '');
  return `notejam-${stamp}${label ? `-${label}` : ''}.ndjson.gz`;
}

export function isBackupFileName(name: string): boolean {
  return backupName.test(name);
}

/**
 * What retention removes from a listing of the directory: the backups beyond the `keep`
 * newest, and `.partial` files that a killed backup left (one backup runs at a time).
 */
export function backupsToDelete(names: string[], keep: number, current?: string): string[] {
  const backups = names.filter(isBackupFileName).sort().reverse();
  const stale = names.filter(
    (name) => name.endsWith('.ndjson.gz.partial') && name !== `${current}.partial`,
  );
  return [...backups.slice(keep), ...stale].sort();
}

/** Deletes them; returns the names deleted. */
export function pruneBackups(directory: string, keep: number, current?: string): string[] {
  const doomed = backupsToDelete(fs.readdirSync(directory), keep, current);
  for (const name of doomed) fs.rmSync(path.join(directory, name), { force: true });
  return doomed;
}
