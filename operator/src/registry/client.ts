// Resolves an image tag to the digest of its manifest through the OCI distribution API:
// `HEAD /v2/<repository>/manifests/<tag>` accepting every manifest and index media type
// (a multi-platform image resolves to its index, as the kubelet pulls it), answering the
// registry's challenge: Bearer (token from the realm, with Basic credentials when given)
// or Basic. A 404 means the tag does not exist (RegistryError reason NotFound); every
// other failure is transient.
import { createHash } from 'node:crypto';
import type { RegistryAuthorizations } from './authorizations.js';
import { credentialsFingerprint, type RegistryCredentials } from './credentials.js';
import type { ImageReference } from './reference.js';

export const manifestMediaTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export type RegistryErrorReason =
  'Unauthorized' | 'NotFound' | 'RateLimited' | 'Unreachable' | 'InvalidResponse';

export class RegistryError extends Error {
  constructor(
    readonly reason: RegistryErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolveOptions {
  credentials?: RegistryCredentials;
  /** Talk plain HTTP to this registry (a local one); HTTPS otherwise. */
  plainHttp?: boolean;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Abandons the resolution (the operator stops). */
  signal?: AbortSignal;
  /** Headers accepted before, reused (and updated) so a token is fetched once per lifetime. */
  authorizations?: RegistryAuthorizations;
}

/** Default lifetime of a Bearer token whose server does not say (distribution token spec). */
const defaultTokenLifetimeSeconds = 60;

const digestPattern = /^sha256:[0-9a-f]{64}$/;

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of (match[2] ?? '').matchAll(
    /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g,
  )) {
    if (key)
      params[key.toLowerCase()] =
        quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

async function request(
  url: string,
  init: RequestInit,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Response> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    return await fetch(url, {
      ...init,
      redirect: 'follow',
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    const why = timeout.aborted
      ? `no answer within ${timeoutMs / 1000} s`
      : (cause ?? (error as Error).message);
    throw new RegistryError('Unreachable', `${new URL(url).host}: ${why}`);
  }
}

async function bearerToken(
  challenge: Challenge,
  image: ImageReference,
  options: ResolveOptions,
  timeoutMs: number,
): Promise<{ token: string; lifetimeMs: number }> {
  const { realm, service, scope } = challenge.params;
  if (!realm)
    throw new RegistryError(
      'InvalidResponse',
      `${image.apiHost}: Bearer challenge without a realm`,
    );
  const url = new URL(realm);
  if (service) url.searchParams.set('service', service);
  url.searchParams.set('scope', scope ?? `repository:${image.repository}:pull`);
  const headers: Record<string, string> = {};
  if (options.credentials) headers.authorization = basic(options.credentials);
  const response = await request(url.toString(), { headers }, timeoutMs, options.signal);
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw new RegistryError(
      'Unauthorized',
      `${url.host} refused a pull token for ${image.repository}${options.credentials ? ' with the pull secret’s credentials' : ' without credentials (no pull secret matches)'}`,
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new RegistryError(
      'InvalidResponse',
      `${url.host}: token request answered ${response.status}`,
    );
  }
  let body: { token?: string; access_token?: string; expires_in?: number };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new RegistryError('InvalidResponse', `${url.host}: token response is not JSON`);
  }
  const token = body.token ?? body.access_token;
  if (!token)
    throw new RegistryError('InvalidResponse', `${url.host}: token response without a token`);
  const seconds =
    typeof body.expires_in === 'number' && body.expires_in > 0
      ? body.expires_in
      : defaultTokenLifetimeSeconds;
  return { token, lifetimeMs: seconds * 1000 };
}

/** The digest (`sha256:...`) the registry serves for `image`'s tag now. */
export async function resolveDigest(
  image: ImageReference,
  options: ResolveOptions = {},
): Promise<string> {
  if (!image.tag) throw new RegistryError('InvalidResponse', `${image.name} has no tag to resolve`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const scheme = options.plainHttp ? 'http' : 'https';
  const url = `${scheme}://${image.apiHost}/v2/${image.repository}/manifests/${encodeURIComponent(image.tag)}`;
  const accept = manifestMediaTypes.join(', ');
  const manifest = (method: 'HEAD' | 'GET', authorization?: string) =>
    request(
      url,
      { method, headers: { accept, ...(authorization ? { authorization } : {}) } },
      timeoutMs,
      options.signal,
    );
  const authorizations = options.authorizations;
  const authorizationKey = `${image.apiHost}/${image.repository}|${credentialsFingerprint(options.credentials)}`;
  let authorization = authorizations?.get(authorizationKey);
  let response = await manifest('HEAD', authorization);
  if (response.status === 401) {
    // No header, or the remembered one was refused (revoked, expired early): ask afresh.
    authorizations?.delete(authorizationKey);
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    const askedAt = Date.now();
    if (challenge?.scheme === 'bearer') {
      const { token, lifetimeMs } = await bearerToken(challenge, image, options, timeoutMs);
      authorization = `Bearer ${token}`;
      authorizations?.set(authorizationKey, authorization, askedAt, lifetimeMs);
    } else if (challenge?.scheme === 'basic' && options.credentials) {
      authorization = basic(options.credentials);
      authorizations?.set(authorizationKey, authorization, askedAt);
    } else {
      throw new RegistryError(
        'Unauthorized',
        `${image.apiHost} requires credentials for ${image.repository} and no pull secret matches`,
      );
    }
    response = await manifest('HEAD', authorization);
  }
  // Some registries do not answer HEAD for manifests: read the manifest itself then.
  if (response.status === 405) response = await manifest('GET', authorization);
  if (response.status !== 200) await response.body?.cancel();
  // A header refused now is not worth sending again.
  if (response.status === 401 || response.status === 403) authorizations?.delete(authorizationKey);
  switch (response.status) {
    case 200:
      break;
    case 401:
    case 403:
      throw new RegistryError(
        'Unauthorized',
        `${image.apiHost} refused access to ${image.repository}`,
      );
    case 404:
      throw new RegistryError(
        'NotFound',
        `${image.apiHost}: ${image.repository}:${image.tag} not found`,
      );
    case 429:
      throw new RegistryError('RateLimited', `${image.apiHost} rate-limited the manifest request`);
    default:
      throw new RegistryError(
        'InvalidResponse',
        `${image.apiHost}: manifest request answered ${response.status}`,
      );
  }
  let digest = response.headers.get('docker-content-digest') ?? undefined;
  if (!digest) {
    // The digest is the hash of the manifest bytes exactly as served.
    const body = response.body ? response : await manifest('GET', authorization);
    if (!body.ok)
      throw new RegistryError(
        'InvalidResponse',
        `${image.apiHost}: manifest request answered ${body.status}`,
      );
    digest = `sha256:${createHash('sha256')
      .update(Buffer.from(await body.arrayBuffer()))
      .digest('hex')}`;
  } else {
    await response.body?.cancel();
  }
  if (!digestPattern.test(digest)) {
    throw new RegistryError(
      'InvalidResponse',
      `${image.apiHost}: unexpected manifest digest "${digest}"`,
    );
  }
  return digest;
}
