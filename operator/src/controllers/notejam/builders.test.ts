import { mysqlInstance, notejamInstance } from '../../../test/fixtures/instances.js';
import { horizontalPodAutoscaler } from './hpa.js';
import { ingress } from './ingress.js';
import { podDisruptionBudget } from './pdb.js';
import { persistentVolumeClaim } from './persistent-volume-claim.js';
import { service } from './service.js';
import { serviceAccount } from './service-account.js';
import { serviceMonitor } from './service-monitor.js';

const selector = {
  'app.kubernetes.io/name': 'notejam',
  'app.kubernetes.io/instance': 'notejam',
  'app.kubernetes.io/component': 'web',
};

describe('serviceAccount', () => {
  it('mounts no token', () => {
    expect(serviceAccount(mysqlInstance())).toMatchObject({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'notejam', namespace: 'notejam-test' },
      automountServiceAccountToken: false,
    });
  });
});

describe('service', () => {
  it('is a ClusterIP service sending its http port to the pods’ http port', () => {
    expect(service(mysqlInstance())).toMatchObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'notejam', namespace: 'notejam-test' },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
          { name: 'management', port: 9464, targetPort: 'management', protocol: 'TCP' },
        ],
      },
    });
  });
});

describe('horizontalPodAutoscaler', () => {
  it('scales the Deployment on CPU utilization between the spec’s bounds', () => {
    const instance = mysqlInstance({
      autoscaling: {
        enabled: true,
        minReplicas: 3,
        maxReplicas: 12,
        targetCPUUtilizationPercentage: 60,
      },
    });
    expect(horizontalPodAutoscaler(instance)).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: expect.objectContaining({ name: 'notejam', namespace: 'notejam-test' }),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'notejam' },
        minReplicas: 3,
        maxReplicas: 12,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
          },
        ],
      },
    });
  });

  it('is absent unless autoscaling is enabled, and never for sqlite', () => {
    expect(horizontalPodAutoscaler(mysqlInstance())).toBeUndefined();
    expect(
      horizontalPodAutoscaler(notejamInstance({ autoscaling: { enabled: true } })),
    ).toBeUndefined();
  });
});

describe('podDisruptionBudget', () => {
  it('keeps minAvailable pods when the spec asks', () => {
    const instance = mysqlInstance({ replicas: 3, availability: { minAvailable: 2 } });
    expect(podDisruptionBudget(instance)).toMatchObject({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'notejam', namespace: 'notejam-test' },
      spec: {
        selector: { matchLabels: selector },
        minAvailable: 2,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
    expect(podDisruptionBudget(instance)!.spec).not.toHaveProperty('maxUnavailable');
  });

  it('allows one pod down at a time by default when there are two or more', () => {
    expect(podDisruptionBudget(mysqlInstance({ replicas: 2 }))!.spec).toMatchObject({
      maxUnavailable: 1,
    });
    const autoscaled = mysqlInstance({
      replicas: 1,
      autoscaling: { enabled: true, minReplicas: 2 },
    });
    expect(podDisruptionBudget(autoscaled)!.spec).toMatchObject({ maxUnavailable: 1 });
  });

  it('never guards a single replica (it would only block node drains)', () => {
    expect(podDisruptionBudget(mysqlInstance({ replicas: 1 }))).toBeUndefined();
    expect(podDisruptionBudget(notejamInstance())).toBeUndefined();
    const autoscaledFromOne = mysqlInstance({
      replicas: 3,
      autoscaling: { enabled: true, minReplicas: 1 },
    });
    expect(podDisruptionBudget(autoscaledFromOne)).toBeUndefined();
  });
});

describe('ingress', () => {
  it('routes the host to the service, with TLS, class and annotations when given', () => {
    const instance = mysqlInstance({
      ingress: {
        host: 'notejam.example.com',
        className: 'nginx',
        tlsSecretName: 'notejam-tls',
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      },
    });
    expect(ingress(instance)).toMatchObject({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'notejam',
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: 'notejam.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'notejam', port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
        tls: [{ hosts: ['notejam.example.com'], secretName: 'notejam-tls' }],
      },
    });
  });

  it('leaves out what is not set, and is absent without spec.ingress', () => {
    const plain = ingress(mysqlInstance({ ingress: { host: 'notejam.example.com' } }))!;
    expect(plain.spec).not.toHaveProperty('tls');
    expect(plain.spec).not.toHaveProperty('ingressClassName');
    expect(plain.metadata).not.toHaveProperty('annotations');
    expect(ingress(mysqlInstance())).toBeUndefined();
  });
});

describe('serviceMonitor', () => {
  const monitored = mysqlInstance({
    monitoring: {
      serviceMonitor: true,
      serviceMonitorLabels: { release: 'kube-prometheus-stack' },
    },
  });

  it('scrapes /metrics on the management port of the service (not the one the Ingress routes to), with the extra labels', () => {
    expect(
      serviceMonitor(monitored, { image: 'unused:1', serviceMonitorAvailable: true }),
    ).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: {
        name: 'notejam',
        namespace: 'notejam-test',
        labels: {
          release: 'kube-prometheus-stack',
          'app.kubernetes.io/managed-by': 'notejam-operator',
        },
      },
      spec: {
        selector: { matchLabels: selector },
        endpoints: [{ port: 'management', path: '/metrics', interval: '30s', scheme: 'http' }],
      },
    });
  });

  it('cannot override the operator’s own labels', () => {
    const sneaky = mysqlInstance({
      monitoring: {
        serviceMonitor: true,
        serviceMonitorLabels: { 'app.kubernetes.io/managed-by': 'me' },
      },
    });
    const built = serviceMonitor(sneaky, { image: 'unused:1', serviceMonitorAvailable: true })!;
    expect(built.metadata.labels['app.kubernetes.io/managed-by']).toBe('notejam-operator');
  });

  it('is absent when the CRD is missing or the spec does not ask', () => {
    expect(
      serviceMonitor(monitored, { image: 'unused:1', serviceMonitorAvailable: false }),
    ).toBeUndefined();
    expect(
      serviceMonitor(mysqlInstance(), { image: 'unused:1', serviceMonitorAvailable: true }),
    ).toBeUndefined();
  });
});

describe('persistentVolumeClaim', () => {
  it('holds a migrating sqlite instance’s data, sized and classed from the spec', () => {
    const instance = notejamInstance({
      database: { type: 'sqlite', sqlite: { size: '5Gi', storageClassName: 'fast' } },
    });
    expect(persistentVolumeClaim(instance)).toMatchObject({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'notejam-data',
        namespace: 'notejam-test',
        labels: { 'app.kubernetes.io/component': 'data' },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'fast',
        resources: { requests: { storage: '5Gi' } },
      },
    });
    const defaulted = persistentVolumeClaim(notejamInstance())!;
    expect(defaulted.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    });
  });

  it('is absent for MySQL and for wiped instances (their pods start empty)', () => {
    expect(persistentVolumeClaim(mysqlInstance())).toBeUndefined();
    const wiped = notejamInstance({ environment: 'development', lifecycle: { onDeploy: 'wipe' } });
    expect(persistentVolumeClaim(wiped)).toBeUndefined();
  });
});
