// One failing step never stops the others, and every failure reaches the status: the API
// server refusing a child, a ResourceQuota refusing a Job, a child the operator may not
// apply, a cleanup it may not do. Each is a Degraded condition with a reason saying what
// refused what, an Event of that reason, and an observedGeneration that advances.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type {
  KubeConfig,
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1PolicyRule,
} from '@kubernetes/client-node';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import type { ResourceType } from '../../src/runtime/resources.js';
import { type ControlPlaneClient, sharedControlPlane } from '../envtest/control-plane.js';
import { JobRunner } from '../support/job-runner.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  kustomize,
  markDeploymentAvailable,
  operatorIdentity,
  runOperator,
  testConfig,
  types,
  waitFor,
} from './support.js';

jest.setTimeout(60_000);

const jobType: ResourceType = {
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  kind: 'Job',
  namespaced: true,
};
const quotaType: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'resourcequotas',
  kind: 'ResourceQuota',
  namespaced: true,
};

let plane: ControlPlaneClient;
let admin: KubeClient;

function instance(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec: { image: 'ghcr.io/notejam/notejam:v1', ...spec },
  } as KubernetesObject;
}
const mysql = {
  environment: 'test',
  replicas: 2,
  database: { type: 'mysql', mysql: { secretRef: { name: 'db' } } },
};
const sqlite = { environment: 'development', database: { type: 'sqlite' } };

const apply = (object: KubernetesObject) =>
  admin.apply(types.instance, object, { fieldManager, force: true });
const getInstance = (namespace: string, name: string) =>
  admin.get<NotejamInstance>(types.instance, namespace, name);
const condition = (nj: NotejamInstance, type: string) =>
  nj.status?.conditions?.find((c) => c.type === type);

/** The instance once its status describes its current generation and is Degraded by `reason`. */
function degradedBy(namespace: string, name: string, reason: string): Promise<NotejamInstance> {
  return waitFor(`${name} Degraded by ${reason}`, async () => {
    const current = await getInstance(namespace, name);
    return current.status?.observedGeneration === current.metadata.generation &&
      condition(current, 'Degraded')?.status === 'True' &&
      condition(current, 'Degraded')?.reason === reason
      ? current
      : undefined;
  });
}

async function eventReasons(namespace: string, name: string): Promise<string[]> {
  const list = await admin.list<
    KubernetesObject & { reason?: string; regarding?: { name?: string } }
  >(types.event, { namespace });
  return list.items.filter((e) => e.regarding?.name === name).map((e) => e.reason ?? '');
}

beforeAll(async () => {
  plane = await sharedControlPlane();
  admin = adminClient(plane);
  await installCrd(admin);
}, 120_000);

afterAll(async () => {
  await admin?.close();
});

describe('under the operator’s own permissions', () => {
  const namespace = 'isolation';
  let operator: RunningOperator;

  beforeAll(async () => {
    await ensureNamespace(admin, namespace);
    const identity = await operatorIdentity(plane, admin);
    operator = await runOperator(identity, testConfig({ watchNamespace: namespace }));
  }, 120_000);
  afterAll(async () => {
    await operator?.stop();
  });

  it('applies every child on its own: a claim the API server will not resize holds back nothing else', async () => {
    await apply(instance(namespace, 'notes', sqlite));
    await waitFor('the Deployment', () =>
      admin.getIfExists<V1Deployment>(types.deployment, namespace, 'notes'),
    );
    await markDeploymentAvailable(admin, namespace, 'notes');
    await waitFor(
      'Ready',
      async () => (await getInstance(namespace, 'notes')).status?.phase === 'Ready',
    );

    // Growing an unbound claim is refused (no StorageClass can expand it here); the claim
    // comes before the Deployment, whose new log level must arrive all the same.
    await apply(
      instance(namespace, 'notes', {
        ...sqlite,
        logLevel: 'debug',
        database: { type: 'sqlite', sqlite: { size: '2Gi' } },
      }),
    );
    const degraded = await degradedBy(namespace, 'notes', 'PersistentVolumeClaimInvalid');
    expect(condition(degraded, 'Degraded')?.message).toMatch(
      /^applying PersistentVolumeClaim notes-data: 422 Invalid: /,
    );
    const env = (await admin.get<V1Deployment>(types.deployment, namespace, 'notes')).spec?.template
      .spec?.containers[0]?.env;
    expect(env?.find((variable) => variable.name === 'LOG_LEVEL')?.value).toBe('debug');
    // The pods serve: the status says so, not "Waiting for the Deployment to be created".
    expect(condition(degraded, 'Ready')?.message).not.toContain('to be created');
    expect(degraded.status?.phase).toBe('Degraded');
    await waitFor('the Event', async () =>
      (await eventReasons(namespace, 'notes')).includes('PersistentVolumeClaimInvalid'),
    );
  });

  it('says which quota refused a lifecycle Job, for the generation it was asked for', async () => {
    await admin.apply(
      quotaType,
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'no-jobs', namespace },
        spec: { hard: { 'count/jobs.batch': '0' } },
      } as KubernetesObject,
      { fieldManager, force: true },
    );
    // The quota controller (absent here) would fill status.hard: admission needs it.
    await admin.apply(
      quotaType,
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'no-jobs', namespace },
        status: { hard: { 'count/jobs.batch': '0' }, used: { 'count/jobs.batch': '0' } },
      } as KubernetesObject,
      { fieldManager: 'resourcequota-controller', force: true, subresource: 'status' },
    );
    await apply(instance(namespace, 'shop', mysql));
    const degraded = await degradedBy(namespace, 'shop', 'MigrationJobRefusedByQuota');
    expect(condition(degraded, 'Degraded')?.message).toMatch(
      /^creating Job shop-migrate-[0-9a-f]{10}: refused by a ResourceQuota: 403 Forbidden: .*exceeded quota: no-jobs/,
    );
    expect(degraded.status?.phase).toBe('Failed'); // nothing serves yet
    await waitFor('the Event', async () =>
      (await eventReasons(namespace, 'shop')).includes('MigrationJobRefusedByQuota'),
    );

    // A new generation is observed even while the Job stays refused.
    await apply(instance(namespace, 'shop', { ...mysql, replicas: 3 }));
    const next = await degradedBy(namespace, 'shop', 'MigrationJobRefusedByQuota');
    expect(next.metadata.generation).toBeGreaterThan(degraded.metadata.generation ?? 0);
  });
});

