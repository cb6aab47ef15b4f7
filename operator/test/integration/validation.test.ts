// The API server itself refuses inconsistent NotejamInstances: every CEL rule of the CRD
// has a case here, refused with that rule's message (a rule added without a case fails
// the coverage test), and the samples are accepted.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CustomObjectsApi, type KubernetesObject, type V1Scale } from '@kubernetes/client-node';
import { ApiError, type KubeClient } from '../../src/runtime/kube-client.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import {
  adminClient,
  applyAll,
  ensureNamespace,
  fieldManager,
  installCrd,
  kustomize,
  parseManifests,
  repoRoot,
  types,
} from './support.js';

// Real API server round trips; each step waits for the operator with its own deadline.
jest.setTimeout(30_000);
const namespace = 'validation';
let admin: KubeClient;
let customObjects: CustomObjectsApi;
let counter = 0;

type Spec = Record<string, unknown>;
const mysql = (spec: Spec = {}): Spec => ({
  image: 'ghcr.io/notejam/notejam:v1',
  environment: 'test',
  replicas: 2,
  database: { type: 'mysql', mysql: { secretRef: { name: 'db' } } },
  ...spec,
});
const sqlite = (spec: Spec = {}): Spec => ({
  image: 'ghcr.io/notejam/notejam:v1',
  environment: 'development',
  database: { type: 'sqlite' },
  ...spec,
});

const autoscaled = (spec: Spec = {}): Spec =>
  mysql({
    autoscaling: { enabled: true },
    resources: { requests: { cpu: '100m' } },
    ...spec,
  });

function instance(spec: Spec, name = `case-${++counter}`): KubernetesObject {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec,
  } as KubernetesObject;
}

/**
 * The API server's message refusing `object`. By server-side apply, as Argo CD writes; a
 * value of the wrong type by create (kubectl create/replace), since apply fails earlier on
 * it, building the typed patch (500, "failed to create typed patch object").
 */
async function refusal(
  object: KubernetesObject,
  by: 'apply' | 'create' = 'apply',
): Promise<string> {
  try {
    if (by === 'apply') await admin.apply(types.instance, object, { fieldManager, force: true });
    else await admin.create(types.instance, object, fieldManager);
  } catch (err) {
    if (err instanceof ApiError && err.statusCode === 422) return err.status.message ?? '';
    throw err;
  }
  throw new Error(`${object.metadata?.name} was accepted`);
}

/** Created valid, then changed: for rules on transitions (oldSelf). */
async function refusedUpdate(before: Spec, after: Spec): Promise<string> {
  const name = `update-${++counter}`;
  await admin.apply(types.instance, instance(before, name), { fieldManager, force: true });
  return refusal(instance(after, name));
}

