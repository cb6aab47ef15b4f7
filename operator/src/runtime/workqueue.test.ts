import { describe, expect, it } from '@jest/globals';
import { ItemExponentialRateLimiter } from './backoff.js';
import { RuntimeMetrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WorkQueue', () => {
  it('collapses duplicate keys that wait', async () => {
    const queue = new WorkQueue<string>({ name: 'test' });
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.len()).toBe(0);
  });

  it('never hands out a key that is being processed; re-adds it after done()', async () => {
    const queue = new WorkQueue<string>({ name: 'test' });
    queue.add('a');
    const first = await queue.get();
    queue.add('a'); // an event arrives while a worker handles "a"
    expect(queue.len()).toBe(0);
    queue.add('a'); // and another: still one pending reconcile
    queue.done(first as string);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('a');
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue<string>({ name: 'test' });
    const waiting = queue.get();
    queue.add('x');
    expect(await waiting).toBe('x');
  });

  it('delays with addAfter, and the earliest pending delay wins', async () => {
    const queue = new WorkQueue<string>({ name: 'test' });
    queue.addAfter('a', 60_000);
    queue.addAfter('a', 20);
    queue.addAfter('a', 30_000);
    expect(queue.len()).toBe(0);
    await tick(60);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('a');
  });

  it('backs off a failing key exponentially and forgets on success', async () => {
    const limiter = new ItemExponentialRateLimiter<string>(10, 1000);
    const queue = new WorkQueue<string>({ name: 'test', rateLimiter: limiter });
    queue.addRateLimited('a');
    queue.addRateLimited('a');
    queue.addRateLimited('a');
    expect(queue.numRequeues('a')).toBe(3);
    expect(limiter.when('a')).toBe(80);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    expect(limiter.when('a')).toBe(10);
  });

  it('exports its depth, adds and retries from the start, at zero until something happens', async () => {
    const metrics = new RuntimeMetrics();
    const queue = new WorkQueue<string>({ name: 'notejam', metrics });
    const series = async (name: string) =>
      (await metrics.registry.getSingleMetric(name)?.get())?.values.map((v) => [v.labels, v.value]);
    const labels = { name: 'notejam', controller: 'notejam' };
    for (const name of ['workqueue_depth', 'workqueue_adds_total', 'workqueue_retries_total'])
      expect({ name, series: await series(name) }).toEqual({ name, series: [[labels, 0]] });
    queue.addRateLimited('a');
    expect(await series('workqueue_retries_total')).toEqual([[labels, 1]]);
    queue.shutDown();
  });

  it('resolves waiting workers with undefined on shutdown and ignores later adds', async () => {
    const queue = new WorkQueue<string>({ name: 'test' });
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });
});
