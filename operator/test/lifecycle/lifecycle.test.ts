// The deployment lifecycle end to end on the real control plane: the operator (under
// config/rbac only) resolves tags through a real OCI registry, creates wipe/migrate/seed
// Jobs, and the Job runner plays the Job controller and kubelet, running the app's own CLI
// (or an older or broken release of it) against the MariaDB test server.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  KubeConfig,
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1Pod,
} from '@kubernetes/client-node';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import { deployment } from '../../src/controllers/notejam/deployment.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { type ControlPlaneClient, sharedControlPlane } from '../envtest/control-plane.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  markDeploymentAvailable,
  operatorIdentity,
  repoRoot,
  runLifecycleJobs,
  runOperator,
  sleep,
  testConfig,
  types,
  waitFor,
  type LifecycleJobs,
} from '../integration/support.js';
import type { JobRunnerOptions } from '../support/job-runner.js';
import { mysqlQuery } from '../support/mysql-database.js';
import { startTestRegistry, type TestRegistry } from '../support/oci-registry.js';

jest.setTimeout(240_000);

const namespace = 'lifecycle-e2e';
const jobType = {
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  kind: 'Job',
  namespaced: true,
} as const;
const podType = {
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  namespaced: true,
} as const;
const eventsType = types.event;
const fixture = (file: string) => fileURLToPath(new URL(`fixtures/${file}`, import.meta.url));
/** What a Job's pod runs instead of the image's `node dist/cli.js`. */
const olderApp = [process.execPath, fixture('older-app.mjs')];
/** The app's migrations, oldest first, as its build runs them (what the Jobs run here). */
const appMigrations: string[] = (
  createRequire(import.meta.url)(join(repoRoot, 'app/dist/database/migrations/index.js')) as {
    MIGRATIONS: Array<{ name: string }>;
  }
).MIGRATIONS.map((migration) => migration.name);
const newestMigration = appMigrations.at(-1);
const brokenMigration = [process.execPath, fixture('broken-migration.mjs')];

let plane: ControlPlaneClient;
let admin: KubeClient;
let identity: KubeConfig;
let operator: RunningOperator;
let registry: TestRegistry;
const jobRunners: LifecycleJobs[] = [];

const startOperator = () =>
  runOperator(
    identity,
    testConfig({ watchNamespace: namespace, resyncPeriodMs: 1000, imageResolveIntervalMs: 500 }),
  );

beforeAll(async () => {
  plane = await sharedControlPlane();
  admin = adminClient(plane);
  await installCrd(admin);
  await ensureNamespace(admin, namespace);
  registry = await startTestRegistry('none');
  identity = await operatorIdentity(plane, admin);
  operator = await startOperator();
}, 180_000);

afterAll(async () => {
  await operator?.stop();
  for (const jobs of jobRunners) await jobs.stop();
  await registry?.stop();
  await admin?.close();
});

/** Runs the instance's Jobs (against its own database, or `reuse`'s) until stopped. */
async function jobsFor(
  name: string,
  runner: Partial<JobRunnerOptions> = {},
  reuse?: LifecycleJobs,
): Promise<LifecycleJobs> {
  const jobs = await runLifecycleJobs(plane, admin, namespace, {
    secretName: `${name}-db`,
    instance: name,
    ...(reuse ? { database: reuse.database } : {}),
    runner,
  });
  jobRunners.push(jobs);
  return jobs;
}

function image(tag: string) {
  return `${registry.host}/notejam/app:${tag}`;
}

async function applyInstance(name: string, spec: Record<string, unknown>, inNamespace = namespace) {
  await admin.apply(
    types.instance,
    {
      apiVersion: 'notejam.io/v1alpha1',
      kind: 'NotejamInstance',
      metadata: { name, namespace: inNamespace },
      spec: {
        environment: 'production',
        replicas: 2,
        database: { type: 'mysql', mysql: { secretRef: { name: `${name}-db` } } },
        ...spec,
      },
    } as KubernetesObject,
    { fieldManager, force: true },
  );
}

const getInstance = (name: string, inNamespace = namespace) =>
  admin.get<NotejamInstance>(types.instance, inNamespace, name);
const condition = (instance: NotejamInstance, type: string) =>
  instance.status?.conditions?.find((c) => c.type === type);
