import { describe, expect, it } from '@jest/globals';
import type { V1Deployment, V1Job, V1ManagedFieldsEntry, V1Secret } from '@kubernetes/client-node';
import { trimInstance, trimOwned, trimPullSecret, trimSecretMetadata } from './cache-transforms.js';
import { notejamInstance } from '../../../test/fixtures/instances.js';

const entry = (manager: string, operation: string, subresource?: string): V1ManagedFieldsEntry => ({
  manager,
  operation,
  apiVersion: 'v1',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:spec': {} },
  ...(subresource ? { subresource } : {}),
});

const foreignAndOurs = () => [
  entry('kube-controller-manager', 'Update', 'status'),
  entry('notejam-operator', 'Apply'),
  entry('notejam-operator', 'Apply', 'status'),
  entry('kubectl', 'Update'),
];

describe('cache transforms', () => {
  const trim = trimOwned('notejam-operator');

  it('keep only our own Apply entry of managedFields on owned objects, none on instances', () => {
    const deployment: V1Deployment = {
      kind: 'Deployment',
      metadata: {
        name: 'n',
        managedFields: foreignAndOurs(),
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', kept: 'yes' },
      },
    };
    expect(trim(deployment).metadata).toEqual({
      name: 'n',
      managedFields: [entry('notejam-operator', 'Apply')],
      annotations: { kept: 'yes' },
    });
    const instance = notejamInstance();
    instance.metadata.managedFields = foreignAndOurs();
    expect(trimInstance(instance).metadata.managedFields).toBeUndefined();
    expect(trimInstance(instance).spec).toEqual(notejamInstance().spec);
  });

  it('reduce pod templates to names, images and database variables, keeping their metadata, replicas and status', () => {
    const deployment: V1Deployment = {
      kind: 'Deployment',
      metadata: { name: 'n' },
      spec: {
        replicas: 3,
        selector: {},
        template: {
          metadata: { annotations: { 'notejam.io/revision': 'abc' } },
          spec: {
            initContainers: [{ name: 'migrate', image: 'i@sha256:1', args: ['migrate'] }],
            containers: [
              {
                name: 'app',
                image: 'i@sha256:1',
                env: [
                  { name: 'X', value: 'y' },
                  { name: 'DB_TYPE', value: 'mysql' },
                ],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
      status: { readyReplicas: 2 },
    };
    expect(trim(deployment)).toEqual({
      kind: 'Deployment',
      metadata: { name: 'n' },
      spec: {
        replicas: 3,
        selector: {},
        template: {
          metadata: { annotations: { 'notejam.io/revision': 'abc' } },
          spec: {
            initContainers: [{ name: 'migrate', image: 'i@sha256:1' }],
            containers: [
              { name: 'app', image: 'i@sha256:1', env: [{ name: 'DB_TYPE', value: 'mysql' }] },
            ],
          },
        },
      },
      status: { readyReplicas: 2 },
    });
    const job: V1Job = {
      kind: 'Job',
      metadata: { name: 'j', labels: { a: 'b' } },
      spec: {
        template: { spec: { containers: [{ name: 'migrate', image: 'i', command: ['x'] }] } },
      },
      status: { conditions: [{ type: 'Complete', status: 'True' }] },
    };
    expect(trim(job).spec?.template.spec?.containers).toEqual([{ name: 'migrate', image: 'i' }]);
    expect(trim(job).status).toEqual({ conditions: [{ type: 'Complete', status: 'True' }] });
  });

  it('drop the data of our Secrets (only their existence is read)', () => {
    const secret: V1Secret = { kind: 'Secret', metadata: { name: 's' }, data: { key: 'c2VjcmV0' } };
    expect(trim(secret)).toEqual({ kind: 'Secret', metadata: { name: 's' } });
  });

  it('keep of a pull Secret its identity, type and credential keys only', () => {
    const secret: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'pull',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '7',
        labels: { a: 'b' },
        managedFields: foreignAndOurs(),
      },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': 'e30=', other: 'eA==' },
    };
    expect(trimPullSecret(secret)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pull', namespace: 'ns', uid: 'u', resourceVersion: '7' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': 'e30=' },
    });
  });

  it('keep of any Secret metadata its identity and resourceVersion only', () => {
    const secret = {
      apiVersion: 'meta.k8s.io/v1',
      kind: 'PartialObjectMetadata',
      metadata: {
        name: 'db',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '9',
        labels: { a: 'b' },
        annotations: { note: 'x' },
        managedFields: foreignAndOurs(),
      },
    };
    expect(trimSecretMetadata(secret)).toEqual({
      apiVersion: 'meta.k8s.io/v1',
      kind: 'PartialObjectMetadata',
      metadata: { name: 'db', namespace: 'ns', uid: 'u', resourceVersion: '9' },
    });
  });
});
