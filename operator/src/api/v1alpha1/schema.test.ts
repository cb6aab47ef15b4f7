import { applyDefaults, type OpenAPISchema } from '../structural-schema.js';
import { customResourceDefinition, printerColumns } from './crd.js';
import { withDefaults } from './defaults.js';
import {
  defaults,
  imageReferencePattern,
  instanceSchema,
  specSchema,
  statusSchema,
} from './schema.js';

interface Node {
  path: string;
  schema: OpenAPISchema;
}

/** Every schema node under `schema`, with its path. */
function nodes(schema: OpenAPISchema, path: string): Node[] {
  const result: Node[] = [{ path, schema }];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    result.push(...nodes(property, `${path}.${name}`));
  }
  if (schema.items) result.push(...nodes(schema.items, `${path}[]`));
  if (schema.additionalProperties) result.push(...nodes(schema.additionalProperties, `${path}{}`));
  return result;
}

const specNodes = nodes(specSchema.openAPI, 'spec');
const statusNodes = nodes(statusSchema.openAPI, 'status');
const allNodes = [...specNodes, ...statusNodes];
const fieldNodes = allNodes.filter((n) => !n.path.endsWith('{}'));

/** The node a `.a.b` path leads to from `schema`, if any. */
function resolve(schema: OpenAPISchema, path: string[]): OpenAPISchema | undefined {
  let node: OpenAPISchema | undefined = schema;
  for (const segment of path) node = node?.properties?.[segment];
  return node;
}