const deploymentOf = (name: string) =>
  admin.getIfExists<V1Deployment>(types.deployment, namespace, name);
const deployedImage = async (name: string) =>
  (await deploymentOf(name))?.spec?.template.spec?.containers[0]?.image;

async function jobsOf(name: string, kind?: string, inNamespace = namespace): Promise<V1Job[]> {
  const list = await admin.list<V1Job>(jobType, {
    namespace: inNamespace,
    labelSelector: `app.kubernetes.io/instance=${name}${kind ? `,notejam.io/job-kind=${kind}` : ''}`,
  });
  return list.items;
}

async function reasonsOf(name: string): Promise<string[]> {
  const instance = await getInstance(name);
  const list = await admin.list<
    KubernetesObject & { reason?: string; regarding?: { uid?: string } }
  >(eventsType, { namespace });
  return list.items
    .filter((event) => event.regarding?.uid === instance.metadata.uid)
    .map((event) => event.reason ?? '');
}

/** The instance once its status describes its generation and satisfies `check`. */
function observed(
  name: string,
  what: string,
  check: (instance: NotejamInstance) => boolean,
): Promise<NotejamInstance> {
  return waitFor(
    `${name}: ${what}`,
    async () => {
      const instance = await getInstance(name);
      return instance.status?.observedGeneration === instance.metadata.generation && check(instance)
        ? instance
        : undefined;
    },
    60_000,
  );
}

/** Waits until the Deployment runs `expected`, then reports its pods up; returns the instance. */
async function rolledOutTo(name: string, expected: string): Promise<NotejamInstance> {
  await waitFor(
    `${name} to run ${expected}`,
    async () => (await deployedImage(name)) === expected,
    120_000,
  );
  await markDeploymentAvailable(admin, namespace, name);
  return waitFor(`${name} to be Ready`, async () => {
    const instance = await getInstance(name);
    return instance.status?.phase === 'Ready' && instance.status.deployedImage === expected
      ? instance
      : undefined;
  });
}

const tableCount = async (database: string, table: string) =>
  Number((await mysqlQuery(`SELECT COUNT(*) FROM ${table}`, database))[0]?.[0]);
const appliedMigrations = async (database: string) =>
  (await mysqlQuery('SELECT name FROM migrations ORDER BY id', database)).map((row) => row[0]);

