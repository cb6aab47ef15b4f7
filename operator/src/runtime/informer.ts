/**
 * A supervised informer: list + watch into a local cache, with the supervision client-node's
 * own informer leaves to its caller. A watch the server ends is resumed from the last
 * resourceVersion (bookmarks keep it fresh); 410 Gone relists at once; any other failure,
 * and a watch that stays silent past `silenceTimeoutMs` (a dead connection looks exactly
 * like a quiet one), relists after an exponential backoff. Relisting diffs against the
 * cache, so handlers see what changed while the watch was down.
 *
 * Memory: a `transform` trims every object before it is cached (client-go's
 * SetTransform), so the cache holds only what its readers use; the cache is indexed by
 * namespace, so a namespaced read does not walk every object.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { exponentialDelay } from './backoff.js';
import { type KubeClient, SilentWatchError, type WatchEvent, isGone } from './kube-client.js';
import type { Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import { type ResourceType, apiVersionOf, objectKey, resourceId } from './resources.js';
import { sleep } from './sleep.js';

/** A watch that failed after running this long counts as a fresh failure, not a repeated one. */
const healthyWatchMs = 60_000;

export type InformerEventType = 'added' | 'updated' | 'deleted';
export type InformerHandler<T> = (type: InformerEventType, object: T) => void;

/** The two calls an informer makes (the KubeClient's; a scripted source in unit tests). */
export type ListWatchClient = Pick<KubeClient, 'list' | 'watch'>;

/** What a controller needs of a cache it reacts to: its events and its contents. */
export interface EventSource<T> {
  on(handler: InformerHandler<T>): void;
  list(namespace?: string): T[];
}

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  type: ResourceType;
  /** Only this namespace; all namespaces when undefined. */
  namespace?: string;
  labelSelector?: string;
  /** E.g. `metadata.name=<name>`: one object, which RBAC can grant by its name alone. */
  fieldSelector?: string;
  /**
   * Applied to every object before it is cached and handed to handlers: drop what no reader
   * uses (managedFields, large fields). It may modify the object it is given.
   */
  transform?: (object: T) => T;
  /**
   * Cache only the objects' metadata (PartialObjectMetadata), like controller-runtime's
   * metadata-only watches: to notice changes of objects whose content must not be held.
   */
  metadataOnly?: boolean;
  /** Server-side watch timeout; each watch picks a random value in [t, 2t) like client-go. */
  watchTimeoutSeconds?: number;
  /**
   * A watch with no byte (event or bookmark) for this long is treated as dead. The default
   * outlasts the longest server-side timeout, so a healthy quiet watch is never cut.
   */
  silenceTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  pageSize?: number;
}

/** What the manager needs of any informer, whatever its object type. */
export interface RunnableCache {
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
}