/** Keyed by the rule's message (or messageExpression): how to break it, and what the server says. */
const cases: Record<string, () => Promise<[string, string]>> = {
  'image must be a valid image reference': async () => [
    await refusal(instance(mysql({ image: 'notejam' }))),
    'image must be a valid image reference with a tag or a digest',
  ],
  'autoscaling.minReplicas': async () => [
    await refusal(
      instance(
        mysql({
          autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 },
          resources: { requests: { cpu: '100m' } },
        }),
      ),
    ),
    'must be less than or equal to autoscaling.maxReplicas',
  ],
  'database.type is immutable': async () => [
    await refusedUpdate(sqlite(), mysql()),
    'database.type is immutable',
  ],
  'must be a non-negative Kubernetes quantity': async () => [
    await refusal(instance(sqlite({ database: { type: 'sqlite', sqlite: { size: '-1Gi' } } }))),
    'must be a non-negative Kubernetes quantity',
  ],
  'database.sqlite.size can only grow': async () => [
    await refusedUpdate(
      sqlite({ database: { type: 'sqlite', sqlite: { size: '2Gi' } } }),
      sqlite({ database: { type: 'sqlite', sqlite: { size: '1Gi' } } }),
    ),
    'database.sqlite.size can only grow',
  ],
  'database.sqlite.storageClassName is immutable': async () => [
    // Unset (the cluster default) -> set: the transition a rule on the field itself misses.
    await refusedUpdate(
      sqlite(),
      sqlite({ database: { type: 'sqlite', sqlite: { storageClassName: 'fast' } } }),
    ),
    'database.sqlite.storageClassName is immutable',
  ],
  'database.mysql.secretRef is required': async () => [
    await refusal(instance(mysql({ database: { type: 'mysql' } }))),
    'database.mysql.secretRef is required when database.type is mysql',
  ],
  'database.mysql must not be set': async () => [
    await refusal(
      instance(sqlite({ database: { type: 'sqlite', mysql: { secretRef: { name: 'db' } } } })),
    ),
    'database.mysql must not be set when database.type is sqlite',
  ],
  'database.sqlite must not be set': async () => [
    await refusal(
      instance(
        mysql({ database: { type: 'mysql', mysql: { secretRef: { name: 'db' } }, sqlite: {} } }),
      ),
    ),
    'database.sqlite must not be set when database.type is mysql',
  ],
  'lifecycle.seed is limited': async () => [
    await refusal(
      instance(
        mysql({
          lifecycle: {
            seed: { enabled: true, users: 100000, padsPerUser: 100, notesPerPad: 1000 },
          },
        }),
      ),
    ),
    'lifecycle.seed is limited to 10,000,000 notes',
  ],
  'resources.requests.cpu must be less than or equal': async () => [
    await refusal(instance(mysql({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }))),
    'resources.requests.cpu must be less than or equal to resources.limits.cpu',
  ],
  'resources.requests.memory must be less than or equal': async () => [
    await refusal(
      instance(mysql({ resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } })),
    ),
    'resources.requests.memory must be less than or equal to resources.limits.memory',
  ],
  'a sqlite instance runs exactly one replica': async () => [
    await refusal(instance(sqlite({ replicas: 2 }))),
    'a sqlite instance runs exactly one replica',
  ],
  'autoscaling needs database.type mysql': async () => [
    await refusal(instance(sqlite({ autoscaling: { enabled: true } }))),
    'autoscaling needs database.type mysql',
  ],
  'lifecycle.onDeploy wipe deletes all data': async () => [
    await refusal(instance(mysql({ environment: 'production', lifecycle: { onDeploy: 'wipe' } }))),
    'lifecycle.onDeploy wipe deletes all data on every deployment and is refused for environment production',
  ],
  'lifecycle.seed needs database.type mysql': async () => [
    await refusal(instance(sqlite({ lifecycle: { seed: { enabled: true } } }))),
    'lifecycle.seed needs database.type mysql',
  ],
  'lifecycle.seed loads generated data': async () => [
    await refusal(
      instance(mysql({ environment: 'production', lifecycle: { seed: { enabled: true } } })),
    ),
    'lifecycle.seed loads generated data and is refused for environment production',
  ],
  'autoscaling needs resources.requests.cpu': async () => [
    await refusal(
      instance(
        mysql({ autoscaling: { enabled: true }, resources: { requests: { memory: '256Mi' } } }),
      ),
    ),
    'autoscaling needs resources.requests.cpu',
  ],
  'availability.minAvailable must be lower': async () => [
    await refusal(instance(mysql({ replicas: 2, availability: { minAvailable: 2 } }))),
    'availability.minAvailable must be lower than the smallest replica count',
  ],
  'lifecycle.backup needs database.type mysql': async () => [
    await refusal(instance(sqlite({ lifecycle: { backup: { enabled: true } } }))),
    'lifecycle.backup needs database.type mysql',
  ],
  'lifecycle.backup.size can only grow': async () => {
    const large = mysql({ lifecycle: { backup: { size: '20Gi' } } });
    // Removed, it would fall back to the smaller default: refused as well.
    const removed = await refusedUpdate(large, mysql({ lifecycle: { backup: {} } }));
    expect(removed).toContain('lifecycle.backup.size can only grow');
    return [
      await refusedUpdate(large, mysql({ lifecycle: { backup: { size: '10Gi' } } })),
      'lifecycle.backup.size can only grow: a PersistentVolumeClaim cannot shrink',
    ];
  },
  'lifecycle.backup.storageClassName cannot change or be removed once set': async () => {
    const fast = mysql({ lifecycle: { backup: { storageClassName: 'fast' } } });
    const changed = await refusedUpdate(
      fast,
      mysql({ lifecycle: { backup: { storageClassName: 'slow' } } }),
    );
    const removed = await refusedUpdate(fast, mysql({ lifecycle: { backup: {} } }));
    expect(removed).toContain('lifecycle.backup.storageClassName cannot change or be removed');
    // Set for the first time (before backups are taken): accepted.
    const name = `update-${++counter}`;
    await admin.apply(types.instance, instance(mysql(), name), { fieldManager, force: true });
    await admin.apply(types.instance, instance(fast, name), { fieldManager, force: true });
    return [changed, 'lifecycle.backup.storageClassName cannot change or be removed once set'];
  },
  'replicas cannot change while autoscaling is enabled': async () => [
    await refusedUpdate(autoscaled(), autoscaled({ replicas: 3 })),
    'replicas cannot change while autoscaling is enabled',
  ],
  'metadata.name must be at most 40 characters': async () => [
    await refusal(instance(mysql(), `n${'x'.repeat(40)}`)),
    'metadata.name must be at most 40 characters',
  ],
};

