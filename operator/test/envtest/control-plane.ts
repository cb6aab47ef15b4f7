/**
 * A real Kubernetes control plane for integration tests, the way controller-runtime's
 * envtest provides one to Go operators: an `etcd` and a `kube-apiserver` on free loopback
 * ports, with their data, certificates and logs in one temporary directory. There is no
 * controller-manager or scheduler: no Pods are started and no garbage collection happens;
 * the API itself (validation, CEL, server-side apply, status subresources, watches, RBAC)
 * is the real one.
 *
 * The binaries come from `$KUBEBUILDER_ASSETS`, else from the cache that
 * `make envtest-assets` (hack/envtest-assets.sh) builds once from Go modules.
 *
 * Two ways to use it:
 * - `startControlPlane()` in a suite's `beforeAll` for a control plane of its own (needed
 *   to stop and restart the API server); `stop()` it in `afterAll`.
 * - `sharedControlPlane()` for the one control plane shared by all suites of a jest run,
 *   started by the first suite asking for it and stopped by the jest global teardown
 *   (see jest.config.js and `sharedControlPlane` below).
 *
 * Cleanup does not depend on the test reaching `stop()`: each control plane has a reaper
 * (reaper.sh) in its own session that stops the process groups of etcd and kube-apiserver
 * and removes the temporary directory as soon as the jest process that started them is
 * gone, however it ended.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import {
  ApiextensionsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1PolicyRule,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';

const execFileAsync = promisify(execFile);

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const assetsScript = join(repoRoot, 'hack/envtest-assets.sh');
const reaperScript = fileURLToPath(new URL('./reaper.sh', import.meta.url));

/** Prefix of every control plane's temporary directory (under the OS temp dir). */
export const WORK_DIR_PREFIX = 'notejam-envtest-';

/** Namespace of the ServiceAccounts behind `kubeConfigFor` identities, unless one is given. */
export const IDENTITY_NAMESPACE = 'envtest-identities';

/** Field manager of the objects the harness applies for identities. */
const FIELD_MANAGER = 'notejam-envtest';

export interface ControlPlaneOptions {
  /** How long etcd, then kube-apiserver, may take to become ready (each). Default 120 s. */
  readonly startTimeoutMs?: number;
  /** More kube-apiserver flags, e.g. `['--feature-gates=SomeGate=true']`. */
  readonly apiServerFlags?: readonly string[];
  /** The process whose end stops the control plane at the latest; default this one. */
  readonly ownerPid?: number;
}

/**
 * An identity for `kubeConfigFor`: a ServiceAccount bound to cluster-wide RBAC rules, to
 * rules in its own namespace only, or both.
 */
export interface IdentityRequest {
  /** The ServiceAccount's name. */
  readonly name: string;
  /** Its namespace; default `IDENTITY_NAMESPACE` (created when missing). */
  readonly namespace?: string;
  /** Rules of a ClusterRole created for this identity (`envtest:<namespace>:<name>`). */
  readonly clusterRoleRules?: readonly V1PolicyRule[];
  /** An existing ClusterRole to bind as well, e.g. the operator's own. */
  readonly clusterRoleName?: string;
  /** Rules of a Role in the identity's namespace (`envtest:<name>`): nothing outside it. */
  readonly roleRules?: readonly V1PolicyRule[];
}

/** What every control plane offers, the shared one included. */
export interface ControlPlaneClient {
  /** The `kube-apiserver` release, e.g. `v1.35.4`, as the binary reports it. */
  readonly version: string;
  /** The API server's URL, `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** A fresh KubeConfig for the administrator (a token in group `system:masters`). */
  admin(): KubeConfig;
  /**
   * A KubeConfig for a ServiceAccount holding only the given permissions (applied
   * idempotently, so asking twice for the same name is fine). Resolves once the API
   * server authenticates its token (from the TokenRequest API) and authorizes its rules.
   */
  kubeConfigFor(identity: IdentityRequest): Promise<KubeConfig>;
}

