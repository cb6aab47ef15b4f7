// The status is written over the instance as it was read: a status computed from a cached
// copy older than the last write must neither put that copy's values back nor be lost.
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

const read = (name: string) => admin.get<NotejamInstance>(types.instance, namespace, name);

async function create(name: string): Promise<NotejamInstance> {
  await admin.apply(
    types.instance,
    {
      apiVersion: 'notejam.io/v1alpha1',
      kind: 'NotejamInstance',
      metadata: { name, namespace },
      spec: { image: 'ghcr.io/notejam/notejam:v1', database: { type: 'sqlite' } },
    } as KubernetesObject,
    { fieldManager, force: true },
  );
  return read(name);
}

/** As computeStatus does: the instance's status carried over, with this reconcile's phase. */
const withPhase =
  (phase: NotejamInstanceStatus['phase']) =>
  (instance: NotejamInstance): NotejamInstanceStatus => ({ ...instance.status, phase });

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
}, 120_000);

afterAll(async () => {
  await events?.flush();
  await admin?.close();
});

describe('StatusWriter', () => {
  it('computes a status refused as stale again from the current instance', async () => {
    const stale = await create('stale');
    await writer.update(stale, () => ({ phase: 'Migrating', schemaVersion: 'A1764300000000' }), []);
    const written = await read('stale');
    expect(written.status).toEqual({ phase: 'Migrating', schemaVersion: 'A1764300000000' });

    // A reconcile working from the copy before that write: written as computed, its status
    // would drop the schema version.
    const seen: Array<string | undefined> = [];
    await writer.update(
      stale,
      (instance) => (seen.push(instance.metadata.resourceVersion), withPhase('Ready')(instance)),
      [],
    );
    expect(seen).toEqual([stale.metadata.resourceVersion, written.metadata.resourceVersion]);
    expect((await read('stale')).status).toEqual({
      phase: 'Ready',
      schemaVersion: 'A1764300000000',
    });
  });

  it('drops a stale status when the spec changed meanwhile: the new generation’s reconcile writes', async () => {
    const stale = await create('respecified');
    await admin.mergePatch(
      types.instance,
      namespace,
      'respecified',
      { spec: { logLevel: 'debug' } },
      fieldManager,
    );
    const current = await read('respecified');
    expect(current.metadata.generation).toBe((stale.metadata.generation ?? 0) + 1);

    await writer.update(stale, withPhase('Ready'), []);
    const after = await read('respecified');
    expect(after.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
    expect(after.status).toBeUndefined();
  });
});
