import type { V1Deployment, V1DeploymentStrategy } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { BuildContext } from './context.js';
import { databaseSecretAnnotation } from './database-secret.js';
import { childNames, ownedMetadata, selectorLabels, type OwnedMetadata } from './labels.js';
import { appContainerName, podTemplate } from './pod-template.js';
import { isSingleReplica } from './replicas.js';
import { revisionAnnotation } from './revision.js';

export type DesiredDeployment = V1Deployment & {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: OwnedMetadata;
};

function strategy(instance: NotejamInstance): V1DeploymentStrategy {
  // Two pods must never open the same SQLite file: the old pod stops before the new one starts.
  if (isSingleReplica(instance.spec)) return { type: 'Recreate' };
  // Never below the wanted capacity; readiness gates the traffic to each new pod.
  return { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
}

/** Pod template annotation of maintenance pods (see BuildContext.maintenance). */
export const maintenanceAnnotation = 'notejam.io/maintenance';

export function deployment(instance: NotejamInstance, context: BuildContext): DesiredDeployment {
  const { spec } = instance;
  const template = podTemplate(instance, context.image);
  const annotations: Record<string, string> = {
    ...(context.revision === undefined ? {} : { [revisionAnnotation]: context.revision }),
    ...(context.databaseSecretHash === undefined
      ? {}
      : { [databaseSecretAnnotation]: context.databaseSecretHash }),
    ...(context.maintenance ? { [maintenanceAnnotation]: 'true' } : {}),
  };
  if (Object.keys(annotations).length > 0)
    template.metadata = { ...template.metadata, annotations };
  if (context.maintenance) {
    // The same pods (image, probes, drain) running the maintenance page: they never open
    // the database, so nothing serves against a schema that is being dropped.
    const app = template.spec?.containers.find((c) => c.name === appContainerName);
    if (app) app.args = ['maintenance'];
    delete template.spec?.initContainers;
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: ownedMetadata(instance, childNames.app(instance), 'web'),
    spec: {
      // Left out when autoscaling: the HPA owns the field and the two must not fight over it.
      ...(spec.autoscaling.enabled && !isSingleReplica(spec)
        ? {}
        : { replicas: isSingleReplica(spec) ? 1 : spec.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(instance) },
      strategy: strategy(instance),
      template,
    },
  };
}
