/**
 * Kubernetes Events (events.k8s.io/v1) for the transitions a human wants to see in
 * `kubectl describe`. A repeat of the same event on the same object within the series
 * window bumps the existing Event's series instead of creating another one, like
 * client-go's recorder. Recording never blocks or fails a reconcile: writes happen in the
 * background, a few at a time, and errors are logged. The backlog is bounded (client-go's
 * broadcaster drops too): when the API server cannot keep up, new events are dropped and
 * counted rather than piling up requests in memory and in the API server's queue, where
 * they would delay the writes that matter (the Lease renewals among them).
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
  /** Event writes in flight at once; default 2. */
  maxInFlight?: number;
  /** Event writes waiting; beyond it new events are dropped. Default 1,000. */
  maxQueued?: number;
}

interface Remembered {
  namespace: string;
  name: string;
  count: number;
  lastMs: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, Remembered>();
  private readonly queue: Array<() => Promise<void>> = [];
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private dropped = 0;
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
    if (this.queue.length >= (this.options.maxQueued ?? 1000)) {
      if (this.dropped++ % 100 === 0)
        this.log.warn('the API server does not keep up with events: dropping', {
          dropped: this.dropped,
          reason,
        });
      return;
    }
    const previous = this.recent.get(key);
    if (previous && now - previous.lastMs < (this.options.seriesWindowMs ?? 6 * 60_000)) {
      previous.count += 1;
      previous.lastMs = now;
      const { count } = previous;
      this.enqueue(() => this.bumpSeries(previous, count, now), reason);
    } else {
      const name = `${regarding.metadata?.name ?? 'object'}.${now.toString(16)}${(this.sequence++ % 4096).toString(16)}`;
      this.remember(key, { namespace, name, count: 1, lastMs: now });
      this.enqueue(
        () => this.create(name, regarding, namespace, type, reason, action, note, now),
        reason,
      );
    }
  }

  /** Events dropped because the backlog was full. */
  get droppedEvents(): number {
    return this.dropped;
  }

  /** Waits for background writes (used on shutdown and in tests). */
  async flush(): Promise<void> {
    while (this.inFlight > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }

  private enqueue(write: () => Promise<void>, reason: string): void {
    this.queue.push(() =>
      write().catch((err: unknown) => this.log.warn('could not record event', { reason, err })),
    );
    this.drain();
  }

  private drain(): void {
    while (this.inFlight < (this.options.maxInFlight ?? 2) && this.queue.length > 0) {
      const write = this.queue.shift() as () => Promise<void>;
      this.inFlight++;
      void write().finally(() => {
        this.inFlight--;
        this.drain();
        if (this.inFlight === 0 && this.queue.length === 0) {
          const waiting = this.idle;
          this.idle = [];
          for (const resolve of waiting) resolve();
        }
      });
    }
  }

  private async create(
    name: string,
    regarding: KubernetesObject,
    namespace: string,
    type: EventSeverity,
    reason: string,
    action: string,
    note: string,
    now: number,
  ): Promise<void> {
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

  private async bumpSeries(event: Remembered, count: number, now: number): Promise<void> {
    await this.client.mergePatch(
      eventType,
      event.namespace,
      event.name,
      { series: { count, lastObservedTime: microTime(now) } },
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
