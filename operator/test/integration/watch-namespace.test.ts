// One operator per environment (config/argocd/platform, charts/notejam-operator with
// scope: namespace): with WATCH_NAMESPACE set and the operator's rules granted by a Role in
// that namespace only, plus the one cluster-scoped read the bootstrap grants it (the
// ServiceMonitor CRD, config/argocd/bootstrap), it reconciles the instances there, leaves
// every other namespace's alone, and never needs another permission.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject, V1Deployment, V1PolicyRule } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  kustomize,
  runOperator,
  sleep,
  testConfig,
  types,
  waitFor,
} from './support.js';

jest.setTimeout(60_000);
const resyncPeriodMs = 1000;
const watched = 'watch-namespace-own';
const other = 'watch-namespace-other';
const image = `ghcr.io/notejam/notejam:v1@sha256:${'ab'.repeat(32)}`;
let admin: KubeClient;
let operator: RunningOperator;

function sqliteInstance(namespace: string): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'notejam', namespace },
    spec: {
      image,
      environment: 'development',
      database: { type: 'sqlite', sqlite: { size: '1Gi' } },
    },
  } as KubernetesObject;
}

/** The operator's rules as config/rbac grants them cluster-wide (the chart's Role has the same). */
function operatorRules(): V1PolicyRule[] {
  const role = kustomize('config/rbac').find((object) => object.kind === 'ClusterRole') as
    (KubernetesObject & { rules: V1PolicyRule[] }) | undefined;
  if (!role) throw new Error('config/rbac has no ClusterRole');
  return role.rules;
}

/** Its one rule on a cluster-scoped kind, which a Role cannot grant: the bootstrap's ClusterRole. */
const onClusterScoped = (rule: V1PolicyRule) =>
  rule.apiGroups?.includes('apiextensions.k8s.io') ?? false;

beforeAll(async () => {
  const plane = await sharedControlPlane();
  admin = adminClient(plane);
  await installCrd(admin);
  await ensureNamespace(admin, watched);
  await ensureNamespace(admin, other);
  const identity = await plane.kubeConfigFor({
    name: 'notejam-operator',
    namespace: watched,
    roleRules: operatorRules().filter((rule) => !onClusterScoped(rule)),
    clusterRoleRules: operatorRules().filter(onClusterScoped),
  });
  operator = await runOperator(identity, testConfig({ resyncPeriodMs, watchNamespace: watched }));
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await admin?.close();
});

describe('an operator watching one namespace with a Role there', () => {
  it('reconciles the instance of its namespace: its Deployment, owned by it, and status', async () => {
    await admin.apply(types.instance, sqliteInstance(watched), { fieldManager, force: true });
    const deployment = await waitFor('the Deployment in the watched namespace', () =>
      admin.getIfExists<V1Deployment>(types.deployment, watched, 'notejam'),
    );
    expect(deployment.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'NotejamInstance',
      name: 'notejam',
    });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(image);
    const instance = await waitFor('a status for the current generation', async () => {
      const current = await admin.get<NotejamInstance>(types.instance, watched, 'notejam');
      return current.status?.observedGeneration === current.metadata.generation
        ? current
        : undefined;
    });
    expect(instance.status?.phase).toBe('RollingOut');
  });

  it('leaves the instances of other namespaces alone', async () => {
    await admin.apply(types.instance, sqliteInstance(other), { fieldManager, force: true });
    await sleep(3 * resyncPeriodMs);
    const untouched = await admin.get<NotejamInstance>(types.instance, other, 'notejam');
    expect(untouched.status).toBeUndefined();
    expect(await admin.getIfExists(types.deployment, other, 'notejam')).toBeUndefined();
  });

  it('was never refused a request: the Role in its namespace and the CRD read of the bootstrap are all it needs', async () => {
    const refused = (await operator.metrics.restRequestsByResource.get()).values.filter(
      (sample) => sample.labels.code === 403 || sample.labels.code === '403',
    );
    expect(refused).toEqual([]);
    const errors = (await operator.metrics.reconcileErrors.get()).values.reduce(
      (sum, sample) => sum + sample.value,
      0,
    );
    expect(errors).toBe(0);
  });
});
