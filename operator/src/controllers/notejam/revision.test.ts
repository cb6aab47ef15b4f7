import type { V1Deployment } from '@kubernetes/client-node';
import { mysqlInstance, notejamInstance, testImage } from '../../../test/fixtures/instances.js';
import { stableHash } from '../../runtime/canonical-json.js';
import { deployment } from './deployment.js';
import { podTemplate } from './pod-template.js';
import { deployedRevision, revision } from './revision.js';

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

  it('changes with the database the steps run against', () => {
    const other = mysqlInstance({
      database: { type: 'mysql', mysql: { secretRef: { name: 'other-db' } } },
    });
    expect(revision(other, testImage)).not.toBe(baseRevision);
    expect(revision(notejamInstance(), testImage)).not.toBe(baseRevision);
  });

  it.each([
    ['the log level', { logLevel: 'debug' as const }],
    ['resources', { resources: { requests: { cpu: '200m' }, limits: { memory: '1Gi' } } }],
    ['the zone spread', { availability: { spreadAcrossZones: true } }],
    ['the pull secrets', { imagePullSecrets: [{ name: 'registry' }] }],
    ['the pull policy', { imagePullPolicy: 'Always' as const }],
    ['an ingress (proxy settings in the env)', { ingress: { host: 'notes.example.com' } }],
    ['the replica count', { replicas: 5 }],
    ['autoscaling', { autoscaling: { enabled: true, maxReplicas: 20 } }],
    ['monitoring', { monitoring: { serviceMonitor: true } }],
    ['seeding', { environment: 'test' as const, lifecycle: { seed: { enabled: true, users: 7 } } }],
  ])('does not change with %s: the pods roll, no database step runs', (_, change) => {
    expect(revision(mysqlInstance(change), testImage)).toBe(baseRevision);
  });
});

describe('deployedRevision', () => {
  const instance = mysqlInstance();
  const target = { image: testImage, revision: revision(instance, testImage) };
  const live = (image: string, annotation?: string, spec = instance): V1Deployment =>
    deployment(spec, {
      image,
      serviceMonitorAvailable: false,
      ...(annotation ? { revision: annotation } : {}),
    });

  it('is what the Deployment says it runs, not what status says', () => {
    expect(deployedRevision(instance, live(testImage, 'aaaaaaaaaa'), undefined)).toEqual({
      image: testImage,
      revision: 'aaaaaaaaaa',
    });
    expect(deployedRevision(instance, live(testImage, target.revision), target)).toEqual(target);
    expect(deployedRevision(instance, undefined, target)).toBeUndefined();
  });

  it('is what the status recorded when the Deployment is gone (deleted by hand)', () => {
    const recorded = mysqlInstance();
    recorded.status = { deployedImage: testImage, revision: 'aaaaaaaaaa' };
    expect(deployedRevision(recorded, undefined, target)).toEqual({
      image: testImage,
      revision: 'aaaaaaaaaa',
    });
  });

  it('puts back the target’s image when someone changed it by hand', () => {
    const changed = live(testImage, target.revision);
    changed.spec!.template.spec!.containers[0]!.image = 'ghcr.io/notejam/notejam:hotfix';
    expect(deployedRevision(instance, changed, target)).toEqual(target);
  });

  it('takes a Deployment of an older operator (whole-template hash) that runs the target image on the same database as the target', () => {
    const legacyHash = stableHash(podTemplate(instance, testImage), 10);
    expect(deployedRevision(instance, live(testImage, legacyHash), target)).toEqual(target);
  });

  it('does not take it when the image or the database differ', () => {
    const otherImage = 'ghcr.io/notejam/notejam:v0.0';
    expect(deployedRevision(instance, live(otherImage, 'aaaaaaaaaa'), target)).toEqual({
      image: otherImage,
      revision: 'aaaaaaaaaa',
    });
    const elsewhere = mysqlInstance({
      database: { type: 'mysql', mysql: { secretRef: { name: 'old-db' } } },
    });
    const running = live(testImage, 'aaaaaaaaaa', elsewhere);
    expect(deployedRevision(instance, running, target)?.revision).toBe('aaaaaaaaaa');
  });

  it('has no revision for a Deployment written before revisions existed', () => {
    expect(deployedRevision(instance, live('ghcr.io/notejam/notejam:v0.1'), target)).toEqual({
      image: testImage,
    });
  });
});
