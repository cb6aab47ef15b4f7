/**
 * Kubernetes Events (events.k8s.io/v1) for the transitions a human wants to see in
 * `kubectl describe`. A repeat of the same event on the same object within the series
 * window bumps the existing Event's series instead of creating another one, like
 * client-go's recorder. Recording never blocks or fails a reconcile: writes happen in the
 * background and errors are logged.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.js';
import type { Logger } from './logger.js';
import { eventType } from './resources.js';

export type EventSeverity = 'Normal' | 'Warning';

/** The calls the recorder makes on events.k8s.io/v1 events (for RBAC). */
export const eventVerbs = ['create', 'patch'];

export interface EventRecorderOptions {
  /** e.g. `notejam.io/notejam-operator` */
  reportingController: string;
  /** this process, e.g. the pod name */
  reportingInstance: string;
  fieldManager: string;
  /** Repeats within this window become a series on one Event (client-go: 6 minutes). */
  seriesWindowMs?: number;
  /** Bound on remembered events. */
  cacheSize?: number;
}

interface Remembered {
  namespace: string;
  name: string;
  count: number;
  lastMs: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, Remembered>();
  private readonly pending = new Set<Promise<void>>();
  private sequence = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventRecorderOptions,
    private readonly log: Logger,
  ) {}

  /**
   * @param action what the controller did or failed to do (e.g. `Apply`, `Reconcile`)
   * @param reason the short machine-readable cause (e.g. `Created`, `DeploymentInvalid`)
   */
  record(
    regarding: KubernetesObject,
    type: EventSeverity,
    reason: string,
    action: string,
    note: string,
  ): void {
    const namespace = regarding.metadata?.namespace ?? 'default';
    const key = JSON.stringify([regarding.metadata?.uid, type, reason, action, note]);
    const now = Date.now();
    const previous = this.recent.get(key);
    const write =
      previous && now - previous.lastMs < (this.options.seriesWindowMs ?? 6 * 60_000)
        ? this.bumpSeries(previous, now)
        : this.create(key, regarding, namespace, type, reason, action, note, now);
    const tracked = write.catch((err: unknown) =>
      this.log.warn('could not record event', { reason, err }),
    );
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Waits for background writes (used on shutdown and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async create(
    key: string,
    regarding: KubernetesObject,
    namespace: string,
    type: EventSeverity,
    reason: string,
    action: string,
    note: string,
    now: number,
  ): Promise<void> {
    const name = `${regarding.metadata?.name ?? 'object'}.${now.toString(16)}${(this.sequence++ % 4096).toString(16)}`;
    this.remember(key, { namespace, name, count: 1, lastMs: now });
    await this.client.create(
      eventType,
      {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: microTime(now),
        reportingController: this.options.reportingController,
        reportingInstance: this.options.reportingInstance,
        action,
        reason,
        type,
        note: note.slice(0, 1024),
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name: regarding.metadata?.name,
          namespace: regarding.metadata?.namespace,
          uid: regarding.metadata?.uid,
          resourceVersion: regarding.metadata?.resourceVersion,
        },
      } as KubernetesObject,
      this.options.fieldManager,
    );
  }

  private async bumpSeries(event: Remembered, now: number): Promise<void> {
    event.count += 1;
    event.lastMs = now;
    await this.client.mergePatch(
      eventType,
      event.namespace,
      event.name,
      { series: { count: event.count, lastObservedTime: microTime(now) } },
      this.options.fieldManager,
    );
  }

  private remember(key: string, event: Remembered): void {
    this.recent.delete(key);
    this.recent.set(key, event);
    const limit = this.options.cacheSize ?? 4096;
    while (this.recent.size > limit) this.recent.delete(this.recent.keys().next().value as string);
  }
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