describe('NotejamInstance structural schema', () => {
  it.each(fieldNodes.map((n) => [n.path, n.schema] as const))(
    '%s has a description',
    (_path, schema) => {
      expect(schema.description?.trim().length).toBeGreaterThan(10);
    },
  );

  it.each(allNodes.map((n) => [n.path, n.schema] as const))('%s has a type', (_path, schema) => {
    expect(schema.type !== undefined || schema['x-kubernetes-int-or-string'] === true).toBe(true);
  });

  it('uses nothing a structural schema forbids', () => {
    const forbidden = ['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'nullable', 'additionalItems'];
    for (const { path, schema } of allNodes) {
      for (const key of forbidden) expect([path, key in schema]).toEqual([path, false]);
    }
  });

  it('bounds every string, list and map (the API server budgets CEL costs from the bounds)', () => {
    for (const { path, schema } of allNodes) {
      if (
        (schema.type === 'string' && !schema.enum && !schema.format) ||
        schema['x-kubernetes-int-or-string']
      ) {
        expect([path, schema.maxLength]).toEqual([path, expect.any(Number)]);
      }
      if (schema.type === 'array')
        expect([path, schema.maxItems]).toEqual([path, expect.any(Number)]);
      if (schema.additionalProperties)
        expect([path, schema.maxProperties]).toEqual([path, expect.any(Number)]);
      if (schema.type === 'integer') {
        expect([path, schema.minimum, schema.maximum]).toEqual([
          path,
          expect.any(Number),
          expect.any(Number),
        ]);
      }
    }
  });

  it('gives objects their properties and lists their item type', () => {
    for (const { path, schema } of allNodes) {
      if (schema.type === 'object') {
        expect([path, !!(schema.properties ?? schema.additionalProperties)]).toEqual([path, true]);
      }
      if (schema.type === 'array') expect([path, !!schema.items]).toEqual([path, true]);
      for (const name of schema.required ?? []) {
        expect([path, name, !!schema.properties?.[name]]).toEqual([path, name, true]);
        expect([path, name, schema.properties?.[name]?.default]).toEqual([path, name, undefined]);
      }
      for (const key of schema['x-kubernetes-list-map-keys'] ?? []) {
        expect([path, schema.items?.required?.includes(key)]).toEqual([path, true]);
      }
    }
  });

  it('has defaults that its own constraints accept', () => {
    for (const { path, schema } of allNodes) {
      const value = schema.default;
      if (value === undefined) continue;
      if (schema.enum) expect([path, schema.enum.includes(value)]).toEqual([path, true]);
      if (schema.type === 'integer') {
        expect([path, Number.isInteger(value)]).toEqual([path, true]);
        expect(value as number).toBeGreaterThanOrEqual(schema.minimum!);
        expect(value as number).toBeLessThanOrEqual(schema.maximum!);
      }
      if (schema.pattern) expect(value as string).toMatch(new RegExp(schema.pattern));
      if (schema.type === 'object') expect([path, typeof value]).toEqual([path, 'object']);
    }
  });

  it('spells out object defaults in full (the API server runs CEL rules on a default before nested defaulting)', () => {
    for (const { path, schema } of allNodes) {
      if (schema.type !== 'object' || schema.default === undefined) continue;
      expect([path, applyDefaults(schema, schema.default)]).toEqual([path, schema.default]);
    }
  });

  it('keeps the conditions in metav1.Condition shape, keyed by type', () => {
    const conditions = statusSchema.openAPI.properties!.conditions!;
    expect(conditions['x-kubernetes-list-type']).toBe('map');
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(Object.keys(conditions.items!.properties!)).toEqual([
      'type',
      'status',
      'observedGeneration',
      'lastTransitionTime',
      'reason',
      'message',
    ]);
    expect(conditions.items!.required).toEqual([
      'type',
      'status',
      'lastTransitionTime',
      'reason',
      'message',
    ]);
  });
});

describe('CEL validation rules', () => {
  const withRules = nodes(instanceSchema, '').filter((n) => n.schema['x-kubernetes-validations']);
  const rules = withRules.flatMap(({ path, schema }) =>
    schema['x-kubernetes-validations']!.map((rule) => ({ path, schema, rule })),
  );
  const celFunctions = new Set(['matches', 'size', 'sign', 'compareTo']);

  it('covers every cross-field invariant of the API', () => {
    const messages = rules.map(({ rule }) => rule.message ?? rule.messageExpression);
    for (const expected of [
      /sqlite instance runs exactly one replica/,
      /autoscaling needs database.type mysql/,
      /wipe .* refused for environment production/,
      /database.mysql.secretRef is required/,
      /database.mysql must not be set/,
      /database.sqlite must not be set/,
      /autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas/,
      /seed needs database.type mysql/,
      /seed .* refused for environment production/,
      /image must be a valid image reference/,
      /minAvailable must be lower than the smallest replica count/,
      /autoscaling needs resources.requests.cpu/,
      /database.type is immutable/,
      /database.sqlite.storageClassName is immutable/,
      /metadata.name must be at most 40 characters/,
      /lifecycle.backup needs database.type mysql/,
      /lifecycle.backup.size can only grow/,
      /replicas cannot change while autoscaling is enabled/,
    ]) {
      expect(messages).toContainEqual(expect.stringMatching(expected));
    }
  });

  it.each(rules.map((r) => [r.path || '(root)', r.rule.rule, r] as const))(
    'on %s, %s: has a message and names fields that exist',
    (_path, _rule, { schema, rule }) => {
      expect(rule.message ?? rule.messageExpression).toBeTruthy();
      const chains = [...rule.rule.matchAll(/(?:self|oldSelf)((?:\.[A-Za-z]\w*)+)/g)].map(
        ([, c]) => c!,
      );
      if (rule.fieldPath) chains.push(rule.fieldPath);
      for (const chain of chains) {
        const fields = chain
          .slice(1)
          .split('.')
          .filter((s) => !celFunctions.has(s));
        // The schema does not describe `metadata`; rules may read only its name.
        if (fields[0] === 'metadata') expect(fields).toEqual(['metadata', 'name']);
        else expect([chain, resolve(schema, fields) !== undefined]).toEqual([chain, true]);
      }
    },
  );
});

describe('image references', () => {
  const pattern = new RegExp(imageReferencePattern);
  it.each([
    'ghcr.io/notejam/notejam:v0.1',
    'ghcr.io/notejam/notejam:v0.1-test',
    'notejam:dev',
    'localhost:5000/notejam/notejam:dev',
    `ghcr.io/notejam/notejam@sha256:${'a'.repeat(64)}`,
    `ghcr.io/notejam/notejam:v0.1@sha256:${'0'.repeat(64)}`,
    'registry.example.com/team/sub_group/app-name:1.2.3_build.4',
  ])('accepts %s', (image) => expect(image).toMatch(pattern));

  it.each([
    'ghcr.io/notejam/notejam',
    'Notejam:dev',
    'ghcr.io/notejam/notejam:',
    'ghcr.io/notejam/notejam:-dev',
    'ghcr.io/notejam/notejam@sha256:abc',
    'ghcr.io//notejam:dev',
    'ghcr.io/notejam/notejam:dev tag',
    ' ghcr.io/notejam/notejam:dev',
  ])('refuses %j', (image) => expect(image).not.toMatch(pattern));
});

describe('defaults', () => {
  it('turn the smallest manifest into a complete development-safe spec', () => {
    expect(withDefaults({ image: 'ghcr.io/notejam/notejam:v0.1' })).toEqual({
      image: 'ghcr.io/notejam/notejam:v0.1',
      environment: 'production',
      logLevel: 'info',
      paused: false,
      replicas: 1,
      autoscaling: {
        enabled: false,
        minReplicas: 2,
        maxReplicas: 8,
        targetCPUUtilizationPercentage: 70,
      },
      database: { type: 'sqlite' },
      lifecycle: {
        onDeploy: 'migrate',
        // enabled stays unset: on for production with MySQL, off otherwise (the operator decides).
        backup: { size: defaults.backupSize, retention: 7 },
        seed: { enabled: false, users: 100, padsPerUser: 5, notesPerPad: 20, randomSeed: 1 },
        maxRetries: 5,
      },
      resources: { requests: defaults.resourceRequests, limits: defaults.resourceLimits },
      availability: {
        spreadAcrossZones: false,
        spreadAcrossNodes: true,
        nodeFailureTolerationSeconds: 30,
      },
      monitoring: { serviceMonitor: false, interval: '30s' },
    });
  });

  it('fill nested fields of a block the manifest sets partly, and keep what it sets', () => {
    const spec = withDefaults({
      image: 'ghcr.io/notejam/notejam:v0.1',
      autoscaling: { enabled: true, maxReplicas: 12 },
      database: { type: 'sqlite', sqlite: {} },
      resources: { requests: { cpu: 1 } },
    });
    expect(spec.autoscaling).toEqual({
      enabled: true,
      minReplicas: 2,
      maxReplicas: 12,
      targetCPUUtilizationPercentage: 70,
    });
    expect(spec.database.sqlite).toEqual({ size: defaults.sqliteSize });
    expect(spec.resources.requests).toEqual({ cpu: 1 });
  });

  it('never add an optional block (mysql, sqlite, ingress, minAvailable)', () => {
    const spec = withDefaults({
      image: 'ghcr.io/notejam/notejam:v0.1',
      database: { type: 'mysql' },
    });
    expect(spec.database).toEqual({ type: 'mysql' });
    expect(spec.ingress).toBeUndefined();
    expect(spec.availability.minAvailable).toBeUndefined();
  });
});

describe('the CustomResourceDefinition', () => {
  const crd = customResourceDefinition();
  const [version] = crd.spec.versions;

  it('names the resource as the contract says', () => {
    expect(crd.metadata.name).toBe('notejaminstances.notejam.io');
    expect(crd.spec.group).toBe('notejam.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({
      kind: 'NotejamInstance',
      plural: 'notejaminstances',
      shortNames: ['nj'],
    });
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: {
        status: {},
        scale: {
          specReplicasPath: '.spec.replicas',
          statusReplicasPath: '.status.replicas',
          labelSelectorPath: '.status.selector',
        },
      },
    });
    const { scale } = version!.subresources;
    for (const path of [
      scale.specReplicasPath,
      scale.statusReplicasPath,
      scale.labelSelectorPath,
    ]) {
      const [root, ...rest] = path.slice(1).split('.');
      expect([path, resolve(instanceSchema.properties![root!]!, rest)?.type]).toEqual([
        path,
        path === scale.labelSelectorPath ? 'string' : 'integer',
      ]);
    }
  });

  it('shows image, database, phase, paused, ready and age, and paths that exist', () => {
    expect(printerColumns.filter((c) => !c.priority).map((c) => c.name)).toEqual([
      'Image',
      'Database',
      'Phase',
      'Paused',
      'Ready',
      'Age',
    ]);
    for (const column of printerColumns) {
      const [root, ...path] = column.jsonPath.slice(1).split('.');
      if (root === 'metadata') continue;
      expect([column.jsonPath, resolve(instanceSchema.properties![root!]!, path)]).toEqual([
        column.jsonPath,
        expect.objectContaining({ type: column.type === 'date' ? 'string' : column.type }),
      ]);
    }
  });
});
