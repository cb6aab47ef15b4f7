// The mutable-tag mechanism: which image (by digest) an instance deploys. A digest in
// spec.image is used as-is; a tag is resolved through the registry, off the reconcile path.
//
// One resolver per process, shared by every instance: entries are keyed by the image (as
// the registry names it) and the credentials used, so 1,000 instances on one tag cost one
// registry request per interval. A reconcile only reads the cache (`lookup`, synchronous):
// a new key is queued for resolution and the reconcile goes on with what is known (the
// digest its status records). Resolutions run in the background, at most `concurrency` at
// once and `perRegistryConcurrency` per registry host (a registry that never answers holds
// only its own slots); each key is re-resolved every `intervalMs` while some instance uses
// it, after a failure with a per-key exponential backoff. When a key's answer changes (a
// digest first known or changed, the tag gone, an error), its instances are handed to
// `onChange` to be reconciled again. A failure never blocks: the last known digest is kept
// and the error reported for a condition. Memory is bounded: keys nobody uses any more are
// dropped at their next due time, and beyond `maxEntries` the least recently used go.
// See docs/design/lifecycle.md.
import type { V1Secret } from '@kubernetes/client-node';
import { exponentialDelay } from '../runtime/backoff.js';
import type { Logger } from '../runtime/logger.js';
import { RegistryAuthorizations } from './authorizations.js';
import { RegistryError, resolveDigest } from './client.js';
import {
  credentialsFingerprint,
  credentialsFor,
  credentialsFromPullSecrets,
  InvalidPullSecretError,
  type RegistryCredentials,
} from './credentials.js';
import {
  type ImageReference,
  InvalidReferenceError,
  parseImageReference,
  pinnedReference,
} from './reference.js';

/** What the registry last said about a tag (with given credentials). */
export type RegistryAnswer =
  | { kind: 'digest'; digest: string }
  /** The registry answered 404 (MANIFEST_UNKNOWN, NAME_UNKNOWN): the tag does not exist. */
  | { kind: 'notFound'; message: string }
  /** No usable answer (unreachable, timeout, 5xx, refused credentials...): try again later. */
  | { kind: 'error'; reason: string; message: string };

export interface ImageResolution {
  /** The image the new revision runs: pinned by digest when one is known, else spec.image. */
  image: string;
  /** The manifest digest, when known. */
  digest?: string;
  /**
   * `spec`: spec.image carries a digest; `registry`: the registry's current answer;
   * `lastKnown`: an earlier digest is kept (the latest resolution failed, or none has
   * answered yet and status records the digest deployed); `notFound`: the registry says the
   * tag does not exist; `unresolved`: the resolution failed with no digest known;
   * `pending`: no answer yet and no digest known (hold any new revision until there is).
   */
  source: 'spec' | 'registry' | 'lastKnown' | 'notFound' | 'unresolved' | 'pending';
  /** Why the latest resolution failed (for the condition's reason and message). */
  error?: { reason: string; message: string };
}

export interface LookupRequest {
  /** Who asks (the instance's key, namespace/name): told through onChange when the answer changes. */
  subscriber: string;
  /** spec.image. */
  image: string;
  /** The Secrets named by spec.imagePullSecrets that exist. */
  pullSecrets: V1Secret[];
  /** What the Deployment runs: keeps a running instance on its digest until the registry answers. */
  deployedImage?: string;
}

export interface ImageResolverOptions {
  /** How often a tag in use is resolved again; default 2 minutes. */
  intervalMs?: number;
  /** First retry after a failure (then doubling, per key); default 5 s. */
  retryBaseMs?: number;
  /** Longest wait between retries of a failing key; default 5 minutes. */
  retryMaxMs?: number;
  /** Registries spoken to over plain HTTP (host[:port]); loopback ones always are. */
  plainHttpRegistries?: readonly string[];
  /** Per registry request; default 10 s. */
  timeoutMs?: number;
  /** Resolutions in flight at once; default 8. */
  concurrency?: number;
  /** Resolutions in flight at once against one registry host; default 2. */
  perRegistryConcurrency?: number;
  /** Keys cached at most; default 4,096. */
  maxEntries?: number;
  /** Counts resolutions by result (`digest`, `not_found`, `error`). */
  onResolved?: (result: 'digest' | 'not_found' | 'error') => void;
  logger?: Logger;
}

interface Entry {
  key: string;
  reference: ImageReference;
  credentials?: RegistryCredentials;
  /** Undefined until the first resolution finishes. */
  answer?: RegistryAnswer;
  /** The latest digest the registry gave, kept across failures. */
  lastDigest?: string;
  /** Failed resolutions in a row (the backoff's exponent). */
  failures: number;
  /** Pending next resolution (while neither queued nor in flight). */
  timer?: NodeJS.Timeout;
  subscribers: Set<string>;
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Whether an answer is news for the instances using the key. Another error of the same
 * kind is not (its text varies: ENOTFOUND, EAI_AGAIN, a timeout...); the next reconcile
 * shows it anyway.
 */
function sameAnswer(a: RegistryAnswer | undefined, b: RegistryAnswer): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'digest') return a.digest === (b as typeof a).digest;
  if (a.kind === 'error') return a.reason === (b as typeof a).reason;
  return a.message === (b as typeof a).message;
}

