/**
 * The one way the operator talks to the API server. Authentication and TLS come from the
 * cluster access (cluster-access.ts, or client-node's KubeConfig); requests go through ONE
 * keep-alive undici Agent (client-node 2.0.1 builds a new dispatcher for every request,
 * i.e. a TLS handshake per call). Every request is counted in client-go's metric names.
 */
import { createHash } from 'node:crypto';
import { Agent, errors as undiciErrors, request as httpRequest } from 'undici';
import type { Dispatcher } from 'undici';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { ClusterAccess, HttpsOptions } from './cluster-access.js';
import type { RuntimeMetrics } from './metrics.js';
import { type ResourceType, apiVersionOf, collectionPath, objectPath } from './resources.js';

/** A `metav1.Status` returned by the API server for a failed request. */
export interface ApiStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly method: string,
    readonly path: string,
    readonly status: ApiStatus,
  ) {
    super(`${method} ${path}: ${statusCode} ${status.reason ?? ''} ${status.message ?? ''}`.trim());
    this.name = 'ApiError';
  }
}

export const isNotFound = (err: unknown): boolean =>
  err instanceof ApiError && err.statusCode === 404;
export const isConflict = (err: unknown): boolean =>
  err instanceof ApiError && err.statusCode === 409;
export const isGone = (err: unknown): boolean => err instanceof ApiError && err.statusCode === 410;

/** A watch that received nothing (not even a bookmark) for longer than allowed. */
export class SilentWatchError extends Error {
  constructor(path: string, ms: number) {
    super(`watch ${path} silent for ${ms} ms`);
    this.name = 'SilentWatchError';
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/**
 * `Accept` asking for PartialObjectMetadata: names, labels, resourceVersion and the like,
 * never the content (a cache of every Secret's metadata holds no secret).
 */
const metadataOnlyList = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const metadataOnlyWatch = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  /** Only the objects' metadata (PartialObjectMetadataList). */
  metadataOnly?: boolean;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Only the objects' metadata (PartialObjectMetadata events). */
  metadataOnly?: boolean;
  resourceVersion: string;
  /** Asks the server to end the watch after this long (it then closes cleanly). */
  timeoutSeconds: number;
  /** Fails the watch with SilentWatchError when no byte arrives for this long. */
  inactivityTimeoutMs: number;
  signal: AbortSignal;
}

export interface ApplyOptions {
  fieldManager: string;
  force: boolean;
  subresource?: string;
}

/** Per request: aborting `signal` abandons the request (it rejects at once). */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** A write refused because this process stopped writing (see KubeClient.stopWriting). */
export class WritesStoppedError extends Error {
  constructor(reason: string) {
    super(`writes stopped: ${reason}`);
    this.name = 'WritesStoppedError';
  }
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  type?: ResourceType;
  subresource?: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  accept?: string;
}

const writeMethods: ReadonlySet<RequestSpec['method']> = new Set([
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
]);

export interface KubeClientOptions {
  metrics?: RuntimeMetrics;
  userAgent?: string;
  /** Deadline for ordinary (non-watch) requests. */
  requestTimeoutMs?: number;
}

export class KubeClient {
  private agent: Agent | undefined;
  private agentFingerprint = '';
  private readonly server: URL;
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;
  /** Aborted by stopWriting(): every write in flight, and refuses later ones. */
  private readonly writes = new AbortController();

  constructor(
    private readonly kubeConfig: ClusterAccess,
    private readonly options: KubeClientOptions = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.userAgent = options.userAgent ?? 'notejam-operator';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  async get<T extends KubernetesObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: RequestOptions = {},
  ) {
    return this.send<T>({
      method: 'GET',
      path: objectPath(type, namespace, name),
      type,
      signal: options.signal,
    });
  }

