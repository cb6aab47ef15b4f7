// Image resolution as the running operator does it, against a real token-auth registry:
// pull Secrets come from the operator's cache (never a GET per reconcile), a tag pushed
// again moves the instance to the new digest without any event on the instance, a Bearer
// token serves many resolutions, and a rotated pull Secret is picked up at once.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import { startTestRegistry, testAccount, type TestRegistry } from '../support/oci-registry.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  operatorIdentity,
  runOperator,
  sleep,
  testConfig,
  types,
  waitFor,
} from './support.js';

jest.setTimeout(120_000);
const namespace = 'image-resolution';
const resyncPeriodMs = 1000;

let admin: KubeClient;
let operator: RunningOperator;
let registry: TestRegistry;

const pullSecret = (password: string): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'registry-credentials', namespace },
    type: 'kubernetes.io/dockerconfigjson',
    stringData: {
      '.dockerconfigjson': JSON.stringify({
        auths: { [registry.host]: { username: testAccount.username, password } },
      }),
    },
  }) as KubernetesObject;

const deployedImage = async () =>
  (await admin.getIfExists<NotejamInstance>(types.instance, namespace, 'private'))?.status
    ?.deployedImage;

const imageResolved = async () =>
  (
    await admin.getIfExists<NotejamInstance>(types.instance, namespace, 'private')
  )?.status?.conditions?.find((condition) => condition.type === 'ImageResolved');

/** GET requests on Secrets the operator made (its caches' lists and watches included). */
async function secretGets(): Promise<number> {
  const metric = await operator.metrics.restRequestsByResource.get();
  return metric.values
    .filter(({ labels }) => labels.method === 'GET' && labels.resource === 'secrets')
    .reduce((sum, { value }) => sum + value, 0);
}

beforeAll(async () => {
  const plane = await sharedControlPlane();
  admin = adminClient(plane);
  registry = await startTestRegistry('token');
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  await admin.apply(types.secret, pullSecret(testAccount.password), { fieldManager, force: true });
  operator = await runOperator(
    await operatorIdentity(plane, admin),
    testConfig({ watchNamespace: namespace, resyncPeriodMs, imageResolveIntervalMs: 500 }),
  );
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await registry?.stop();
  await admin?.close();
});

describe('image resolution in the running operator', () => {
  it('follows a private tag with the cached pull Secret, and a rotated Secret at once', async () => {
    const first = await registry.pushImage('private/app', 'dev');
    const image = `${registry.host}/private/app:dev`;
    await admin.apply(
      types.instance,
      {
        apiVersion: 'notejam.io/v1alpha1',
        kind: 'NotejamInstance',
        metadata: { name: 'private', namespace },
        spec: {
          image,
          environment: 'development',
          database: { type: 'sqlite' },
          imagePullSecrets: [{ name: 'registry-credentials' }],
        },
      } as KubernetesObject,
      { fieldManager, force: true },
    );
    await waitFor(
      'the first digest deployed',
      async () => (await deployedImage()) === `${image}@${first}`,
    );

    // A push is followed without any event on the instance: the resolver enqueues it.
    const second = await registry.pushImage('private/app', 'dev');
    await waitFor(
      'the new digest deployed',
      async () => (await deployedImage()) === `${image}@${second}`,
    );

    // Several resync periods (every one reconciling the instance) and resolutions later: no
    // Secret was read (the caches' lists and watches were already open), and the token the
    // registry handed out first still serves (it lives 300 s).
    const readsBefore = await secretGets();
    await sleep(3 * resyncPeriodMs);
    expect(await secretGets()).toBe(readsBefore);
    expect(registry.tokensIssued()).toBe(1);

    // A rotated (here: broken) pull Secret is used at once, and reported.
    await admin.apply(types.secret, pullSecret('rotated-wrong-password'), {
      fieldManager,
      force: true,
    });
    const condition = await waitFor('ImageResolved=False', async () => {
      const found = await imageResolved();
      return found?.status === 'False' ? found : undefined;
    });
    expect(condition.reason).toBe('RegistryUnauthorized');
    expect(await deployedImage()).toBe(`${image}@${second}`);
  });
});