/** Every message / messageExpression of x-kubernetes-validations in the committed CRD. */
function crdRuleMessages(): string[] {
  const crd = parseManifests(
    readFileSync(`${repoRoot}crds/notejam.io_notejaminstances.yaml`, 'utf8'),
  )[0];
  const messages = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'x-kubernetes-validations') {
        for (const rule of value as Array<{ message?: string; messageExpression?: string }>) {
          messages.add(rule.message ?? rule.messageExpression ?? '');
        }
      } else {
        visit(value);
      }
    }
  };
  visit(crd);
  return [...messages];
}

beforeAll(async () => {
  const plane = await sharedControlPlane();
  admin = adminClient(plane);
  customObjects = plane.admin().makeApiClient(CustomObjectsApi);
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
}, 180_000);

afterAll(async () => {
  await admin?.close();
});

describe('NotejamInstance validation by the API server', () => {
  it('has a refusal case for every CEL rule of the CRD', () => {
    const uncovered = crdRuleMessages().filter(
      (message) => !Object.keys(cases).some((key) => message.startsWith(key)),
    );
    expect(uncovered).toEqual([]);
  });

  it.each(Object.keys(cases))(
    'refuses an instance breaking "%s" with its message',
    async (rule) => {
      const [message, expected] = await cases[rule]();
      expect(message).toContain(expected);
    },
  );

  it('keeps database.sqlite.storageClassName as created: not changed, removed or set later', async () => {
    const withClass = (storageClassName?: string, size = '1Gi') =>
      sqlite({
        database: {
          type: 'sqlite',
          sqlite: { size, ...(storageClassName ? { storageClassName } : {}) },
        },
      });
    const immutable = 'database.sqlite.storageClassName is immutable';
    expect(await refusedUpdate(withClass('fast'), withClass('slow'))).toContain(immutable);
    expect(await refusedUpdate(withClass('fast'), withClass())).toContain(immutable);
    expect(await refusedUpdate(withClass(), withClass('fast'))).toContain(immutable);
    expect(await refusedUpdate(sqlite(), withClass('fast'))).toContain(immutable);
    // Other changes of the block stay possible.
    const name = `update-${++counter}`;
    await admin.apply(types.instance, instance(withClass('fast'), name), {
      fieldManager,
      force: true,
    });
    await admin.apply(types.instance, instance(withClass('fast', '2Gi'), name), {
      fieldManager,
      force: true,
    });
  });

  it('accepts the samples', async () => {
    for (const environment of ['dev', 'test', 'prod']) {
      const objects = kustomize(`samples/${environment}`);
      const sample = objects.find((object) => object.kind === 'NotejamInstance');
      // The namespace comes from the bootstrap, not from the sample.
      await ensureNamespace(admin, sample?.metadata?.namespace ?? '');
      await applyAll(admin, objects);
      const stored = await admin.get(
        types.instance,
        sample?.metadata?.namespace,
        sample?.metadata?.name ?? '',
      );
      expect(stored.metadata?.uid).toBeTruthy();
    }
  });

  it('fills the defaults in, so the operator never writes spec', async () => {
    await admin.apply(types.instance, instance(sqlite(), 'defaults'), {
      fieldManager,
      force: true,
    });
    const stored = await admin.get<KubernetesObject & { spec: Record<string, unknown> }>(
      types.instance,
      namespace,
      'defaults',
    );
    expect(stored.spec).toMatchObject({
      replicas: 1,
      autoscaling: { enabled: false },
      lifecycle: { onDeploy: 'migrate' },
      monitoring: { serviceMonitor: false },
    });
  });
});

