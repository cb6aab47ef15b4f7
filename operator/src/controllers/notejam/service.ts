import type { V1Service } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames, ownedMetadata, selectorLabels, type OwnedMetadata } from './labels.js';
import { httpPortName, managementPort, managementPortName } from './pod-template.js';

export const servicePort = 80;

export type DesiredService = V1Service & {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: OwnedMetadata;
};

export function service(instance: NotejamInstance): DesiredService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(instance, childNames.app(instance), 'web'),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(instance),
      ports: [
        { name: httpPortName, port: servicePort, targetPort: httpPortName, protocol: 'TCP' },
        // For the ServiceMonitor; the Ingress routes to `http` only.
        {
          name: managementPortName,
          port: managementPort,
          targetPort: managementPortName,
          protocol: 'TCP',
        },
      ],
    },
  };
}