export interface ControlPlane extends ControlPlaneClient {
  /** The temporary directory holding data, certificates and logs; gone after `stop()`. */
  readonly workDir: string;
  /** Process ids of etcd and, while it runs, kube-apiserver. */
  pids(): number[];
  /** Stops kube-apiserver (SIGTERM) and waits for it to exit; etcd and its data stay. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again, same port, certificates and tokens, and waits until ready. */
  startApiServer(): Promise<void>;
  /** Stops everything and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Writes `kc` to a kubeconfig file in `dir` for child processes (`KUBECONFIG=...`) and
 * returns its path. The file is named after the current user, readable by the owner only.
 */
export function writeKubeConfig(kc: KubeConfig, dir: string): string {
  const user = kc.getCurrentUser()?.name ?? 'user';
  const path = join(dir, `kubeconfig-${user.replace(/[^A-Za-z0-9._-]/g, '_')}.yaml`);
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

/** Starts etcd and kube-apiserver and resolves when the API server is ready. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const assets = await resolveAssets();
  const workDir = await mkdtemp(join(tmpdir(), WORK_DIR_PREFIX));
  // From here on the reaper removes workDir and what runs in it, whatever happens next.
  const reaper = await startReaper(options.ownerPid ?? process.pid, workDir).catch(
    async (error: unknown) => {
      await rm(workDir, { recursive: true, force: true });
      throw error;
    },
  );
  try {
    const [version, [etcdPort, etcdPeerPort, apiPort]] = await Promise.all([
      binaryVersion(join(assets, 'kube-apiserver')),
      freePorts(3),
    ]);
    const adminToken = randomBytes(24).toString('hex');
    await writeCredentials(workDir, adminToken);
    const plane = new LocalControlPlane({
      assets,
      workDir,
      reaper,
      version,
      etcdPort,
      etcdPeerPort,
      apiPort,
      adminToken,
      startTimeoutMs: options.startTimeoutMs ?? 120_000,
      apiServerFlags: options.apiServerFlags ?? [],
    });
    await plane.startEtcd();
    await plane.startApiServer();
    return plane;
  } catch (error) {
    await stopReaper(reaper);
    throw error;
  }
}

/**
 * The pid of the process guarding `plane`: sending it SIGTERM stops the control plane from
 * any process, as `plane.stop()` does in the one that started it.
 */
function reaperPidOf(plane: ControlPlane): number {
  if (!(plane instanceof LocalControlPlane)) throw new Error('not started by startControlPlane');
  return plane.reaperPid;
}

/**
 * Applies CustomResourceDefinitions (server-side apply, so repeating is fine) and resolves
 * once each is Established, i.e. its custom objects can be created.
 *
 * The CRDs must be in client-node's model, as `loadAllYaml` returns them: its serializer
 * knows the schema extensions only as `x_kubernetes_validations` etc. and silently drops
 * the wire spelling `x-kubernetes-validations` (a CRD would lose its CEL rules), so objects
 * written in the wire spelling are refused here.
 */
export async function installCustomResourceDefinitions(
  kc: KubeConfig,
  crds: readonly V1CustomResourceDefinition[],
): Promise<void> {
  for (const crd of crds) {
    const wireKey = /"(x-kubernetes-[a-z-]+)"/.exec(JSON.stringify(crd))?.[1];
    if (wireKey) {
      throw new Error(
        `CustomResourceDefinition ${crd.metadata?.name}: "${wireKey}" is the wire spelling, ` +
          "which client-node's serializer drops; load CRDs with loadAllYaml or write " +
          `"${wireKey.replaceAll('-', '_')}"`,
      );
    }
  }
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    await objects.patch(
      { ...crd, apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
  }
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await pollUntil(`CustomResourceDefinition ${name} to be established`, async () => {
      const current = await extensions.readCustomResourceDefinition({ name });
      return (current.status?.conditions ?? []).some(
        (condition) => condition.type === 'Established' && condition.status === 'True',
      );
    });
  }
}

/** A control plane reached through its admin kubeconfig, e.g. the shared one. */
export class RemoteControlPlane implements ControlPlaneClient {
  readonly version: string;
  readonly server: string;
  private readonly adminConfig: string;

  constructor(version: string, adminConfig: string) {
    this.version = version;
    this.adminConfig = adminConfig;
    this.server = this.admin().getCurrentCluster()?.server ?? '';
  }

  admin(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.adminConfig);
    return kc;
  }

  kubeConfigFor(identity: IdentityRequest): Promise<KubeConfig> {
    return kubeConfigForIdentity(this.admin(), identity);
  }
}

interface Settings {
  readonly assets: string;
  readonly workDir: string;
  readonly reaper: ChildProcess;
  readonly version: string;
  readonly etcdPort: number;
  readonly etcdPeerPort: number;
  readonly apiPort: number;
  readonly adminToken: string;
  readonly startTimeoutMs: number;
  readonly apiServerFlags: readonly string[];
}

class LocalControlPlane implements ControlPlane {
  readonly version: string;
  readonly server: string;
  readonly workDir: string;
  private readonly settings: Settings;
  private etcd?: ChildProcess;
  private apiServer?: ChildProcess;
  private stopped = false;

