// The NotejamInstance API, defined once: the CRD's structural schema, the TypeScript types
// (types.ts infers them from these values), the defaults and docs/api.md all come from here.
// Defaults live in the schema so the API server fills them in and the operator never writes
// to spec (Argo CD owns it). CEL rules refuse inconsistent instances at admission, with a
// message naming the fields, instead of letting the operator half-deploy them.
import {
  array,
  boolean,
  enumeration,
  integer,
  object,
  quantity,
  required,
  string,
  stringMap,
  type OpenAPISchema,
  type ValidationRule,
} from '../structural-schema.js';

// Without backslashes so they read the same in CEL string literals and in YAML.
const dnsLabel = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dnsSubdomain = `^${dnsLabel}([.]${dnsLabel})*$`;
const domainComponent = '[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?';
const pathComponent = '[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*';
const imageTag = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const imageDigest = '[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
/** An image reference (registry/repository) with a tag, a digest or both: never an implicit `latest`. */
export const imageReferencePattern =
  `^(${domainComponent}([.]${domainComponent})*(:[0-9]+)?/)?${pathComponent}(/${pathComponent})*` +
  `(:${imageTag}(@${imageDigest})?|@${imageDigest})$`;

/**
 * Values used both as schema defaults and by the builders for blocks that are optional
 * (a default on `database.sqlite` itself would put a sqlite block into mysql instances).
 */
export const defaults = {
  sqliteSize: '1Gi',
  backupSize: '10Gi',
  resourceRequests: { cpu: '100m', memory: '192Mi' },
  resourceLimits: { memory: '512Mi' },
  serviceMonitorInterval: '30s',
} as const;

const localObjectReference = (description: string) =>
  object(
    {
      name: required(
        string({
          description: 'Name of the object, in the instance’s namespace.',
          maxLength: 253,
          pattern: dnsSubdomain,
        }),
      ),
    },
    { description },
  );

const autoscaling = object(
  {
    enabled: boolean({
      description:
        'Create a HorizontalPodAutoscaler (autoscaling/v2) and leave the Deployment’s replica count to it; `replicas` is then ignored. Requires `database.type: mysql`.',
      default: false,
    }),
    minReplicas: integer({
      description: 'Lowest replica count the autoscaler may scale down to.',
      default: 2,
      minimum: 1,
      maximum: 100,
    }),
    maxReplicas: integer({
      description:
        'Highest replica count the autoscaler may scale up to. The default gives 4x headroom over the default minimum, the peak-to-typical traffic ratio the service must absorb.',
      default: 8,
      minimum: 1,
      maximum: 100,
    }),
    targetCPUUtilizationPercentage: integer({
      description:
        'Average CPU utilization, as a percentage of the CPU request, the autoscaler aims for.',
      default: 70,
      minimum: 10,
      maximum: 100,
    }),
  },
  {
    description: 'Horizontal autoscaling on CPU utilization.',
    default: {},
    validations: [
      {
        rule: 'self.minReplicas <= self.maxReplicas',
        // A static message: a messageExpression printing the numbers costs more than the
        // API server's CEL budget allows.
        message: 'autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas',
        fieldPath: '.minReplicas',
        reason: 'FieldValueInvalid',
      },
    ],
  },
);