export class ImageResolver {
  /** Entries in least recently used order (a lookup moves its entry to the end). */
  private readonly entries = new Map<string, Entry>();
  /** Which key each subscriber used last (so it leaves the previous one). */
  private readonly subscriptions = new Map<string, string>();
  private readonly queue: Entry[] = [];
  private readonly inFlightPerHost = new Map<string, number>();
  private inFlight = 0;
  private readonly authorizations = new RegistryAuthorizations();
  private readonly stopping = new AbortController();
  private listeners: Array<(subscribers: string[]) => void> = [];
  private readonly intervalMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly plainHttp: ReadonlySet<string>;
  private readonly concurrency: number;
  private readonly perRegistryConcurrency: number;
  private readonly maxEntries: number;

  constructor(private readonly options: ImageResolverOptions = {}) {
    this.intervalMs = options.intervalMs ?? 120_000;
    this.retryBaseMs = options.retryBaseMs ?? 5_000;
    this.retryMaxMs = options.retryMaxMs ?? 300_000;
    this.plainHttp = new Set(options.plainHttpRegistries ?? []);
    this.concurrency = options.concurrency ?? 8;
    this.perRegistryConcurrency = options.perRegistryConcurrency ?? 2;
    this.maxEntries = options.maxEntries ?? 4_096;
  }

  /** Calls `listener` with the subscribers of a key whose answer changed. */
  onChange(listener: (subscribers: string[]) => void): void {
    this.listeners.push(listener);
  }

  /**
   * What is known now about `request.image`; never waits. The first lookup of a key queues
   * its resolution; its subscribers hear through onChange when the answer arrives.
   */
  lookup(request: LookupRequest): ImageResolution {
    let reference: ImageReference;
    try {
      reference = parseImageReference(request.image);
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
      this.unsubscribe(request.subscriber);
      return {
        image: request.image,
        source: 'unresolved',
        error: { reason: 'InvalidReference', message: error.message },
      };
    }
    if (reference.digest) {
      this.unsubscribe(request.subscriber);
      return { image: request.image, digest: reference.digest, source: 'spec' };
    }
    let credentials: RegistryCredentials | undefined;
    try {
      credentials = credentialsFor(credentialsFromPullSecrets(request.pullSecrets), reference);
    } catch (error) {
      if (!(error instanceof InvalidPullSecretError)) throw error;
      this.unsubscribe(request.subscriber);
      return this.failed(request, reference, undefined, {
        reason: 'InvalidPullSecret',
        message: error.message,
      });
    }
    const entry = this.entryFor(reference, credentials);
    this.subscribe(request.subscriber, entry);
    const answer = entry.answer;
    if (!answer) {
      const known = digestOf(request.deployedImage, reference.name);
      return known
        ? { image: pinnedReference(reference, known), digest: known, source: 'lastKnown' }
        : { image: request.image, source: 'pending' };
    }
    switch (answer.kind) {
      case 'digest':
        return {
          image: pinnedReference(reference, answer.digest),
          digest: answer.digest,
          source: 'registry',
        };
      case 'notFound':
        return {
          image: request.image,
          source: 'notFound',
          error: { reason: 'RegistryNotFound', message: answer.message },
        };
      case 'error':
        return this.failed(request, reference, entry.lastDigest, answer);
    }
  }

  /** The instance is gone: it no longer keeps its key alive. */
  forget(subscriber: string): void {
    this.unsubscribe(subscriber);
  }

  /** Abandons resolutions in flight and every timer. */
  stop(): void {
    this.stopping.abort();
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
    this.queue.length = 0;
    this.listeners = [];
  }

  /** Keys cached (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private failed(
    request: LookupRequest,
    reference: ImageReference,
    lastDigest: string | undefined,
    error: { reason: string; message: string },
  ): ImageResolution {
    const known = lastDigest ?? digestOf(request.deployedImage, reference.name);
    const { reason, message } = error;
    return known
      ? {
          image: pinnedReference(reference, known),
          digest: known,
          source: 'lastKnown',
          error: { reason, message },
        }
      : { image: request.image, source: 'unresolved', error: { reason, message } };
  }

  private entryFor(reference: ImageReference, credentials?: RegistryCredentials): Entry {
    const key = `${reference.registry}/${reference.repository}:${reference.tag}|${credentialsFingerprint(credentials)}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, entry);
      return entry;
    }
    entry = {
      key,
      reference,
      ...(credentials ? { credentials } : {}),
      failures: 0,
      subscribers: new Set(),
    };
    this.entries.set(key, entry);
    this.evictBeyondLimit();
    this.queue.push(entry);
    this.pump();
    return entry;
  }

  private subscribe(subscriber: string, entry: Entry): void {
    const previous = this.subscriptions.get(subscriber);
    if (previous === entry.key) return;
    if (previous !== undefined) this.entries.get(previous)?.subscribers.delete(subscriber);
    this.subscriptions.set(subscriber, entry.key);
    entry.subscribers.add(subscriber);
  }

  private unsubscribe(subscriber: string): void {
    const previous = this.subscriptions.get(subscriber);
    if (previous === undefined) return;
    this.entries.get(previous)?.subscribers.delete(subscriber);
    this.subscriptions.delete(subscriber);
  }

  /** Unused keys first, then the least recently used ones. */
  private evictBeyondLimit(): void {
    if (this.entries.size <= this.maxEntries) return;
    const unused = [...this.entries.values()].filter((entry) => entry.subscribers.size === 0);
    for (const entry of [...unused, ...this.entries.values()]) {
      if (this.entries.size <= this.maxEntries) return;
      if (this.entries.has(entry.key)) this.drop(entry);
    }
  }