  // No parameter properties: the file stays runnable by Node's type stripping.
  constructor(settings: Settings) {
    this.settings = settings;
    this.version = settings.version;
    this.workDir = settings.workDir;
    this.server = `https://127.0.0.1:${settings.apiPort}`;
  }

  get reaperPid(): number {
    return this.settings.reaper.pid ?? 0;
  }

  pids(): number[] {
    return [this.etcd, this.apiServer].flatMap((child) => (child?.pid ? [child.pid] : []));
  }

  admin(): KubeConfig {
    return kubeConfig(this.server, this.caData(), 'envtest-admin', this.settings.adminToken);
  }

  kubeConfigFor(identity: IdentityRequest): Promise<KubeConfig> {
    return kubeConfigForIdentity(this.admin(), identity);
  }

  async startEtcd(): Promise<void> {
    const { etcdPort, etcdPeerPort, workDir } = this.settings;
    const clientUrl = `http://127.0.0.1:${etcdPort}`;
    this.etcd = await this.spawnLogged('etcd', [
      '--name=envtest',
      `--data-dir=${join(workDir, 'etcd')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=envtest=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync', // test data: durability across power loss is not needed
      '--log-level=warn',
    ]);
    await this.waitReady(this.etcd, 'etcd', () => httpStatus(`${clientUrl}/health`));
  }

  async startApiServer(): Promise<void> {
    if (this.stopped) throw new Error('the control plane was stopped');
    if (this.apiServer) throw new Error('kube-apiserver is already running');
    const { apiPort, etcdPort, workDir, apiServerFlags } = this.settings;
    this.apiServer = await this.spawnLogged('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--cert-dir=${join(workDir, 'certs')}`, // self-signed serving certificate, kept on restart
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1', // needed where the host has no default route
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // No controller-manager mints ServiceAccount tokens into Pods, so the plugin would
      // refuse every Pod; the TokenRequest API works without it.
      '--disable-admission-plugins=ServiceAccount',
      // As OpenShift runs it: setting blockOwnerDeletion on an owner reference takes
      // `update` on the owner's finalizers subresource.
      '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(workDir, 'tokens.csv')}`,
      `--service-account-issuer=https://127.0.0.1:${apiPort}/`,
      `--service-account-key-file=${join(workDir, 'service-account.pub')}`,
      `--service-account-signing-key-file=${join(workDir, 'service-account.key')}`,
      '--profiling=false',
      ...apiServerFlags,
    ]);
    const server = this.apiServer;
    await this.waitReady(server, 'kube-apiserver', () => this.apiServerReady());
  }

