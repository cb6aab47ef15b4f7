// What a Job's container leaves for its operator: Kubernetes copies the file at the
// container's `terminationMessagePath` into the pod's `state.terminated.message`, which
// the operator reads without access to the database or the pod's log.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `schemaVersion=<name of the newest applied migration>`: one line the operator parses. */
export function schemaVersionMessage(newestMigration: string): string {
  return `schemaVersion=${newestMigration}\n`;
}

/**
 * Writes the termination message when the file's directory exists (inside a pod it always
 * does; on a workstation it usually does not). Never fails the command: the message is a
 * report, the work is already done. Returns whether it was written.
 */
export function writeTerminationMessage(file: string, message: string): boolean {
  try {
    if (!fs.statSync(path.dirname(file)).isDirectory()) return false;
    fs.writeFileSync(file, message);
    return true;
  } catch {
    return false;
  }
}

export interface ExportReport {
  schemaVersion: string;
  file: string;
  bytes: number;
  rows: number;
}

/**
 * What `export` leaves for the operator's backup record (`status.lastBackup`): the schema
 * version line every database step writes, then the file, its size and its row count.
 */
export function exportMessage(report: ExportReport): string {
  return (
    schemaVersionMessage(report.schemaVersion) +
    `exportFile=${report.file}\nexportBytes=${report.bytes}\nexportRows=${report.rows}\n`
  );
}
