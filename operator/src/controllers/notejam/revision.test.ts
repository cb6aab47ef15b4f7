import { mysqlInstance, notejamInstance, testImage } from '../../../test/fixtures/instances.js';
import { revision } from './revision.js';

describe('revision', () => {
  const base = mysqlInstance();
  const baseRevision = revision(base, testImage);

  it('is a short hex hash, stable across calls', () => {
    expect(baseRevision).toMatch(/^[0-9a-f]{10}$/);
    expect(revision(mysqlInstance(), testImage)).toBe(baseRevision);
  });

  it('changes with the image the pods run', () => {
    expect(revision(base, 'ghcr.io/notejam/notejam@sha256:' + 'c'.repeat(64))).not.toBe(
      baseRevision,
    );
  });

  it.each([
    ['resources', { resources: { requests: { cpu: '200m' } } }],
    [
      'the database secret',
      { database: { type: 'mysql' as const, mysql: { secretRef: { name: 'other-db' } } } },
    ],
    ['the zone spread', { availability: { spreadAcrossZones: true } }],
    ['the log level', { logLevel: 'debug' as const }],
    ['the pull secrets', { imagePullSecrets: [{ name: 'registry' }] }],
  ])('changes with %s (they shape the pods)', (_, change) => {
    expect(revision(mysqlInstance(change), testImage)).not.toBe(baseRevision);
  });

  it.each([
    ['the replica count', { replicas: 5 }],
    ['autoscaling', { autoscaling: { enabled: true, maxReplicas: 20 } }],
    ['the disruption budget', { replicas: 3, availability: { minAvailable: 2 } }],
    ['monitoring', { monitoring: { serviceMonitor: true } }],
    ['seeding', { environment: 'test' as const, lifecycle: { seed: { enabled: true, users: 7 } } }],
  ])('does not change with %s (the pods stay the same)', (_, change) => {
    expect(revision(mysqlInstance(change), testImage)).toBe(baseRevision);
  });

  it('tells a wiped sqlite instance from a migrated one', () => {
    const migrated = notejamInstance({ environment: 'development' });
    const wiped = notejamInstance({ environment: 'development', lifecycle: { onDeploy: 'wipe' } });
    expect(revision(wiped, testImage)).not.toBe(revision(migrated, testImage));
  });
});