const database = object(
  {
    type: enumeration(['sqlite', 'mysql'], {
      description:
        'Database engine. `sqlite` keeps the data in a volume of the single pod (development); `mysql` uses an external MySQL/MariaDB server and allows several replicas. Immutable: the operator does not move data between engines.',
      default: 'sqlite',
      validations: [
        {
          rule: 'self == oldSelf',
          message:
            'database.type is immutable: create a new instance to move to another database engine',
        },
      ],
    }),
    mysql: object(
      {
        secretRef: required(
          localObjectReference(
            'Secret with the connection settings under the keys `host`, `port`, `database`, `username` and `password`, and optionally `tls` (`require` or `verify-identity`) and `ca` (the server CA, PEM) for TLS. Passed to the pods as environment variables by reference, never copied.',
          ),
        ),
      },
      {
        description:
          'MySQL/MariaDB connection, required when `type` is `mysql` and forbidden otherwise.',
      },
    ),
    sqlite: object(
      {
        size: quantity({
          description: `Size of the PersistentVolumeClaim holding the SQLite file (or the size limit of the emptyDir used when \`lifecycle.onDeploy\` is \`wipe\`). Can only grow. Default ${defaults.sqliteSize}.`,
          default: defaults.sqliteSize,
          validations: [
            {
              rule: 'quantity(string(self)).compareTo(quantity(string(oldSelf))) >= 0',
              message: 'database.sqlite.size can only grow: a PersistentVolumeClaim cannot shrink',
            },
          ],
        }),
        storageClassName: string({
          description:
            'StorageClass of the data volume; the cluster default when unset. Immutable, like the claim’s own field: it can be neither set, changed nor removed once the instance exists.',
          maxLength: 253,
          pattern: dnsSubdomain,
        }),
      },
      {
        description:
          'SQLite storage settings; only allowed when `type` is `sqlite` (optional then).',
      },
    ),
  },
  {
    description: 'Where the notes are stored.',
    default: {},
    validations: [
      {
        rule: "self.type != 'mysql' || has(self.mysql)",
        message: 'database.mysql.secretRef is required when database.type is mysql',
        fieldPath: '.mysql',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.type != 'sqlite' || !has(self.mysql)",
        message: 'database.mysql must not be set when database.type is sqlite',
        fieldPath: '.mysql',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.type != 'mysql' || !has(self.sqlite)",
        message: 'database.sqlite must not be set when database.type is mysql',
        fieldPath: '.sqlite',
        reason: 'FieldValueForbidden',
      },
      {
        // On `database`, which always exists, rather than on the field: a rule on the field
        // compares with oldSelf only when both exist, so "unset -> set" would pass.
        rule:
          '(has(self.sqlite) && has(self.sqlite.storageClassName)) == (has(oldSelf.sqlite) && has(oldSelf.sqlite.storageClassName)) && ' +
          '(!has(self.sqlite) || !has(self.sqlite.storageClassName) || self.sqlite.storageClassName == oldSelf.sqlite.storageClassName)',
        message:
          'database.sqlite.storageClassName is immutable: the data volume keeps the class it was created with, so it can be neither set, changed nor removed',
        fieldPath: '.sqlite.storageClassName',
        reason: 'FieldValueForbidden',
      },
    ],
  },
);

const seed = object(
  {
    enabled: boolean({
      description:
        'Load a generated data set after the migrations of a new revision, once per seed specification: changing the sizes below loads it again, re-running never duplicates it. Requires `database.type: mysql` and an environment other than `production`.',
      default: false,
    }),
    users: integer({
      description: 'Number of users to create.',
      default: 100,
      minimum: 1,
      maximum: 100000,
    }),
    padsPerUser: integer({
      description: 'Number of pads per user.',
      default: 5,
      minimum: 0,
      maximum: 100,
    }),
    notesPerPad: integer({
      description: 'Number of notes per pad.',
      default: 20,
      minimum: 0,
      maximum: 1000,
    }),
    randomSeed: integer({
      description:
        'Seed of the pseudo-random generator: the same sizes and seed always give the same data set.',
      default: 1,
      minimum: 0,
      maximum: 1000000,
    }),
  },
  {
    description: 'Test data seeding (for a test environment that must look like production).',
    default: {},
    validations: [
      {
        rule: 'self.users * self.padsPerUser * self.notesPerPad <= 10000000',
        message:
          'lifecycle.seed is limited to 10,000,000 notes (users * padsPerUser * notesPerPad)',
        reason: 'FieldValueInvalid',
      },
    ],
  },
);

