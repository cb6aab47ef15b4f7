/**
 * The cap on lifecycle Jobs running at once across every instance the operator watches
 * (MAX_CONCURRENT_LIFECYCLE_JOBS), so that a push of a shared tag, or an operator upgrade,
 * never starts a migration (or a wipe) on every instance at the same moment. A Job counts
 * from the moment a reconcile reserves its slot until the Job cache shows it finished or
 * gone. Instances that found no free slot wait in arrival order and are woken, oldest
 * first, as slots free up; a newcomer never overtakes them.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { Informer } from '../../runtime/informer.js';
import { objectKey, parseObjectKey } from '../../runtime/resources.js';
import { jobOutcome } from './jobs.js';

export class JobSlots {
  /** Jobs being created (`namespace/name`), not yet in the cache. */
  private readonly reserved = new Set<string>();
  /** Instance keys waiting for a slot, oldest first (a Map keeps insertion order). */
  private readonly waiting = new Map<string, true>();
  private wake: (instanceKeys: string[]) => void = () => undefined;

  constructor(
    readonly limit: number,
    /** The lifecycle Jobs' cache. */
    private readonly jobs: Pick<Informer<V1Job>, 'list' | 'get' | 'on'>,
  ) {
    jobs.on(() => this.settle());
  }

  /** Where woken instances go (the controller's queue). */
  onWake(wake: (instanceKeys: string[]) => void): void {
    this.wake = wake;
  }

  /** Lifecycle Jobs running now or about to be created. */
  inUse(): number {
    const running = this.jobs.list().filter((job) => jobOutcome(job).state === 'running');
    const cached = new Set(
      running.map((job) => objectKey(job.metadata?.namespace, job.metadata?.name ?? '')),
    );
    let pending = 0;
    for (const key of this.reserved) if (!cached.has(key)) pending++;
    return running.length + pending;
  }

  /**
   * Takes a slot for `job` of `instanceKey`; false when none is free for it (it then waits
   * its turn and is woken when one frees).
   */
  tryReserve(instanceKey: string, job: { namespace: string; name: string }): boolean {
    const free = this.limit - this.inUse();
    const ahead = this.position(instanceKey);
    if (free <= ahead) {
      this.waiting.set(instanceKey, true);
      return false;
    }
    this.waiting.delete(instanceKey);
    this.reserved.add(objectKey(job.namespace, job.name));
    return true;
  }

  /** The Job was not created after all (refused, or its name still taken). */
  release(job: { namespace: string; name: string }): void {
    this.reserved.delete(objectKey(job.namespace, job.name));
    this.settle();
  }

  /** The instance is gone: it no longer waits. */
  forget(instanceKey: string): void {
    if (this.waiting.delete(instanceKey)) this.settle();
  }

  /** How many instances wait ahead of this one (all of them for a newcomer). */
  private position(instanceKey: string): number {
    let ahead = 0;
    for (const key of this.waiting.keys()) {
      if (key === instanceKey) return ahead;
      ahead++;
    }
    return ahead;
  }

  /** Drops reservations the cache now shows, and wakes as many waiters as slots are free. */
  private settle(): void {
    for (const key of this.reserved) {
      const { namespace, name } = parseObjectKey(key);
      if (this.jobs.get(namespace, name)) this.reserved.delete(key);
    }
    const free = this.limit - this.inUse();
    if (free <= 0 || this.waiting.size === 0) return;
    this.wake([...this.waiting.keys()].slice(0, free));
  }
}
