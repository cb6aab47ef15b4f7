// The controller's contract with its reconciler, as controller-runtime's: an error requeues
// the key through the rate limiter (per-key backoff), a success forgets its failures, a
// result may ask to come back later, one key is never reconciled twice at once, and
// events on owned or related kinds enqueue the right key.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { RateLimiter } from './backoff.js';
import { Controller, type ReconcileRequest, type ReconcileResult } from './controller.js';
import type { EventSource, InformerEventType, InformerHandler } from './informer.js';
import { createLogger } from './logger.js';

/** Objects and their events, as an informer would hand them to the controller. */
class Objects implements EventSource<KubernetesObject> {
  private readonly handlers: InformerHandler<KubernetesObject>[] = [];
  readonly items: KubernetesObject[] = [];

  on(handler: InformerHandler<KubernetesObject>): void {
    this.handlers.push(handler);
  }

  list(): KubernetesObject[] {
    return this.items;
  }

  emit(type: InformerEventType, object: KubernetesObject): void {
    for (const handler of this.handlers) handler(type, object);
  }
}

/** No delay, but every call recorded. */
class RecordingLimiter implements RateLimiter<string> {
  readonly calls: string[] = [];
  private readonly counts = new Map<string, number>();

  when(key: string): number {
    this.calls.push(`when ${key}`);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return 0;
  }

  forget(key: string): void {
    this.calls.push(`forget ${key}`);
    this.counts.delete(key);
  }

  failures(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

const quiet = createLogger({ level: 'error', write: () => {} });
const instance = (name: string, namespace = 'ns'): KubernetesObject => ({
  apiVersion: 'example.io/v1',
  kind: 'Thing',
  metadata: { name, namespace },
});

const controllers: Controller[] = [];
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((controller) => controller.stop()));
});

function start(
  reconcile: (request: ReconcileRequest) => Promise<ReconcileResult>,
  options: { workers?: number; resyncPeriodMs?: number } = {},
) {
  const limiter = new RecordingLimiter();
  const controller = new Controller(
    {
      name: 'things',
      reconcile,
      rateLimiter: limiter,
      maxConcurrentReconciles: options.workers ?? 2,
      resyncPeriodMs: options.resyncPeriodMs ?? 0,
    },
    quiet,
  );
  controllers.push(controller);
  const primaries = new Objects();
  controller.watchPrimary(primaries);
  return { controller, limiter, primaries };
}

/** Resolves once `condition` holds (checked every millisecond, for at most a few seconds). */
async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

describe('Controller', () => {
  it('requeues a failing key through the rate limiter, and forgets its failures on success', async () => {
    const calls: string[] = [];
    let failuresLeft = 2;
    const { controller, limiter, primaries } = start((request) => {
      calls.push(`${request.namespace}/${request.name}`);
      return failuresLeft-- > 0 ? Promise.reject(new Error('boom')) : Promise.resolve({});
    });
    controller.start();
    primaries.emit('added', instance('a'));
    await until('the third reconcile', () => calls.length === 3);
    await until('the success to be recorded', () => limiter.calls.length === 3);
    expect(calls).toEqual(['ns/a', 'ns/a', 'ns/a']);
    expect(limiter.calls).toEqual(['when ns/a', 'when ns/a', 'forget ns/a']);
    expect(controller.queue.numRequeues('ns/a')).toBe(0);
  });

  it('comes back after requeueAfterMs without any event, outside the backoff', async () => {
    let calls = 0;
    const { controller, limiter, primaries } = start(() =>
      Promise.resolve(++calls === 1 ? { requeueAfterMs: 1 } : {}),
    );
    controller.start();
    primaries.emit('added', instance('a'));
    await until('the second reconcile', () => calls === 2);
    await until('both successes to be recorded', () => limiter.calls.length === 2);
    expect(limiter.calls).toEqual(['forget ns/a', 'forget ns/a']);
  });

  it('never reconciles a key twice at once: events meanwhile bring it back once, after', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const { controller, primaries } = start(
      async () => {
        calls++;
        most = Math.max(most, ++running);
        if (calls === 1) await blocked;
        running--;
        return {};
      },
      { workers: 4 },
    );
    controller.start();
    primaries.emit('added', instance('a'));
    await until('the first reconcile', () => calls === 1);
    for (let i = 0; i < 3; i++) primaries.emit('updated', instance('a'));
    release();
    await until('the second reconcile', () => calls === 2 && running === 0);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    expect(most).toBe(1);
  });

  it('enqueues the controlling owner of an owned object, and the keys a mapping names', async () => {
    const seen: string[] = [];
    const { controller } = start((request) => {
      seen.push(`${request.namespace}/${request.name}`);
      return Promise.resolve({});
    });
    const owned = new Objects();
    const related = new Objects();
    controller.watchOwned(owned, 'example.io', 'Thing');
    controller.watchMapped(related, (object) => [`ns/user-of-${object.metadata?.name}`]);
    controller.start();
    const ownerReference = (kind: string, controllerRef: boolean) => ({
      apiVersion: 'example.io/v1',
      kind,
      name: 'owner',
      uid: 'u',
      controller: controllerRef,
    });
    owned.emit('added', {
      metadata: { name: 'x', namespace: 'ns', ownerReferences: [ownerReference('Thing', true)] },
    });
    owned.emit('added', {
      metadata: { name: 'y', namespace: 'ns', ownerReferences: [ownerReference('Thing', false)] },
    });
    owned.emit('added', {
      metadata: { name: 'z', namespace: 'ns', ownerReferences: [ownerReference('Other', true)] },
    });
    related.emit('updated', { metadata: { name: 'secret', namespace: 'ns' } });
    await until('two reconciles', () => seen.length === 2);
    await new Promise((r) => setImmediate(r));
    expect(seen.sort()).toEqual(['ns/owner', 'ns/user-of-secret']);
  });

  it('reconciles every primary object at start and again on each resync', async () => {
    const seen: string[] = [];
    const { controller, primaries } = start(
      (request) => {
        seen.push(request.name);
        return Promise.resolve({});
      },
      { resyncPeriodMs: 5 },
    );
    primaries.items.push(instance('a'), instance('b'));
    controller.start();
    await until('two rounds', () => seen.filter((name) => name === 'b').length >= 2);
    expect(seen.slice(0, 2).sort()).toEqual(['a', 'b']);
  });
});
