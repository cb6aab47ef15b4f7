/**
 * Wires the NotejamInstance controller: which kinds it watches (the instances, and every
 * kind it owns, selected by the managed-by label so the caches hold only our objects,
 * trimmed to what the reconcile reads; image pull Secrets by type), how their events map
 * to an instance, the image resolver whose answers enqueue instances, and the reconciler.
 */
import type { V2HorizontalPodAutoscaler, V1Job, V1Secret } from '@kubernetes/client-node';
import * as api from '../../api/v1alpha1/types.js';
import { ImageResolver, type ImageResolverOptions } from '../../registry/resolver.js';
import type { Applier } from '../../runtime/apply.js';
import { Controller } from '../../runtime/controller.js';
import { Informer } from '../../runtime/informer.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import type { Manager } from '../../runtime/manager.js';
import type { RuntimeMetrics } from '../../runtime/metrics.js';
import { type EventRecorder, eventVerbs } from '../../runtime/events.js';
import { type ResourceType, eventType, objectKey } from '../../runtime/resources.js';
import { trimInstance, trimOwned, trimPullSecret, trimSecretMetadata } from './cache-transforms.js';
import { ownedKinds } from './children.js';
import { registerInstanceMetrics } from './instance-metrics.js';
import { JobSlots } from './job-slots.js';
import { fieldManager, managedByLabel } from './labels.js';
import { type OwnedKind, notejamReconciler } from './reconciler.js';
import { ServiceMonitorSupport, crdNameOf, crdType } from './service-monitor-support.js';

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

/** Kinds never deleted by the operator: the data volume and the generated session key. */
const neverPruned = new Set(['PersistentVolumeClaim', 'Secret']);
/** Created once and never applied again (see session-secret.ts). */
const createOnly = new Set(['Secret']);
/**
 * Also read one by one: the database Secret, once per resourceVersion its metadata-only
 * cache shows (database-secret.ts; its content is never cached).
 */
const alsoGot = new Set(['Secret']);
/** The Secret types the kubelet takes image pull credentials from (and so do we). */
const pullSecretTypes = ['kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg'];

function resourceTypeOf(owned: { apiVersion: string; kind: string; plural: string }): ResourceType {
  const [group, version] = owned.apiVersion.includes('/')
    ? owned.apiVersion.split('/')
    : ['', owned.apiVersion];
  return { group, version, plural: owned.plural, kind: owned.kind, namespaced: true };
}

export const ownedTypes = ownedKinds.map(resourceTypeOf);

/** The lifecycle's Jobs: created and deleted, never applied (a Job's template is immutable). */
export const jobType: ResourceType = {
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  kind: 'Job',
  namespaced: true,
};
/** Listed for a failed Job's log tail (the kubelet's termination message). */
export const podType: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  namespaced: true,
};
const secretType = ownedTypes.find((type) => type.kind === 'Secret') as ResourceType;

/** Watched (and applied) only while the prometheus-operator's CRD is served. */
const serviceMonitorType = ownedTypes.find(
  (type) => type.kind === 'ServiceMonitor',
) as ResourceType;

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
  /** Default 1 minute (the controller's). */
  reconcileTimeoutMs?: number;
  /** Lifecycle Jobs running at once across every instance; default 10. */
  maxConcurrentLifecycleJobs?: number;
  resyncPeriodMs: number;
  informer: { watchTimeoutSeconds: number; silenceTimeoutMs: number };
  /** How spec.image tags are resolved to digests (interval, plain-HTTP registries). */
  imageResolution?: Omit<ImageResolverOptions, 'logger' | 'onResolved'>;
}

