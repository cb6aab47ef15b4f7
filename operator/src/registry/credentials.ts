// Registry credentials from image pull Secrets (`kubernetes.io/dockerconfigjson`, and the
// legacy `kubernetes.io/dockercfg`), matched to an image the way the kubelet matches them:
// by registry host (`*` wildcards allowed per host component) and optional path prefix,
// the most specific entry first.
import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { normalizeRegistry, type ImageReference } from './reference.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface CredentialEntry {
  host: string;
  path: string;
  credentials: RegistryCredentials;
}

interface DockerAuth {
  auth?: string;
  username?: string;
  password?: string;
}

export class InvalidPullSecretError extends Error {}

function entriesOf(secretName: string, auths: Record<string, DockerAuth>): CredentialEntry[] {
  return Object.entries(auths).flatMap(([key, value]) => {
    let username = value.username;
    let password = value.password;
    if (value.auth) {
      const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0)
        throw new InvalidPullSecretError(
          `pull secret ${secretName}: the auth of "${key}" is not user:password`,
        );
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    // Entries without a password (e.g. only an identity token) cannot be used here.
    if (username === undefined || password === undefined) return [];
    const location = key.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
    const slash = location.indexOf('/');
    const host = normalizeRegistry(slash < 0 ? location : location.slice(0, slash));
    // Docker Hub's legacy key `https://index.docker.io/v1/` carries an API path, not a repository.
    const path = slash < 0 || host === 'docker.io' ? '' : location.slice(slash + 1);
    return [{ host, path, credentials: { username, password } }];
  });
}

/** Every credential entry of the given pull Secrets, in Secret order. */
export function credentialsFromPullSecrets(secrets: V1Secret[]): CredentialEntry[] {
  return secrets.flatMap((secret) => {
    const name = secret.metadata?.name ?? '(unnamed)';
    const config = secret.data?.['.dockerconfigjson'];
    const legacy = secret.data?.['.dockercfg'];
    const text = config ?? legacy;
    if (!text) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    } catch {
      throw new InvalidPullSecretError(
        `pull secret ${name}: ${config ? '.dockerconfigjson' : '.dockercfg'} is not JSON`,
      );
    }
    const auths = config ? (parsed as { auths?: Record<string, DockerAuth> }).auths : parsed;
    if (!auths || typeof auths !== 'object') return [];
    return entriesOf(name, auths as Record<string, DockerAuth>);
  });
}

function hostMatches(pattern: string, host: string): boolean {
  const patternParts = pattern.split('.');
  const hostParts = host.split('.');
  if (patternParts.length !== hostParts.length) return false;
  return patternParts.every((part, i) => {
    if (!part.includes('*')) return part === hostParts[i];
    const glob = new RegExp(`^${part.split('*').map(escapeRegExp).join('[^.]*')}$`);
    return glob.test(hostParts[i] ?? '');
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The credentials for an image, or undefined to go anonymous. */
export function credentialsFor(
  entries: CredentialEntry[],
  image: ImageReference,
): RegistryCredentials | undefined {
  const matching = entries.filter(
    (entry) =>
      hostMatches(entry.host, image.registry) &&
      (entry.path === '' ||
        image.repository === entry.path ||
        image.repository.startsWith(`${entry.path}/`)),
  );
  // Most specific first: a path prefix beats a bare host, an exact host beats a wildcard.
  const specificity = (entry: CredentialEntry) =>
    entry.path.length * 2 + (entry.host.includes('*') ? 0 : 1);
  return matching.sort((a, b) => specificity(b) - specificity(a))[0]?.credentials;
}

/**
 * A short digest of credentials (never the credentials themselves) naming them in cache
 * keys: the same image read with other credentials may well get another answer.
 */
export function credentialsFingerprint(credentials: RegistryCredentials | undefined): string {
  if (!credentials) return 'anonymous';
  return createHash('sha256')
    .update(`${credentials.username}\0${credentials.password}`)
    .digest('hex')
    .slice(0, 16);
}
