// The informer against the real API server: a list larger than one page is read to its
// end (the API server's `metadata.continue`), so the cache holds every object.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Informer } from '../../src/runtime/informer.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { createLogger } from '../../src/runtime/logger.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  types,
  waitFor,
} from '../integration/support.js';

const namespace = 'informer-pages';
let client: KubeClient;

beforeAll(async () => {
  client = adminClient(await sharedControlPlane());
  await ensureNamespace(client, namespace);
  for (let i = 0; i < 7; i++) {
    await client.apply(
      types.configMap,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `page-${i}`, namespace, labels: { test: 'informer-pages' } },
      } as KubernetesObject,
      { fieldManager, force: true },
    );
  }
}, 120_000);

afterAll(() => client?.close());

describe('Informer on the API server', () => {
  it('lists every page, however many', async () => {
    const informer = new Informer(
      client,
      { type: types.configMap, namespace, labelSelector: 'test=informer-pages', pageSize: 3 },
      createLogger({ level: 'error', write: () => {} }),
    );
    informer.start();
    try {
      await waitFor('the first list', () => informer.hasSynced());
      expect(
        informer
          .list(namespace)
          .map((object) => object.metadata?.name)
          .sort(),
      ).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    } finally {
      await informer.stop();
    }
  });
});