  async stopApiServer(): Promise<void> {
    const server = this.apiServer;
    if (!server) return;
    this.apiServer = undefined;
    await terminate(server);
    this.recordProcessGroups();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await stopReaper(this.settings.reaper);
    this.etcd = undefined;
    this.apiServer = undefined;
  }

  /** The PEM of the API server's self-signed certificate (and its CA), for TLS trust. */
  private caData(): string {
    return readFileSync(join(this.workDir, 'certs', 'apiserver.crt')).toString('base64');
  }

  private async apiServerReady(): Promise<boolean> {
    const certificate = join(this.workDir, 'certs', 'apiserver.crt');
    if (!existsSync(certificate)) return false;
    const ca = readFileSync(certificate);
    const headers = { authorization: `Bearer ${this.settings.adminToken}` };
    // /readyz covers etcd and the post-start hooks (RBAC bootstrap roles, CRD
    // registration); the default namespace comes a moment later and tests may use it.
    return (
      (await httpStatus(`${this.server}/readyz`, { ca, headers })) &&
      (await httpStatus(`${this.server}/api/v1/namespaces/default`, { ca, headers }))
    );
  }

  /**
   * Starts a binary in its own process group (so the reaper can stop it with everything it
   * may spawn, and a Ctrl-C aimed at jest does not kill it before cleanup), logging to
   * `<workDir>/<name>.log`.
   */
  private async spawnLogged(name: string, args: string[]): Promise<ChildProcess> {
    const binary = join(this.settings.assets, name);
    const log = openSync(join(this.workDir, `${name}.log`), 'a');
    try {
      const child = spawn(binary, args, { detached: true, stdio: ['ignore', log, log] });
      child.unref(); // jest must not wait for it; stop() or the reaper ends it
      this.recordProcessGroups(child);
      await spawned(child, binary);
      return child;
    } finally {
      closeSync(log);
    }
  }

  /** Keeps the reaper's list of process groups current (each child leads its own group). */
  private recordProcessGroups(starting?: ChildProcess): void {
    const groups = [this.etcd, this.apiServer, starting].flatMap((child) =>
      child?.pid && child.exitCode === null && child.signalCode === null ? [child.pid] : [],
    );
    writeFileSync(join(this.workDir, 'process-groups'), [...new Set(groups)].join('\n') + '\n');
  }

