/**
 * Delay policies, pure and clock-injected so they are tested without waiting.
 * Shapes follow client-go's workqueue rate limiters.
 */

export type Clock = () => number;

/** base * 2^attempt, capped at max (milliseconds), optionally with +-jitter. */
export function exponentialDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  jitter = 0,
  random = Math.random,
) {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
  if (jitter <= 0) return raw;
  return Math.min(maxMs, raw * (1 - jitter + 2 * jitter * random()));
}

/** How long to wait before handling an item again. */
export interface RateLimiter<K> {
  when(item: K): number;
  forget(item: K): void;
  failures(item: K): number;
}

/** Per-item exponential backoff: every failure of the same item doubles its delay. */
export class ItemExponentialRateLimiter<K> implements RateLimiter<K> {
  private readonly counts = new Map<K, number>();

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {}

  when(item: K): number {
    const attempt = this.counts.get(item) ?? 0;
    this.counts.set(item, attempt + 1);
    return exponentialDelay(attempt, this.baseMs, this.maxMs);
  }

  forget(item: K): void {
    this.counts.delete(item);
  }

  failures(item: K): number {
    return this.counts.get(item) ?? 0;
  }
}

/** Overall token bucket: bounds retries of ALL items to `qps` with bursts of `burst`. */
export class TokenBucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock = Date.now,
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  when(_item: K): number {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_item: K): void {}

  failures(_item: K): number {
    return 0;
  }
}

/** The longest delay any of the limiters asks for (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(item: K): number {
    return Math.max(...this.limiters.map((limiter) => limiter.when(item)));
  }

  forget(item: K): void {
    for (const limiter of this.limiters) limiter.forget(item);
  }

  failures(item: K): number {
    return Math.max(...this.limiters.map((limiter) => limiter.failures(item)));
  }
}

/** client-go's default controller rate limiter: 5 ms .. 1000 s per item, 10 qps / 100 burst overall. */
export function defaultControllerRateLimiter<K>(
  options: { baseMs?: number; maxMs?: number; qps?: number; burst?: number; clock?: Clock } = {},
): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialRateLimiter(options.baseMs ?? 5, options.maxMs ?? 1_000_000),
    new TokenBucketRateLimiter(options.qps ?? 10, options.burst ?? 100, options.clock),
  );
}