describe('fields checked by their schema', () => {
  it.each([
    [
      'a negative retry count',
      mysql({ lifecycle: { maxRetries: -1 } }),
      'spec.lifecycle.maxRetries in body should be greater than or equal to 0',
    ],
    [
      'a retention of no backup',
      mysql({ lifecycle: { backup: { retention: 0 } } }),
      'spec.lifecycle.backup.retention in body should be greater than or equal to 1',
    ],
    [
      'a backup volume of no size',
      mysql({ lifecycle: { backup: { size: 'big' } } }),
      'must be a non-negative Kubernetes quantity',
    ],
    [
      'paused that is not a boolean',
      mysql({ paused: 'yes' }),
      'spec.paused in body must be of type boolean',
    ],
  ])('refuses %s with a message naming the field', async (what, spec, expected) => {
    const by = what.includes('not a boolean') ? 'create' : 'apply';
    expect(await refusal(instance(spec), by)).toContain(expected);
  });

  it('leaves lifecycle.backup.enabled unset (the operator turns it on for production MySQL) and defaults the rest', async () => {
    await admin.apply(types.instance, instance(mysql(), 'backup-defaults'), {
      fieldManager,
      force: true,
    });
    const stored = await admin.get<KubernetesObject & { spec: Record<string, unknown> }>(
      types.instance,
      namespace,
      'backup-defaults',
    );
    expect(stored.spec).toMatchObject({
      paused: false,
      lifecycle: { maxRetries: 5, backup: { size: '10Gi', retention: 7 } },
    });
    expect((stored.spec.lifecycle as { backup: object }).backup).not.toHaveProperty('enabled');
  });
});

describe('the scale subresource', () => {
  const scaleOf = (name: string) =>
    customObjects.getNamespacedCustomObjectScale({
      group: types.instance.group,
      version: types.instance.version,
      namespace,
      plural: types.instance.plural,
      name,
    }) as Promise<V1Scale>;

  /** What `kubectl scale nj/<name> --replicas=N` does: a write of the Scale object. */
  async function scale(name: string, replicas: number): Promise<V1Scale> {
    const current = await scaleOf(name);
    return (await customObjects.replaceNamespacedCustomObjectScale({
      group: types.instance.group,
      version: types.instance.version,
      namespace,
      plural: types.instance.plural,
      name,
      body: { ...current, spec: { replicas } },
    })) as V1Scale;
  }

  async function scaleRefusal(name: string, replicas: number): Promise<string> {
    try {
      await scale(name, replicas);
    } catch (err) {
      const body = (err as { code?: number; body?: string }).body ?? '';
      expect((err as { code?: number }).code).toBe(422);
      return (JSON.parse(body) as { message: string }).message;
    }
    throw new Error(`scaling ${name} to ${replicas} was accepted`);
  }

  async function create(name: string, spec: Spec): Promise<void> {
    await admin.apply(types.instance, instance(spec, name), { fieldManager, force: true });
  }

  it('sets spec.replicas of an instance without autoscaling', async () => {
    await create('scaled', mysql({ replicas: 2 }));
    expect((await scale('scaled', 4)).spec?.replicas).toBe(4);
    const stored = await admin.get<KubernetesObject & { spec: { replicas: number } }>(
      types.instance,
      namespace,
      'scaled',
    );
    expect(stored.spec.replicas).toBe(4);
  });

  it('is refused beyond one replica for sqlite, with the rule’s message', async () => {
    await create('scaled-sqlite', sqlite());
    expect(await scaleRefusal('scaled-sqlite', 2)).toContain(
      'a sqlite instance runs exactly one replica',
    );
  });

  it('is refused while autoscaling is enabled, naming what to change instead', async () => {
    await create('scaled-auto', autoscaled());
    expect(await scaleRefusal('scaled-auto', 5)).toContain(
      'replicas cannot change while autoscaling is enabled',
    );
  });
});
