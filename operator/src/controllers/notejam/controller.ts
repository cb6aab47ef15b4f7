/**
 * Wires the NotejamInstance controller: which kinds it watches (the instances, and every
 * kind it owns, selected by the managed-by label so the caches hold only our objects),
 * how their events map to an instance, and the reconciler that handles them.
 */
import * as api from '../../api/v1alpha1/types.js';
import type { Applier } from '../../runtime/apply.js';
import { Controller } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import { Informer } from '../../runtime/informer.js';
import { type KubeClient, isNotFound } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import type { Manager } from '../../runtime/manager.js';
import type { RuntimeMetrics } from '../../runtime/metrics.js';
import type { ResourceType } from '../../runtime/resources.js';
import { managedByLabel } from './labels.js';
import { type OwnedKind, notejamReconciler } from './reconciler.js';

export const CONTROLLER_NAME = 'notejaminstance';

/** Owned objects are watched by the managed-by label: the caches hold only ours (not every Secret). */
const managedBySelector = Object.entries(managedByLabel)
  .map(([key, value]) => `${key}=${value}`)
  .join(',');

export const instanceType: ResourceType = {
  group: api.group,
  version: api.version,
  plural: api.plural,
  kind: api.kind,
  namespaced: true,
};

/** Owned kinds. `prune`: deleted when the spec no longer asks for them. */
export const ownedTypes: ReadonlyArray<{ type: ResourceType; prune: boolean }> = [
  {
    type: {
      group: '',
      version: 'v1',
      plural: 'serviceaccounts',
      kind: 'ServiceAccount',
      namespaced: true,
    },
    prune: true,
  },
  {
    type: {
      group: 'apps',
      version: 'v1',
      plural: 'deployments',
      kind: 'Deployment',
      namespaced: true,
    },
    prune: true,
  },
  {
    type: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
    prune: true,
  },
  {
    type: {
      group: 'autoscaling',
      version: 'v2',
      plural: 'horizontalpodautoscalers',
      kind: 'HorizontalPodAutoscaler',
      namespaced: true,
    },
    prune: true,
  },
  {
    type: {
      group: 'policy',
      version: 'v1',
      plural: 'poddisruptionbudgets',
      kind: 'PodDisruptionBudget',
      namespaced: true,
    },
    prune: true,
  },
  {
    type: {
      group: 'networking.k8s.io',
      version: 'v1',
      plural: 'ingresses',
      kind: 'Ingress',
      namespaced: true,
    },
    prune: true,
  },
  // Data and the generated session key are never deleted by the operator.
  {
    type: {
      group: '',
      version: 'v1',
      plural: 'persistentvolumeclaims',
      kind: 'PersistentVolumeClaim',
      namespaced: true,
    },
    prune: false,
  },
  {
    type: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
    prune: false,
  },
];

export const serviceMonitorType: ResourceType = {
  group: 'monitoring.coreos.com',
  version: 'v1',
  plural: 'servicemonitors',
  kind: 'ServiceMonitor',
  namespaced: true,
};

export interface NotejamControllerOptions {
  client: KubeClient;
  applier: Applier;
  events: EventRecorder;
  logger: Logger;
  metrics: RuntimeMetrics;
  manager: Manager;
  /** Only this namespace; all when undefined. */
  namespace?: string;
  maxConcurrentReconciles: number;
  resyncPeriodMs: number;
  informer: { watchTimeoutSeconds: number; silenceTimeoutMs: number };
}

/** Registers the informers and the controller with the manager. */
export async function setUpNotejamController(
  options: NotejamControllerOptions,
): Promise<Controller> {
  const { client, logger, metrics, manager } = options;
  const serviceMonitorAvailable = await serviceMonitorCrdInstalled(client);
  logger.info('ServiceMonitor support', { available: serviceMonitorAvailable });

  const instances = manager.addInformer(
    new Informer<api.NotejamInstance>(
      client,
      { type: instanceType, namespace: options.namespace, ...options.informer },
      logger,
      metrics,
    ),
  );
  const owned = new Map<string, OwnedKind>();
  const kinds = serviceMonitorAvailable
    ? [...ownedTypes, { type: serviceMonitorType, prune: true }]
    : ownedTypes;
  for (const { type, prune } of kinds) {
    const informer = manager.addInformer(
      new Informer(
        client,
        {
          type,
          namespace: options.namespace,
          labelSelector: managedBySelector,
          ...options.informer,
        },
        logger,
        metrics,
      ),
    );
    owned.set(type.kind, { type, informer, prune });
  }

  const controller = new Controller(
    {
      name: CONTROLLER_NAME,
      maxConcurrentReconciles: options.maxConcurrentReconciles,
      resyncPeriodMs: options.resyncPeriodMs,
      reconcile: notejamReconciler({
        instanceType,
        instances,
        owned,
        client,
        applier: options.applier,
        events: options.events,
        log: logger.child({ controller: CONTROLLER_NAME }),
        serviceMonitorAvailable,
      }),
    },
    logger,
    metrics,
  );
  controller.watchPrimary(instances);
  for (const { informer } of owned.values()) controller.watchOwned(informer, api.group, api.kind);
  manager.addController(controller);
  return controller;
}

/** Discovery: is monitoring.coreos.com/v1 served with a servicemonitors resource? */
async function serviceMonitorCrdInstalled(client: KubeClient): Promise<boolean> {
  try {
    const list = await client.getPath<{ resources?: Array<{ name: string }> }>(
      `/apis/${serviceMonitorType.group}/${serviceMonitorType.version}`,
    );
    return list.resources?.some((resource) => resource.name === serviceMonitorType.plural) ?? false;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