  /** Polls `ready` until true; fails early with the log's tail when the process exits. */
  private async waitReady(
    child: ChildProcess,
    name: string,
    ready: () => Promise<boolean>,
  ): Promise<void> {
    const deadline = Date.now() + this.settings.startTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${name} exited (${child.exitCode ?? child.signalCode}) while starting:\n${this.logTail(name)}`,
        );
      }
      if (await ready()) return;
      await sleep(100);
    }
    throw new Error(
      `${name} was not ready after ${this.settings.startTimeoutMs} ms:\n${this.logTail(name)}`,
    );
  }

  private logTail(name: string): string {
    const path = join(this.workDir, `${name}.log`);
    if (!existsSync(path)) return '(no log)';
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
  }
}

/** `$KUBEBUILDER_ASSETS` or the cache of `make envtest-assets`; never builds. */
async function resolveAssets(): Promise<string> {
  try {
    const { stdout } = await execFileAsync(assetsScript, ['--no-build']);
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || String(error), { cause: error });
  }
}

/** `kube-apiserver --version` prints e.g. `Kubernetes v1.35.4`. */
async function binaryVersion(binary: string): Promise<string> {
  const { stdout } = await execFileAsync(binary, ['--version']);
  const version = /v\d+\.\d+\.\d+\S*/.exec(stdout)?.[0];
  if (!version) throw new Error(`cannot read the version of ${binary} from: ${stdout}`);
  return version;
}

/**
 * `count` distinct ports that were free a moment ago: all probes listen at once, so the OS
 * cannot hand out one port twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      probes.map(
        (probe) =>
          new Promise<number>((resolve, reject) => {
            probe.once('error', reject);
            probe.listen(0, '127.0.0.1', () => {
              const address = probe.address();
              if (typeof address === 'object' && address) resolve(address.port);
              else reject(new Error(`unexpected listening address ${address}`));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(
      probes.map((probe) => new Promise((resolve) => probe.close(() => resolve(undefined)))),
    );
  }
}

/** The admin token file and the ServiceAccount token signing key pair. */
async function writeCredentials(workDir: string, adminToken: string): Promise<void> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  // token,user,uid,"groups"
  await Promise.all([
    writeFile(
      join(workDir, 'tokens.csv'),
      `${adminToken},envtest-admin,envtest-admin,"system:masters"\n`,
      { mode: 0o600 },
    ),
    writeFile(join(workDir, 'service-account.pub'), publicKey, { mode: 0o600 }),
    writeFile(join(workDir, 'service-account.key'), privateKey, { mode: 0o600 }),
  ]);
}

/**
 * Starts the guard that removes `workDir` and stops the process groups listed in it once
 * `ownerPid` is gone or `stopReaper` is called.
 */
async function startReaper(ownerPid: number, workDir: string): Promise<ChildProcess> {
  const reaper = spawn(reaperScript, [String(ownerPid), workDir], {
    detached: true, // its own session: survives a Ctrl-C or a kill of jest's process group
    stdio: 'ignore',
  });
  reaper.unref();
  await spawned(reaper, reaperScript);
  return reaper;
}

/** Resolves once `child` runs; rejects when it could not be started (ENOENT, EACCES...). */
function spawned(child: ChildProcess, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(new Error(`cannot start ${path}: ${error.message}`, { cause: error })),
    );
  });
}

/** Asks the reaper to clean up now and waits until it has (it exits last). */
async function stopReaper(reaper: ChildProcess): Promise<void> {
  if (reaper.exitCode !== null || reaper.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => reaper.once('exit', () => resolve()));
  reaper.ref(); // an unref'd child would let a plain script end before the cleanup did
  reaper.kill('SIGTERM');
  await exited;
}

/** SIGTERM to the child's process group, SIGKILL after 10 s; resolves once it exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.ref();
  signalGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child.pid ?? 0, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Signals a process group, which may be gone already. */
function signalGroup(leader: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-leader, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function kubeConfig(server: string, caData: string, user: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'envtest', server, caData }],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: 'envtest', user }],
    currentContext: user,
  });
  return kc;
}

async function kubeConfigForIdentity(
  admin: KubeConfig,
  identity: IdentityRequest,
): Promise<KubeConfig> {
  const namespace = identity.namespace ?? IDENTITY_NAMESPACE;
  const { name } = identity;
  const objects = KubernetesObjectApi.makeApiClient(admin);
  const apply = (object: KubernetesObject) =>
    objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);

  // The existing role first: a typo should fail before anything is created.
  const existingRole = identity.clusterRoleName
    ? await admin
        .makeApiClient(RbacAuthorizationV1Api)
        .readClusterRole({ name: identity.clusterRoleName })
        .catch((error: unknown) => {
          throw new Error(`ClusterRole ${identity.clusterRoleName} cannot be read: ${error}`, {
            cause: error,
          });
        })
    : undefined;

  const roleNames: string[] = [];
  const rules: V1PolicyRule[] = [];
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  if (identity.clusterRoleRules) {
    const roleName = `envtest:${namespace}:${name}`;
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName },
      rules: identity.clusterRoleRules,
    } as KubernetesObject);
    roleNames.push(roleName);
    rules.push(...identity.clusterRoleRules);
  }
  if (existingRole?.metadata?.name) {
    roleNames.push(existingRole.metadata.name);
    rules.push(...(existingRole.rules ?? []));
  }
  for (const roleName of roleNames) {
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `envtest:${namespace}:${name}:${roleName}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } as KubernetesObject);
  }
  if (identity.roleRules) {
    const roleName = `envtest:${name}`;
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: roleName, namespace },
      rules: identity.roleRules,
    } as KubernetesObject);
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: roleName, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } as KubernetesObject);
  }

  const tokenRequest = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 24 * 60 * 60 } },
  });
  const cluster = admin.getCurrentCluster();
  if (!cluster?.caData) throw new Error('the admin kubeconfig has no cluster CA');
  const username = `system:serviceaccount:${namespace}:${name}`;
  const token = tokenRequest.status?.token;
  if (!token) throw new Error(`the TokenRequest for ${username} returned no token`);
  const kc = kubeConfig(cluster.server, cluster.caData, username, token);
  await waitUntilEffective(admin, kc, username, namespace, [
    ...rules.map((rule) => ({ rule, scope: '' })),
    ...(identity.roleRules ?? []).map((rule) => ({ rule, scope: namespace })),
  ]);
  return kc;
}

