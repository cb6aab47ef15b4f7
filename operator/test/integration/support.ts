/**
 * What the operator's integration suites share: installing the CRD and config/rbac the way
 * a cluster admin would, the operator's own identity (a ServiceAccount bound only to
 * config/rbac's roles), running the operator in-process, and counting its API writes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KubeConfig, KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { OperatorConfig } from '../../src/config.js';
import { type RunningOperator, startOperator } from '../../src/operator.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { createLogger } from '../../src/runtime/logger.js';
import type { ResourceType } from '../../src/runtime/resources.js';
import type { ControlPlaneClient } from '../envtest/control-plane.js';
import { JobRunner, type JobRunnerOptions } from '../support/job-runner.js';
import {
  createMysqlDatabase,
  databaseSecretData,
  type TestMysqlDatabase,
} from '../support/mysql-database.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const operatorNamespace = 'notejam-system';
export const fieldManager = 'integration-test';

export const types = {
  crd: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
  },
  namespace: {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
  },
  instance: {
    group: 'notejam.io',
    version: 'v1alpha1',
    plural: 'notejaminstances',
    kind: 'NotejamInstance',
    namespaced: true,
  },
  deployment: {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
  },
  service: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  serviceAccount: {
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
  },
  secret: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  configMap: {
    group: '',
    version: 'v1',
    plural: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
  },
  pvc: {
    group: '',
    version: 'v1',
    plural: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
  },
  hpa: {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
  },
  pdb: {
    group: 'policy',
    version: 'v1',
    plural: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
  },
  ingress: {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'ingresses',
    kind: 'Ingress',
    namespaced: true,
  },
  lease: {
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
  },
  event: {
    group: 'events.k8s.io',
    version: 'v1',
    plural: 'events',
    kind: 'Event',
    namespaced: true,
  },
} satisfies Record<string, ResourceType>;

/** Plain objects from YAML text (no client-node model conversion). */
export function parseManifests(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null);
}

/** Renders a kustomization with kubectl, like `kubectl apply -k` would. */
export function kustomize(dir: string): KubernetesObject[] {
  return parseManifests(
    execFileSync('kubectl', ['kustomize', `${repoRoot}${dir}`], { encoding: 'utf8' }),
  );
}

export function typeOf(object: KubernetesObject): ResourceType {
  const type = Object.values(types).find(
    (candidate) =>
      candidate.kind === object.kind &&
      (candidate.group === '' ? candidate.version : `${candidate.group}/${candidate.version}`) ===
        object.apiVersion,
  );
  if (!type) throw new Error(`no resource type for ${object.apiVersion} ${object.kind}`);
  return type;
}

const rbacType = (kind: string, namespaced: boolean): ResourceType => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: `${kind.toLowerCase()}s`,
  kind,
  namespaced,
});

/** Server-side applies objects as the administrator. */
export async function applyAll(admin: KubeClient, objects: KubernetesObject[]): Promise<void> {
  for (const object of objects) {
    const type = ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(
      object.kind ?? '',
    )
      ? rbacType(object.kind ?? '', object.kind?.startsWith('Role') ?? false)
      : typeOf(object);
    await admin.apply(type, object, { fieldManager, force: true });
  }
}

/** The CRD from crds/ (as committed), applied and Established. */
export async function installCrd(admin: KubeClient): Promise<void> {
  const crd = parseManifests(
    readFileSync(`${repoRoot}crds/notejam.io_notejaminstances.yaml`, 'utf8'),
  )[0];
  await admin.apply(types.crd, crd, { fieldManager, force: true });
  await waitFor('the NotejamInstance CRD to be established', async () => {
    const current = await admin.get<
      KubernetesObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
    >(types.crd, undefined, crd.metadata?.name ?? '');
    return (
      current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ??
      false
    );
  });
}

/** config/rbac applied, and a kubeconfig for its ServiceAccount: the operator's exact permissions. */
export async function operatorIdentity(
  plane: ControlPlaneClient,
  admin: KubeClient,
): Promise<KubeConfig> {
  await ensureNamespace(admin, operatorNamespace);
  await applyAll(admin, kustomize('config/rbac'));
  return plane.kubeConfigFor({
    name: 'notejam-operator',
    namespace: operatorNamespace,
    clusterRoleName: 'notejam-operator',
  });
}

export async function ensureNamespace(admin: KubeClient, name: string): Promise<void> {
  await admin.apply(
    types.namespace,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    { fieldManager, force: true },
  );
}

