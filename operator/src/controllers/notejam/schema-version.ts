// The schema version of an instance's database, as its migrate (or wipe) Job reported it.
// The operator never opens the database: the app's CLI writes `schemaVersion=<newest
// applied migration>` to its termination message file, and the kubelet copies that into the
// pod's `state.terminated.message` (see app/src/termination-message.ts).
import type { V1Job, V1Pod } from '@kubernetes/client-node';

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
 * The schema version reported by the succeeded pod of a Job: only a container that exited
 * 0 counts (under `FallbackToLogsOnError`, a failed one's message is its log tail).
 */
export function reportedSchemaVersion(job: V1Job, pods: V1Pod[]): string | undefined {
  const container = job.spec?.template.spec?.containers[0]?.name;
  for (const pod of pods) {
    if (pod.metadata?.labels?.['batch.kubernetes.io/job-name'] !== job.metadata?.name) continue;
    for (const status of pod.status?.containerStatuses ?? []) {
      const terminated = status.state?.terminated;
      if (status.name !== container || terminated?.exitCode !== 0) continue;
      const version = parseSchemaVersion(terminated.message);
      if (version) return version;
    }
  }
  return undefined;
}
