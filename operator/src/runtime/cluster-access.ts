/**
 * Where the API server is and how to authenticate to it: KUBECONFIG, else ~/.kube/config,
 * else the pod's service account (client-go's and kubectl's order).
 *
 * Read here rather than through client-node's KubeConfig, because importing that class
 * imports the whole generated API with it: about 60 MiB of resident memory, a third of the
 * operator's at 1,000 instances (docs/benchmarks.md), for a handful of fields. This covers
 * what a deployed operator and a developer's kubeconfig use: the service account (its
 * token re-read as the kubelet rotates it), bearer tokens and token files, client
 * certificates, basic auth, a CA, insecure-skip-tls-verify and tls-server-name. A
 * kubeconfig needing more (an exec plugin, an auth provider, a proxy, several files merged
 * from KUBECONFIG) is handed to client-node's KubeConfig, imported only then.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { parse as parseYaml } from 'yaml';

/** The TLS and header options of one request, as client-node's KubeConfig fills them. */
export interface HttpsOptions {
  headers?: Record<string, string>;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/**
 * What the client needs of a kubeconfig: the server, and for each request its TLS material
 * and auth headers (read again each time: tokens rotate). client-node's KubeConfig has
 * this shape too, so tests and exotic kubeconfigs can pass one.
 */
export interface ClusterAccess {
  getCurrentCluster(): { server: string } | null;
  applyToHTTPSOptions(options: HttpsOptions): Promise<void>;
}

/** A kubeconfig that cannot be used, naming where the problem is. */
export class ClusterAccessError extends Error {
  constructor(
    readonly source: string,
    problem: string,
  ) {
    super(`${source}: ${problem}`);
    this.name = 'ClusterAccessError';
  }
}

/** Where a pod's service account credentials are mounted. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How long a file's content is reused before it is read again (client-node: 60 s too). */
const fileRefreshMs = 60_000;

/** A credential given inline (base64 `-data` or plain) or by a file, re-read every minute. */
class Material {
  private cached?: { value: Buffer; readAt: number };

  constructor(
    private readonly inline: Buffer | undefined,
    private readonly file: string | undefined,
    private readonly now: () => number,
  ) {}

  get present(): boolean {
    return this.inline !== undefined || this.file !== undefined;
  }

  read(): Buffer | undefined {
    if (this.inline !== undefined) return this.inline;
    if (this.file === undefined) return undefined;
    const now = this.now();
    if (!this.cached || now - this.cached.readAt >= fileRefreshMs) {
      this.cached = { value: readFileSync(this.file), readAt: now };
    }
    return this.cached.value;
  }
}

interface AccessSpec {
  server: string;
  ca: Material;
  cert: Material;
  key: Material;
  token: Material;
  basic?: { username: string; password: string };
  insecure: boolean;
  servername?: string;
}

class StaticClusterAccess implements ClusterAccess {
  constructor(private readonly spec: AccessSpec) {}

  getCurrentCluster(): { server: string } {
    return { server: this.spec.server };
  }

