// The applier's skip conditions, against the real API server's server-side apply: an apply
// is skipped (no request at all) only when the live object is the one last applied (same
// uid), the desired object is unchanged and the fields the server records as ours are
// unchanged; anything else sends the apply.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Applier } from '../../src/runtime/apply.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { RuntimeMetrics } from '../../src/runtime/metrics.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager as otherManager,
  types,
} from '../integration/support.js';

const namespace = 'applier';
const configMaps = types.configMap;

let client: KubeClient;
let other: KubeClient;
let metrics: RuntimeMetrics;

const desired = (name: string, data: Record<string, string>): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

/** Applies made so far by the applier's client. */
async function applies(): Promise<number> {
  const metric = await metrics.restRequestsByResource.get();
  return metric.values
    .filter(({ labels }) => labels.method === 'PATCH' && labels.resource === 'configmaps')
    .reduce((sum, { value }) => sum + value, 0);
}

const live = (name: string) => client.getIfExists<V1ConfigMap>(configMaps, namespace, name);

beforeAll(async () => {
  const plane = await sharedControlPlane();
  other = adminClient(plane);
  await ensureNamespace(other, namespace);
  metrics = new RuntimeMetrics(new Registry());
  client = new KubeClient(plane.admin(), { metrics });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await other?.close();
});

describe('Applier', () => {
  it('creates, then skips while nothing changed, and applies a changed desired object', async () => {
    const applier = new Applier(client, 'applier-test');
    const first = await applier.apply(configMaps, desired('plain', { a: '1' }), undefined, 'o');
    expect(first.outcome).toBe('created');
    expect(await applies()).toBe(1);

    const same = await applier.apply(
      configMaps,
      desired('plain', { a: '1' }),
      await live('plain'),
      'o',
    );
    expect(same.outcome).toBe('unchanged');
    expect(await applies()).toBe(1);

    const changed = await applier.apply(
      configMaps,
      desired('plain', { a: '2' }),
      await live('plain'),
      'o',
    );
    expect(changed.outcome).toBe('configured');
    expect(await applies()).toBe(2);
    expect((await live('plain'))?.data).toEqual({ a: '2' });
  });

  it('ignores fields it does not own, but repairs one that someone else took over', async () => {
    const applier = new Applier(client, 'applier-test');
    await applier.apply(configMaps, desired('drift', { a: '1' }), undefined, 'o');
    const before = await applies();

    // A field nobody asked us to manage: none of our business, no request.
    await other.apply(configMaps, desired('drift', { theirs: 'x' }) as KubernetesObject, {
      fieldManager: otherManager,
      force: true,
    });
    await applier.apply(configMaps, desired('drift', { a: '1' }), await live('drift'), 'o');
    expect(await applies()).toBe(before);

    // Someone forces our field: its ownership moves, which the applier sees, and reverts.
    await other.apply(configMaps, desired('drift', { a: 'changed' }) as KubernetesObject, {
      fieldManager: otherManager,
      force: true,
    });
    const repaired = await applier.apply(
      configMaps,
      desired('drift', { a: '1' }),
      await live('drift'),
      'o',
    );
    expect(repaired.outcome).toBe('configured');
    expect(await applies()).toBe(before + 1);
    expect((await live('drift'))?.data?.a).toBe('1');
  });

  it('applies again when the object was replaced (another uid) or forgotten', async () => {
    const applier = new Applier(client, 'applier-test');
    await applier.apply(configMaps, desired('replaced', { a: '1' }), undefined, 'o');
    await other.delete(configMaps, namespace, 'replaced');
    await other.apply(configMaps, desired('replaced', { a: '1' }) as KubernetesObject, {
      fieldManager: 'applier-test', // the same fields, even the same manager: another object
      force: true,
    });
    const before = await applies();
    await applier.apply(configMaps, desired('replaced', { a: '1' }), await live('replaced'), 'o');
    expect(await applies()).toBe(before + 1);

    applier.forgetOwner('o');
    const again = await applier.apply(
      configMaps,
      desired('replaced', { a: '1' }),
      await live('replaced'),
      'o',
    );
    expect(await applies()).toBe(before + 2);
    expect(again.outcome).toBe('unchanged'); // the server found nothing to change
  });
});