  /** Like get, but a missing object is `undefined` instead of an error. */
  async getIfExists<T extends KubernetesObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: RequestOptions = {},
  ) {
    try {
      return await this.get<T>(type, namespace, name, options);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T extends KubernetesObject>(type: ResourceType, options: ListOptions = {}) {
    const { namespace, metadataOnly, ...query } = options;
    return this.send<KubernetesListObject<T>>({
      method: 'GET',
      path: collectionPath(type, namespace),
      type,
      query: { ...query },
      ...(metadataOnly ? { accept: metadataOnlyList } : {}),
    });
  }

  async create<T extends KubernetesObject>(
    type: ResourceType,
    object: T,
    fieldManager: string,
    options: RequestOptions = {},
  ) {
    return this.send<T>({
      method: 'POST',
      path: collectionPath(type, object.metadata?.namespace),
      type,
      query: { fieldManager },
      body: object,
      signal: options.signal,
    });
  }

  /** PUT with the object's resourceVersion: fails with 409 when someone wrote in between. */
  async replace<T extends KubernetesObject>(
    type: ResourceType,
    object: T,
    fieldManager: string,
    options: RequestOptions = {},
  ) {
    return this.send<T>({
      method: 'PUT',
      path: objectPath(type, object.metadata?.namespace, requireName(object)),
      type,
      query: { fieldManager },
      body: object,
      signal: options.signal,
    });
  }

  /** Server-side apply. The body must carry apiVersion, kind and metadata.name. */
  async apply<T extends KubernetesObject>(type: ResourceType, object: T, options: ApplyOptions) {
    return this.send<T>({
      method: 'PATCH',
      path: objectPath(type, object.metadata?.namespace, requireName(object), options.subresource),
      type,
      subresource: options.subresource,
      query: { fieldManager: options.fieldManager, force: options.force },
      body: {
        ...object,
        apiVersion: object.apiVersion ?? apiVersionOf(type),
        kind: object.kind ?? type.kind,
      },
      contentType: 'application/apply-patch+yaml',
    });
  }

  async mergePatch<T extends KubernetesObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    fieldManager: string,
  ) {
    return this.send<T>({
      method: 'PATCH',
      path: objectPath(type, namespace, name),
      type,
      query: { fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  /**
   * Deletes the object; `uid` makes it a no-op (409) if the name now belongs to another
   * object. `propagationPolicy` overrides the resource's default (Jobs orphan their pods).
   */
  async delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    uid?: string,
    propagationPolicy?: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void> {
    await this.send({
      method: 'DELETE',
      path: objectPath(type, namespace, name),
      type,
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(uid ? { preconditions: { uid } } : {}),
        ...(propagationPolicy ? { propagationPolicy } : {}),
      },
    });
  }

  /** Raw GET for discovery documents and the like. */
  async getPath<T>(path: string): Promise<T> {
    return this.send<T>({ method: 'GET', path });
  }

  /**
   * Streams one watch. Resolves when the server ends it (timeoutSeconds) or `signal` aborts;
   * rejects on transport errors, on an ERROR event (410 Gone etc.) and on silence.
   */
  async watch<T extends KubernetesObject>(
    type: ResourceType,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void> {
    const path = collectionPath(type, options.namespace);
    const query: Query = {
      watch: true,
      allowWatchBookmarks: true,
      resourceVersion: options.resourceVersion,
      timeoutSeconds: options.timeoutSeconds,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    const started = performance.now();
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatch(
        {
          method: 'GET',
          path,
          query,
          ...(options.metadataOnly ? { accept: metadataOnlyWatch } : {}),
        },
        options.signal,
        options.inactivityTimeoutMs,
      );
    } catch (err) {
      if (options.signal.aborted) return;
      this.count('GET', type, undefined, '<error>', started);
      throw err;
    }
    this.count('GET', type, undefined, String(response.statusCode), started);
    if (response.statusCode !== 200) throw await this.toApiError(response, 'GET', path);

    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += (chunk as Buffer).toString('utf8');
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === '') continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as ApiStatus;
            throw new ApiError(status.code ?? 500, 'WATCH', path, status);
          }
          onEvent(event);
        }
      }
    } catch (err) {
      response.body.destroy();
      if (options.signal.aborted) return;
      if (err instanceof undiciErrors.BodyTimeoutError)
        throw new SilentWatchError(path, options.inactivityTimeoutMs);
      throw err;
    }
  }

