// The runbooks' Kubernetes steps against the real API server of the test control plane:
// the restore shell Pod of docs/runbooks/restore-notes.md, as written there, must be
// admitted in a namespace that enforces the restricted Pod Security level, as
// notejam-prod does (samples/prod/namespace.yaml); the `kubectl run ... mysql` shell it
// replaced must not be.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { sharedControlPlane } from '../envtest/control-plane.js';
import { restoreShellPodManifest } from '../runbooks.js';

const namespace = `runbook-restricted-${randomBytes(3).toString('hex')}`;
let core: CoreV1Api;

/** The restore shell Pod as the runbook writes it, in this suite's namespace. */
function restoreShellPod(): V1Pod {
  const pod = parse(restoreShellPodManifest('ghcr.io/notejam/notejam:v0.1')) as V1Pod;
  return { ...pod, metadata: { ...pod.metadata, namespace } };
}

/** Creates the Pod as a dry run: undefined when admitted, else the API server's message. */
async function admit(pod: V1Pod): Promise<string | undefined> {
  try {
    await core.createNamespacedPod({ namespace, body: pod, dryRun: 'All' });
    return undefined;
  } catch (error) {
    // client-node's ApiException carries the Status object as JSON text.
    const body = (error as { body?: unknown }).body;
    if (typeof body !== 'string') throw error;
    return (JSON.parse(body) as { message?: string }).message ?? body;
  }
}

beforeAll(async () => {
  const kc: KubeConfig = (await sharedControlPlane()).admin();
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({
    body: {
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    },
  });
}, 180_000);

afterAll(async () => {
  await core?.deleteNamespace({ name: namespace });
});

describe('restore-notes.md', () => {
  it('runs its restore shell as a Pod the restricted Pod Security level admits', async () => {
    const pod = restoreShellPod();
    expect(pod.spec?.containers[0]?.image).toBe('ghcr.io/notejam/notejam:v0.1');
    expect(await admit(pod)).toBeUndefined();
  });

  it('would be refused the plain `kubectl run --image=mysql:8.4` shell it replaced', async () => {
    const refused = await admit({
      metadata: { name: 'restore-shell', namespace },
      spec: { restartPolicy: 'Never', containers: [{ name: 'restore-shell', image: 'mysql:8.4' }] },
    });
    expect(refused).toMatch(/is forbidden: violates PodSecurity "restricted:latest"/);
  });
});
