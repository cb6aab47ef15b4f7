// The app pod: what every revision of an instance runs. Kept apart from deployment.ts
// because the revision hash (revision.ts) is computed from it.
import type {
  V1Container,
  V1EnvVar,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Probe,
  V1ResourceRequirements,
  V1SecurityContext,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { defaults } from '../../api/v1alpha1/schema.js';
import type { NotejamInstance, NotejamInstanceSpec } from '../../api/v1alpha1/types.js';
import { childNames, labels, selectorLabels } from './labels.js';
import { isSingleReplica } from './replicas.js';
import { sessionSecretKey } from './session-secret.js';

export const appContainerName = 'notejam';
export const httpPortName = 'http';
export const appPort = 3000;
/**
 * The app's probes and /metrics (its MANAGEMENT_PORT): the kubelet and Prometheus reach
 * them here; the Ingress routes only to `http`, so they are not public.
 */
export const managementPortName = 'management';
export const managementPort = 9464;
/** The app image's numeric user and group (non-root). */
export const appUserId = 1000;
/** Where the app may write its SQLite database (the rest of the root file system is read-only). */
export const dataDirectory = '/var/lib/notejam';
export const sqliteFile = `${dataDirectory}/notejam.sqlite`;
/** Keys the referenced MySQL Secret must have, by the app variable each one fills. */
export const mysqlSecretKeys = {
  DB_HOST: 'host',
  DB_PORT: 'port',
  DB_NAME: 'database',
  DB_USER: 'username',
  DB_PASSWORD: 'password',
} as const;
/**
 * Keys the MySQL Secret may have: TLS to the server (`tls`: off, require or
 * verify-identity; `ca`: the server's CA certificate as PEM). Terraform writes both for
 * Cloud SQL, which accepts TLS only; a Secret without them keeps plain connections.
 */
export const optionalMysqlSecretKeys = {
  DB_TLS: 'tls',
  DB_TLS_CA: 'ca',
} as const;
/**
 * How long a terminating pod keeps serving before it gets SIGTERM (a preStop sleep): the
 * Service's endpoints drop it at once, but every kube-proxy (and ingress) applies that a
 * little later, and until then new connections still arrive. Stopping to accept at once
 * refused them during rolling updates on a real cluster (test/e2e/rolling-update.e2e.ts).
 */
export const endpointDrainSeconds = 5;
/**
 * Then the app drains in-flight requests for up to this long after SIGTERM; the kubelet
 * waits a little longer than both before SIGKILL.
 */
export const shutdownGraceSeconds = 20;
export const terminationGracePeriodSeconds = endpointDrainSeconds + shutdownGraceSeconds + 10;

/** The taints the node controller puts on a node it lost contact with. */
export const nodeFailureTaints = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];

const dataVolume = 'data';
const tmpVolume = 'tmp';

function environment(instance: NotejamInstance): V1EnvVar[] {
  const { spec } = instance;
  const env: V1EnvVar[] = [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'PORT', value: String(appPort) },
    { name: 'MANAGEMENT_PORT', value: String(managementPort) },
    { name: 'LOG_LEVEL', value: spec.logLevel },
    { name: 'SHUTDOWN_GRACE_SECONDS', value: String(shutdownGraceSeconds) },
    { name: 'DB_TYPE', value: spec.database.type },
  ];
  if (spec.database.type === 'sqlite') {
    env.push({ name: 'DB_PATH', value: sqliteFile });
  } else if (spec.database.mysql) {
    const secret = spec.database.mysql.secretRef.name;
    for (const [name, key] of Object.entries(mysqlSecretKeys)) {
      env.push({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
    }
    for (const [name, key] of Object.entries(optionalMysqlSecretKeys)) {
      env.push({ name, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } });
    }
  }
  env.push({
    name: 'SESSION_SECRET',
    valueFrom: {
      secretKeyRef: { name: childNames.sessionSecret(instance), key: sessionSecretKey },
    },
  });
  if (spec.ingress) {
    // Client addresses (rate limiting) and the scheme (Secure cookies) come from the ingress controller.
    env.push({ name: 'TRUST_PROXY', value: '1' });
    const scheme = spec.ingress.tlsSecretName ? 'https' : 'http';
    env.push({ name: 'PUBLIC_URL', value: `${scheme}://${spec.ingress.host}` });
  }
  return env;
}

function resources(spec: NotejamInstanceSpec): V1ResourceRequirements {
  const asStrings = (list: { cpu?: string | number; memory?: string | number }) =>
    Object.fromEntries(
      Object.entries(list)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => [name, String(value)]),
    );
  const result: V1ResourceRequirements = {};
  const requests = asStrings(spec.resources.requests ?? {});
  const limits = asStrings(spec.resources.limits ?? {});
  if (Object.keys(requests).length) result.requests = requests;
  if (Object.keys(limits).length) result.limits = limits;
  return result;
}