const backup = object(
  {
    enabled: boolean({
      description:
        'Export the database (the app’s `backup` command: every table from one consistent snapshot, gzipped JSON lines) into a PersistentVolumeClaim the operator owns, `<instance>-backups`, before each new revision’s migrations, which wait for it; a failed backup stops the rollout (Degraded, reason `BackupFailed`) while the old version keeps serving. Unset means on for `environment: production` with `database.type: mysql` and off otherwise; set it to say so explicitly. Requires `database.type: mysql`. Restore: docs/runbooks/restore-backup.md.',
    }),
    size: quantity({
      description: `Size of the backup volume. Can only grow (the StorageClass must allow volume expansion). Default ${defaults.backupSize}.`,
      default: defaults.backupSize,
    }),
    retention: integer({
      description:
        'Backups kept on the volume: after a successful backup, the oldest beyond this count are deleted.',
      default: 7,
      minimum: 1,
      maximum: 100,
    }),
    storageClassName: string({
      description:
        'StorageClass of the backup volume; the cluster default when unset. Set it before backups are first taken: once set it can neither change nor be removed, like the claim’s own field.',
      maxLength: 253,
      pattern: dnsSubdomain,
    }),
  },
  {
    description: 'A backup of the database before every migration.',
    default: {},
    // On the block, which always exists, rather than on the fields: a rule on a field
    // compares with oldSelf only when both exist, so removing it (back to the default, or
    // to none) would pass.
    validations: [
      {
        rule: 'quantity(string(self.size)).compareTo(quantity(string(oldSelf.size))) >= 0',
        message: 'lifecycle.backup.size can only grow: a PersistentVolumeClaim cannot shrink',
        fieldPath: '.size',
        reason: 'FieldValueInvalid',
      },
      {
        rule: '!has(oldSelf.storageClassName) || (has(self.storageClassName) && self.storageClassName == oldSelf.storageClassName)',
        message:
          'lifecycle.backup.storageClassName cannot change or be removed once set: the backup volume keeps the class it was created with',
        fieldPath: '.storageClassName',
        reason: 'FieldValueForbidden',
      },
    ],
  },
);

const lifecycle = object(
  {
    onDeploy: enumeration(['migrate', 'wipe'], {
      description:
        'What happens to the database when a new revision (a new image digest, or other database settings) is deployed; changes that only shape the pods (log level, resources, ...) roll the pods and run nothing. `migrate` runs the new image’s pending migrations and keeps the data; `wipe` starts from an empty database every time (refused when `environment` is `production`; on MySQL the pods answer a maintenance page, 503 with Retry-After, while the schema is dropped and recreated).',
      default: 'migrate',
    }),
    backup,
    seed,
    maxRetries: integer({
      description:
        'Retries of a failed database step (backup, wipe, migrate, seed), 30 s apart and doubling up to 10 minutes; then the instance stays Degraded with reason `RetriesExhausted` (the old version keeps serving) until the spec changes or annotation `notejam.io/retry` gets a new value.',
      default: 5,
      minimum: 0,
      maximum: 100,
    }),
  },
  { description: 'What the operator does to the database on each deployment.', default: {} },
);

const resourceList = (description: string, defaultValue: { cpu?: string; memory?: string }) =>
  object(
    {
      cpu: quantity({ description: 'CPU, in cores (`1`) or millicores (`500m`).' }),
      memory: quantity({ description: 'Memory, in bytes with a suffix (`256Mi`, `1Gi`).' }),
    },
    { description, default: defaultValue },
  );

const requestNotAboveLimit = (resource: 'cpu' | 'memory'): ValidationRule => ({
  rule:
    `!has(self.requests) || !has(self.limits) || !has(self.requests.${resource}) || !has(self.limits.${resource}) || ` +
    `quantity(string(self.requests.${resource})).compareTo(quantity(string(self.limits.${resource}))) <= 0`,
  message: `resources.requests.${resource} must be less than or equal to resources.limits.${resource}`,
  fieldPath: `.requests.${resource}`,
  reason: 'FieldValueInvalid',
});

