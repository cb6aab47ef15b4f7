// The informer's bookkeeping, driven by a scripted list/watch source (the integration
// suites run it against the real API server): a relist diffs against the cache, a watch
// resumes from the last resourceVersion it saw (bookmarks included), 410 Gone relists at
// once without backing off, and the transform shapes what is cached.
import { describe, expect, it } from '@jest/globals';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { ApiError, type ListOptions, type WatchEvent, type WatchOptions } from './kube-client.js';
import { Informer, type InformerEventType, type ListWatchClient } from './informer.js';
import { createLogger } from './logger.js';
import type { ResourceType } from './resources.js';

const things: ResourceType = {
  group: 'example.io',
  version: 'v1',
  plural: 'things',
  kind: 'Thing',
  namespaced: true,
};

type Item = KubernetesObject & { data?: Record<string, string> };

const object = (name: string, resourceVersion: string, namespace = 'ns'): Item => ({
  metadata: { name, namespace, resourceVersion },
});

/** How one watch call goes: these events, then it ends, fails, or stays open. */
type WatchScript = { events: WatchEvent<Item>[]; then: 'end' | 'gone' | 'hang' };

/** A list/watch source playing scripted answers, recording what it was asked. */
class ScriptedSource implements ListWatchClient {
  readonly lists: ListOptions[] = [];
  readonly watches: string[] = [];
  private readonly listAnswers: Item[][] = [];
  private readonly watchScripts: WatchScript[] = [];
  private waiting: (() => void) | undefined;

  answerList(items: Item[]): void {
    this.listAnswers.push(items);
  }

  answerWatch(script: WatchScript): void {
    this.watchScripts.push(script);
    this.waiting?.();
  }

  list<T extends KubernetesObject>(
    _type: ResourceType,
    options: ListOptions = {},
  ): Promise<KubernetesListObject<T>> {
    this.lists.push(options);
    const items = this.listAnswers.shift();
    if (!items) throw new Error('unexpected list');
    const versions = items.map((item) => Number(item.metadata?.resourceVersion ?? 0));
    return Promise.resolve({
      apiVersion: 'example.io/v1',
      kind: 'ThingList',
      metadata: { resourceVersion: String(Math.max(0, ...versions)) },
      items: items.map((item) => structuredClone(item)) as T[],
    });
  }

