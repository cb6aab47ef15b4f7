import { describe, expect, it } from '@jest/globals';
import {
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
  exponentialDelay,
} from './backoff.js';

describe('exponentialDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 10].map((attempt) => exponentialDelay(attempt, 5, 1000))).toEqual([
      5, 10, 20, 40, 1000,
    ]);
  });

  it('stays finite for absurd attempt counts', () => {
    expect(exponentialDelay(5000, 5, 1000)).toBe(1000);
  });

  it('spreads the delay by the jitter fraction', () => {
    expect(exponentialDelay(2, 100, 10_000, 0.2, () => 0)).toBe(320);
    expect(exponentialDelay(2, 100, 10_000, 0.2, () => 1)).toBeCloseTo(480);
  });
});

describe('ItemExponentialRateLimiter', () => {
  it('counts failures per item', () => {
    const limiter = new ItemExponentialRateLimiter<string>(5, 1000);
    expect([limiter.when('a'), limiter.when('a'), limiter.when('b'), limiter.when('a')]).toEqual([
      5, 10, 5, 20,
    ]);
    expect(limiter.failures('a')).toBe(3);
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('lets a burst through, then paces at qps, refilling with time', () => {
    let now = 0;
    const bucket = new TokenBucketRateLimiter<string>(10, 2, () => now);
    expect(bucket.when('a')).toBe(0);
    expect(bucket.when('b')).toBe(0);
    expect(bucket.when('c')).toBeCloseTo(100);
    expect(bucket.when('d')).toBeCloseTo(200);
    now = 1000; // 10 tokens refilled, capped at the burst of 2 (minus the 2 owed)
    expect(bucket.when('e')).toBe(0);
  });
});

describe('MaxOfRateLimiter', () => {
  it('waits as long as the strictest limiter says', () => {
    let now = 0;
    const limiter = new MaxOfRateLimiter<string>(
      new ItemExponentialRateLimiter(5, 1000),
      new TokenBucketRateLimiter(1, 1, () => now),
    );
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('b')).toBeCloseTo(1000);
    now = 5000;
    expect(limiter.when('a')).toBe(10);
  });

  it('is the default controller limiter, starting at 5 ms per item', () => {
    const limiter = defaultControllerRateLimiter<string>({ clock: () => 0 });
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('a')).toBe(10);
    expect(limiter.failures('a')).toBe(2);
  });
});