const resources = object(
  {
    requests: resourceList(
      `Resources reserved for each app container. Default cpu ${defaults.resourceRequests.cpu}, memory ${defaults.resourceRequests.memory}.`,
      defaults.resourceRequests,
    ),
    limits: resourceList(
      `Resource ceilings of each app container. Default memory ${defaults.resourceLimits.memory} and no CPU limit (CPU limits throttle a Node.js event loop; the request is what autoscaling measures).`,
      defaults.resourceLimits,
    ),
  },
  {
    description:
      'Compute resources of the app container (the same for the database-migration init container).',
    default: {},
    validations: [requestNotAboveLimit('cpu'), requestNotAboveLimit('memory')],
  },
);

const availability = object(
  {
    minAvailable: integer({
      description:
        'Pods that must stay available during voluntary disruptions such as node drains (a PodDisruptionBudget). Must be lower than the smallest replica count, so a drain can always proceed. When unset, instances with two or more replicas get a budget allowing one pod down at a time, and single-replica instances get none.',
      minimum: 1,
      maximum: 99,
    }),
    spreadAcrossZones: boolean({
      description:
        'Spread the pods over the zones of the cluster (`topology.kubernetes.io/zone`), so the service survives the loss of a data center.',
      default: false,
    }),
    spreadAcrossNodes: boolean({
      description:
        'Spread the pods over the nodes (`kubernetes.io/hostname`), so one node failure takes few of them.',
      default: true,
    }),
    nodeFailureTolerationSeconds: integer({
      description:
        "How long the pods stay bound to a node that stopped answering (taints `node.kubernetes.io/unreachable` and `not-ready`) before they are replaced on other nodes. Kubernetes' default, 300 s, leaves a lost zone's share of the capacity missing for over five minutes (docs/benchmarks.md, zone loss); the node controller takes about 40 s more to notice the node.",
      default: 30,
      minimum: 0,
      maximum: 3600,
    }),
  },
  { description: 'How the instance stays up through disruptions and failures.', default: {} },
);

const ingress = object(
  {
    host: required(
      string({
        description: 'Host name the instance is served under.',
        maxLength: 253,
        pattern: dnsSubdomain,
      }),
    ),
    className: string({
      description: 'IngressClass to use; the cluster default when unset.',
      maxLength: 253,
      pattern: dnsSubdomain,
    }),
    tlsSecretName: string({
      description:
        'Secret holding the TLS certificate for `host` (type kubernetes.io/tls); plain HTTP when unset.',
      maxLength: 253,
      pattern: dnsSubdomain,
    }),
    annotations: stringMap({
      description: 'Annotations for the Ingress, e.g. for cert-manager or the ingress controller.',
      maxProperties: 64,
      maxValueLength: 4096,
    }),
  },
  { description: 'Expose the instance through an Ingress. No Ingress when unset.' },
);

const monitoring = object(
  {
    serviceMonitor: boolean({
      description:
        'Create a Prometheus Operator ServiceMonitor scraping the app’s `/metrics`. Ignored (and reported in the status) when the ServiceMonitor CRD is not installed.',
      default: false,
    }),
    serviceMonitorLabels: stringMap({
      description:
        'Extra labels for the ServiceMonitor, so a Prometheus selecting by label finds it. kube-prometheus-stack selects `release: <its Helm release name>` by default.',
      maxProperties: 16,
      maxValueLength: 63,
    }),
    interval: string({
      description: 'Scrape interval.',
      default: defaults.serviceMonitorInterval,
      maxLength: 16,
      pattern: '^[0-9]+(ms|s|m|h)$',
    }),
  },
  { description: 'Prometheus monitoring.', default: {} },
);

