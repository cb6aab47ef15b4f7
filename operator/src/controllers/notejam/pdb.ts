import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames, ownedMetadata, selectorLabels, type OwnedMetadata } from './labels.js';
import { minimumReplicas } from './replicas.js';

export type DesiredPodDisruptionBudget = V1PodDisruptionBudget & {
  apiVersion: 'policy/v1';
  kind: 'PodDisruptionBudget';
  metadata: OwnedMetadata;
};

/**
 * The disruption budget, or undefined for a single-replica instance: a budget there could
 * only forbid evicting its one pod, which blocks node drains without keeping anything up.
 * `spec.availability.minAvailable` when set (the CRD keeps it below the replica count),
 * otherwise one pod down at a time.
 */
export function podDisruptionBudget(
  instance: NotejamInstance,
): DesiredPodDisruptionBudget | undefined {
  const { minAvailable } = instance.spec.availability;
  if (minimumReplicas(instance.spec) < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedMetadata(instance, childNames.app(instance), 'web'),
    spec: {
      selector: { matchLabels: selectorLabels(instance) },
      ...(minAvailable === undefined ? { maxUnavailable: 1 } : { minAvailable }),
      // A pod that is not ready serves nothing: evicting it never costs availability.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
