import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames, ownedMetadata, type OwnedMetadata } from './labels.js';
import { isSingleReplica } from './replicas.js';

export type DesiredHorizontalPodAutoscaler = V2HorizontalPodAutoscaler & {
  apiVersion: 'autoscaling/v2';
  kind: 'HorizontalPodAutoscaler';
  metadata: OwnedMetadata;
};

/** The autoscaler, or undefined when the instance does not autoscale. */
export function horizontalPodAutoscaler(
  instance: NotejamInstance,
): DesiredHorizontalPodAutoscaler | undefined {
  const { autoscaling } = instance.spec;
  if (!autoscaling.enabled || isSingleReplica(instance.spec)) return undefined;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: ownedMetadata(instance, childNames.app(instance), 'web'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: childNames.app(instance) },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: {
              type: 'Utilization',
              averageUtilization: autoscaling.targetCPUUtilizationPercentage,
            },
          },
        },
      ],
    },
  };
}
