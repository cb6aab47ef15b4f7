// The operator end to end on a real API server, running under config/rbac's permissions
// only. No kubelet or controller-manager runs: the tests play the Deployment controller
// (writing Deployment status) and the HPA (writing replicas) where the story needs them.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type {
  KubeConfig,
  KubernetesObject,
  V1Deployment,
  V1PodDisruptionBudget,
  V1Secret,
  V1Service,
  V1ServiceAccount,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import type { ResourceType } from '../../src/runtime/resources.js';
import {
  type ControlPlaneClient,
  sharedControlPlane,
  writeKubeConfig,
} from '../envtest/control-plane.js';
import {
  adminClient,
  applyAll,
  ensureNamespace,
  fieldManager,
  installCrd,
  kustomize,
  markDeploymentAvailable,
  operatorIdentity,
  runLifecycleJobs,
  runOperator,
  type LifecycleJobs,
  sleep,
  testConfig,
  totalOf,
  types,
  waitFor,
  writesBy,
} from './support.js';

// Real API server round trips; each step waits for the operator with its own deadline.
jest.setTimeout(60_000);
const namespace = 'operator-e2e';
const resyncPeriodMs = 1000;
let admin: KubeClient;
let operator: RunningOperator;
let kubeconfigDir: string | undefined;
let adminKubeconfigPath: string;
let operatorIdentityConfig: KubeConfig;
let lifecycleJobs: LifecycleJobs;
let plane: ControlPlaneClient;

type Instance = NotejamInstance;

function mysqlInstance(name: string, spec: Record<string, unknown> = {}): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec: {
      image: 'ghcr.io/notejam/notejam:v1',
      environment: 'test',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      ...spec,
    },
  } as KubernetesObject;
}

const applyInstance = (object: KubernetesObject) =>
  admin.apply(types.instance, object, { fieldManager, force: true });
const getInstance = (name: string) => admin.get<Instance>(types.instance, namespace, name);
const get = <T extends KubernetesObject>(type: ResourceType, name: string) =>
  admin.getIfExists<T>(type, namespace, name);
const condition = (instance: Instance, type: string) =>
  instance.status?.conditions?.find((c) => c.type === type);

