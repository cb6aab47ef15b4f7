// The mutable-tag mechanism: which image (by digest) an instance deploys. A digest in
// spec.image is used as-is; a tag is resolved through the registry on an interval, so a
// tag pushed again (`dev`) yields a new digest, hence a new revision. A failed resolution
// never blocks: the last known digest (this process's, else the one in status) is kept
// and the error is reported for a condition. See docs/design/lifecycle.md.
import type { V1Secret } from '@kubernetes/client-node';
import { RegistryError, resolveDigest, type ResolveOptions } from './client.js';
import {
  credentialsFor,
  credentialsFromPullSecrets,
  InvalidPullSecretError,
} from './credentials.js';
import { InvalidReferenceError, parseImageReference, pinnedReference } from './reference.js';

export interface ImageResolution {
  /** The image the new revision runs: pinned by digest when one is known, else spec.image. */
  image: string;
  /** The manifest digest, when known. */
  digest?: string;
  /**
   * `spec`: spec.image carries a digest; `registry`: resolved now or within the interval;
   * `lastKnown`: resolution failed and an earlier digest is kept; `unresolved`: failed with
   * nothing known, so spec.image is used by tag.
   */
  source: 'spec' | 'registry' | 'lastKnown' | 'unresolved';
  /** Why the latest resolution failed (for the condition's reason and message). */
  error?: { reason: string; message: string };
  /** When to resolve again (for the reconciler's requeue-after); undefined for a pinned spec. */
  recheckAfterMs?: number;
}

export interface ResolveRequest {
  /** The instance's key (namespace/name): resolutions are cached per instance. */
  key: string;
  /** spec.image. */
  image: string;
  /** The Secrets named by spec.imagePullSecrets that exist. */
  pullSecrets: V1Secret[];
  /** status.deployedImage: keeps a running instance on its digest across operator restarts. */
  deployedImage?: string;
}

export interface ImageResolverOptions {
  /** How often a tag is resolved again; default 2 minutes. */
  intervalMs?: number;
  /** How soon a failed resolution is tried again; default 30 s. */
  retryAfterFailureMs?: number;
  /** Registries spoken to over plain HTTP (host[:port]); loopback ones always are. */
  plainHttpRegistries?: readonly string[];
  /** Per request; default 10 s. */
  timeoutMs?: number;
  now?: () => number;
}

interface CacheEntry {
  image: string;
  digest?: string;
  /** When the entry is to be refreshed. */
  dueAt: number;
  error?: { reason: string; message: string };
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class ImageResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly intervalMs: number;
  private readonly retryAfterFailureMs: number;
  private readonly plainHttp: ReadonlySet<string>;
  private readonly timeoutMs: number | undefined;
  private readonly now: () => number;

  constructor(options: ImageResolverOptions = {}) {
    this.intervalMs = options.intervalMs ?? 120_000;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000;
    this.plainHttp = new Set(options.plainHttpRegistries ?? []);
    this.timeoutMs = options.timeoutMs;
    this.now = options.now ?? Date.now;
  }

  /** The image to deploy for `request`; contacts the registry at most once per interval. */
  async resolve(request: ResolveRequest): Promise<ImageResolution> {
    let reference;
    try {
      reference = parseImageReference(request.image);
    } catch (error) {
      if (!(error instanceof InvalidReferenceError)) throw error;
      return {
        image: request.image,
        source: 'unresolved',
        error: { reason: 'InvalidReference', message: error.message },
      };
    }
    if (reference.digest) {
      this.cache.delete(request.key);
      return { image: request.image, digest: reference.digest, source: 'spec' };
    }

    const now = this.now();
    let entry = this.cache.get(request.key);
    if (!entry || entry.image !== request.image || now >= entry.dueAt) {
      const previous = entry?.image === request.image ? entry.digest : undefined;
      entry = await this.refresh(request, previous, now);
      this.cache.set(request.key, entry);
    }
    const recheckAfterMs = Math.max(0, entry.dueAt - now);
    const known = entry.digest ?? digestOf(request.deployedImage, reference.name);
    if (known) {
      return {
        image: pinnedReference(reference, known),
        digest: known,
        source: entry.error ? 'lastKnown' : 'registry',
        ...(entry.error ? { error: entry.error } : {}),
        recheckAfterMs,
      };
    }
    return {
      image: request.image,
      source: 'unresolved',
      ...(entry.error ? { error: entry.error } : {}),
      recheckAfterMs,
    };
  }

  /** Drops what is cached for an instance (it was deleted). */
  forget(key: string): void {
    this.cache.delete(key);
  }

  private async refresh(
    request: ResolveRequest,
    previous: string | undefined,
    now: number,
  ): Promise<CacheEntry> {
    const reference = parseImageReference(request.image);
    try {
      const credentials = credentialsFor(
        credentialsFromPullSecrets(request.pullSecrets),
        reference,
      );
      const options: ResolveOptions = {
        plainHttp: this.plainHttp.has(reference.registry) || isLoopback(reference.registry),
        ...(credentials ? { credentials } : {}),
        ...(this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {}),
      };
      const digest = await resolveDigest(reference, options);
      return { image: request.image, digest, dueAt: now + this.intervalMs };
    } catch (error) {
      if (!(error instanceof RegistryError) && !(error instanceof InvalidPullSecretError))
        throw error;
      const reason =
        error instanceof RegistryError ? `Registry${error.reason}` : 'InvalidPullSecret';
      return {
        image: request.image,
        ...(previous ? { digest: previous } : {}),
        dueAt: now + this.retryAfterFailureMs,
        error: { reason, message: error.message },
      };
    }
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