// Cross-field rules that need more than one block of the spec.
const specRules: ValidationRule[] = [
  {
    rule: "self.database.type != 'sqlite' || self.replicas == 1",
    message:
      'a sqlite instance runs exactly one replica (each pod would have its own database): set replicas to 1 or use database.type mysql',
    fieldPath: '.replicas',
    reason: 'FieldValueForbidden',
  },
  {
    rule: "self.database.type != 'sqlite' || !self.autoscaling.enabled",
    message: 'autoscaling needs database.type mysql: a sqlite instance runs exactly one replica',
    fieldPath: '.autoscaling.enabled',
    reason: 'FieldValueForbidden',
  },
  {
    rule: "self.environment != 'production' || self.lifecycle.onDeploy != 'wipe'",
    message:
      'lifecycle.onDeploy wipe deletes all data on every deployment and is refused for environment production',
    fieldPath: '.lifecycle.onDeploy',
    reason: 'FieldValueForbidden',
  },
  {
    rule: "!has(self.lifecycle.backup.enabled) || !self.lifecycle.backup.enabled || self.database.type == 'mysql'",
    message:
      'lifecycle.backup needs database.type mysql: a sqlite database lives in the pod’s volume, out of reach of a backup Job',
    fieldPath: '.lifecycle.backup.enabled',
    reason: 'FieldValueForbidden',
  },
  {
    rule: '!self.autoscaling.enabled || !oldSelf.autoscaling.enabled || self.replicas == oldSelf.replicas',
    message:
      'replicas cannot change while autoscaling is enabled: the HorizontalPodAutoscaler sets the pod count (kubectl scale does not apply); change autoscaling.minReplicas or maxReplicas instead',
    fieldPath: '.replicas',
    reason: 'FieldValueForbidden',
  },
  {
    rule: "!self.lifecycle.seed.enabled || self.database.type == 'mysql'",
    message:
      'lifecycle.seed needs database.type mysql: a sqlite database lives in the pod’s volume, out of reach of a seeding Job',
    fieldPath: '.lifecycle.seed.enabled',
    reason: 'FieldValueForbidden',
  },
  {
    rule: "!self.lifecycle.seed.enabled || self.environment != 'production'",
    message: 'lifecycle.seed loads generated data and is refused for environment production',
    fieldPath: '.lifecycle.seed.enabled',
    reason: 'FieldValueForbidden',
  },
  {
    rule: '!self.autoscaling.enabled || (has(self.resources.requests) && has(self.resources.requests.cpu))',
    message:
      'autoscaling needs resources.requests.cpu: CPU utilization is measured against the request',
    fieldPath: '.resources.requests',
    reason: 'FieldValueRequired',
  },
  {
    rule:
      '!has(self.availability.minAvailable) || ' +
      'self.availability.minAvailable < (self.autoscaling.enabled ? self.autoscaling.minReplicas : self.replicas)',
    message:
      'availability.minAvailable must be lower than the smallest replica count (replicas, or autoscaling.minReplicas when autoscaling), or the PodDisruptionBudget would block every node drain',
    fieldPath: '.availability.minAvailable',
    reason: 'FieldValueInvalid',
  },
];

