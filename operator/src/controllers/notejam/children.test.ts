import { mysqlInstance, notejamInstance, testImage } from '../../../test/fixtures/instances.js';
import { desiredChildren, ownedKinds } from './children.js';
import { fieldManager } from './labels.js';
import { randomSessionSecret, sessionSecret } from './session-secret.js';

const context = { image: testImage, serviceMonitorAvailable: true };
const everything = mysqlInstance({
  autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 12 },
  availability: { minAvailable: 2, spreadAcrossZones: true },
  ingress: { host: 'notejam.example.com' },
  monitoring: { serviceMonitor: true },
});

describe('desiredChildren', () => {
  it('builds every object a full-featured instance owns, identities and storage before the pods', () => {
    expect(desiredChildren(everything, context).map((c) => c.kind)).toEqual([
      'ServiceAccount',
      'PersistentVolumeClaim', // the backups: on by default for production on mysql
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Ingress',
      'ServiceMonitor',
    ]);
  });

  it('builds the minimum for a plain sqlite instance, with its data claim first', () => {
    expect(desiredChildren(notejamInstance(), context).map((c) => c.kind)).toEqual([
      'ServiceAccount',
      'PersistentVolumeClaim',
      'Deployment',
      'Service',
    ]);
  });

  it.each([
    ['full-featured', everything],
    ['sqlite', notejamInstance()],
  ])(
    'makes the %s instance the controlling owner of each object, in its namespace, with its labels',
    (_, instance) => {
      for (const child of [
        ...desiredChildren(instance, context),
        sessionSecret(instance, randomSessionSecret()),
      ]) {
        expect(child.metadata.namespace).toBe(instance.metadata.namespace);
        expect(child.metadata.ownerReferences).toEqual([
          {
            apiVersion: 'notejam.io/v1alpha1',
            kind: 'NotejamInstance',
            name: instance.metadata.name,
            uid: instance.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ]);
        expect(child.metadata.labels).toMatchObject({
          'app.kubernetes.io/name': 'notejam',
          'app.kubernetes.io/instance': instance.metadata.name,
          'app.kubernetes.io/managed-by': fieldManager,
          'app.kubernetes.io/component': expect.any(String),
        });
      }
    },
  );

  it('declares the kind of everything it builds among the owned kinds', () => {
    const owned = ownedKinds.map((k) => `${k.apiVersion}/${k.kind}`);
    const built = [
      ...desiredChildren(everything, context),
      ...desiredChildren(notejamInstance(), context),
    ];
    for (const child of [...built, sessionSecret(everything, randomSessionSecret())]) {
      expect(owned).toContain(`${child.apiVersion}/${child.kind}`);
    }
  });

  it('is pure: the same input gives equal objects and the input is left untouched', () => {
    const before = structuredClone(everything);
    expect(desiredChildren(everything, context)).toEqual(desiredChildren(everything, context));
    expect(everything).toEqual(before);
  });

  it('never puts a secret value into any object', () => {
    const text = JSON.stringify(desiredChildren(everything, context));
    expect(text).not.toMatch(/password"?:\s*"[^"]/i);
    expect(text).not.toContain('"DB_PASSWORD","value"');
    for (const child of desiredChildren(everything, context)) expect(child.kind).not.toBe('Secret');
  });
});
