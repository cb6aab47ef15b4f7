// The ServiceMonitor exists only where the prometheus-operator's CRD does: the operator
// follows that CRD while it runs (installed later, or removed), and without it reports
// the request it cannot honour. On a control plane of its own, as the CRD is installed
// and removed mid-suite.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import type { ResourceType } from '../../src/runtime/resources.js';
import { type ControlPlane, startControlPlane } from '../envtest/control-plane.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  operatorIdentity,
  parseManifests,
  repoRoot,
  runOperator,
  testConfig,
  types,
  waitFor,
} from './support.js';

jest.setTimeout(60_000);

const namespace = 'monitoring-e2e';
const serviceMonitorType: ResourceType = {
  group: 'monitoring.coreos.com',
  version: 'v1',
  plural: 'servicemonitors',
  kind: 'ServiceMonitor',
  namespaced: true,
};
let plane: ControlPlane;
let admin: KubeClient;
let identity: KubeConfig;
let operator: RunningOperator;
let crdName = '';

function instance(serviceMonitor: boolean): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'watched', namespace },
    spec: {
      image: 'ghcr.io/notejam/notejam:v1',
      environment: 'test',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      monitoring: { serviceMonitor, serviceMonitorLabels: { release: 'kube-prometheus-stack' } },
    },
  } as KubernetesObject;
}

/** The prometheus-operator's own ServiceMonitor CRD (fetched once by hack/delivery-tools.sh). */
async function installServiceMonitorCrd(): Promise<void> {
  const dir = execFileSync(`${repoRoot}hack/delivery-tools.sh`, ['prometheus-operator-crds'], {
    encoding: 'utf8',
  }).trim();
  const [crd] = parseManifests(
    readFileSync(`${dir}/monitoring.coreos.com_servicemonitors.yaml`, 'utf8'),
  );
  crdName = crd.metadata?.name ?? '';
  await admin.apply(types.crd, crd, { fieldManager, force: true });
  await waitFor('the ServiceMonitor CRD to be served', async () => {
    const discovery = await admin.getPath<{ resources?: Array<{ name: string }> }>(
      '/apis/monitoring.coreos.com/v1',
    );
    return discovery.resources?.some((resource) => resource.name === 'servicemonitors');
  });
}

beforeAll(async () => {
  plane = await startControlPlane();
  admin = adminClient(plane);
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  identity = await operatorIdentity(plane, admin);
  // One operator for the whole suite: it sees the CRD come and go without a restart.
  operator = await runOperator(identity, testConfig());
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  await admin?.close();
  await plane?.stop();
});

describe('ServiceMonitor', () => {
  it('is not created without the CRD, and the status says why', async () => {
    await admin.apply(types.instance, instance(true), { fieldManager, force: true });
    const ready = await waitFor('a status', async () => {
      const current = await admin.get<NotejamInstance>(types.instance, namespace, 'watched');
      return current.status?.conditions?.find((condition) => condition.type === 'Ready');
    });
    expect(ready.message).toContain(
      'the ServiceMonitor CRD (monitoring.coreos.com/v1) is not installed',
    );
  });

  it('is created, owned by the instance, once the CRD is installed while the operator runs; and removed when no longer asked for', async () => {
    await installServiceMonitorCrd();
    const monitor = await waitFor('the ServiceMonitor', () =>
      admin.getIfExists<KubernetesObject & { spec?: { endpoints?: unknown[] } }>(
        serviceMonitorType,
        namespace,
        'watched',
      ),
    );
    expect(monitor.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'NotejamInstance',
      name: 'watched',
      controller: true,
    });
    expect(monitor.metadata?.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(monitor.spec?.endpoints?.length).toBeGreaterThan(0);
    await waitFor('the Ready message without the CRD note', async () => {
      const current = await admin.get<NotejamInstance>(types.instance, namespace, 'watched');
      const ready = current.status?.conditions?.find((condition) => condition.type === 'Ready');
      return ready && !ready.message.includes('ServiceMonitor');
    });

    await admin.apply(types.instance, instance(false), { fieldManager, force: true });
    await waitFor(
      'the ServiceMonitor to be deleted',
      async () => (await admin.getIfExists(serviceMonitorType, namespace, 'watched')) === undefined,
    );
  });

  it('says so again once the CRD is removed', async () => {
    await admin.apply(types.instance, instance(true), { fieldManager, force: true });
    await waitFor('the ServiceMonitor again', () =>
      admin.getIfExists(serviceMonitorType, namespace, 'watched'),
    );
    await admin.delete(types.crd, undefined, crdName);
    await waitFor('the Ready message with the CRD note', async () => {
      const current = await admin.get<NotejamInstance>(types.instance, namespace, 'watched');
      const ready = current.status?.conditions?.find((condition) => condition.type === 'Ready');
      return ready?.message.includes(
        'the ServiceMonitor CRD (monitoring.coreos.com/v1) is not installed',
      );
    });
  });
});