function expectOwnedBy(object: KubernetesObject | undefined, owner: Instance): void {
  expect(object?.metadata?.ownerReferences).toEqual([
    {
      apiVersion: 'notejam.io/v1alpha1',
      kind: 'NotejamInstance',
      name: owner.metadata.name,
      uid: owner.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  expect(object?.metadata?.labels).toMatchObject({
    'app.kubernetes.io/name': 'notejam',
    'app.kubernetes.io/instance': owner.metadata.name,
    'app.kubernetes.io/managed-by': 'notejam-operator',
  });
}

beforeAll(async () => {
  plane = await sharedControlPlane();
  admin = adminClient(plane);
  kubeconfigDir = mkdtempSync(join(tmpdir(), 'notejam-operator-test-'));
  adminKubeconfigPath = writeKubeConfig(plane.admin(), kubeconfigDir);
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  // The mysql instances' migrate Jobs run for real before their Deployments exist.
  lifecycleJobs = await runLifecycleJobs(plane, admin, namespace);
  const identity = await operatorIdentity(plane, admin);
  // Scoped to this suite's namespace: other suites share the control plane, and the write
  // counts below must see only this suite's instances.
  operator = await runOperator(identity, testConfig({ resyncPeriodMs, watchNamespace: namespace }));
  operatorIdentityConfig = identity;
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await lifecycleJobs?.stop();
  await admin?.close();
  if (kubeconfigDir) rmSync(kubeconfigDir, { recursive: true, force: true });
});

describe('the operator', () => {
  it('creates every child of a new instance, owned by it, with the right fields', async () => {
    await applyInstance(
      mysqlInstance('shop', { ingress: { host: 'shop.example.com', className: 'nginx' } }),
    );
    const owner = await getInstance('shop');

    const deployment = await waitFor('the Deployment', () =>
      get<V1Deployment>(types.deployment, 'shop'),
    );
    const service = await waitFor('the Service', () => get<V1Service>(types.service, 'shop'));
    const account = await waitFor('the ServiceAccount', () =>
      get<V1ServiceAccount>(types.serviceAccount, 'shop'),
    );
    const budget = await waitFor('the PodDisruptionBudget', () =>
      get<V1PodDisruptionBudget>(types.pdb, 'shop'),
    );
    const ingress = await waitFor('the Ingress', () => get(types.ingress, 'shop'));
    const secret = await waitFor('the session Secret', () =>
      get<V1Secret>(types.secret, 'shop-session'),
    );
    for (const child of [deployment, service, account, budget, ingress, secret])
      expectOwnedBy(child, owner);

    const pod = deployment.spec?.template.spec;
    const app = pod?.containers[0];
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.strategy).toMatchObject({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0 },
    });
    expect(app?.image).toBe('ghcr.io/notejam/notejam:v1');
    expect(app?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(app?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(app?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(pod?.serviceAccountName).toBe('shop');
    // Database settings by reference to the Secret, never copied.
    const env = Object.fromEntries((app?.env ?? []).map((variable) => [variable.name, variable]));
    expect(env.DB_PASSWORD?.valueFrom?.secretKeyRef).toEqual({
      name: 'notejam-db',
      key: 'password',
    });
    expect(env.DB_PASSWORD?.value).toBeUndefined();
    expect(env.SESSION_SECRET?.valueFrom?.secretKeyRef?.name).toBe('shop-session');
    expect(service.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
    expect(
      Buffer.from(Object.values(secret.data ?? {})[0] ?? '', 'base64').length,
    ).toBeGreaterThanOrEqual(32);
    expect(await get(types.hpa, 'shop')).toBeUndefined();

    // Everything was written by the operator's one field manager.
    for (const child of [deployment, service, account, budget, ingress]) {
      expect(child.metadata?.managedFields?.map((entry) => entry.manager)).toEqual([
        'notejam-operator',
      ]);
    }
  });

  it('reports progress in status through the /status subresource, with observedGeneration', async () => {
    const pending = await waitFor('a first status', async () => {
      const instance = await getInstance('shop');
      return instance.status?.observedGeneration === instance.metadata.generation
        ? instance
        : undefined;
    });
    expect(pending.status?.phase).toBe('RollingOut');
    expect(condition(pending, 'Ready')).toMatchObject({
      status: 'False',
      observedGeneration: pending.metadata.generation,
    });
    expect(condition(pending, 'Progressing')?.status).toBe('True');
    expect(condition(pending, 'Degraded')?.status).toBe('False');

    await markDeploymentAvailable(admin, namespace, 'shop');
    const ready = await waitFor('the instance to be Ready', async () => {
      const instance = await getInstance('shop');
      return condition(instance, 'Ready')?.status === 'True' ? instance : undefined;
    });
    expect(ready.status).toMatchObject({
      phase: 'Ready',
      readyReplicas: 2,
      replicas: 2,
      deployedImage: 'ghcr.io/notejam/notejam:v1',
    });
    expect(condition(ready, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'RolloutComplete',
    });
    expect(
      ready.metadata.managedFields?.find((entry) => entry.manager === 'notejam-operator')
        ?.subresource,
    ).toBe('status');
  });

  it('tells the story in Events', async () => {
    const events = await waitFor('a Ready event', async () => {
      const list = await admin.list<
        KubernetesObject & { reason?: string; regarding?: { name?: string } }
      >(types.event, { namespace });
      const mine = list.items.filter((event) => event.regarding?.name === 'shop');
      return mine.some((event) => event.reason === 'Ready') ? mine : undefined;
    });
    expect(events.map((event) => event.reason)).toEqual(
      expect.arrayContaining(['Created', 'Ready']),
    );
  });

  it('makes no write at all in a steady state, over several resync periods', async () => {
    await sleep(2 * resyncPeriodMs); // let in-flight events settle
    const before = await writesBy(operator);
    const reconcilesBefore = await reconcileCount();
    await sleep(4 * resyncPeriodMs);
    expect(await reconcileCount()).toBeGreaterThanOrEqual(reconcilesBefore + 3); // it did look
    expect(await writesBy(operator)).toEqual(before);
  });

  it('updates the children when the spec changes', async () => {
    await applyInstance(
      mysqlInstance('shop', {
        image: 'ghcr.io/notejam/notejam:v2',
        replicas: 3,
        ingress: { host: 'shop.example.com' },
      }),
    );
    const deployment = await waitFor('the new image', async () => {
      const current = await get<V1Deployment>(types.deployment, 'shop');
      return current?.spec?.template.spec?.containers[0].image === 'ghcr.io/notejam/notejam:v2'
        ? current
        : undefined;
    });
    expect(deployment.spec?.replicas).toBe(3);
    const ingress = await get<KubernetesObject & { spec?: { ingressClassName?: string } }>(
      types.ingress,
      'shop',
    );
    expect(ingress?.spec?.ingressClassName).toBeUndefined();
    const rolling = await waitFor('RollingOut for the new generation', async () => {
      const instance = await getInstance('shop');
      return instance.status?.observedGeneration === instance.metadata.generation &&
        instance.status?.phase === 'RollingOut'
        ? instance
        : undefined;
    });
    expect(condition(rolling, 'Ready')?.status).toBe('False');
  });

  it('removes what the spec no longer asks for, and keeps the session Secret', async () => {
    const secretBefore = await get<V1Secret>(types.secret, 'shop-session');
    await applyInstance(
      mysqlInstance('shop', { image: 'ghcr.io/notejam/notejam:v2', replicas: 3 }),
    );
    await waitFor(
      'the Ingress to be deleted',
      async () => (await get(types.ingress, 'shop')) === undefined,
    );
    const secretAfter = await get<V1Secret>(types.secret, 'shop-session');
    expect(secretAfter?.metadata?.uid).toBe(secretBefore?.metadata?.uid);
    expect(secretAfter?.data).toEqual(secretBefore?.data);
  });

  it('brings back a child someone deleted, and reverts a change to a field it owns', async () => {
    const service = await get<V1Service>(types.service, 'shop');
    await admin.delete(types.service, namespace, 'shop');
    await waitFor('the Service to come back', async () => {
      const current = await get<V1Service>(types.service, 'shop');
      return current && current.metadata?.uid !== service?.metadata?.uid;
    });

    // A field it owns, changed by another manager (who thereby takes it over), is taken back.
    const before = await get<V1Deployment>(types.deployment, 'shop');
    await admin.mergePatch(
      types.deployment,
      namespace,
      'shop',
      { spec: { revisionHistoryLimit: 42 } },
      'someone',
    );
    await waitFor(
      'revisionHistoryLimit to be restored',
      async () =>
        (await get<V1Deployment>(types.deployment, 'shop'))?.spec?.revisionHistoryLimit ===
        before?.spec?.revisionHistoryLimit,
    );
  });

  it('hands the replica count to the HPA when autoscaling is enabled, without fighting over it', async () => {
    const autoscaled = {
      image: 'ghcr.io/notejam/notejam:v2',
      autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6 },
    };
    await applyInstance(mysqlInstance('shop', autoscaled));
    const hpa = await waitFor('the HPA', () => get<V2HorizontalPodAutoscaler>(types.hpa, 'shop'));
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { kind: 'Deployment', name: 'shop' },
    });
    // The operator keeps the replicas it had until the autoscaler takes the field over.
    expect((await get<V1Deployment>(types.deployment, 'shop'))?.spec?.replicas).toBe(3);

    // The HPA controller scales it: another manager writes spec.replicas and so takes it over.
    await admin.mergePatch(
      types.deployment,
      namespace,
      'shop',
      { spec: { replicas: 5 } },
      'horizontal-pod-autoscaler',
    );
    await sleep(2 * resyncPeriodMs);
    const writesBefore = await writesBy(operator);
    await sleep(3 * resyncPeriodMs);
    const deployment = await get<V1Deployment>(types.deployment, 'shop');
    expect(deployment?.spec?.replicas).toBe(5);
    expect(await writesBy(operator)).toEqual(writesBefore);

    // Turning autoscaling off gives the field back to the spec, and removes the HPA.
    await applyInstance(
      mysqlInstance('shop', { image: 'ghcr.io/notejam/notejam:v2', replicas: 2 }),
    );
    await waitFor(
      'replicas from the spec again',
      async () => (await get<V1Deployment>(types.deployment, 'shop'))?.spec?.replicas === 2,
    );
    await waitFor(
      'the HPA to be deleted',
      async () => (await get(types.hpa, 'shop')) === undefined,
    );
  });

  it('gives a sqlite instance one replica, Recreate, and a data volume', async () => {
    await applyInstance({
      apiVersion: 'notejam.io/v1alpha1',
      kind: 'NotejamInstance',
      metadata: { name: 'notes', namespace },
      spec: {
        image: 'ghcr.io/notejam/notejam:dev',
        environment: 'development',
        database: { type: 'sqlite' },
      },
    } as KubernetesObject);
    const deployment = await waitFor('the Deployment', () =>
      get<V1Deployment>(types.deployment, 'notes'),
    );
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.strategy?.type).toBe('Recreate');
    const pvc = await waitFor('the data volume claim', () => get(types.pvc, 'notes-data'));
    expectOwnedBy(pvc, await getInstance('notes'));
    expect(await get(types.pdb, 'notes')).toBeUndefined();
  });

  it('lists instances with meaningful columns', async () => {
    await markDeploymentAvailable(admin, namespace, 'notes');
    await waitFor(
      'notes to be Ready',
      async () => (await getInstance('notes')).status?.phase === 'Ready',
    );
    const table = execFileSync(
      'kubectl',
      ['--kubeconfig', adminKubeconfigPath, 'get', 'notejaminstances', '-n', namespace],
      {
        encoding: 'utf8',
      },
    );
    const [header, ...rows] = table.trim().split('\n');
    expect(header.split(/\s+/)).toEqual([
      'NAME',
      'IMAGE',
      'DATABASE',
      'PHASE',
      'PAUSED',
      'READY',
      'AGE',
    ]);
    expect(
      rows
        .find((row) => row.startsWith('notes '))
        ?.split(/\s+/)
        .slice(0, 6),
    ).toEqual(['notes', 'ghcr.io/notejam/notejam:dev', 'sqlite', 'Ready', 'false', '1']);
  });

  it('leaves deletion to the garbage collector: every child points at its owner', async () => {
    const owner = await getInstance('notes');
    const children = await Promise.all([
      get(types.deployment, 'notes'),
      get(types.service, 'notes'),
      get(types.serviceAccount, 'notes'),
      get(types.pvc, 'notes-data'),
      get(types.secret, 'notes-session'),
    ]);
    for (const child of children) expectOwnedBy(child, owner);
    const writesBefore = totalOf(await writesBy(operator));
    await admin.delete(types.instance, namespace, 'notes');
    await waitFor(
      'the instance to be gone',
      async () => (await admin.getIfExists(types.instance, namespace, 'notes')) === undefined,
    );
    await sleep(2 * resyncPeriodMs);
    // No kube-controller-manager runs here, so the children remain; the operator does not recreate the instance's objects.
    expect(totalOf(await writesBy(operator))).toBe(writesBefore);
  });

  it('reconciles the samples into their objects (an operator watching all namespaces)', async () => {
    const clusterWide = await runOperator(operatorIdentityConfig, testConfig({ resyncPeriodMs }));
    const jobs: LifecycleJobs[] = [];
    try {
      for (const environment of ['dev', 'test', 'prod']) {
        const objects = kustomize(`samples/${environment}`);
        const sample = objects.find((object) => object.kind === 'NotejamInstance') as
          Instance | undefined;
        const sampleNamespace = sample?.metadata?.namespace ?? '';
        // mysql samples deploy after their migrate (and seed) Jobs: run them for real.
        await ensureNamespace(admin, sampleNamespace);
        if (sample?.spec.database.type === 'mysql')
          jobs.push(await runLifecycleJobs(plane, admin, sampleNamespace));
        await applyAll(admin, objects);
        // The test sample seeds 200,000 notes before its first rollout.
        const deployment = await waitFor(
          `the ${environment} sample Deployment`,
          () => admin.getIfExists<V1Deployment>(types.deployment, sampleNamespace, 'notejam'),
          240_000,
        );
        expect(deployment.metadata?.ownerReferences?.[0]).toMatchObject({
          kind: 'NotejamInstance',
          name: sample?.metadata?.name,
        });
      }
    } finally {
      await clusterWide.stop();
      for (const running of jobs) await running.stop();
    }
  }, 300_000);
});

async function reconcileCount(): Promise<number> {
  const metric = await operator.metrics.reconcileTotal.get();
  return metric.values.reduce((sum, { value }) => sum + value, 0);
}