  applyToHTTPSOptions(options: HttpsOptions): Promise<void> {
    const { ca, cert, key, token, basic, insecure, servername } = this.spec;
    const headers: Record<string, string> = { ...options.headers };
    const bearer = token.read()?.toString('utf8').trim();
    if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
    else if (basic) {
      const pair = Buffer.from(`${basic.username}:${basic.password}`).toString('base64');
      headers['Authorization'] = `Basic ${pair}`;
    }
    options.headers = headers;
    if (ca.present) options.ca = ca.read();
    if (cert.present) options.cert = cert.read();
    if (key.present) options.key = key.read();
    if (insecure) options.rejectUnauthorized = false;
    if (servername) options.servername = servername;
    return Promise.resolve();
  }
}

type Env = Record<string, string | undefined>;

export interface LoadOptions {
  env?: Env;
  home?: string;
  /** The service account mount (tests point it elsewhere). */
  serviceAccount?: string;
  now?: () => number;
}

/**
 * The cluster access of this process; client-node's KubeConfig (imported on demand) for a
 * kubeconfig this module does not cover. Throws ClusterAccessError when there is none, or
 * the kubeconfig is unusable.
 */
export async function loadClusterAccess(options: LoadOptions = {}): Promise<ClusterAccess> {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const kubeconfigs = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const homeConfig = join(options.home ?? homedir(), '.kube', 'config');
  const files = kubeconfigs.length ? kubeconfigs : existsSync(homeConfig) ? [homeConfig] : [];
  if (files.length > 1) return clientNodeKubeConfig();
  if (files.length === 1) {
    const access = fromKubeconfig(files[0], now);
    return access === 'unsupported' ? clientNodeKubeConfig() : access;
  }
  if (env.KUBERNETES_SERVICE_HOST) {
    return inCluster(env, options.serviceAccount ?? serviceAccountDir, now);
  }
  throw new ClusterAccessError(
    'KUBECONFIG',
    'no Kubernetes credentials: set KUBECONFIG, create ~/.kube/config, or run in a pod (KUBERNETES_SERVICE_HOST)',
  );
}

/** Everything else: client-node's loader (the same order of sources). */
async function clientNodeKubeConfig(): Promise<ClusterAccess> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** The pod's service account, as client-go's rest.InClusterConfig reads it. */
function inCluster(env: Env, dir: string, now: () => number): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const token = join(dir, 'token');
  if (!existsSync(token)) {
    throw new ClusterAccessError(token, 'the service account token is not mounted');
  }
  return new StaticClusterAccess({
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: new Material(undefined, join(dir, 'ca.crt'), now),
    cert: new Material(undefined, undefined, now),
    key: new Material(undefined, undefined, now),
    token: new Material(undefined, token, now),
    insecure: false,
  });
}

interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
}

interface Kubeconfig {
  'current-context'?: string;
  contexts?: Array<{ name?: string; context?: { cluster?: string; user?: string } }>;
  clusters?: Array<{ name?: string; cluster?: KubeconfigCluster }>;
  users?: Array<{ name?: string; user?: KubeconfigUser }>;
}

/** A kubeconfig file's current context; 'unsupported' when it needs client-node. */
function fromKubeconfig(file: string, now: () => number): ClusterAccess | 'unsupported' {
  let config: Kubeconfig;
  try {
    config = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Kubeconfig;
  } catch (error) {
    throw new ClusterAccessError(file, `cannot read the kubeconfig: ${(error as Error).message}`);
  }
  const find = <T extends { name?: string }>(items: T[] | undefined, name: string | undefined) =>
    name === undefined ? undefined : items?.find((item) => item.name === name);
  const contextName = config['current-context'];
  const context = find(config.contexts, contextName)?.context;
  if (!context) throw new ClusterAccessError(file, `no context named "${contextName ?? ''}"`);
  const cluster = find(config.clusters, context.cluster)?.cluster;
  if (!cluster?.server) {
    throw new ClusterAccessError(file, `context ${contextName}: no cluster with a server`);
  }
  const user = find(config.users, context.user)?.user ?? {};
  if (user.exec !== undefined || user['auth-provider'] !== undefined || cluster['proxy-url']) {
    return 'unsupported';
  }
  // Relative paths in a kubeconfig are relative to the file (kubectl's rule).
  const path = (value: string | undefined) =>
    value === undefined || isAbsolute(value) ? value : join(dirname(file), value);
  const data = (value: string | undefined) =>
    value === undefined ? undefined : Buffer.from(value, 'base64');
  return new StaticClusterAccess({
    server: cluster.server,
    ca: new Material(
      data(cluster['certificate-authority-data']),
      path(cluster['certificate-authority']),
      now,
    ),
    cert: new Material(
      data(user['client-certificate-data']),
      path(user['client-certificate']),
      now,
    ),
    key: new Material(data(user['client-key-data']), path(user['client-key']), now),
    token: new Material(
      user.token === undefined ? undefined : Buffer.from(user.token),
      path(user.tokenFile),
      now,
    ),
    ...(user.username !== undefined
      ? { basic: { username: user.username, password: user.password ?? '' } }
      : {}),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    ...(cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
  });
}
