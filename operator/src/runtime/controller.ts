/**
 * A controller in controller-runtime's shape: informer events become keys in a work queue,
 * N workers reconcile keys (one key never twice at once), errors requeue with per-key
 * exponential backoff, a result may ask to come back later, and a periodic resync
 * re-enqueues every primary object so drift that produced no event is still repaired.
 * Each reconcile gets an id (in every log line it writes) and an abort signal that fires
 * at its timeout; a TerminalError is logged and counted but not retried.
 */
import { randomUUID } from 'node:crypto';
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import type { RateLimiter } from './backoff.js';
import type { EventSource } from './informer.js';
import type { Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import { objectKey, parseObjectKey } from './resources.js';
import { WorkQueue } from './workqueue.js';

export interface ReconcileRequest {
  namespace?: string;
  name: string;
}

export interface ReconcileResult {
  /** Reconcile this key again after this long even without an event. */
  requeueAfterMs?: number;
}

/** What a reconcile gets besides its key. */
export interface ReconcileContext {
  /** Aborted when the reconcile outlives its timeout: stop at the next step and throw. */
  signal: AbortSignal;
  /** Unique per reconcile (controller-runtime's `reconcileID`). */
  reconcileId: string;
  /** Carries the controller, the key and the reconcile id: every line of one reconcile. */
  log: Logger;
}

export type Reconciler = (
  request: ReconcileRequest,
  context: ReconcileContext,
) => Promise<ReconcileResult>;

/**
 * An error that retrying cannot fix (e.g. an object the API server refuses as invalid):
 * the key is not requeued with backoff; the next event or resync brings it back.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconciler;
  maxConcurrentReconciles?: number;
  /** A reconcile's signal aborts after this long; default 1 minute. */
  reconcileTimeoutMs?: number;
  /** Every primary object is reconciled at least this often; 0 disables. */
  resyncPeriodMs?: number;
  rateLimiter?: RateLimiter<string>;
}

/** The owner an object points to as its controller, as a work-queue key. */
export function controllerOwnerKey(
  object: KubernetesObject,
  ownerGroup: string,
  ownerKind: string,
): string | undefined {
  const owner = object.metadata?.ownerReferences?.find(
    (ref: V1OwnerReference) => ref.controller === true,
  );
  if (!owner || owner.kind !== ownerKind || groupOf(owner.apiVersion) !== ownerGroup)
    return undefined;
  return objectKey(object.metadata?.namespace, owner.name);
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  private readonly primaries: Array<{ list(): KubernetesObject[] }> = [];
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private readonly concurrency: number;

  constructor(
    private readonly options: ControllerOptions,
    logger: Logger,
    private readonly metrics?: RuntimeMetrics,
  ) {
    this.name = options.name;
    this.concurrency = options.maxConcurrentReconciles ?? 1;
    this.log = logger.child({ controller: options.name });
    this.queue = new WorkQueue<string>({
      name: options.name,
      rateLimiter: options.rateLimiter,
      metrics,
    });
  }

  /** Events on the reconciled kind enqueue the object itself. */
  watchPrimary<T extends KubernetesObject>(informer: EventSource<T>): void {
    this.primaries.push(informer);
    informer.on((_type, object) =>
      this.queue.add(objectKey(object.metadata?.namespace, object.metadata?.name ?? '')),
    );
  }

  /** Events on an owned kind enqueue its controlling owner. */
  watchOwned<T extends KubernetesObject>(
    informer: EventSource<T>,
    ownerGroup: string,
    ownerKind: string,
  ): void {
    informer.on((_type, object) => {
      const key = controllerOwnerKey(object, ownerGroup, ownerKind);
      if (key) this.queue.add(key);
    });
  }

  /** Events on any other kind enqueue the keys `map` names (e.g. the instances using a Secret). */
  watchMapped<T extends KubernetesObject>(
    source: EventSource<T>,
    map: (object: T) => Iterable<string>,
  ): void {
    source.on((_type, object) => {
      for (const key of map(object)) this.queue.add(key);
    });
  }

  /** Starts the workers and the resync; resolves once they are running. */
  start(): void {
    this.metrics?.maxConcurrentReconciles.set({ controller: this.name }, this.concurrency);
    // Every result series exists from the start, so rates and alerts see zeros, not gaps.
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      this.metrics?.reconcileTotal.inc({ controller: this.name, result }, 0);
    }
    this.metrics?.reconcileErrors.inc({ controller: this.name }, 0);
    this.metrics?.activeWorkers.set({ controller: this.name }, 0);
    for (let i = 0; i < this.concurrency; i++) this.workers.push(this.work());
    this.enqueueAll();
    const period = this.options.resyncPeriodMs ?? 0;
    if (period > 0) {
      this.resyncTimer = setInterval(() => this.enqueueAll(), period);
      this.resyncTimer.unref();
    }
    this.log.info('started', { workers: this.concurrency, resyncPeriodMs: period });
  }

  /** Stops taking keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  private enqueueAll(): void {
    for (const informer of this.primaries) {
      for (const object of informer.list()) {
        this.queue.add(objectKey(object.metadata?.namespace, object.metadata?.name ?? ''));
      }
    }
  }

  private async work(): Promise<void> {
    const labels = { controller: this.name };
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics?.activeWorkers.inc(labels);
      const started = performance.now();
      const reconcileId = randomUUID();
      const log = this.log.child({ key, reconcileID: reconcileId });
      const signal = AbortSignal.timeout(this.options.reconcileTimeoutMs ?? 60_000);
      try {
        const result = await this.options.reconcile(parseObjectKey(key), {
          signal,
          reconcileId,
          log,
        });
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
          this.queue.addAfter(key, result.requeueAfterMs);
          this.metrics?.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
        } else {
          this.metrics?.reconcileTotal.inc({ ...labels, result: 'success' });
        }
      } catch (err) {
        this.metrics?.reconcileTotal.inc({ ...labels, result: 'error' });
        this.metrics?.reconcileErrors.inc(labels);
        if (err instanceof TerminalError) {
          log.error('reconcile failed, not retried', { err });
          this.queue.forget(key);
        } else {
          log.error('reconcile failed', { retries: this.queue.numRequeues(key), err });
          this.queue.addRateLimited(key);
        }
      } finally {
        this.metrics?.reconcileTime.observe(labels, (performance.now() - started) / 1000);
        this.metrics?.activeWorkers.dec(labels);
        this.queue.done(key);
      }
    }
  }
}
