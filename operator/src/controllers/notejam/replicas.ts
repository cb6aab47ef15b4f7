// How many app pods an instance runs, as the builders of several objects need it.
import type { NotejamInstanceSpec } from '../../api/v1alpha1/types.js';

/** A SQLite database lives in the pod's volume: exactly one pod may use it. */
export function isSingleReplica(spec: NotejamInstanceSpec): boolean {
  return spec.database.type === 'sqlite';
}

/** The fewest pods the instance runs in normal operation. */
export function minimumReplicas(spec: NotejamInstanceSpec): number {
  if (isSingleReplica(spec)) return 1;
  return spec.autoscaling.enabled ? spec.autoscaling.minReplicas : spec.replicas;
}