/** Registers the informers and the controller with the manager. */
export async function setUpNotejamController(
  options: NotejamControllerOptions,
): Promise<Controller> {
  const { client, logger, metrics, manager } = options;

  const instances = manager.addInformer(
    new Informer<api.NotejamInstance>(
      client,
      {
        type: instanceType,
        namespace: options.namespace,
        transform: trimInstance,
        ...options.informer,
      },
      logger,
      metrics,
    ),
  );
  const owned = new Map<string, OwnedKind>();
  const ownedInformer = {
    namespace: options.namespace,
    labelSelector: managedBySelector,
    transform: trimOwned(fieldManager),
    ...options.informer,
  };
  for (const type of ownedTypes) {
    if (type === serviceMonitorType) continue; // while its CRD is served: ServiceMonitorSupport
    const informer = manager.addInformer(
      new Informer(client, { type, ...ownedInformer }, logger, metrics),
    );
    owned.set(type.kind, { type, informer, prune: !neverPruned.has(type.kind) });
  }
  const serviceMonitors = manager.addInformer(
    new ServiceMonitorSupport({
      client,
      logger,
      metrics,
      type: serviceMonitorType,
      informer: ownedInformer,
      owned,
      owner: { group: api.group, kind: api.kind },
    }),
  );
  // Image pull Secrets are not ours (no label to select them by): one cache per type.
  const pullSecrets = pullSecretTypes.map((secretTypeName) =>
    manager.addInformer(
      new Informer<V1Secret>(
        client,
        {
          type: secretType,
          namespace: options.namespace,
          fieldSelector: `type=${secretTypeName}`,
          transform: trimPullSecret,
          ...options.informer,
        },
        logger,
        metrics,
      ),
    ),
  );
  const pullSecret = (namespace: string, name: string) =>
    pullSecrets.map((cache) => cache.get(namespace, name)).find((secret) => secret !== undefined);

  const resolver = new ImageResolver({
    ...options.imageResolution,
    logger: logger.child({ component: 'image-resolver' }),
    onResolved: (result) => metrics.imageResolutions.inc({ result }),
  });
  manager.addStoppable(resolver);

  const jobs = manager.addInformer(
    new Informer<V1Job>(client, { type: jobType, ...ownedInformer }, logger, metrics),
  );
  // Every Secret of the watched namespaces, metadata only: which resourceVersion each one
  // is at, so a changed database Secret rolls its instances' pods (database-secret.ts).
  const secretMetadata = manager.addInformer(
    new Informer(
      client,
      {
        type: secretType,
        namespace: options.namespace,
        metadataOnly: true,
        transform: trimSecretMetadata,
        ...options.informer,
      },
      logger,
      metrics,
    ),
  );
  const jobSlots = new JobSlots(options.maxConcurrentLifecycleJobs ?? 10, jobs);

  const controller = new Controller(
    {
      name: CONTROLLER_NAME,
      maxConcurrentReconciles: options.maxConcurrentReconciles,
      reconcileTimeoutMs: options.reconcileTimeoutMs,
      resyncPeriodMs: options.resyncPeriodMs,
      reconcile: notejamReconciler({
        instanceType,
        instances,
        owned,
        client,
        applier: options.applier,
        events: options.events,
        serviceMonitorAvailable: () => serviceMonitors.available(),
        jobs: { type: jobType, informer: jobs },
        jobSlots,
        podType,
        pullSecret,
        resolver,
        secretType,
        databaseSecrets: secretMetadata,
      }),
    },
    logger,
    metrics,
  );
  controller.watchPrimary(instances);
  for (const { informer } of owned.values()) controller.watchOwned(informer, api.group, api.kind);
  controller.watchOwned(jobs, api.group, api.kind);
  controller.watchMapped(secretMetadata, (secret) =>
    instances
      .list(secret.metadata?.namespace)
      .filter((instance) => instance.spec.database.mysql?.secretRef.name === secret.metadata?.name)
      .map((instance) => objectKey(instance.metadata.namespace, instance.metadata.name)),
  );
  serviceMonitors.attach(controller, instances);
  jobSlots.onWake((keys) => keys.forEach((key) => controller.queue.add(key)));
  // A pull Secret changed: the instances naming it resolve with the new credentials.
  for (const cache of pullSecrets) {
    controller.watchMapped(cache, (secret) =>
      instances
        .list(secret.metadata?.namespace)
        .filter((instance) =>
          instance.spec.imagePullSecrets?.some((ref) => ref.name === secret.metadata?.name),
        )
        .map((instance) => objectKey(instance.metadata.namespace, instance.metadata.name)),
    );
  }
  // A digest first known or changed (or the tag gone): reconcile the instances using it.
  resolver.onChange((keys) => keys.forEach((key) => controller.queue.add(key)));
  manager.addController(controller);
  registerInstanceMetrics(metrics.registry, {
    instances: () => instances.list(),
    autoscalers: () =>
      (owned.get('HorizontalPodAutoscaler')?.informer.list() ?? []) as V2HorizontalPodAutoscaler[],
    jobs: () => jobs.list(),
    isLeading: () => manager.isLeading(),
  });
  return controller;
}

export interface Permission {
  group: string;
  resource: string;
  verbs: string[];
  /** Only these objects (RBAC `resourceNames`); every object when absent. */
  resourceNames?: string[];
}

/**
 * Every API call this controller makes, per resource: caches list and watch (Secrets
 * include the image pull Secrets, selected by type), server-side
 * apply patches (and creates when absent), pruning deletes, status goes through /status;
 * lifecycle Jobs are created and deleted (never patched), pods listed for log tails.
 * config/rbac/role.yaml must grant exactly this (a unit test compares them).
 */
export function controllerPermissions(): Permission[] {
  return [
    // get: a status write refused as computed from a stale cache is computed again.
    { group: instanceType.group, resource: instanceType.plural, verbs: ['get', 'list', 'watch'] },
    { group: instanceType.group, resource: `${instanceType.plural}/status`, verbs: ['patch'] },
    // Children and Jobs name their instance with blockOwnerDeletion: where the admission
    // plugin OwnerReferencesPermissionEnforcement runs (OpenShift), that needs this.
    { group: instanceType.group, resource: `${instanceType.plural}/finalizers`, verbs: ['update'] },
    ...ownedTypes.map((type) => ({
      group: type.group,
      resource: type.plural,
      verbs: [
        ...(alsoGot.has(type.kind) ? ['get'] : []),
        'list',
        'watch',
        'create',
        ...(createOnly.has(type.kind) ? [] : ['patch']),
        ...(neverPruned.has(type.kind) ? [] : ['delete']),
      ],
    })),
    {
      group: jobType.group,
      resource: jobType.plural,
      verbs: ['list', 'watch', 'create', 'delete'],
    },
    { group: podType.group, resource: podType.plural, verbs: ['list'] },
    { group: eventType.group, resource: eventType.plural, verbs: eventVerbs },
    // Whether ServiceMonitors are served, followed by watching that one CRD.
    {
      group: crdType.group,
      resource: crdType.plural,
      verbs: ['list', 'watch'],
      resourceNames: [crdNameOf(serviceMonitorType)],
    },
  ];
}
