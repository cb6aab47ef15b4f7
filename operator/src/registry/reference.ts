// Image references as container runtimes read them: `[registry[:port]/]repository[:tag][@digest]`,
// with Docker Hub's defaults (registry `docker.io`, served at registry-1.docker.io, and the
// `library/` namespace for single-component names).

export interface ImageReference {
  /** The registry as written in credentials (`docker.io` for Docker Hub). */
  registry: string;
  /** Host (and port) that serves the registry API. */
  apiHost: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** The reference as given, without its digest (what a digest is appended to). */
  name: string;
}

export const dockerHub = 'docker.io';
const dockerHubApiHost = 'registry-1.docker.io';
const dockerHubAliases = new Set([dockerHub, 'index.docker.io', dockerHubApiHost]);

const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export class InvalidReferenceError extends Error {}

/** Docker Hub under one name, whichever alias a reference or a credential uses. */
export function normalizeRegistry(registry: string): string {
  const host = registry.toLowerCase();
  return dockerHubAliases.has(host) ? dockerHub : host;
}

export function parseImageReference(reference: string): ImageReference {
  const [name = '', digest, extra] = reference.split('@');
  if (extra !== undefined || !name)
    throw new InvalidReferenceError(`invalid image reference "${reference}"`);
  if (digest !== undefined && !digestPattern.test(digest)) {
    throw new InvalidReferenceError(`invalid digest in image reference "${reference}"`);
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  // The first component names a registry when it looks like a host: a dot, a port or localhost.
  const hasRegistry =
    slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = normalizeRegistry(hasRegistry ? first : dockerHub);
  let path = hasRegistry ? name.slice(slash + 1) : name;
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!tagPattern.test(tag))
      throw new InvalidReferenceError(`invalid tag in image reference "${reference}"`);
  }
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(
      path,
    )
  ) {
    throw new InvalidReferenceError(`invalid repository in image reference "${reference}"`);
  }
  const repository = registry === dockerHub && !path.includes('/') ? `library/${path}` : path;
  return {
    registry,
    apiHost: registry === dockerHub ? dockerHubApiHost : registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    name,
  };
}

/** The reference pinned to a digest, keeping the tag for people (`repo:tag@sha256:...`). */
export function pinnedReference(reference: ImageReference, digest: string): string {
  return `${reference.name}@${digest}`;
}
