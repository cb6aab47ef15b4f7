// The environment samples match the brief's table and the API's schema. The API server's
// CEL rules are applied to them by the control-plane tests (they need a real server).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { withDefaults } from '../../src/api/v1alpha1/defaults.js';
import { imageReferencePattern, instanceSchema } from '../../src/api/v1alpha1/schema.js';
import type { NotejamInstanceSpec } from '../../src/api/v1alpha1/types.js';
import { structuralErrors } from '../fixtures/structural-validation.js';

const samples = fileURLToPath(new URL('../../../samples/', import.meta.url));

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

function manifests(environment: string): Manifest[] {
  return readdirSync(join(samples, environment))
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(samples, environment, file), 'utf8')).map(
        (d) => d.toJSON() as Manifest,
      ),
    );
}

function instanceOf(environment: string): Manifest & { spec: NotejamInstanceSpec } {
  const instance = manifests(environment).find((m) => m.kind === 'NotejamInstance')!;
  return { ...instance, spec: withDefaults(instance.spec as never) };
}

const environments = ['dev', 'test', 'prod'] as const;

describe.each(environments)('samples/%s', (environment) => {
  const namespace = `notejam-${environment}`;

  it('holds only a NotejamInstance in its namespace, listed by its kustomization: no Namespace, no Secret', () => {
    // The namespace belongs to the bootstrap (config/argocd/bootstrap): an environment's
    // Application that owned it would delete it, and its database Secret, with itself.
    const objects = manifests(environment);
    expect(objects.map((o) => o.kind)).toEqual(['NotejamInstance']);
    expect(instanceOf(environment).metadata.namespace).toBe(namespace);
    const kustomization = parse(
      readFileSync(join(samples, environment, 'kustomization.yaml'), 'utf8'),
    );
    expect(kustomization.resources).toEqual(['notejaminstance.yaml']);
  });

  it('is a NotejamInstance the schema accepts, field by field', () => {
    const raw = manifests(environment).find((m) => m.kind === 'NotejamInstance')!;
    expect(raw.apiVersion).toBe('notejam.io/v1alpha1');
    expect(structuralErrors(instanceSchema, raw)).toEqual([]);
    expect(raw.spec!.image).toMatch(new RegExp(imageReferencePattern));
  });
});

describe('the three environments', () => {
  it('dev: sqlite, tag dev, wiped on every deployment, a development environment', () => {
    const { spec } = instanceOf('dev');
    expect(spec).toMatchObject({
      image: 'ghcr.io/notejam/notejam:dev',
      environment: 'development',
      replicas: 1,
      database: { type: 'sqlite' },
      lifecycle: { onDeploy: 'wipe', seed: { enabled: false } },
      autoscaling: { enabled: false },
    });
  });

  it('test: mysql from notejam-db, tag v0.1-test, migrated and seeded with production-sized data', () => {
    const { spec } = instanceOf('test');
    expect(spec).toMatchObject({
      image: 'ghcr.io/notejam/notejam:v0.1-test',
      environment: 'test',
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      lifecycle: { onDeploy: 'migrate', seed: { enabled: true } },
    });
    const { users, padsPerUser, notesPerPad } = spec.lifecycle.seed;
    expect(users * padsPerUser * notesPerPad).toBeGreaterThanOrEqual(100_000);
  });

  it('prod: mysql from notejam-db, tag v0.1, migrated after a backup it turns on explicitly, autoscaled with 4x headroom over zones, guarded and monitored', () => {
    const { spec } = instanceOf('prod');
    expect(spec).toMatchObject({
      image: 'ghcr.io/notejam/notejam:v0.1',
      environment: 'production',
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      lifecycle: { onDeploy: 'migrate', backup: { enabled: true }, seed: { enabled: false } },
      autoscaling: { enabled: true },
      availability: { spreadAcrossZones: true },
      monitoring: { serviceMonitor: true },
    });
    expect(spec.autoscaling.maxReplicas).toBeGreaterThanOrEqual(4 * spec.autoscaling.minReplicas);
    expect(spec.autoscaling.minReplicas).toBeGreaterThanOrEqual(3);
    expect(spec.availability.minAvailable).toBeLessThan(spec.autoscaling.minReplicas);
  });

  it('use one image repository', () => {
    const repositories = environments.map((e) => instanceOf(e).spec.image.replace(/:[^:/]+$/, ''));
    expect(new Set(repositories)).toEqual(new Set(['ghcr.io/notejam/notejam']));
  });
});

describe('structuralErrors', () => {
  it('finds typos, wrong types, bad enums and out-of-range values', () => {
    expect(
      structuralErrors(instanceSchema, {
        apiVersion: 'notejam.io/v1alpha1',
        kind: 'NotejamInstance',
        metadata: { name: 'x' },
        spec: {
          image: 'a:1',
          replica: 2,
          replicas: 0,
          environment: 'staging',
          database: { type: 'mysql', mysql: {} },
        },
      }),
    ).toEqual([
      '.spec.replica: is not a field of the schema',
      '.spec.replicas: must be >= 1',
      '.spec.environment: must be one of development, test, production',
      '.spec.database.mysql.secretRef: is required',
    ]);
  });
});
