// The schema version of an instance's database, as its migrate (or wipe) Job reported it.
// The operator never opens the database: the app's CLI writes `schemaVersion=<newest
// applied migration>` to its termination message file, and the kubelet copies that into the
// pod's `state.terminated.message` (see app/src/termination-message.ts).
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { isPodOf } from './jobs.js';

/** A migration name as the app writes it (TypeORM class names: letters, digits, `_`, `-`, `.`). */
const schemaVersionLine = /^schemaVersion=([A-Za-z0-9_.-]{1,256})$/;

/** The version in a termination message, or undefined when the message carries none. */
export function parseSchemaVersion(message: string | undefined): string | undefined {
  let version: string | undefined;
  for (const line of (message ?? '').split('\n')) {
    const match = schemaVersionLine.exec(line.trim());
    if (match) version = match[1]; // the last report wins
  }
  return version;
}

/**
 * The termination messages of a Job's pods whose container exited 0: only those count
 * (under `FallbackToLogsOnError`, a failed one's message is its log tail).
 */
export function succeededMessages(job: V1Job, pods: V1Pod[]): string[] {
  const container = job.spec?.template.spec?.containers[0]?.name;
  return pods
    .filter((pod) => isPodOf(job, pod))
    .flatMap((pod) => pod.status?.containerStatuses ?? [])
    .filter((status) => status.name === container && status.state?.terminated?.exitCode === 0)
    .map((status) => status.state?.terminated?.message ?? '');
}

/** The schema version reported by the succeeded pod of a Job. */
export function reportedSchemaVersion(job: V1Job, pods: V1Pod[]): string | undefined {
  return succeededMessages(job, pods).map(parseSchemaVersion).find(Boolean);
}

/**
 * The migration's timestamp: TypeORM requires every migration's name to end in the
 * JavaScript timestamp of its creation, and applies them in that order.
 */
function timestampOf(version: string): number | undefined {
  const match = /(\d{13})$/.exec(version);
  return match ? Number(match[1]) : undefined;
}

/** Orders two schema versions: negative when `a` is older than `b`. */
export function compareSchemaVersions(a: string, b: string): number {
  const [ta, tb] = [timestampOf(a), timestampOf(b)];
  if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The database's schema version after a revision's migrate Job `reported` one, given the
 * version `recorded` so far. Migrations are never undone, so the version never goes back:
 * a report older than the record (a rollback whose old Job is reused) keeps the record,
 * and says the code is older than its schema. No report (a release that does not write
 * one) forgets the record rather than keep a version the release may have passed.
 */
export function nextSchemaVersion(
  recorded: string | undefined,
  reported: string | null,
): { version?: string; codeBehind?: string } {
  if (reported === null) return {};
  if (recorded !== undefined && compareSchemaVersions(reported, recorded) < 0)
    return { version: recorded, codeBehind: reported };
  return { version: reported };
}
