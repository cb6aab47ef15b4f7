// The event recorder against an API server that does not answer event writes (a proxy in
// front of the real one holds them): only a few writes are in flight, a bounded backlog
// waits, and what does not fit is dropped and counted, never piled up.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { EventRecorder } from '../../src/runtime/events.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { createLogger } from '../../src/runtime/logger.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import { type ApiServerProxy, startApiServerProxy } from '../support/api-server-proxy.js';
import { waitFor } from '../integration/support.js';

let proxy: ApiServerProxy;

beforeAll(async () => {
  proxy = await startApiServerProxy((await sharedControlPlane()).admin());
}, 120_000);

afterAll(() => proxy?.close());

describe('EventRecorder with an API server that holds event writes', () => {
  it('keeps two writes in flight and a bounded backlog, dropping the rest', async () => {
    proxy.hold((method, path) => method === 'POST' && path.endsWith('/events'));
    const client = new KubeClient(proxy.kubeConfig);
    const recorder = new EventRecorder(
      client,
      {
        reportingController: 'notejam.io/test',
        reportingInstance: 'test',
        fieldManager: 'events-test',
        maxInFlight: 2,
        maxQueued: 5,
      },
      createLogger({ level: 'error', write: () => {} }),
    );
    const regarding: KubernetesObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'subject', namespace: 'default', uid: 'u' },
    };
    for (let i = 0; i < 20; i++) recorder.record(regarding, 'Normal', 'Test', 'Test', `event ${i}`);
    await waitFor('two writes to reach the API server', () => proxy.held().length === 2);
    // 2 in flight, 5 waiting, 13 dropped; none of the waiting ones was sent.
    expect(recorder.droppedEvents).toBe(13);
    expect(proxy.held()).toHaveLength(2);
    await proxy.close(); // the held writes fail, and the backlog after them
    await recorder.flush();
    await client.close();
  });
});