  private drop(entry: Entry): void {
    clearTimeout(entry.timer);
    this.entries.delete(entry.key);
    for (const subscriber of entry.subscribers) this.subscriptions.delete(subscriber);
    const queued = this.queue.indexOf(entry);
    if (queued >= 0) this.queue.splice(queued, 1);
  }

  /** Starts queued resolutions while there is room, overall and on their registry. */
  private pump(): void {
    for (let i = 0; i < this.queue.length && this.inFlight < this.concurrency;) {
      const entry = this.queue[i];
      const host = entry.reference.apiHost;
      const onHost = this.inFlightPerHost.get(host) ?? 0;
      if (onHost >= this.perRegistryConcurrency) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.inFlight++;
      this.inFlightPerHost.set(host, onHost + 1);
      void this.resolveEntry(entry).finally(() => {
        this.inFlight--;
        const left = (this.inFlightPerHost.get(host) ?? 1) - 1;
        if (left > 0) this.inFlightPerHost.set(host, left);
        else this.inFlightPerHost.delete(host);
        this.pump();
      });
    }
  }

  private async resolveEntry(entry: Entry): Promise<void> {
    const reference = entry.reference;
    let answer: RegistryAnswer;
    try {
      const digest = await resolveDigest(reference, {
        plainHttp: this.plainHttp.has(reference.registry) || isLoopback(reference.registry),
        signal: this.stopping.signal,
        authorizations: this.authorizations,
        ...(entry.credentials ? { credentials: entry.credentials } : {}),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      });
      answer = { kind: 'digest', digest };
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      if (error instanceof RegistryError && error.reason === 'NotFound') {
        answer = { kind: 'notFound', message: error.message };
      } else if (error instanceof RegistryError) {
        answer = { kind: 'error', reason: `Registry${error.reason}`, message: error.message };
      } else {
        this.options.logger?.error('image resolution failed unexpectedly', {
          image: entry.key,
          err: error,
        });
        answer = {
          kind: 'error',
          reason: 'RegistryInvalidResponse',
          message: `${reference.apiHost}: ${(error as Error).message}`,
        };
      }
    }
    if (this.entries.get(entry.key) !== entry) return; // dropped meanwhile
    this.options.onResolved?.(
      answer.kind === 'digest' ? 'digest' : answer.kind === 'notFound' ? 'not_found' : 'error',
    );
    const changed = !sameAnswer(entry.answer, answer);
    entry.answer = answer;
    if (answer.kind === 'digest') {
      entry.lastDigest = answer.digest;
      entry.failures = 0;
    }
    this.scheduleNext(entry);
    if (changed && entry.subscribers.size > 0) {
      const subscribers = [...entry.subscribers];
      for (const listener of this.listeners) listener(subscribers);
    }
  }

  /** The next resolution of a key in use: the interval, or the backoff after a failure. */
  private scheduleNext(entry: Entry): void {
    const answer = entry.answer;
    let delay: number;
    if (answer?.kind === 'digest') {
      delay = this.intervalMs * (0.9 + 0.2 * Math.random()); // spread keys over the interval
    } else {
      // A missing tag may be pushed any moment: never wait longer than the interval for it.
      const cap = answer?.kind === 'notFound' ? this.intervalMs : this.retryMaxMs;
      delay = exponentialDelay(entry.failures++, this.retryBaseMs, cap, 0.2);
    }
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.due(entry), delay);
    entry.timer.unref();
  }

  private due(entry: Entry): void {
    entry.timer = undefined;
    if (this.entries.get(entry.key) !== entry) return;
    if (entry.subscribers.size === 0) {
      this.drop(entry); // nobody uses it any more
      return;
    }
    this.queue.push(entry);
    this.pump();
  }
}

/** The digest of `deployed` when it is `name` pinned by digest (`name@sha256:...`). */
function digestOf(deployed: string | undefined, name: string): string | undefined {
  if (!deployed) return undefined;
  try {
    const reference = parseImageReference(deployed);
    return reference.name === name ? reference.digest : undefined;
  } catch (error) {
    if (error instanceof InvalidReferenceError) return undefined;
    throw error;
  }
}
