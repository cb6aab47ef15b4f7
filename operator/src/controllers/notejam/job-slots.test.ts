import { describe, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import type { InformerHandler } from '../../runtime/informer.js';
import { objectKey } from '../../runtime/resources.js';
import { JobSlots } from './job-slots.js';

/** The Job cache as the informer keeps it, with its event handlers. */
class JobCache {
  private readonly jobs = new Map<string, V1Job>();
  private readonly handlers: InformerHandler<V1Job>[] = [];
  on(handler: InformerHandler<V1Job>): void {
    this.handlers.push(handler);
  }
  get(namespace: string | undefined, name: string): V1Job | undefined {
    return this.jobs.get(objectKey(namespace, name));
  }
  list(): V1Job[] {
    return [...this.jobs.values()];
  }
  /** The watch delivers a Job (running, or finished with `Complete`). */
  put(namespace: string, name: string, finished = false): void {
    const key = objectKey(namespace, name);
    const known = this.jobs.has(key);
    const job: V1Job = {
      metadata: { namespace, name },
      status: finished ? { conditions: [{ type: 'Complete', status: 'True' }] } : { active: 1 },
    };
    this.jobs.set(key, job);
    this.handlers.forEach((handler) => handler(known ? 'updated' : 'added', job));
  }
}

const job = (namespace: string) => ({ namespace, name: `${namespace}-migrate-0123456789` });

describe('JobSlots', () => {
  it('counts the running Jobs in the cache and those being created', () => {
    const cache = new JobCache();
    cache.put('other', 'other-seed-1');
    cache.put('done', 'done-migrate-1', true);
    const slots = new JobSlots(2, cache);
    expect(slots.inUse()).toBe(1);
    expect(slots.tryReserve('a/a', job('a'))).toBe(true);
    expect(slots.inUse()).toBe(2);
    expect(slots.tryReserve('b/b', job('b'))).toBe(false);
    // The created Job reaches the cache: it is counted once, not twice.
    cache.put('a', job('a').name);
    expect(slots.inUse()).toBe(2);
  });

  it('gives a freed slot to the instance that waited longest, never to a newcomer', () => {
    const cache = new JobCache();
    const slots = new JobSlots(1, cache);
    const woken: string[][] = [];
    slots.onWake((keys) => woken.push(keys));
    expect(slots.tryReserve('a/a', job('a'))).toBe(true);
    cache.put('a', job('a').name);
    expect(slots.tryReserve('b/b', job('b'))).toBe(false);
    expect(slots.tryReserve('c/c', job('c'))).toBe(false);

    cache.put('a', job('a').name, true); // a's Job finished
    expect(woken.at(-1)).toEqual(['b/b']);
    expect(slots.tryReserve('d/d', job('d'))).toBe(false); // d arrived after b and c
    expect(slots.tryReserve('c/c', job('c'))).toBe(false); // b is ahead of c
    expect(slots.tryReserve('b/b', job('b'))).toBe(true);
  });

  it('frees the slot of a Job that was not created after all, and forgets a deleted instance', () => {
    const cache = new JobCache();
    const slots = new JobSlots(1, cache);
    const woken: string[][] = [];
    slots.onWake((keys) => woken.push(keys));
    expect(slots.tryReserve('a/a', job('a'))).toBe(true);
    expect(slots.tryReserve('b/b', job('b'))).toBe(false);
    expect(slots.tryReserve('c/c', job('c'))).toBe(false);
    slots.forget('b/b');
    slots.release(job('a')); // refused by a quota, say
    expect(woken.at(-1)).toEqual(['c/c']);
    expect(slots.tryReserve('c/c', job('c'))).toBe(true);
  });
});