  async watch<T extends KubernetesObject>(
    _type: ResourceType,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void> {
    this.watches.push(options.resourceVersion);
    while (this.watchScripts.length === 0 && !options.signal.aborted) {
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        options.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    const script = this.watchScripts.shift();
    if (!script) return;
    for (const event of script.events) onEvent(structuredClone(event) as WatchEvent<T>);
    if (script.then === 'gone') {
      throw new ApiError(410, 'WATCH', '/apis/example.io/v1/things', {
        code: 410,
        reason: 'Expired',
        message: 'too old resource version',
      });
    }
    if (script.then === 'hang') {
      await new Promise<void>((resolve) =>
        options.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  }
}

/** An informer on the source, recording its events as `type name@resourceVersion`. */
function informerOn(source: ScriptedSource, transform?: (object: Item) => Item) {
  const events: string[] = [];
  const informer = new Informer<Item>(
    source,
    {
      type: things,
      // A backoff this long would stall the test: only failures other than 410 may use it.
      backoffBaseMs: 3_600_000,
      ...(transform ? { transform } : {}),
    },
    createLogger({ level: 'error', write: () => {} }),
  );
  informer.on((type: InformerEventType, item) =>
    events.push(`${type} ${item.metadata?.name}@${item.metadata?.resourceVersion}`),
  );
  return { informer, events };
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

describe('Informer', () => {
  it('lists, then watches from the list’s resourceVersion, resuming from the last one seen', async () => {
    const source = new ScriptedSource();
    source.answerList([object('a', '1'), object('b', '2')]);
    source.answerWatch({
      events: [
        { type: 'MODIFIED', object: object('a', '3') },
        { type: 'BOOKMARK', object: object('', '7') },
      ],
      then: 'end',
    });
    source.answerWatch({ events: [], then: 'hang' });
    const { informer, events } = informerOn(source);
    informer.start();
    await until('the second watch', () => source.watches.length === 2);
    await informer.stop();

    expect(events).toEqual(['added a@1', 'added b@2', 'updated a@3']);
    expect(source.watches).toEqual(['2', '7']);
    expect(source.lists).toHaveLength(1);
    expect(informer.hasSynced()).toBe(true);
    expect(informer.get('ns', 'a')?.apiVersion).toBe('example.io/v1'); // list items get their type
    expect(informer.get('ns', 'a')?.kind).toBe('Thing');
  });

  it('relists at once on 410 Gone and tells handlers what changed meanwhile (diff against the cache)', async () => {
    const source = new ScriptedSource();
    source.answerList([object('a', '1'), object('b', '2'), object('c', '3', 'other')]);
    source.answerWatch({ events: [], then: 'gone' });
    // While the watch was gone: a deleted, b changed, c unchanged, d new.
    source.answerList([object('b', '5'), object('c', '3', 'other'), object('d', '6')]);
    source.answerWatch({ events: [], then: 'hang' });
    const { informer, events } = informerOn(source);
    informer.start();
    await until('the watch after the relist', () => source.watches.length === 2);
    await informer.stop();

    expect(events).toEqual([
      'added a@1',
      'added b@2',
      'added c@3',
      'updated b@5',
      'added d@6',
      'deleted a@1',
    ]);
    expect(source.watches).toEqual(['3', '6']);
    expect(informer.list('ns').map((item) => item.metadata?.name)).toEqual(['b', 'd']);
    expect(informer.list('other').map((item) => item.metadata?.name)).toEqual(['c']);
    expect(informer.size()).toBe(3);
  });

  it('applies the transform to listed and watched objects before caching them', async () => {
    const source = new ScriptedSource();
    source.answerList([{ ...object('a', '1'), data: { big: 'x'.repeat(100) } }]);
    source.answerWatch({
      events: [{ type: 'ADDED', object: { ...object('b', '2'), data: { big: 'y' } } }],
      then: 'hang',
    });
    const { informer } = informerOn(source, (item) => {
      delete item.data;
      return item;
    });
    informer.start();
    await until('b in the cache', () => informer.get('ns', 'b') !== undefined);
    await informer.stop();
    expect(informer.list().map((item) => item.data)).toEqual([undefined, undefined]);
  });

  it('forgets deleted objects, and a repeated resourceVersion is no event', async () => {
    const source = new ScriptedSource();
    source.answerList([object('a', '1')]);
    source.answerWatch({
      events: [
        { type: 'MODIFIED', object: object('a', '1') },
        { type: 'DELETED', object: object('a', '2') },
      ],
      then: 'hang',
    });
    const { informer, events } = informerOn(source);
    informer.start();
    await until('the deletion', () => events.length === 2);
    await informer.stop();
    expect(events).toEqual(['added a@1', 'deleted a@2']);
    expect(informer.get('ns', 'a')).toBeUndefined();
    expect(informer.list('ns')).toEqual([]);
  });

  it('finds an owner’s children by its uid through every change: add, new controller, delete, relist', async () => {
    const owned = (
      name: string,
      resourceVersion: string,
      uid: string,
      controller = true,
    ): Item => ({
      metadata: {
        ...object(name, resourceVersion).metadata,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Owner', name: uid, uid, controller }],
      },
    });
    const names = (informer: Informer<Item>, uid: string) =>
      informer
        .controlledBy(uid)
        .map((item) => item.metadata?.name ?? '')
        .sort();
    const source = new ScriptedSource();
    source.answerList([owned('a', '1', 'u1'), owned('b', '2', 'u1'), owned('c', '3', 'u2', false)]);
    source.answerWatch({
      events: [
        { type: 'MODIFIED', object: owned('b', '4', 'u2') },
        { type: 'DELETED', object: owned('a', '5', 'u1') },
      ],
      then: 'gone',
    });
    // The relist no longer has b, and a came back.
    source.answerList([owned('a', '6', 'u1'), owned('c', '3', 'u2', false)]);
    source.answerWatch({ events: [], then: 'hang' });
    const { informer, events } = informerOn(source);
    const seen: string[][] = [];
    informer.on(() => seen.push([...names(informer, 'u1'), '|', ...names(informer, 'u2')]));
    informer.start();
    await until('the watch after the relist', () => source.watches.length === 2);
    await informer.stop();

    expect(events).toHaveLength(7);
    expect(seen).toEqual([
      ['a', '|'],
      ['a', 'b', '|'],
      ['a', 'b', '|'], // c has an owner but not as its controller
      ['a', '|', 'b'],
      ['|', 'b'],
      ['a', '|', 'b'],
      ['a', '|'],
    ]);
    expect(informer.controlledBy(undefined)).toEqual([]);
  });
});