describe('with permissions taken away', () => {
  const namespace = 'isolation-rbac';
  let operator: RunningOperator;
  let runner: JobRunner;

  /** config/rbac's rules, less `patch` on PodDisruptionBudgets and `delete` on Jobs. */
  function restricted(): V1PolicyRule[] {
    const role = kustomize('config/rbac').find((object) => object.kind === 'ClusterRole') as
      (KubernetesObject & { rules: V1PolicyRule[] }) | undefined;
    return (role?.rules ?? []).map((rule) => {
      const resources = rule.resources ?? [];
      const drop = resources.includes('poddisruptionbudgets')
        ? 'patch'
        : resources.includes('jobs')
          ? 'delete'
          : '';
      return { ...rule, verbs: rule.verbs.filter((verb) => verb !== drop) };
    });
  }

  beforeAll(async () => {
    await ensureNamespace(admin, namespace);
    await operatorIdentity(plane, admin); // the namespaces and ServiceAccount of config/rbac
    const identity: KubeConfig = await plane.kubeConfigFor({
      name: 'restricted-operator',
      clusterRoleRules: restricted(),
    });
    operator = await runOperator(identity, testConfig({ watchNamespace: namespace }));
    runner = new JobRunner({
      kubeConfig: plane.admin(),
      namespace,
      labelSelector: 'test-history=yes',
    });
    await runner.start();
  }, 120_000);
  afterAll(async () => {
    await operator?.stop();
    await runner?.stop();
  });

  it('reports a child it may not apply and a finished Job it may not clean up', async () => {
    await apply(instance(namespace, 'private', mysql));
    const owner = await getInstance(namespace, 'private');
    // Four finished migrations of earlier revisions: one more than the history keeps.
    for (const n of [1, 2, 3, 4]) {
      const name = `private-migrate-${String(n).padStart(10, '0')}`;
      await admin.create(
        jobType,
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name,
            namespace,
            labels: {
              'app.kubernetes.io/managed-by': 'notejam-operator',
              'app.kubernetes.io/instance': 'private',
              'notejam.io/job-kind': 'migrate',
              'test-history': 'yes',
            },
            ownerReferences: [
              {
                apiVersion: 'notejam.io/v1alpha1',
                kind: 'NotejamInstance',
                name: 'private',
                uid: owner.metadata.uid ?? '',
                controller: true,
              },
            ],
          },
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [
                  { name: 'migrate', image: 'old', command: [process.execPath, '-e', ''] },
                ],
              },
            },
          },
        } as V1Job,
        fieldManager,
      );
      await runner.finished(namespace, name);
    }

    const degraded = await waitFor('both failures in Degraded', async () => {
      const current = await degradedBy(namespace, 'private', 'JobCleanupForbidden');
      const message = condition(current, 'Degraded')?.message ?? '';
      return message.includes('applying PodDisruptionBudget') ? current : undefined;
    });
    const message = condition(degraded, 'Degraded')?.message ?? '';
    expect(message).toMatch(/^deleting the finished Job private-migrate-0+\d: 403 Forbidden: /m);
    expect(message).toMatch(/^applying PodDisruptionBudget private: 403 Forbidden: /m);
    await waitFor('an Event per failure', async () => {
      const reasons = await eventReasons(namespace, 'private');
      return (
        reasons.includes('PodDisruptionBudgetForbidden') && reasons.includes('JobCleanupForbidden')
      );
    });
    // The children it may apply are there all the same.
    expect(await admin.getIfExists(types.service, namespace, 'private')).toBeDefined();
  });
});
