// Leader election against an API server that stops answering lease updates: the leader
// must stop (and stop writing) before another replica can take the lease. Operator A talks
// to the real API server through a proxy that, at some point, holds every update of the
// lease (it never answers them, as an overloaded or partitioned API server would); operator
// B talks to the API server directly and campaigns. What is asserted is the order of
// events, never a duration.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubeConfig, KubernetesObject, V1Lease } from '@kubernetes/client-node';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { type ControlPlaneClient, sharedControlPlane } from '../envtest/control-plane.js';
import { type ApiServerProxy, startApiServerProxy } from '../support/api-server-proxy.js';
import {
  adminClient,
  deploymentEnv,
  ensureNamespace,
  fieldManager,
  installCrd,
  operatorIdentity,
  operatorNamespace,
  runOperator,
  testConfig,
  types,
  waitFor,
} from './support.js';

jest.setTimeout(90_000);
const namespace = 'leader-election';
const leaseName = 'leader-election-test.notejam.io';
const pinnedImage = `ghcr.io/notejam/notejam:v1@sha256:${'1'.repeat(64)}`;

let plane: ControlPlaneClient;
let admin: KubeClient;
let identity: KubeConfig;
let proxy: ApiServerProxy;
const operators: RunningOperator[] = [];

function instance(logLevel: string): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'subject', namespace },
    spec: {
      image: pinnedImage,
      environment: 'development',
      database: { type: 'sqlite' },
      logLevel,
    },
  } as KubernetesObject;
}

const logLevelOf = () => deploymentEnv(admin, namespace, 'subject', 'LOG_LEVEL');

const leaseHolder = async () =>
  (await admin.getIfExists<V1Lease>(types.lease, operatorNamespace, leaseName))?.spec
    ?.holderIdentity;

function candidate(kubeConfig: KubeConfig, name: string, onLeadershipLost: () => void) {
  return runOperator(
    kubeConfig,
    testConfig({
      watchNamespace: namespace,
      leaderElection: {
        namespace: operatorNamespace,
        name: leaseName,
        identity: name,
        leaseDurationMs: 6000,
        renewDeadlineMs: 3000,
        retryPeriodMs: 500,
      },
    }),
    onLeadershipLost,
  );
}

beforeAll(async () => {
  plane = await sharedControlPlane();
  admin = adminClient(plane);
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  identity = await operatorIdentity(plane, admin);
  proxy = await startApiServerProxy(identity);
}, 120_000);

afterAll(async () => {
  for (const operator of operators) await operator.stop();
  await proxy?.close();
  await admin?.close();
});

describe('leader election with an API server that holds lease updates', () => {
  it('stops the leader, and its writes, before another replica can take over', async () => {
    const order: string[] = [];
    const writesOfA = () => proxy.forwarded().filter((request) => !request.startsWith('GET '));
    let writesAtLoss: string[] = [];
    const a = await candidate(proxy.kubeConfig, 'a', () => {
      order.push('a stopped leading');
      writesAtLoss = writesOfA();
    });
    operators.push(a);
    await waitFor('a to lead', () => a.manager.isLeading());
    await admin.apply(types.instance, instance('info'), { fieldManager, force: true });
    await waitFor('the Deployment from a', async () => (await logLevelOf()) === 'info');

    // From now on no lease update of a reaches the API server.
    proxy.hold((method, path) => method === 'PUT' && path.endsWith(`/leases/${leaseName}`));
    const b = await candidate(identity, 'b', () => order.push('b stopped leading'));
    operators.push(b);
    await waitFor(
      'b to take the lease',
      async () => (await leaseHolder()) === 'b' && b.manager.isLeading(),
      30_000,
    );
    order.push('b leads');
    expect(order).toEqual(['a stopped leading', 'b leads']);
    expect(proxy.held().length).toBeGreaterThan(0);

    // Only b acts on a change now: nothing of a's reached the API server since it stopped.
    await admin.apply(types.instance, instance('debug'), { fieldManager, force: true });
    await waitFor('the Deployment from b', async () => (await logLevelOf()) === 'debug');
    expect(a.manager.isLeading()).toBe(false);
    expect(writesOfA()).toEqual(writesAtLoss);
  });
});
