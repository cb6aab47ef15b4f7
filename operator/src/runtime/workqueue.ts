/**
 * A controller work queue with client-go's guarantees:
 * - a key is handed to at most one worker at a time (per-key serialization);
 * - adding a key that is already waiting is a no-op (de-duplication); adding a key that is
 *   being processed marks it dirty, and it is queued again when the worker calls done();
 * - addAfter() delays a key (the earliest pending delay wins);
 * - addRateLimited() delays by the rate limiter (per-key exponential backoff), forget() resets it.
 */
import type { RateLimiter } from './backoff.js';
import { defaultControllerRateLimiter } from './backoff.js';
import type { RuntimeMetrics } from './metrics.js';

export interface WorkQueueOptions<K> {
  name: string;
  rateLimiter?: RateLimiter<K>;
  metrics?: RuntimeMetrics;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  /** When each queued key was added (queue-duration metric). */
  private readonly addedAt = new Map<K, number>();
  /** When each processing key was handed out (work-duration metric). */
  private readonly startedAt = new Map<K, number>();
  private readonly delayed = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<(item: K | undefined) => void> = [];
  private shuttingDown = false;
  private readonly rateLimiter: RateLimiter<K>;
  private readonly labels: { name: string; controller: string };

  constructor(private readonly options: WorkQueueOptions<K>) {
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<K>();
    this.labels = { name: options.name, controller: options.name };
    // The queue's series exist from the start, at zero, as client-go's do: a dashboard shows
    // "0 retries" for a queue that never retried instead of no data.
    this.options.metrics?.queueDepth.set(this.labels, 0);
    this.options.metrics?.queueAdds.inc(this.labels, 0);
    this.options.metrics?.queueRetries.inc(this.labels, 0);
  }

  add(item: K): void {
    if (this.shuttingDown || this.dirty.has(item)) return;
    this.options.metrics?.queueAdds.inc(this.labels);
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.enqueue(item);
  }

  addAfter(item: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(item);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(item);
      this.add(item);
    }, delayMs);
    timer.unref();
    this.delayed.set(item, { at, timer });
  }

  addRateLimited(item: K): void {
    this.options.metrics?.queueRetries.inc(this.labels);
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** The key succeeded: its backoff starts again from the base delay. */
  forget(item: K): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: K): number {
    return this.rateLimiter.failures(item);
  }

  /** The next key, waiting for one; `undefined` once the queue is shut down. */
  get(): Promise<K | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(item: K): void {
    this.processing.delete(item);
    const started = this.startedAt.get(item);
    this.startedAt.delete(item);
    if (started !== undefined)
      this.options.metrics?.workDuration.observe(this.labels, (Date.now() - started) / 1000);
    if (this.dirty.has(item)) this.enqueue(item);
  }

  /** Keys waiting to be handed out (not counting delayed ones). */
  len(): number {
    return this.queue.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops handing out keys; waiting get() calls resolve with undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(undefined);
  }

  private enqueue(item: K): void {
    this.addedAt.set(item, Date.now());
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queue.push(item);
      waiter(this.take());
      return;
    }
    this.queue.push(item);
    this.options.metrics?.queueDepth.set(this.labels, this.queue.length);
  }

  private take(): K {
    const item = this.queue.shift() as K;
    this.processing.add(item);
    this.dirty.delete(item);
    const added = this.addedAt.get(item);
    this.addedAt.delete(item);
    const now = Date.now();
    if (added !== undefined)
      this.options.metrics?.queueLatency.observe(this.labels, (now - added) / 1000);
    this.startedAt.set(item, now);
    this.options.metrics?.queueDepth.set(this.labels, this.queue.length);
    return item;
  }
}