/**
 * The authenticator and the RBAC authorizer read from informer caches, so a fresh binding
 * can take a moment to count; waiting here keeps tests free of retries.
 */
async function waitUntilEffective(
  admin: KubeConfig,
  identity: KubeConfig,
  username: string,
  namespace: string,
  grants: ReadonlyArray<{ rule: V1PolicyRule; scope: string }>,
): Promise<void> {
  const authentication = identity.makeApiClient(AuthenticationV1Api);
  const authorization = admin.makeApiClient(AuthorizationV1Api);
  const groups = ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
  await pollUntil(`the token of ${username} to authenticate`, async () => {
    const review = await authentication
      .createSelfSubjectReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      })
      .catch(() => undefined);
    return review?.status?.userInfo?.username === username;
  });
  for (const { rule, scope } of grants) {
    const attributes = sampleAttributes(rule, scope);
    if (!attributes) continue;
    await pollUntil(`RBAC to grant ${username} ${JSON.stringify(rule)}`, async () => {
      const review = await authorization.createSubjectAccessReview({
        body: { spec: { user: username, groups, ...attributes } },
      });
      return review.status?.allowed === true;
    });
  }
}

/** One request the rule allows (its first verb on its first resource or URL, in `namespace`: '' for all). */
function sampleAttributes(
  rule: V1PolicyRule,
  namespace: string,
):
  | { resourceAttributes: V1ResourceAttributes }
  | { nonResourceAttributes: { path: string; verb: string } }
  | undefined {
  const verb = rule.verbs[0];
  if (!verb) return undefined;
  if (rule.nonResourceURLs?.[0]) {
    return { nonResourceAttributes: { path: rule.nonResourceURLs[0], verb } };
  }
  const resource = rule.resources?.[0];
  if (!resource) return undefined;
  const [resourceName, subresource] = resource.split('/', 2);
  return {
    resourceAttributes: {
      verb,
      group: rule.apiGroups?.[0] ?? '',
      resource: resourceName,
      subresource,
      name: rule.resourceNames?.[0],
      namespace,
    },
  };
}

async function pollUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** True when `url` answers 200; false on any other answer or a connection error. */
function httpStatus(
  url: string,
  options: { ca?: Buffer; headers?: Record<string, string> } = {},
): Promise<boolean> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { ...options, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------
// The shared control plane: started by the first suite that calls `sharedControlPlane()`
// (a run of unit tests only starts nothing) and stopped by the jest global teardown.
// Suites must not assume an empty cluster: each uses its own namespaces and uniquely named
// cluster-scoped objects. Suites that stop the API server start their own instead.
//
// Wiring (jest.config.js): `globalSetup` runs `setupSharedControlPlane`, which creates a
// state directory and exports it to the test processes in NOTEJAM_ENVTEST_SHARED_DIR;
// `globalTeardown` runs `teardownSharedControlPlane`. The state directory holds `lock`,
// created exclusively by the suite that starts the control plane (jest workers run suites
// in parallel), and `state.json`, what the other suites need to reach it (or the error it
// failed with). A reaper removes the directory if the jest process ends abnormally.

const STATE_DIR_VARIABLE = 'NOTEJAM_ENVTEST_SHARED_DIR';
const OWNER_PID_VARIABLE = 'NOTEJAM_ENVTEST_SHARED_OWNER_PID';
const STATE_DIR_REAPER_VARIABLE = 'NOTEJAM_ENVTEST_SHARED_DIR_REAPER';

type SharedState = { version: string; adminConfig: string; reaperPid: number } | { error: string };

/** jest globalSetup: prepares the state directory; starts no control plane. */
export async function setupSharedControlPlane(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), `${WORK_DIR_PREFIX}shared-`));
  const reaper = await startReaper(process.pid, stateDir);
  // globalSetup and globalTeardown do not share module state, only the environment.
  process.env[STATE_DIR_REAPER_VARIABLE] = String(reaper.pid);
  process.env[STATE_DIR_VARIABLE] = stateDir;
  process.env[OWNER_PID_VARIABLE] = String(process.pid);
}

