// The status is written over the instance as it was read: a reconcile working from a
// cached copy older than the last status write must not put that copy's values back.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NotejamInstance, NotejamInstanceStatus } from '../../src/api/v1alpha1/types.js';
import { StatusWriter } from '../../src/controllers/notejam/status-writer.js';
import { EventRecorder } from '../../src/runtime/events.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { createLogger } from '../../src/runtime/logger.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import { adminClient, ensureNamespace, fieldManager, installCrd, types } from './support.js';

jest.setTimeout(60_000);

const namespace = 'status-writer';
let admin: KubeClient;
let events: EventRecorder;
let writer: StatusWriter;

const getInstance = () => admin.get<NotejamInstance>(types.instance, namespace, 'notes');
const statusWith = (schemaVersion: string): NotejamInstanceStatus => ({
  phase: 'Ready',
  schemaVersion,
});

beforeAll(async () => {
  admin = adminClient(await sharedControlPlane());
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  const log = createLogger({ level: 'error', write: (line) => process.stderr.write(`${line}\n`) });
  events = new EventRecorder(
    admin,
    { reportingController: 'notejam.io/test', reportingInstance: 'test', fieldManager },
    log,
  );
  writer = new StatusWriter({ client: admin, events, instanceType: types.instance, fieldManager });
  await admin.apply(
    types.instance,
    {
      apiVersion: 'notejam.io/v1alpha1',
      kind: 'NotejamInstance',
      metadata: { name: 'notes', namespace },
      spec: { image: 'ghcr.io/notejam/notejam:v1', database: { type: 'sqlite' } },
    } as KubernetesObject,
    { fieldManager, force: true },
  );
}, 120_000);

afterAll(async () => {
  await events?.flush();
  await admin?.close();
});

describe('StatusWriter', () => {
  it('refuses, without an error, a status computed from a copy older than the last write', async () => {
    const read = await getInstance();
    await writer.update(read, statusWith('Newer1764300000001'), []);
    expect((await getInstance()).status?.schemaVersion).toBe('Newer1764300000001');

    // The same stale copy again, as a cache that has not seen the write yet would give it.
    await writer.update(read, statusWith('Older1764300000000'), []);
    expect((await getInstance()).status?.schemaVersion).toBe('Newer1764300000001');

    // From the current copy, the write goes through.
    await writer.update(await getInstance(), statusWith('Newest1764300000002'), []);
    expect((await getInstance()).status?.schemaVersion).toBe('Newest1764300000002');
  });
});