export const specSchema = object(
  {
    image: required(
      string({
        description:
          'Container image of the Notejam app, with a tag or a digest (e.g. `ghcr.io/notejam/notejam:v0.1`). The same image runs the migrations. A mutable tag is followed: the operator deploys again when it points to a new image.',
        maxLength: 512,
        validations: [
          {
            rule: `self.matches('${imageReferencePattern}')`,
            message:
              'image must be a valid image reference with a tag or a digest, e.g. ghcr.io/notejam/notejam:v0.1 or ghcr.io/notejam/notejam@sha256:<64 hex digits>',
          },
        ],
      }),
    ),
    imagePullPolicy: enumeration(['Always', 'IfNotPresent', 'Never'], {
      description:
        'Pull policy of the app containers; Kubernetes’ default (from the tag) when unset.',
    }),
    imagePullSecrets: array(
      localObjectReference('A Secret of type kubernetes.io/dockerconfigjson.'),
      {
        description: 'Secrets with the credentials to pull `image` from a private registry.',
        maxItems: 16,
        listType: 'map',
        listMapKeys: ['name'],
      },
    ),
    environment: enumeration(['development', 'test', 'production'], {
      description:
        'The kind of environment this instance serves. `production` (the default, so that protection is never forgotten) refuses data-destroying or data-faking settings: `lifecycle.onDeploy: wipe` and `lifecycle.seed`.',
      default: 'production',
    }),
    logLevel: enumeration(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      description: 'Log level of the app (its `LOG_LEVEL`); logs are JSON lines on stdout.',
      default: 'info',
    }),
    paused: boolean({
      description:
        'Stop every change: while true the operator creates, changes and deletes no child and starts no lifecycle Job (a Job already running finishes); it still reports status (condition `Paused`). Setting it back to false resumes from where it stopped. Argo CD shows a paused instance as Suspended.',
      default: false,
    }),
    replicas: integer({
      description:
        'Number of app pods when autoscaling is disabled; cannot change while it is enabled. Must be 1 for sqlite. Also set by `kubectl scale` (the scale subresource).',
      default: 1,
      minimum: 1,
      maximum: 100,
    }),
    autoscaling,
    database,
    lifecycle,
    resources,
    availability,
    ingress,
    monitoring,
  },
  { description: 'Desired state of the Notejam instance.', validations: specRules },
);