export function testConfig(overrides: Partial<OperatorConfig> = {}): OperatorConfig {
  return {
    metricsPort: 0,
    healthPort: 0,
    logLevel: 'warn',
    maxConcurrentReconciles: 2,
    resyncPeriodMs: 1000,
    watchTimeoutSeconds: 60,
    watchSilenceTimeoutMs: 150_000,
    ...overrides,
  };
}

/** The operator in this process, logging to the test output only when something is wrong. */
export function runOperator(
  kubeConfig: KubeConfig,
  config: OperatorConfig,
  onLeadershipLost: () => void = () => {
    throw new Error('the operator lost its leadership during a test');
  },
): Promise<RunningOperator> {
  return startOperator({
    config,
    kubeConfig,
    logger: createLogger({
      level: config.logLevel,
      write: (line) => process.stderr.write(`operator: ${line}\n`),
    }),
    processMetrics: false,
    onLeadershipLost,
  });
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Writes the operator made, by `method resource[/subresource]`, leases left out. */
export async function writesBy(operator: RunningOperator): Promise<Record<string, number>> {
  const metric = await operator.metrics.restRequestsByResource.get();
  const writes: Record<string, number> = {};
  for (const { labels, value } of metric.values) {
    if (!writeMethods.has(String(labels.method)) || labels.resource === 'leases') continue;
    const key = `${labels.method} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    writes[key] = (writes[key] ?? 0) + value;
  }
  return writes;
}

export const totalOf = (writes: Record<string, number>) =>
  Object.values(writes).reduce((sum, n) => sum + n, 0);

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await probe();
      if (result !== undefined && result !== false) return result;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function adminClient(plane: ControlPlaneClient): KubeClient {
  return new KubeClient(plane.admin(), { userAgent: 'integration-test' });
}

/**
 * What runs the lifecycle Jobs of a suite's mysql instances: a MariaDB database of its own,
 * the `notejam-db` Secret the instances refer to, and the Job runner executing the app's
 * real `migrate`/`wipe`/`seed` against it (the control plane has no kubelet).
 */
export interface LifecycleJobs {
  runner: JobRunner;
  database: TestMysqlDatabase;
  stop(): Promise<void>;
}

export async function runLifecycleJobs(
  plane: ControlPlaneClient,
  admin: KubeClient,
  namespace: string,
  options: {
    secretName?: string;
    /** Only this instance's Jobs (each test instance can get its own runner). */
    instance?: string;
    /** A database to reuse instead of a new one (a second runner for the same instance). */
    database?: TestMysqlDatabase;
    runner?: Partial<JobRunnerOptions>;
  } = {},
): Promise<LifecycleJobs> {
  const secretName = options.secretName ?? 'notejam-db';
  const database = options.database ?? (await createMysqlDatabase());
  await admin.apply(
    types.secret,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace },
      stringData: databaseSecretData(database),
    } as KubernetesObject,
    { fieldManager, force: true },
  );
  const runner = new JobRunner({
    kubeConfig: plane.admin(),
    namespace,
    labelSelector:
      'app.kubernetes.io/managed-by=notejam-operator' +
      (options.instance ? `,app.kubernetes.io/instance=${options.instance}` : ''),
    ...options.runner,
  });
  await runner.start();
  return {
    runner,
    database,
    stop: async () => {
      await runner.stop();
      if (!options.database) await database.drop();
    },
  };
}

/** The value of an environment variable of the app container of a Deployment, if any. */
export async function deploymentEnv(
  admin: KubeClient,
  namespace: string,
  name: string,
  variable: string,
): Promise<string | undefined> {
  const deployment = await admin.getIfExists<V1Deployment>(types.deployment, namespace, name);
  return deployment?.spec?.template.spec?.containers[0]?.env?.find((env) => env.name === variable)
    ?.value;
}

/** What the Deployment controller writes once every pod of the current template is up. */
export async function markDeploymentAvailable(
  admin: KubeClient,
  namespace: string,
  name: string,
): Promise<void> {
  const deployment = await admin.get<V1Deployment>(types.deployment, namespace, name);
  const replicas = deployment.spec?.replicas ?? 1;
  await admin.apply(
    types.deployment,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      status: {
        observedGeneration: deployment.metadata?.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'up' },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
            message: 'done',
          },
        ],
      },
    } as V1Deployment,
    { fieldManager: 'deployment-controller', force: true, subresource: 'status' },
  );
}
