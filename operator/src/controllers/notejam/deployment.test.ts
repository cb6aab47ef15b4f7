import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { mysqlInstance, notejamInstance, testImage } from '../../../test/fixtures/instances.js';
import { databaseSecretAnnotation, databaseSecretHash } from './database-secret.js';
import { deployment, maintenanceAnnotation } from './deployment.js';
import { revisionAnnotation } from './revision.js';

const context = { image: testImage, serviceMonitorAvailable: false };

function appContainer(instance = mysqlInstance()): V1Container {
  return deployment(instance, context).spec!.template.spec!.containers[0]!;
}

function envOf(container: V1Container): Record<string, V1EnvVar> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
}

describe('deployment', () => {
  it('runs the app image the context names (the deployed one, not necessarily spec.image)', () => {
    const running = 'ghcr.io/notejam/notejam@sha256:' + 'b'.repeat(64);
    const built = deployment(mysqlInstance({ image: 'ghcr.io/notejam/notejam:v0.2' }), {
      ...context,
      image: running,
    });
    expect(built.spec!.template.spec!.containers[0]!.image).toBe(running);
  });

  it('serves pages on port 3000 named http, probes and metrics on 9464 named management', () => {
    const app = appContainer();
    expect(app.args).toEqual(['serve']);
    expect(app.ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'management', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(envOf(app).PORT).toEqual({ name: 'PORT', value: '3000' });
    expect(envOf(app).MANAGEMENT_PORT).toEqual({ name: 'MANAGEMENT_PORT', value: '9464' });
    expect(app.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'management' });
    expect(app.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'management' });
    expect(app.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'management' });
    // The startup probe gives a slow start two minutes before liveness may kill it.
    expect(app.startupProbe!.periodSeconds! * app.startupProbe!.failureThreshold!).toBe(120);
  });

  it('runs non-root on a read-only root file system with no capabilities and the runtime seccomp profile', () => {
    const pod = deployment(mysqlInstance(), context).spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(appContainer().securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('notejam');
    expect(appContainer().volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
  });

  it('keeps serving until endpoints drop the pod, then gives the app longer to drain than it takes', () => {
    const pod = deployment(mysqlInstance(), context).spec!.template.spec!;
    const env = envOf(pod.containers[0]!);
    const preStopSleep = pod.containers[0]!.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStopSleep).toBeGreaterThanOrEqual(5);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
      preStopSleep + Number(env.SHUTDOWN_GRACE_SECONDS!.value),
    );
  });

  it('takes resources from the spec, with the schema defaults otherwise', () => {
    expect(appContainer().resources).toEqual({
      requests: { cpu: '100m', memory: '192Mi' },
      limits: { memory: '512Mi' },
    });
    const custom = mysqlInstance({
      resources: { requests: { cpu: 1, memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
    });
    expect(appContainer(custom).resources).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: { cpu: '2', memory: '2Gi' },
    });
  });

  it('passes the MySQL settings by reference to the Secret, never in clear', () => {
    const env = envOf(appContainer());
    expect(env.DB_TYPE).toEqual({ name: 'DB_TYPE', value: 'mysql' });
    const fromSecret = (key: string) => ({ secretKeyRef: { name: 'notejam-db', key } });
    expect(env.DB_HOST!.valueFrom).toEqual(fromSecret('host'));
    expect(env.DB_PORT!.valueFrom).toEqual(fromSecret('port'));
    expect(env.DB_NAME!.valueFrom).toEqual(fromSecret('database'));
    expect(env.DB_USER!.valueFrom).toEqual(fromSecret('username'));
    expect(env.DB_PASSWORD!.valueFrom).toEqual(fromSecret('password'));
    // TLS settings when the Secret has them (Terraform writes them for Cloud SQL).
    const optional = (key: string) => ({
      secretKeyRef: { name: 'notejam-db', key, optional: true },
    });
    expect(env.DB_TLS!.valueFrom).toEqual(optional('tls'));
    expect(env.DB_TLS_CA!.valueFrom).toEqual(optional('ca'));
    expect(env.SESSION_SECRET!.valueFrom).toEqual({
      secretKeyRef: { name: 'notejam-session', key: 'session-secret' },
    });
    for (const variable of [
      'DB_HOST',
      'DB_PORT',
      'DB_NAME',
      'DB_USER',
      'DB_PASSWORD',
      'SESSION_SECRET',
    ]) {
      expect(env[variable]!.value).toBeUndefined();
    }
    expect(env.DB_PATH).toBeUndefined();
  });

  it('rolls out with maxUnavailable 0 and maxSurge 1 for MySQL', () => {
    expect(deployment(mysqlInstance(), context).spec!.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  it('sets replicas from the spec, and leaves them to the HPA when autoscaling', () => {
    expect(deployment(mysqlInstance({ replicas: 3 }), context).spec!.replicas).toBe(3);
    const autoscaled = deployment(
      mysqlInstance({ replicas: 3, autoscaling: { enabled: true } }),
      context,
    );
    expect(autoscaled.spec).not.toHaveProperty('replicas');
  });

  it('spreads MySQL pods over zones and nodes when asked, counting only the same rollout', () => {
    const spread = deployment(mysqlInstance({ availability: { spreadAcrossZones: true } }), context)
      .spec!.template.spec!.topologySpreadConstraints!;
    expect(spread.map((c) => c.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
    for (const constraint of spread) {
      expect(constraint).toMatchObject({
        maxSkew: 1,
        whenUnsatisfiable: 'ScheduleAnyway',
        matchLabelKeys: ['pod-template-hash'],
        labelSelector: {
          matchLabels: {
            'app.kubernetes.io/name': 'notejam',
            'app.kubernetes.io/instance': 'notejam',
            'app.kubernetes.io/component': 'web',
          },
        },
      });
    }
    const nodesOnly = deployment(mysqlInstance(), context).spec!.template.spec!
      .topologySpreadConstraints!;
    expect(nodesOnly.map((c) => c.topologyKey)).toEqual(['kubernetes.io/hostname']);
    const none = deployment(mysqlInstance({ availability: { spreadAcrossNodes: false } }), context);
    expect(none.spec!.template.spec!.topologySpreadConstraints).toBeUndefined();
  });

  it('lets its pods go from a lost node after availability.nodeFailureTolerationSeconds', () => {
    const tolerations = (instance = mysqlInstance()) =>
      deployment(instance, context).spec!.template.spec!.tolerations;
    expect(tolerations()).toEqual([
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
    ]);
    const patient = mysqlInstance({ availability: { nodeFailureTolerationSeconds: 300 } });
    expect(tolerations(patient)?.map((t) => t.tolerationSeconds)).toEqual([300, 300]);
  });

  it('selects its pods with labels that are also on the template', () => {
    const built = deployment(mysqlInstance(), context);
    expect(built.spec!.template.metadata!.labels).toMatchObject(built.spec!.selector.matchLabels!);
  });

  it('annotates the pod template with the revision it runs, when one is known', () => {
    const built = deployment(mysqlInstance(), { ...context, revision: '0123456789' });
    expect(built.spec!.template.metadata!.annotations).toEqual({
      [revisionAnnotation]: '0123456789',
    });
    // A Deployment of an operator version before revisions keeps running without one.
    expect(
      deployment(mysqlInstance(), context).spec!.template.metadata!.annotations,
    ).toBeUndefined();
  });

  it('carries the database Secret’s hash in the template, outside the revision', () => {
    const instance = mysqlInstance();
    const running = { ...context, revision: '0123456789' };
    const before = deployment(instance, { ...running, databaseSecretHash: 'aaaa' });
    const after = deployment(instance, { ...running, databaseSecretHash: 'bbbb' });
    expect(before.spec!.template.metadata!.annotations).toEqual({
      [revisionAnnotation]: '0123456789',
      [databaseSecretAnnotation]: 'aaaa',
    });
    // A new password changes the pods (a rollout), never the revision (no database step).
    expect(after.spec!.template).not.toEqual(before.spec!.template);
    expect(after.spec!.template.metadata!.annotations![revisionAnnotation]).toBe(
      before.spec!.template.metadata!.annotations![revisionAnnotation],
    );
  });

  it('hashes only the Secret values the app reads', () => {
    const secret = (data: Record<string, string>) => ({ data });
    const base = {
      host: 'aA==',
      port: 'MzMwNg==',
      database: 'ZA==',
      username: 'dQ==',
      password: 'cDE=',
    };
    expect(databaseSecretHash(secret(base))).toBe(
      databaseSecretHash(secret({ ...base, note: 'eA==' })),
    );
    expect(databaseSecretHash(secret(base))).not.toBe(
      databaseSecretHash(secret({ ...base, password: 'cDI=' })),
    );
    expect(databaseSecretHash(undefined)).toBe('missing');
  });

  it('in maintenance, runs the same pods with the maintenance page instead of the app', () => {
    const instance = mysqlInstance({ environment: 'development', lifecycle: { onDeploy: 'wipe' } });
    const running = { ...context, revision: '0123456789' };
    const serving = deployment(instance, running).spec!.template;
    const maintenance = deployment(instance, { ...running, maintenance: true }).spec!.template;
    expect(maintenance.spec!.containers[0]!.args).toEqual(['maintenance']);
    expect(maintenance.metadata!.annotations).toMatchObject({
      [maintenanceAnnotation]: 'true',
      [revisionAnnotation]: serving.metadata!.annotations![revisionAnnotation],
    });
    const { args: _served, ...servingRest } = serving.spec!.containers[0]!;
    const { args: _maintained, ...maintenanceRest } = maintenance.spec!.containers[0]!;
    expect(maintenanceRest).toEqual(servingRest); // image, env, probes, drain: all the same
    expect(maintenance.spec!.initContainers).toBeUndefined();
  });

  it('pulls with the pull secrets and policy of the spec', () => {
    const pod = deployment(
      mysqlInstance({ imagePullSecrets: [{ name: 'registry' }], imagePullPolicy: 'Always' }),
      context,
    ).spec!.template.spec!;
    expect(pod.imagePullSecrets).toEqual([{ name: 'registry' }]);
    expect(pod.containers[0]!.imagePullPolicy).toBe('Always');
    const defaults = deployment(mysqlInstance(), context).spec!.template.spec!;
    expect(defaults.imagePullSecrets).toBeUndefined();
    expect(defaults.containers[0]).not.toHaveProperty('imagePullPolicy');
  });

  it('trusts the ingress proxy and knows its public URL only when there is an ingress', () => {
    expect(envOf(appContainer()).TRUST_PROXY).toBeUndefined();
    const exposed = mysqlInstance({
      ingress: { host: 'notejam.example.com', tlsSecretName: 'notejam-tls' },
    });
    const env = envOf(appContainer(exposed));
    expect(env.TRUST_PROXY!.value).toBe('1');
    expect(env.PUBLIC_URL!.value).toBe('https://notejam.example.com');
  });
});

describe('deployment of a sqlite instance', () => {
  const sqlite = notejamInstance({ environment: 'development' });

  it('runs exactly one pod and recreates it (two pods must never share the database file)', () => {
    const built = deployment(notejamInstance({ replicas: 1 }), context);
    expect(built.spec!.replicas).toBe(1);
    expect(built.spec!.strategy).toEqual({ type: 'Recreate' });
    expect(built.spec!.template.spec!.topologySpreadConstraints).toBeUndefined();
  });

  it('keeps the database on the data claim, mounted at /var/lib/notejam', () => {
    const pod = deployment(sqlite, context).spec!.template.spec!;
    expect(pod.volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'notejam-data' },
    });
    expect(pod.containers[0]!.volumeMounts).toContainEqual({
      name: 'data',
      mountPath: '/var/lib/notejam',
    });
    const env = envOf(pod.containers[0]!);
    expect(env.DB_TYPE!.value).toBe('sqlite');
    expect(env.DB_PATH!.value).toBe('/var/lib/notejam/notejam.sqlite');
    expect(env.DB_HOST).toBeUndefined();
  });

  it('starts every pod from an empty database when onDeploy is wipe', () => {
    const wiped = notejamInstance({ environment: 'development', lifecycle: { onDeploy: 'wipe' } });
    const pod = deployment(wiped, context).spec!.template.spec!;
    expect(pod.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '1Gi' } });
  });

  it('migrates the schema in an init container on the same volume, with the same image and settings', () => {
    const pod = deployment(sqlite, context).spec!.template.spec!;
    const [migrate] = pod.initContainers!;
    expect(migrate).toMatchObject({
      name: 'migrate',
      image: testImage,
      args: ['migrate'],
      env: pod.containers[0]!.env,
      volumeMounts: pod.containers[0]!.volumeMounts,
      securityContext: pod.containers[0]!.securityContext,
    });
    expect(
      deployment(mysqlInstance(), context).spec!.template.spec!.initContainers,
    ).toBeUndefined();
  });
});