/** jest globalTeardown: stops the shared control plane, if one was started. */
export async function teardownSharedControlPlane(): Promise<void> {
  const stateDir = process.env[STATE_DIR_VARIABLE];
  if (!stateDir) return;
  const state = await readState(stateDir);
  if (state && 'reaperPid' in state) await stopProcess(state.reaperPid);
  const stateDirReaper = Number(process.env[STATE_DIR_REAPER_VARIABLE]);
  if (stateDirReaper) await stopProcess(stateDirReaper); // it removes the state directory
  await rm(stateDir, { recursive: true, force: true });
  delete process.env[STATE_DIR_VARIABLE];
}

/** The control plane shared by the suites of this jest run, started on first use. */
export async function sharedControlPlane(): Promise<ControlPlaneClient> {
  const stateDir = process.env[STATE_DIR_VARIABLE];
  if (!stateDir) {
    throw new Error(
      `${STATE_DIR_VARIABLE} is not set: run jest with operator/jest.config.js, whose ` +
        'globalSetup prepares the shared control plane',
    );
  }
  const state = (await claimStart(stateDir))
    ? await startShared(stateDir)
    : await waitForState(stateDir);
  if ('error' in state) throw new Error(`the shared control plane failed to start: ${state.error}`);
  return new RemoteControlPlane(state.version, state.adminConfig);
}

async function claimStart(stateDir: string): Promise<boolean> {
  try {
    await (await open(join(stateDir, 'lock'), 'wx')).close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function startShared(stateDir: string): Promise<SharedState> {
  let state: SharedState;
  try {
    const ownerPid = Number(process.env[OWNER_PID_VARIABLE]) || process.pid;
    const plane = await startControlPlane({ ownerPid });
    state = {
      version: plane.version,
      adminConfig: plane.admin().exportConfig(),
      reaperPid: reaperPidOf(plane),
    };
  } catch (error) {
    state = { error: error instanceof Error ? error.message : String(error) };
  }
  // Written whole, then renamed: readers never see half a file.
  const partial = join(stateDir, 'state.json.partial');
  await writeFile(partial, JSON.stringify(state), { mode: 0o600 });
  await rename(partial, join(stateDir, 'state.json'));
  return state;
}

async function waitForState(stateDir: string): Promise<SharedState> {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    const state = await readState(stateDir);
    if (state) return state;
    if (Date.now() > deadline) throw new Error('timed out waiting for the shared control plane');
    await sleep(100);
  }
}

async function readState(stateDir: string): Promise<SharedState | undefined> {
  const path = join(stateDir, 'state.json');
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, 'utf8')) as SharedState;
}

/** SIGTERM to a reaper, which may not be our child, then wait until it is gone. */
async function stopProcess(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already
  }
  // A reaper needs at most ~10 s (for SIGKILLed processes to be gone).
  const deadline = Date.now() + 30_000;
  while (alive()) {
    if (Date.now() > deadline) throw new Error(`the reaper ${pid} did not finish within 30 s`);
    await sleep(50);
  }
}