const containerSecurityContext: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

function httpProbe(path: string, periodSeconds: number, failureThreshold: number): V1Probe {
  return {
    httpGet: { path, port: managementPortName },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 3,
  };
}

/**
 * Spread over zones and nodes, preferred rather than required: with `DoNotSchedule`, the
 * nodes of a failed zone still count as a domain holding no pods, so the replacements the
 * outage calls for would stay Pending. Only the pods of the same rollout are counted.
 */
function topologySpread(instance: NotejamInstance): V1TopologySpreadConstraint[] {
  const { availability } = instance.spec;
  const constraint = (topologyKey: string): V1TopologySpreadConstraint => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: selectorLabels(instance) },
    matchLabelKeys: ['pod-template-hash'],
  });
  const constraints: V1TopologySpreadConstraint[] = [];
  if (availability.spreadAcrossZones) constraints.push(constraint('topology.kubernetes.io/zone'));
  if (availability.spreadAcrossNodes) constraints.push(constraint('kubernetes.io/hostname'));
  return constraints;
}

function dataVolumeSource(instance: NotejamInstance): V1Volume {
  const size = String(instance.spec.database.sqlite?.size ?? defaults.sqliteSize);
  // `wipe` means every new pod starts from an empty database: the pod's own emptyDir.
  if (instance.spec.lifecycle.onDeploy === 'wipe')
    return { name: dataVolume, emptyDir: { sizeLimit: size } };
  return { name: dataVolume, persistentVolumeClaim: { claimName: childNames.data(instance) } };
}

/** The pod template without the revision annotation (the revision is a hash of it). */
export function podTemplate(instance: NotejamInstance, image: string): V1PodTemplateSpec {
  const { spec } = instance;
  const sqlite = spec.database.type === 'sqlite';
  const mounts: V1VolumeMount[] = [{ name: tmpVolume, mountPath: '/tmp' }];
  const volumes: V1Volume[] = [{ name: tmpVolume, emptyDir: { sizeLimit: '64Mi' } }];
  if (sqlite) {
    mounts.push({ name: dataVolume, mountPath: dataDirectory });
    volumes.push(dataVolumeSource(instance));
  }
  const env = environment(instance);
  const container = (name: string, args: string[]): V1Container => ({
    name,
    image,
    ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
    args,
    env,
    resources: resources(spec),
    securityContext: containerSecurityContext,
    volumeMounts: mounts,
  });
  const app: V1Container = {
    ...container(appContainerName, ['serve']),
    ports: [
      { name: httpPortName, containerPort: appPort, protocol: 'TCP' },
      { name: managementPortName, containerPort: managementPort, protocol: 'TCP' },
    ],
    startupProbe: httpProbe('/healthz', 2, 60),
    livenessProbe: httpProbe('/healthz', 10, 3),
    readinessProbe: httpProbe('/readyz', 5, 2),
    lifecycle: { preStop: { sleep: { seconds: endpointDrainSeconds } } },
  };
  const podSpec: V1PodSpec = {
    serviceAccountName: childNames.app(instance),
    automountServiceAccountToken: false,
    // The app reads only its own variables; Service links would add noise (and NOTEJAM_PORT).
    enableServiceLinks: false,
    terminationGracePeriodSeconds,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: appUserId,
      runAsGroup: appUserId,
      fsGroup: appUserId,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [app],
    volumes,
  };
  // SQLite's schema is created or migrated by the pod itself, on its own volume, before the
  // app starts (MySQL migrations run as Jobs before the Deployment moves to a new image).
  if (sqlite) podSpec.initContainers = [container('migrate', ['migrate'])];
  if (spec.imagePullSecrets?.length) {
    podSpec.imagePullSecrets = spec.imagePullSecrets.map(({ name }) => ({ name }));
  }
  // Replaced elsewhere soon after their node is lost, not after Kubernetes' 300 s default.
  podSpec.tolerations = nodeFailureTaints.map((key) => ({
    key,
    operator: 'Exists',
    effect: 'NoExecute',
    tolerationSeconds: spec.availability.nodeFailureTolerationSeconds,
  }));
  // Independent of the replica count, so scaling never changes the pod template (and revision).
  if (!isSingleReplica(spec)) {
    const spread = topologySpread(instance);
    if (spread.length) podSpec.topologySpreadConstraints = spread;
  }
  return { metadata: { labels: { ...labels(instance, 'web') } }, spec: podSpec };
}
