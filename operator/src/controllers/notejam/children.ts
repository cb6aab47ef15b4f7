// Everything an instance should own, in the order to apply it (identities and storage before
// the pods that use them). Pure: the same instance and context always give the same objects.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { backupVolumeClaim } from './backup.js';
import type { BuildContext } from './context.js';
import { deployment } from './deployment.js';
import { horizontalPodAutoscaler } from './hpa.js';
import { ingress } from './ingress.js';
import type { OwnedMetadata } from './labels.js';
import { podDisruptionBudget } from './pdb.js';
import { persistentVolumeClaim } from './persistent-volume-claim.js';
import { service } from './service.js';
import { serviceAccount } from './service-account.js';
import { serviceMonitor } from './service-monitor.js';

/** The image is undefined until a first revision may run: then there is no Deployment yet. */
export type ChildrenContext = Omit<BuildContext, 'image'> & { image: string | undefined };

/** An object ready for server-side apply. */
export type DesiredObject = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: OwnedMetadata;
};

/**
 * Every kind an instance may own, whether or not its current spec asks for one: what to
 * watch, and where to look for objects to delete when the spec stops asking for them.
 * The session Secret (created once, see session-secret.ts) is among them.
 */
export const ownedKinds = [
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' },
  { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
  },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', plural: 'servicemonitors' },
] as const;

export function desiredChildren(
  instance: NotejamInstance,
  context: ChildrenContext,
): DesiredObject[] {
  const children: (DesiredObject | undefined)[] = [
    serviceAccount(instance),
    persistentVolumeClaim(instance),
    backupVolumeClaim(instance),
    // No Deployment before a first revision's database steps have succeeded.
    context.image === undefined
      ? undefined
      : deployment(instance, { ...context, image: context.image }),
    service(instance),
    horizontalPodAutoscaler(instance),
    podDisruptionBudget(instance),
    ingress(instance),
    serviceMonitor(instance, context),
  ];
  return children.filter((child): child is DesiredObject => child !== undefined);
}
