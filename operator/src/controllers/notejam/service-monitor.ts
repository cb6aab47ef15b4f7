// Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1). client-node has no type
// for it, so the part the operator sets is declared here.
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { BuildContext } from './context.js';
import { childNames, ownedMetadata, selectorLabels, type OwnedMetadata } from './labels.js';
import { managementPortName } from './pod-template.js';

export interface DesiredServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata: OwnedMetadata;
  spec: {
    selector: { matchLabels: Record<string, string> };
    endpoints: { port: string; path: string; interval: string; scheme: 'http' }[];
  };
}

/**
 * The ServiceMonitor, or undefined when not asked for or when the cluster lacks its CRD.
 * Its labels are the operator's plus `spec.monitoring.serviceMonitorLabels`: a Prometheus
 * installed by kube-prometheus-stack selects `release: <its Helm release>` by default, a
 * name only the user knows, so the operator adds no guess of its own.
 */
export function serviceMonitor(
  instance: NotejamInstance,
  context: Pick<BuildContext, 'serviceMonitorAvailable'> & { image?: string },
): DesiredServiceMonitor | undefined {
  const { monitoring } = instance.spec;
  if (!monitoring.serviceMonitor || !context.serviceMonitorAvailable) return undefined;
  const metadata = ownedMetadata(instance, childNames.app(instance), 'web');
  metadata.labels = { ...(monitoring.serviceMonitorLabels ?? {}), ...metadata.labels };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata,
    spec: {
      selector: { matchLabels: selectorLabels(instance) },
      endpoints: [
        {
          port: managementPortName,
          path: '/metrics',
          interval: monitoring.interval,
          scheme: 'http',
        },
      ],
    },
  };
}
