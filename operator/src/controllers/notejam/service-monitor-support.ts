/**
 * Whether the cluster serves the prometheus-operator's ServiceMonitor, followed for the
 * operator's whole life, not only at its start: an informer on that one CRD (selected by
 * name, so RBAC grants exactly it). When the CRD becomes Established, a ServiceMonitor
 * informer starts and, once it has synced, every instance asking for a ServiceMonitor is
 * reconciled again; when the CRD goes away, that informer stops and they are told so.
 */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import type { Controller } from '../../runtime/controller.js';
import { Informer, type InformerOptions, type RunnableCache } from '../../runtime/informer.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { Logger } from '../../runtime/logger.js';
import type { RuntimeMetrics } from '../../runtime/metrics.js';
import { type ResourceType, objectKey } from '../../runtime/resources.js';
import { sleep } from '../../runtime/sleep.js';
import type { OwnedKind } from './children-applier.js';

export const crdType: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

export interface ServiceMonitorSupportOptions {
  client: KubeClient;
  logger: Logger;
  metrics?: RuntimeMetrics;
  /** The ServiceMonitor resource (monitoring.coreos.com/v1). */
  type: ResourceType;
  /** How the ServiceMonitor informer selects and watches (namespace, label selector, timeouts). */
  informer: Omit<InformerOptions, 'type'>;
  /** The reconciler's owned kinds: the ServiceMonitor kind is there while it is served. */
  owned: Map<string, OwnedKind>;
  /** The owner the ServiceMonitors' events map to. */
  owner: { group: string; kind: string };
}

/**
 * Only whether the CRD is Established and serves our version is read: its schemas (most of
 * its bytes, hundreds of KiB for the ServiceMonitor) and managedFields are dropped.
 */
function trimCrd(crd: V1CustomResourceDefinition): V1CustomResourceDefinition {
  delete crd.metadata?.managedFields;
  for (const version of crd.spec.versions) delete version.schema;
  return crd;
}

/** `servicemonitors.monitoring.coreos.com`: a CRD is named `<plural>.<group>`. */
export function crdNameOf(type: ResourceType): string {
  return `${type.plural}.${type.group}`;
}

export class ServiceMonitorSupport implements RunnableCache {
  private readonly crds: Informer<V1CustomResourceDefinition>;
  private monitors: Informer | undefined;
  private controller: Controller | undefined;
  private instances: Informer<NotejamInstance> | undefined;
  private readonly log: Logger;
  private readonly crdName: string;

  constructor(private readonly options: ServiceMonitorSupportOptions) {
    this.crdName = crdNameOf(options.type);
    this.log = options.logger.child({ component: 'service-monitor-support' });
    this.crds = new Informer<V1CustomResourceDefinition>(
      options.client,
      {
        ...options.informer,
        type: crdType,
        namespace: undefined,
        labelSelector: undefined,
        fieldSelector: `metadata.name=${this.crdName}`,
        // Not one of our objects: its own transform, not the owned kinds' one.
        transform: trimCrd,
      },
      options.logger,
      options.metrics,
    );
    this.crds.on(() => this.follow());
  }

  /** The controller to tell: its queue gets the instances asking for a ServiceMonitor. */
  attach(controller: Controller, instances: Informer<NotejamInstance>): void {
    this.controller = controller;
    this.instances = instances;
  }

  /** Whether ServiceMonitors can be created (and are cached) now. */
  available(): boolean {
    return this.options.owned.has(this.options.type.kind);
  }

  start(): void {
    this.crds.start();
  }

  async stop(): Promise<void> {
    const monitors = this.monitors;
    this.monitors = undefined;
    await Promise.all([this.crds.stop(), monitors?.stop()]);
  }

  hasSynced(): boolean {
    return this.crds.hasSynced() && (!this.monitors || this.available());
  }

  private served(): boolean {
    const crd = this.crds.get(undefined, this.crdName);
    const established = crd?.status?.conditions?.some(
      (condition) => condition.type === 'Established' && condition.status === 'True',
    );
    const version = crd?.spec.versions.find((v) => v.name === this.options.type.version);
    return !!established && !!version?.served && !crd?.metadata?.deletionTimestamp;
  }

  private follow(): void {
    const served = this.served();
    if (served && !this.monitors) this.startMonitors();
    else if (!served && this.monitors) this.stopMonitors();
  }

  private startMonitors(): void {
    const { type, owner } = this.options;
    const monitors = new Informer(
      this.options.client,
      { ...this.options.informer, type },
      this.options.logger,
      this.options.metrics,
    );
    this.monitors = monitors;
    this.controller?.watchOwned(monitors, owner.group, owner.kind);
    monitors.start();
    void this.whenSynced(monitors).then((synced) => {
      if (!synced) return;
      this.options.owned.set(type.kind, { type, informer: monitors, prune: true });
      this.log.info('ServiceMonitor support', { available: true });
      this.enqueueAsking();
    });
  }

  private stopMonitors(): void {
    const monitors = this.monitors;
    this.monitors = undefined;
    this.options.owned.delete(this.options.type.kind);
    void monitors?.stop();
    this.log.info('ServiceMonitor support', { available: false });
    this.enqueueAsking();
  }

  /** Resolves true once `monitors` has listed, false if it was replaced or stopped first. */
  private async whenSynced(monitors: Informer): Promise<boolean> {
    while (this.monitors === monitors && !monitors.hasSynced()) await sleep(50);
    return this.monitors === monitors;
  }

  private enqueueAsking(): void {
    for (const instance of this.instances?.list() ?? []) {
      if (instance.spec.monitoring.serviceMonitor)
        this.controller?.queue.add(objectKey(instance.metadata.namespace, instance.metadata.name));
    }
  }
}