export class Informer<T extends KubernetesObject = KubernetesObject>
  implements RunnableCache, EventSource<T>
{
  readonly type: ResourceType;
  /** Objects by namespace, then by name ('' for cluster-scoped ones). */
  private readonly cache = new Map<string, Map<string, T>>();
  /**
   * Objects by their controller's uid, then by key: an owner's children without a scan of
   * the namespace (client-go's indexer; at 1,000 instances in one namespace a scan per
   * reconcile and kind kept the event loop busy for seconds).
   */
  private readonly byController = new Map<string, Map<string, T>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private synced = false;
  private running: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly watchTimeoutSeconds: number;
  private readonly silenceTimeoutMs: number;

  constructor(
    private readonly client: ListWatchClient,
    private readonly options: InformerOptions<T>,
    logger: Logger,
    private readonly metrics?: RuntimeMetrics,
  ) {
    this.type = options.type;
    this.log = logger.child({ informer: resourceId(options.type) });
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? (2 * this.watchTimeoutSeconds + 30) * 1000;
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.cache.get(namespace)?.values() ?? [])];
    return [...this.cache.values()].flatMap((objects) => [...objects.values()]);
  }

  /** The cached objects whose controller (owner reference with `controller: true`) has this uid. */
  controlledBy(uid: string | undefined): T[] {
    return [...(this.byController.get(uid ?? '')?.values() ?? [])];
  }

  /** How many objects the cache holds. */
  size(): number {
    let count = 0;
    for (const objects of this.cache.values()) count += objects.size;
    return count;
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  start(): void {
    this.running ??= this.supervise();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async supervise(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    let watchStarted = 0;
    while (!signal.aborted) {
      try {
        await this.relist();
        for (;;) {
          watchStarted = Date.now();
          await this.watchOnce();
          if (signal.aborted) return;
          failures = 0; // it ran its course: the connection is healthy
          this.metrics?.watchRestarts.inc({ resource: resourceId(this.type), reason: 'closed' });
        }
      } catch (err) {
        if (signal.aborted) return;
        const reason = isGone(err)
          ? 'expired'
          : err instanceof SilentWatchError
            ? 'silent'
            : 'error';
        this.metrics?.watchRestarts.inc({ resource: resourceId(this.type), reason });
        if (reason === 'expired') {
          this.log.info('watch expired, relisting', { resourceVersion: this.resourceVersion });
          continue;
        }
        // A watch that had been up for a while was healthy: back off from the start again.
        if (watchStarted > 0 && Date.now() - watchStarted > healthyWatchMs) failures = 0;
        watchStarted = 0;
        const delay = exponentialDelay(
          failures++,
          this.options.backoffBaseMs ?? 500,
          this.options.backoffMaxMs ?? 30_000,
          0.2,
        );
        this.log.warn('list/watch failed, relisting after backoff', {
          reason,
          delayMs: Math.round(delay),
          err,
        });
        await sleep(delay, signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let listVersion = '';
    let continueToken: string | undefined;
    do {
      const page = await this.client.list<T>(this.type, {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        metadataOnly: this.options.metadataOnly,
        limit: this.options.pageSize ?? 500,
        continue: continueToken,
      });
      if (!listVersion) listVersion = page.metadata?.resourceVersion ?? '';
      // A PartialObjectMetadataList without items says `"items": null`.
      for (const item of page.items ?? []) items.push(this.prepare(item));
      continueToken = continueTokenOf(page) || undefined;
    } while (continueToken);

    const seen = new Set<string>();
    for (const item of items) {
      seen.add(keyOf(item));
      this.store(item);
    }
    for (const [namespace, objects] of this.cache) {
      for (const [name, object] of objects) {
        if (seen.has(objectKey(namespace || undefined, name))) continue;
        this.remove(object);
        this.emit('deleted', object);
      }
    }
    this.resourceVersion = listVersion;
    this.synced = true;
    this.log.debug('listed', { count: items.length, resourceVersion: listVersion });
  }

  private async watchOnce(): Promise<void> {
    const timeoutSeconds = Math.floor(this.watchTimeoutSeconds * (1 + Math.random()));
    await this.client.watch<T>(
      this.type,
      {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        metadataOnly: this.options.metadataOnly,
        resourceVersion: this.resourceVersion,
        timeoutSeconds,
        inactivityTimeoutMs: this.silenceTimeoutMs,
        signal: this.abort.signal,
      },
      (event) => this.handle(event),
    );
  }

  private handle(event: WatchEvent<T>): void {
    const version = event.object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (event.type === 'BOOKMARK') return;
    const object = this.prepare(event.object);
    if (event.type === 'DELETED') {
      this.remove(object);
      this.emit('deleted', object);
      return;
    }
    this.store(object);
  }

  private store(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    let objects = this.cache.get(namespace);
    const previous = objects?.get(name);
    if (previous?.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    if (!objects) this.cache.set(namespace, (objects = new Map()));
    objects.set(name, object);
    if (previous) this.unindex(previous);
    this.index(object);
    this.emit(previous ? 'updated' : 'added', object);
  }

  private remove(object: T): void {
    const namespace = object.metadata?.namespace ?? '';
    const objects = this.cache.get(namespace);
    const cached = objects?.get(object.metadata?.name ?? '');
    if (cached) this.unindex(cached);
    objects?.delete(object.metadata?.name ?? '');
    if (objects?.size === 0) this.cache.delete(namespace);
  }

  private index(object: T): void {
    const uid = controllerUid(object);
    if (uid === undefined) return;
    let children = this.byController.get(uid);
    if (!children) this.byController.set(uid, (children = new Map()));
    children.set(keyOf(object), object);
  }

  private unindex(object: T): void {
    const uid = controllerUid(object);
    const children = uid === undefined ? undefined : this.byController.get(uid);
    children?.delete(keyOf(object));
    if (children?.size === 0) this.byController.delete(uid as string);
  }

  private emit(type: InformerEventType, object: T): void {
    for (const handler of this.handlers) {
      try {
        handler(type, object);
      } catch (err) {
        this.log.error('event handler failed', { err, event: type, object: keyOf(object) });
      }
    }
  }

  /** List items come without apiVersion/kind: every cached object gets its type, then the transform. */
  private prepare(object: T): T {
    object.apiVersion ??= apiVersionOf(this.type);
    object.kind ??= this.type.kind;
    return this.options.transform ? this.options.transform(object) : object;
  }
}

/**
 * The token of a list's next page. The API server sends it as `metadata.continue`;
 * client-node's type calls it `_continue` (its deserializer renames it, and ours is plain
 * JSON), so reading `_continue` would silently stop after the first page.
 */
function continueTokenOf(page: { metadata?: object }): string | undefined {
  return (page.metadata as { continue?: string } | undefined)?.continue;
}

function keyOf(object: KubernetesObject): string {
  return objectKey(object.metadata?.namespace, object.metadata?.name ?? '');
}

function controllerUid(object: KubernetesObject): string | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.controller === true)?.uid;
}