  /**
   * From now on this client writes nothing: writes in flight are aborted, later ones fail
   * with WritesStoppedError at once; reads and watches go on. For a leader that lost its
   * lease, so it cannot write after another replica may have taken over.
   */
  stopWriting(reason: string): void {
    if (!this.writes.signal.aborted) this.writes.abort(new WritesStoppedError(reason));
  }

  /** Closes pooled connections (watches included). */
  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    await agent?.destroy();
  }

  private async send<T>(spec: RequestSpec): Promise<T> {
    const isWrite = writeMethods.has(spec.method);
    if (isWrite && this.writes.signal.aborted) throw this.writes.signal.reason as Error;
    const started = performance.now();
    const signals = [AbortSignal.timeout(this.requestTimeoutMs)];
    if (spec.signal) signals.push(spec.signal);
    if (isWrite) signals.push(this.writes.signal);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatch(spec, AbortSignal.any(signals), this.requestTimeoutMs);
    } catch (err) {
      this.count(spec.method, spec.type, spec.subresource, '<error>', started);
      if (isWrite && this.writes.signal.aborted) throw this.writes.signal.reason as Error;
      throw new Error(`${spec.method} ${spec.path}: ${(err as Error).message}`, { cause: err });
    }
    this.count(spec.method, spec.type, spec.subresource, String(response.statusCode), started);
    if (response.statusCode >= 400) throw await this.toApiError(response, spec.method, spec.path);
    return (await response.body.json()) as T;
  }

  private async dispatch(
    spec: Pick<RequestSpec, 'method' | 'path' | 'query' | 'body' | 'contentType' | 'accept'>,
    signal: AbortSignal,
    bodyTimeoutMs: number,
  ): Promise<Dispatcher.ResponseData> {
    const { headers, agent } = await this.connection();
    const url = new URL(spec.path, this.server);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    headers['accept'] = spec.accept ?? 'application/json';
    headers['user-agent'] = this.userAgent;
    if (spec.body !== undefined) headers['content-type'] = spec.contentType ?? 'application/json';
    return httpRequest(url, {
      method: spec.method,
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      dispatcher: agent,
      signal,
      bodyTimeout: bodyTimeoutMs,
    });
  }

  /**
   * Auth headers per request (tokens rotate: token files are re-read, exec plugins run
   * again), TLS material into a long-lived Agent, replaced only when that material changes.
   */
  private async connection(): Promise<{ headers: Record<string, string>; agent: Agent }> {
    const opts: HttpsOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      rejectUnauthorized: opts.rejectUnauthorized,
      servername: opts.servername,
    };
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify([
          tls.ca?.toString('base64'),
          tls.cert?.toString('base64'),
          tls.key?.toString('base64'),
        ]),
      )
      .update(`${tls.rejectUnauthorized}|${tls.servername}`)
      .digest('hex');
    if (!this.agent || fingerprint !== this.agentFingerprint) {
      const previous = this.agent;
      this.agent = new Agent({ connect: tls, keepAliveTimeout: 30_000 });
      this.agentFingerprint = fingerprint;
      void previous?.close();
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(opts.headers ?? {}))
      headers[key.toLowerCase()] = String(value);
    return { headers, agent: this.agent };
  }

  private async toApiError(
    response: Dispatcher.ResponseData,
    method: string,
    path: string,
  ): Promise<ApiError> {
    const text = await response.body.text();
    let status: ApiStatus;
    try {
      status = JSON.parse(text) as ApiStatus;
    } catch {
      status = { message: text.slice(0, 500) };
    }
    return new ApiError(response.statusCode, method, path, status);
  }

  private count(
    method: string,
    type: ResourceType | undefined,
    subresource: string | undefined,
    code: string,
    startedMs: number,
  ): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const host = this.server.host;
    metrics.restRequests.inc({ code, host, method });
    metrics.restRequestsByResource.inc({
      method,
      group: type?.group ?? '',
      resource: type?.plural ?? '',
      subresource: subresource ?? '',
      code,
    });
    metrics.restLatency.observe({ verb: method, host }, (performance.now() - startedMs) / 1000);
  }
}

function requireName(object: KubernetesObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error(`${object.kind ?? 'object'} without metadata.name`);
  return name;
}