const condition = object(
  {
    type: required(
      string({
        description: 'Type of the condition in CamelCase, e.g. `Ready`.',
        maxLength: 316,
        pattern:
          '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      }),
    ),
    status: required(
      enumeration(['True', 'False', 'Unknown'], { description: 'Status of the condition.' }),
    ),
    observedGeneration: integer({
      description: 'The `metadata.generation` the condition was computed from.',
      format: 'int64',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
    }),
    lastTransitionTime: required(
      string({
        description: 'When the condition last changed status.',
        format: 'date-time',
        maxLength: 64,
      }),
    ),
    reason: required(
      string({
        description: 'Machine-readable reason for the last transition, in CamelCase.',
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
    ),
    message: required(
      string({ description: 'Human-readable details of the condition.', maxLength: 32768 }),
    ),
  },
  { description: 'A condition in the shape of metav1.Condition.' },
);

export const phases = [
  'Pending',
  'BackingUp',
  'Wiping',
  'Migrating',
  'Seeding',
  'RollingOut',
  'Ready',
  'Degraded',
  'Failed',
] as const;

export const statusSchema = object(
  {
    observedGeneration: integer({
      description: 'The `metadata.generation` of the spec the status describes.',
      format: 'int64',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
    }),
    phase: enumeration(phases, {
      description:
        'Where the instance is in its deployment: Pending, then BackingUp, Wiping or Migrating, Seeding, RollingOut, and Ready; Degraded when a step failed while the previous version keeps serving, Failed when nothing serves.',
    }),
    conditions: array(condition, {
      description:
        'Current conditions: `Ready`, `Progressing`, `Degraded`, `Paused` (spec.paused), and for the deployment lifecycle `ImageResolved` (the tag was resolved to a digest through the registry), `MigrationsApplied` and `Seeded`.',
      maxItems: 16,
      listType: 'map',
      listMapKeys: ['type'],
    }),
    deployedImage: string({
      description:
        'The image the pods run, by digest when known. It moves to a new image only after that revision’s database steps (wipe, migrate, seed) succeeded.',
      maxLength: 512,
    }),
    revision: string({
      description:
        'The revision the Deployment runs (its pod template’s `notejam.io/revision` annotation): a hash of the resolved image and the database settings, what the database steps depend on.',
      maxLength: 64,
    }),
    schemaVersion: string({
      description:
        "Newest database migration applied, as the deployed revision's migrate Job reported it (MySQL; unset for SQLite, whose pods migrate their own database). Never goes back: a rollback to code older than the schema keeps it, and condition MigrationsApplied says so (reason SchemaNewerThanCode).",
      maxLength: 256,
    }),
    seed: object(
      {
        key: required(
          string({
            description:
              'Hash of the data set (sizes, random seed, and the revision when every revision starts from a wiped database): the same key is never loaded twice.',
            maxLength: 64,
          }),
        ),
        users: integer({ description: 'Users loaded.', minimum: 0, maximum: 100000 }),
        padsPerUser: integer({ description: 'Pads per user loaded.', minimum: 0, maximum: 100 }),
        notesPerPad: integer({ description: 'Notes per pad loaded.', minimum: 0, maximum: 1000 }),
        randomSeed: integer({
          description: 'Seed of the generator.',
          minimum: 0,
          maximum: 1000000,
        }),
        seededAt: string({
          description: 'When the seed Job completed.',
          format: 'date-time',
          maxLength: 64,
        }),
      },
      { description: 'The test data set last loaded by a seed Job (`lifecycle.seed`).' },
    ),
    lastBackup: object(
      {
        file: required(
          string({
            description: 'Name of the backup file on the backup volume.',
            maxLength: 253,
          }),
        ),
        persistentVolumeClaim: string({
          description: 'The backup volume’s claim (`<instance>-backups`).',
          maxLength: 253,
        }),
        schemaVersion: string({
          description:
            'Schema version of the data in the file (the newest migration applied when it was taken): restore it with a release that knows this migration.',
          maxLength: 256,
        }),
        sizeBytes: integer({
          description: 'Size of the file (compressed).',
          format: 'int64',
          minimum: 0,
          maximum: Number.MAX_SAFE_INTEGER,
        }),
        rows: integer({
          description: 'Rows in the file, all tables together.',
          format: 'int64',
          minimum: 0,
          maximum: Number.MAX_SAFE_INTEGER,
        }),
        revision: string({
          description: 'The revision whose migrations the backup was taken before.',
          maxLength: 64,
        }),
        completedAt: string({
          description: 'When the backup Job completed.',
          format: 'date-time',
          maxLength: 64,
        }),
      },
      { description: 'The newest backup taken before a migration (`lifecycle.backup`).' },
    ),
    selector: string({
      description:
        'Label selector of the app pods, for the scale subresource (`kubectl scale`) and autoscalers.',
      maxLength: 1024,
    }),
    replicas: integer({
      description: 'Number of app pods (from the Deployment).',
      format: 'int32',
      minimum: 0,
      maximum: 2147483647,
    }),
    readyReplicas: integer({
      description: 'Number of app pods that are ready (from the Deployment).',
      format: 'int32',
      minimum: 0,
      maximum: 2147483647,
    }),
  },
  { description: 'Observed state of the Notejam instance, written by the operator only.' },
);

/** Longest instance name: child names add suffixes (`-session`, `-migrate-<hash>`) and Job names must stay within 63 characters. */
export const maxInstanceNameLength = 40;

/** The whole object's schema (the CRD's openAPIV3Schema). */
export const instanceSchema: OpenAPISchema = {
  type: 'object',
  description:
    'A Notejam web application instance: the operator runs it (Deployment, Service, autoscaler, disruption budget, optional Ingress and ServiceMonitor) and migrates, wipes or seeds its database on each deployment.',
  required: ['spec'],
  properties: {
    apiVersion: {
      type: 'string',
      description: 'Versioned schema of this representation of an object.',
    },
    kind: { type: 'string', description: 'REST resource this object represents.' },
    metadata: { type: 'object' },
    spec: specSchema.openAPI,
    status: statusSchema.openAPI,
  },
  'x-kubernetes-validations': [
    {
      rule: `self.metadata.name.size() <= ${maxInstanceNameLength} && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')`,
      message: `metadata.name must be at most ${maxInstanceNameLength} characters of lower-case letters, digits and '-', starting with a letter (it names the Service and the Jobs)`,
      reason: 'FieldValueInvalid',
    },
  ],
};