describe('the deployment lifecycle', () => {
  it('migrates a fresh instance before its first rollout, and again for a new digest of the same tag', async () => {
    const jobs = await jobsFor('fresh');
    const first = await registry.pushImage('notejam/app', 'v1');
    await applyInstance('fresh', { image: image('v1') });

    const migrate = await waitFor(
      'the migrate Job',
      async () => (await jobsOf('fresh', 'migrate'))[0],
    );
    expect(await deploymentOf('fresh')).toBeUndefined(); // nothing runs before the migration
    expect(migrate.spec?.template.spec?.containers[0]).toMatchObject({
      args: ['migrate'],
      image: `${image('v1')}@${first}`,
    });
    expect((await jobs.runner.finished(namespace, migrate.metadata?.name ?? '')).succeeded).toBe(
      true,
    );

    const ready = await rolledOutTo('fresh', `${image('v1')}@${first}`);
    const applied = await appliedMigrations(jobs.database.name);
    expect(applied).toEqual(appMigrations);
    // Read from the migrate pod's termination message: the newest migration in the database.
    expect(ready.status?.schemaVersion).toBe(applied.at(-1));
    expect(ready.status?.revision).toMatch(/^[0-9a-f]{10}$/);
    expect(condition(ready, 'MigrationsApplied')).toMatchObject({
      status: 'True',
      reason: 'Applied',
    });
    expect(condition(ready, 'ImageResolved')).toMatchObject({ status: 'True', reason: 'Resolved' });
    expect(await reasonsOf('fresh')).toEqual(
      expect.arrayContaining(['MigrationStarted', 'MigrationsApplied', 'RollingOut', 'Ready']),
    );

    // `v1` pushed again: a new digest is a new revision, migrated before it rolls out.
    const second = await registry.pushImage('notejam/app', 'v1');
    const rolled = await rolledOutTo('fresh', `${image('v1')}@${second}`);
    expect(rolled.status?.revision).not.toBe(ready.status?.revision);
    const migrations = await jobsOf('fresh', 'migrate');
    expect(migrations).toHaveLength(2);
    expect(migrations.map((job) => job.metadata?.labels?.['notejam.io/revision'])).toContain(
      rolled.status?.revision,
    );
  });

  it('upgrades an older release with data: migrations applied, data intact, Deployment moved only afterwards', async () => {
    const older = await jobsFor('upgrade', { entrypoint: olderApp });
    const v1 = await registry.pushImage('notejam/app', 'upgrade-v1');
    await applyInstance('upgrade', { image: image('upgrade-v1') });
    const before = await rolledOutTo('upgrade', `${image('upgrade-v1')}@${v1}`);
    const db = older.database.name;
    expect(await appliedMigrations(db)).toEqual(['InitialSchema1764300000000']);
    expect(before.status?.schemaVersion).toBe('InitialSchema1764300000000');
    await mysqlQuery(
      "INSERT INTO users (email, password_hash, created_at) VALUES ('kept@example.com', 'x', NOW());" +
        "INSERT INTO pads (user_id, name, created_at, updated_at) VALUES (LAST_INSERT_ID(), 'Kept', NOW(), NOW());",
      db,
    );
    await older.runner.stop();

    // The new release's migrate is held running: the Deployment must not move meanwhile.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    await jobsFor('upgrade', { beforeRun: async () => ((started = true), held) }, older);
    const v2 = await registry.pushImage('notejam/app', 'upgrade-v2');
    await applyInstance('upgrade', { image: image('upgrade-v2') });
    await waitFor('the upgrade migration to start', () => started);
    await waitFor(
      'phase Migrating',
      async () => (await getInstance('upgrade')).status?.phase === 'Migrating',
    );
    expect(await deployedImage('upgrade')).toBe(`${image('upgrade-v1')}@${v1}`);
    release();

    const upgraded = await rolledOutTo('upgrade', `${image('upgrade-v2')}@${v2}`);
    expect(await appliedMigrations(db)).toEqual(appMigrations);
    expect(upgraded.status?.schemaVersion).toBe(newestMigration);
    expect(
      await mysqlQuery('SELECT u.email, p.name FROM users u JOIN pads p ON p.user_id = u.id', db),
    ).toEqual([['kept@example.com', 'Kept']]);
  });

  it('keeps the old version serving when a migration fails: Degraded with the log tail, an Event, retried', async () => {
    const good = await jobsFor('failing');
    const v1 = await registry.pushImage('notejam/app', 'failing-v1');
    await applyInstance('failing', { image: image('failing-v1') });
    await rolledOutTo('failing', `${image('failing-v1')}@${v1}`);
    await good.runner.stop();

    const broken = await jobsFor('failing', { entrypoint: brokenMigration }, good);
    await registry.pushImage('notejam/app', 'failing-v2');
    await applyInstance('failing', { image: image('failing-v2') });
    const degraded = await waitFor(
      'Degraded',
      async () => {
        const instance = await getInstance('failing');
        return condition(instance, 'Degraded')?.status === 'True' ? instance : undefined;
      },
      60_000,
    );
    expect(degraded.status?.phase).toBe('Degraded');
    expect(condition(degraded, 'Degraded')?.reason).toBe('MigrationFailed');
    expect(condition(degraded, 'Degraded')?.message).toContain(
      "Duplicate column name 'color' (ER_DUP_FIELDNAME)",
    );
    expect(condition(degraded, 'Degraded')?.message).toContain('retrying at');
    expect(condition(degraded, 'MigrationsApplied')).toMatchObject({
      status: 'False',
      reason: 'MigrationFailed',
    });
    expect(await deployedImage('failing')).toBe(`${image('failing-v1')}@${v1}`);
    expect(degraded.status?.deployedImage).toBe(`${image('failing-v1')}@${v1}`);
    expect(await reasonsOf('failing')).toContain('MigrationFailed');

    // The operator retries the same Job after its backoff (30 s for the first failure).
    await waitFor(
      'the second attempt',
      async () =>
        (await jobsOf('failing', 'migrate')).some(
          (job) => job.metadata?.annotations?.['notejam.io/attempt'] === '2',
        ),
      90_000,
    );
    expect(await deployedImage('failing')).toBe(`${image('failing-v1')}@${v1}`);

    // A fixed release (the next spec change) is tried at once and recovers.
    await broken.runner.stop();
    await jobsFor('failing', {}, good);
    const v3 = await registry.pushImage('notejam/app', 'failing-v3');
    await applyInstance('failing', { image: image('failing-v3') });
    const recovered = await rolledOutTo('failing', `${image('failing-v3')}@${v3}`);
    expect(condition(recovered, 'Degraded')?.status).toBe('False');
    expect(await reasonsOf('failing')).toContain('Recovered');
  });

  it('wipes a dev database on MySQL before migrating each new revision, a new push of `dev` included', async () => {
    const jobs = await jobsFor('dev');
    const first = await registry.pushImage('notejam/app', 'dev');
    await applyInstance('dev', {
      image: image('dev'),
      environment: 'development',
      lifecycle: { onDeploy: 'wipe' },
    });
    await rolledOutTo('dev', `${image('dev')}@${first}`);
    const [wipe] = await jobsOf('dev', 'wipe');
    const [migrate] = await jobsOf('dev', 'migrate');
    expect(wipe?.spec?.template.spec?.containers[0]?.args).toEqual(['wipe', '--yes']);
    expect(Date.parse(String(wipe?.status?.completionTime))).toBeLessThanOrEqual(
      Date.parse(String(migrate?.metadata?.creationTimestamp)),
    );
    await mysqlQuery(
      "INSERT INTO users (email, password_hash, created_at) VALUES ('gone@example.com', 'x', NOW())",
      jobs.database.name,
    );

    const second = await registry.pushImage('notejam/app', 'dev');
    await rolledOutTo('dev', `${image('dev')}@${second}`);
    expect(await jobsOf('dev', 'wipe')).toHaveLength(2);
    expect(await tableCount(jobs.database.name, 'users')).toBe(0);
    expect(await appliedMigrations(jobs.database.name)).toEqual(appMigrations);

    // A Deployment deleted by hand comes back as it was, without a wipe.
    await mysqlQuery(
      "INSERT INTO users (email, password_hash, created_at) VALUES ('kept@example.com', 'x', NOW())",
      jobs.database.name,
    );
    const before = await deploymentOf('dev');
    await admin.delete(types.deployment, namespace, 'dev');
    await waitFor('the Deployment to come back', async () => {
      const current = await deploymentOf('dev');
      return current && current.metadata?.uid !== before?.metadata?.uid;
    });
    expect(await deployedImage('dev')).toBe(`${image('dev')}@${second}`);
    expect(await jobsOf('dev', 'wipe')).toHaveLength(2);
    expect(await tableCount(jobs.database.name, 'users')).toBe(1);
  });

  it('seeds a test instance once per seed specification, and again only when the sizes change', async () => {
    const jobs = await jobsFor('seeded');
    const v1 = await registry.pushImage('notejam/app', 'seeded');
    const seed = { enabled: true, users: 3, padsPerUser: 2, notesPerPad: 2, randomSeed: 7 };
    await applyInstance('seeded', {
      image: image('seeded'),
      environment: 'test',
      lifecycle: { seed },
    });
    const ready = await rolledOutTo('seeded', `${image('seeded')}@${v1}`);
    const db = jobs.database.name;
    expect(await tableCount(db, 'notes')).toBe(12);
    expect(ready.status?.seed).toMatchObject({
      users: 3,
      padsPerUser: 2,
      notesPerPad: 2,
      randomSeed: 7,
    });
    expect(ready.status?.seed?.seededAt).toBeDefined();
    expect(condition(ready, 'Seeded')).toMatchObject({ status: 'True', reason: 'Seeded' });

    // A new revision (the tag pushed again) migrates but does not seed the same data set again.
    await registry.pushImage('notejam/app', 'seeded');
    const next = await waitFor(
      'the new revision',
      async () => {
        const instance = await getInstance('seeded');
        return instance.status?.revision !== ready.status?.revision ? instance : undefined;
      },
      60_000,
    );
    expect(next.status?.seed?.key).toBe(ready.status?.seed?.key);
    expect(await jobsOf('seeded', 'seed')).toHaveLength(1);
    expect(await tableCount(db, 'notes')).toBe(12);

    // Larger sizes load what is missing, without duplicating what is there.
    await applyInstance('seeded', {
      image: image('seeded'),
      environment: 'test',
      lifecycle: { seed: { ...seed, users: 4 } },
    });
    const reseeded = await waitFor(
      'the reseed',
      async () => {
        const instance = await getInstance('seeded');
        return instance.status?.seed?.users === 4 ? instance : undefined;
      },
      60_000,
    );
    expect(reseeded.status?.revision).toBe(next.status?.revision);
    expect(await tableCount(db, 'notes')).toBe(16);
    expect(await jobsOf('seeded', 'seed')).toHaveLength(2);
    await sleep(2000); // several reconciles later: still no further seed Job
    expect(await jobsOf('seeded', 'seed')).toHaveLength(2);
  });

  it('rolls the pods for a log level or resources change, and runs no database step', async () => {
    await jobsFor('tuned');
    const v1 = await registry.pushImage('notejam/app', 'tuned');
    await applyInstance('tuned', { image: image('tuned') });
    const before = await rolledOutTo('tuned', `${image('tuned')}@${v1}`);

    await applyInstance('tuned', {
      image: image('tuned'),
      logLevel: 'debug',
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    });
    // The reconcile that moves the pods has already decided about Jobs for this spec.
    await waitFor('the new log level in the pods', async () => {
      const env = (await deploymentOf('tuned'))?.spec?.template.spec?.containers[0]?.env;
      return env?.some((variable) => variable.name === 'LOG_LEVEL' && variable.value === 'debug');
    });
    const after = await observed('tuned', 'the new generation', () => true);
    expect(after.status?.revision).toBe(before.status?.revision);
    expect(await jobsOf('tuned', 'migrate')).toHaveLength(1);
    expect(await deployedImage('tuned')).toBe(`${image('tuned')}@${v1}`);
  });

  it('creates no Job for a tag the registry does not have, and says so in status', async () => {
    await jobsFor('typo');
    const v1 = await registry.pushImage('notejam/app', 'typo-v1');
    await applyInstance('typo', { image: image('typo-v1') });
    await rolledOutTo('typo', `${image('typo-v1')}@${v1}`);

    await applyInstance('typo', { image: image('typo-v2-mistyped') });
    const held = await observed(
      'typo',
      'Degraded by ImageNotFound',
      (instance) => condition(instance, 'Degraded')?.reason === 'ImageNotFound',
    );
    expect(condition(held, 'ImageResolved')).toMatchObject({
      status: 'False',
      reason: 'RegistryNotFound',
    });
    expect(condition(held, 'Degraded')?.message).toContain('typo-v2-mistyped not found');
    expect(held.status?.phase).toBe('Degraded'); // v1 keeps serving
    expect(await jobsOf('typo', 'migrate')).toHaveLength(1);
    expect(await deployedImage('typo')).toBe(`${image('typo-v1')}@${v1}`);

    // A new instance with a tag that does not exist: no Job either, and nothing serves.
    await applyInstance('typo-new', { image: image('never-pushed') });
    const fresh = await observed(
      'typo-new',
      'Degraded by ImageNotFound',
      (instance) => condition(instance, 'Degraded')?.reason === 'ImageNotFound',
    );
    expect(fresh.status?.phase).toBe('Failed');
    expect(await jobsOf('typo-new')).toHaveLength(0);
  });

  it('deletes a migrate Job that never started when a newer revision arrives, and deploys that one', async () => {
    // The kubelet cannot pull stuck-v2 (say, only the operator can reach its registry).
    await jobsFor('stuck', { pullable: (reference) => !reference.includes(':stuck-v2@') });
    const v1 = await registry.pushImage('notejam/app', 'stuck-v1');
    await applyInstance('stuck', { image: image('stuck-v1') });
    await rolledOutTo('stuck', `${image('stuck-v1')}@${v1}`);

    await registry.pushImage('notejam/app', 'stuck-v2');
    await applyInstance('stuck', { image: image('stuck-v2') });
    const stuck = await waitFor('the stuck-v2 migrate Job in ImagePullBackOff', async () => {
      const job = (await jobsOf('stuck', 'migrate')).find((candidate) =>
        candidate.spec?.template.spec?.containers[0]?.image?.includes(':stuck-v2@'),
      );
      if (!job) return undefined;
      const pods = await admin.list<V1Pod>(podType, {
        namespace,
        labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata?.uid}`,
      });
      const waiting = pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return waiting === 'ImagePullBackOff' ? job : undefined;
    });
    await observed(
      'stuck',
      'phase Migrating',
      (instance) => instance.status?.phase === 'Migrating',
    );

    // The fix: stuck-v2's Job goes (nothing of it ran), stuck-v3's runs, and v3 rolls out.
    const v3 = await registry.pushImage('notejam/app', 'stuck-v3');
    await applyInstance('stuck', { image: image('stuck-v3') });
    await rolledOutTo('stuck', `${image('stuck-v3')}@${v3}`);
    const uids = (await jobsOf('stuck', 'migrate')).map((job) => job.metadata?.uid);
    expect(uids).not.toContain(stuck.metadata?.uid);
    expect(await reasonsOf('stuck')).toContain('JobSuperseded');
  });

  it('never moves the schema version back on a rollback A -> B -> A, and flags the code as older than its schema', async () => {
    const older = await jobsFor('rollback', { entrypoint: olderApp });
    const a = await registry.pushImage('notejam/app', 'rollback-a');
    await applyInstance('rollback', { image: image('rollback-a') });
    const onA = await rolledOutTo('rollback', `${image('rollback-a')}@${a}`);
    expect(onA.status?.schemaVersion).toBe('InitialSchema1764300000000');
    await older.runner.stop();

    await jobsFor('rollback', {}, older);
    const b = await registry.pushImage('notejam/app', 'rollback-b');
    await applyInstance('rollback', { image: image('rollback-b') });
    const onB = await rolledOutTo('rollback', `${image('rollback-b')}@${b}`);
    expect(onB.status?.schemaVersion).toBe(newestMigration);

    // Back to A: its migrate Job, still kept, reported the older version; B's migrations stay.
    await applyInstance('rollback', { image: image('rollback-a') });
    const back = await rolledOutTo('rollback', `${image('rollback-a')}@${a}`);
    expect(back.status?.schemaVersion).toBe(newestMigration);
    expect(condition(back, 'MigrationsApplied')).toMatchObject({
      status: 'True',
      reason: 'SchemaNewerThanCode',
    });
    expect(await reasonsOf('rollback')).toContain('SchemaNewerThanCode');
    expect(await jobsOf('rollback', 'migrate')).toHaveLength(2);
  });

  it('reads the deployed revision from the Deployment, not from a status written ahead of it', async () => {
    let hold = false;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await jobsFor('truth', { beforeRun: async () => (hold ? held : undefined) });
    const v1 = await registry.pushImage('notejam/app', 'truth-v1');
    await applyInstance('truth', { image: image('truth-v1') });
    await rolledOutTo('truth', `${image('truth-v1')}@${v1}`);

    hold = true;
    const v2 = await registry.pushImage('notejam/app', 'truth-v2');
    await applyInstance('truth', { image: image('truth-v2') });
    const migrate = await waitFor('the v2 migration', async () =>
      (await jobsOf('truth', 'migrate')).find((job) =>
        job.spec?.template.spec?.containers[0]?.image?.endsWith(v2),
      ),
    );
    // A status that says v2 is deployed while the Deployment still runs v1 (a writer that
    // crashed between the two): the operator must not take it for the truth.
    await admin.apply(
      types.instance,
      {
        apiVersion: 'notejam.io/v1alpha1',
        kind: 'NotejamInstance',
        metadata: { name: 'truth', namespace },
        status: { revision: migrate.metadata?.labels?.['notejam.io/revision'] },
      } as KubernetesObject,
      { fieldManager: 'crashed-writer', force: true, subresource: 'status' },
    );
    release();
    await rolledOutTo('truth', `${image('truth-v2')}@${v2}`);
  });

  it('takes over the Deployment of an older operator version without running a database step', async () => {
    const v1 = await registry.pushImage('notejam/app', 'legacy');
    const legacyRevision = 'a1b2c3d4e5'; // that version hashed the whole pod template
    await operator.stop();
    try {
      await applyInstance('legacy', { image: image('legacy') });
      const owner = await getInstance('legacy');
      const running = deployment(owner, {
        image: `${image('legacy')}@${v1}`,
        serviceMonitorAvailable: false,
      });
      running.spec!.template.metadata!.annotations = { 'notejam.io/revision': legacyRevision };
      await admin.apply(types.deployment, running, {
        fieldManager: 'notejam-operator',
        force: true,
      });
    } finally {
      operator = await startOperator();
    }
    const adopted = await observed(
      'legacy',
      'a revision',
      (instance) => !!instance.status?.revision,
    );
    expect(adopted.status?.revision).not.toBe(legacyRevision);
    expect(adopted.status?.deployedImage).toBe(`${image('legacy')}@${v1}`);
    expect(await jobsOf('legacy')).toHaveLength(0);
    // The pods roll once, to the new annotation; the image stays.
    await waitFor(
      'the annotation of the revision',
      async () =>
        (await deploymentOf('legacy'))?.spec?.template.metadata?.annotations?.[
          'notejam.io/revision'
        ] === adopted.status?.revision,
    );
    expect(await deployedImage('legacy')).toBe(`${image('legacy')}@${v1}`);
  });

  it('carries on after an operator restart in the middle of a migration, without a second migration Job', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    await jobsFor('restart', { beforeRun: async () => (started++, held) });
    const v1 = await registry.pushImage('notejam/app', 'restart');
    await applyInstance('restart', { image: image('restart') });
    await waitFor('the migration to start', () => started === 1);

    await operator.stop();
    operator = await startOperator();
    await sleep(3000); // the new operator has listed the Jobs and reconciled several times
    expect(await jobsOf('restart', 'migrate')).toHaveLength(1);
    expect(started).toBe(1);
    expect((await getInstance('restart')).status?.phase).toBe('Migrating');

    release();
    await rolledOutTo('restart', `${image('restart')}@${v1}`);
    expect(await jobsOf('restart', 'migrate')).toHaveLength(1);
  });
});

describe('the cluster-wide cap on lifecycle Jobs', () => {
  const capped = 'lifecycle-cap';
  let cappedOperator: RunningOperator;

  beforeAll(async () => {
    await ensureNamespace(admin, capped);
    cappedOperator = await runOperator(
      identity,
      testConfig({ watchNamespace: capped, resyncPeriodMs: 1000, maxConcurrentLifecycleJobs: 1 }),
    );
  });
  afterAll(async () => {
    await cappedOperator?.stop();
  });

  it('runs at most MAX_CONCURRENT_LIFECYCLE_JOBS at once; the others wait their turn', async () => {
    // Each Job is held until released; `held` counts those started and not yet released,
    // `most` the largest such count a starting Job ever saw.
    let held = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const jobs = await runLifecycleJobs(plane, admin, capped, {
      runner: {
        beforeRun: () => {
          most = Math.max(most, ++held);
          return new Promise<void>((resolve) =>
            releases.push(() => {
              held--;
              resolve();
            }),
          );
        },
      },
    });
    jobRunners.push(jobs);
    const v1 = await registry.pushImage('notejam/app', 'capped');
    const names = ['cap-a', 'cap-b', 'cap-c'];
    for (const name of names) {
      await applyInstance(
        name,
        {
          image: image('capped'),
          database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
        },
        capped,
      );
    }
    await waitFor('a first Job to start', () => releases.length === 1);
    await waitFor('the two others to wait for a slot', async () => {
      let waiting = 0;
      for (const name of names) {
        const message = condition(await getInstance(name, capped), 'Progressing')?.message ?? '';
        if (message.includes('waits for a free slot: 1 of 1 lifecycle Jobs')) waiting++;
      }
      return waiting === 2;
    });
    expect(
      (await admin.list<V1Job>(jobType, { namespace: capped })).items.filter(
        (job) => !job.status?.conditions?.length,
      ),
    ).toHaveLength(1);

    // Each finished Job lets the next one start.
    for (let started = 1; started <= names.length; started++) {
      await waitFor(`Job ${started} to start`, () => releases.length >= started);
      releases[started - 1]?.();
    }
    for (const name of names) {
      await waitFor(
        `${name} to roll out`,
        async () =>
          (await admin.getIfExists<V1Deployment>(types.deployment, capped, name))?.spec?.template
            .spec?.containers[0]?.image === `${image('capped')}@${v1}`,
        60_000,
      );
    }
    expect(most).toBe(1);
  });
});
