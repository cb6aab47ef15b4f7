// One slow dependency never stalls the rest: 50 instances whose images live on a registry
// that accepts connections and never answers (requests to it never end during this test),
// and an instance on another image whose spec changes. That change is reconciled while
// every request to the black hole is still unanswered: no reconcile waits on the registry.
// Asserted as causality (what had and had not happened when the change landed), never
// as a duration.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import { type BlackHole, startBlackHole } from '../support/registry-network.js';
import {
  adminClient,
  deploymentEnv,
  ensureNamespace,
  fieldManager,
  installCrd,
  operatorIdentity,
  runOperator,
  testConfig,
  types,
  waitFor,
} from './support.js';

jest.setTimeout(120_000);
const namespace = 'slow-registry';
const stuckInstances = 50;
const pinnedImage = `ghcr.io/notejam/notejam:v1@sha256:${'2'.repeat(64)}`;

let admin: KubeClient;
let operator: RunningOperator;
let blackHole: BlackHole;

function sqliteInstance(name: string, image: string, logLevel = 'info'): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec: { image, environment: 'development', database: { type: 'sqlite' }, logLevel },
  } as KubernetesObject;
}

const apply = (object: KubernetesObject) =>
  admin.apply(types.instance, object, { fieldManager, force: true });

const logLevelOf = (name: string) => deploymentEnv(admin, namespace, name, 'LOG_LEVEL');

beforeAll(async () => {
  const plane = await sharedControlPlane();
  admin = adminClient(plane);
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  blackHole = await startBlackHole();
  operator = await runOperator(
    await operatorIdentity(plane, admin),
    testConfig({
      watchNamespace: namespace,
      // The production default, and a registry timeout longer than this test: a request
      // to the black hole never ends while the test looks.
      maxConcurrentReconciles: 4,
      imageResolveTimeoutMs: 600_000,
    }),
  );
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await blackHole?.close();
  await admin?.close();
});

describe('a registry that never answers', () => {
  it('does not delay another instance’s change: it is reconciled while every registry request is still unanswered', async () => {
    await apply(sqliteInstance('bystander', pinnedImage));
    await waitFor(
      'the bystander’s Deployment',
      async () => (await logLevelOf('bystander')) === 'info',
    );

    for (let i = 0; i < stuckInstances; i++)
      await apply(sqliteInstance(`stuck-${i}`, `${blackHole.host}/notejam/app:v${i}`));
    // Every one of them is reconciled at once, with nothing known of its image yet.
    await waitFor(
      'all 50 instances to report that their image is being resolved',
      async () => {
        const list = await admin.list<NotejamInstance>(types.instance, { namespace });
        const stuck = list.items.filter((item) => item.metadata.name.startsWith('stuck-'));
        return (
          stuck.length === stuckInstances &&
          stuck.every(
            (item) =>
              item.status?.observedGeneration === item.metadata.generation &&
              item.status?.conditions?.some(
                (c) =>
                  c.type === 'ImageResolved' && c.status === 'Unknown' && c.reason === 'Resolving',
              ),
          )
        );
      },
      60_000,
    );
    await waitFor('the black hole to hold requests', () => blackHole.open() > 0);

    await apply(sqliteInstance('bystander', pinnedImage, 'debug'));
    await waitFor(
      'the bystander’s change',
      async () => (await logLevelOf('bystander')) === 'debug',
    );

    // Nothing has come back from the black hole, and it never held more than the
    // resolver's slots for one registry.
    expect(blackHole.accepted()).toBe(blackHole.open());
    expect(blackHole.open()).toBeLessThanOrEqual(2);
  });
});
