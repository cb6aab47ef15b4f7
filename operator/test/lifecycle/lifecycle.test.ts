// The deployment lifecycle end to end on the real control plane: the operator (under
// config/rbac only) resolves tags through a real OCI registry, creates wipe/migrate/seed
// Jobs, and the Job runner plays the Job controller and kubelet, running the app's own CLI
// (or an older or broken release of it) against the MariaDB test server.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import { deployment } from '../../src/controllers/notejam/deployment.js';
import { markDeploymentAvailable, sleep, types, waitFor } from '../integration/support.js';
import { mysqlQuery } from '../support/mysql-database.js';
import {
  LifecycleSuite,
  appMigrations,
  conditionOf,
  fixtureEntrypoint,
  jobType,
  newestMigration,
} from './support.js';

jest.setTimeout(240_000);

const podType = {
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  namespaced: true,
} as const;
/**
 * Whether a Job runs the migration. Production instances on MySQL back up first (on by
 * default, data-safety.test.ts): the Jobs held here are the migrations.
 */
const migrates = (job: V1Job) => job.metadata?.labels?.['notejam.io/job-kind'] === 'migrate';
/** What a Job's pod runs instead of the image's `node dist/cli.js`. */
const olderApp = fixtureEntrypoint('older-app.mjs');
const brokenMigration = fixtureEntrypoint('broken-migration.mjs');

let suite: LifecycleSuite;

beforeAll(async () => {
  suite = await LifecycleSuite.start('lifecycle-e2e');
}, 180_000);

afterAll(async () => {
  await suite?.stop();
});

const tableCount = async (database: string, table: string) =>
  Number((await mysqlQuery(`SELECT COUNT(*) FROM ${table}`, database))[0]?.[0]);
const appliedMigrations = async (database: string) =>
  (await mysqlQuery('SELECT name FROM migrations ORDER BY id', database)).map((row) => row[0]);

describe('the deployment lifecycle', () => {
  it('migrates a fresh instance before its first rollout, and again for a new digest of the same tag', async () => {
    const jobs = await suite.jobsFor('fresh');
    const first = await suite.registry.pushImage('notejam/app', 'v1');
    await suite.applyInstance('fresh', { image: suite.image('v1') });

    const migrate = await waitFor(
      'the migrate Job',
      async () => (await suite.jobsOf('fresh', 'migrate'))[0],
    );
    expect(await suite.deployment('fresh')).toBeUndefined(); // nothing runs before the migration
    expect(migrate.spec?.template.spec?.containers[0]).toMatchObject({
      args: ['migrate'],
      image: `${suite.image('v1')}@${first}`,
    });
    expect(
      (await jobs.runner.finished(suite.namespace, migrate.metadata?.name ?? '')).succeeded,
    ).toBe(true);

    const ready = await suite.rolledOutTo('fresh', `${suite.image('v1')}@${first}`);
    const applied = await appliedMigrations(jobs.database.name);
    expect(applied).toEqual(appMigrations);
    // Read from the migrate pod's termination message: the newest migration in the database.
    expect(ready.status?.schemaVersion).toBe(applied.at(-1));
    expect(ready.status?.revision).toMatch(/^[0-9a-f]{10}$/);
    expect(conditionOf(ready, 'MigrationsApplied')).toMatchObject({
      status: 'True',
      reason: 'Applied',
    });
    expect(conditionOf(ready, 'ImageResolved')).toMatchObject({
      status: 'True',
      reason: 'Resolved',
    });
    expect(await suite.eventReasons('fresh')).toEqual(
      expect.arrayContaining(['MigrationStarted', 'MigrationsApplied', 'RollingOut', 'Ready']),
    );

    // `v1` pushed again: a new digest is a new revision, migrated before it rolls out.
    const second = await suite.registry.pushImage('notejam/app', 'v1');
    const rolled = await suite.rolledOutTo('fresh', `${suite.image('v1')}@${second}`);
    expect(rolled.status?.revision).not.toBe(ready.status?.revision);
    const migrations = await suite.jobsOf('fresh', 'migrate');
    expect(migrations).toHaveLength(2);
    expect(migrations.map((job) => job.metadata?.labels?.['notejam.io/revision'])).toContain(
      rolled.status?.revision,
    );
  });

  it('upgrades an older release with data: migrations applied, data intact, Deployment moved only afterwards', async () => {
    const older = await suite.jobsFor('upgrade', { entrypoint: olderApp });
    const v1 = await suite.registry.pushImage('notejam/app', 'upgrade-v1');
    await suite.applyInstance('upgrade', { image: suite.image('upgrade-v1') });
    const before = await suite.rolledOutTo('upgrade', `${suite.image('upgrade-v1')}@${v1}`);
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
    await suite.jobsFor(
      'upgrade',
      { beforeRun: async (job) => (migrates(job) ? ((started = true), held) : undefined) },
      older,
    );
    const v2 = await suite.registry.pushImage('notejam/app', 'upgrade-v2');
    await suite.applyInstance('upgrade', { image: suite.image('upgrade-v2') });
    await waitFor('the upgrade migration to start', () => started);
    await waitFor(
      'phase Migrating',
      async () => (await suite.instance('upgrade')).status?.phase === 'Migrating',
    );
    expect(await suite.deployedImage('upgrade')).toBe(`${suite.image('upgrade-v1')}@${v1}`);
    release();

    const upgraded = await suite.rolledOutTo('upgrade', `${suite.image('upgrade-v2')}@${v2}`);
    expect(await appliedMigrations(db)).toEqual(appMigrations);
    expect(upgraded.status?.schemaVersion).toBe(newestMigration);
    expect(
      await mysqlQuery('SELECT u.email, p.name FROM users u JOIN pads p ON p.user_id = u.id', db),
    ).toEqual([['kept@example.com', 'Kept']]);
  });

  it('keeps the old version serving when a migration fails: Degraded with the log tail, an Event, retried', async () => {
    const good = await suite.jobsFor('failing');
    const v1 = await suite.registry.pushImage('notejam/app', 'failing-v1');
    await suite.applyInstance('failing', { image: suite.image('failing-v1') });
    await suite.rolledOutTo('failing', `${suite.image('failing-v1')}@${v1}`);
    await good.runner.stop();

    const broken = await suite.jobsFor('failing', { entrypoint: brokenMigration }, good);
    await suite.registry.pushImage('notejam/app', 'failing-v2');
    await suite.applyInstance('failing', { image: suite.image('failing-v2') });
    const degraded = await waitFor(
      'Degraded',
      async () => {
        const instance = await suite.instance('failing');
        return conditionOf(instance, 'Degraded')?.status === 'True' ? instance : undefined;
      },
      60_000,
    );
    expect(degraded.status?.phase).toBe('Degraded');
    expect(conditionOf(degraded, 'Degraded')?.reason).toBe('MigrationFailed');
    expect(conditionOf(degraded, 'Degraded')?.message).toContain(
      "Duplicate column name 'color' (ER_DUP_FIELDNAME)",
    );
    expect(conditionOf(degraded, 'Degraded')?.message).toContain('retrying at');
    expect(conditionOf(degraded, 'MigrationsApplied')).toMatchObject({
      status: 'False',
      reason: 'MigrationFailed',
    });
    expect(await suite.deployedImage('failing')).toBe(`${suite.image('failing-v1')}@${v1}`);
    expect(degraded.status?.deployedImage).toBe(`${suite.image('failing-v1')}@${v1}`);
    expect(await suite.eventReasons('failing')).toContain('MigrationFailed');

    // The operator retries the same Job after its backoff (30 s for the first failure).
    await waitFor(
      'the second attempt',
      async () =>
        (await suite.jobsOf('failing', 'migrate')).some(
          (job) => job.metadata?.annotations?.['notejam.io/attempt'] === '2',
        ),
      90_000,
    );
    expect(await suite.deployedImage('failing')).toBe(`${suite.image('failing-v1')}@${v1}`);

    // A fixed release (the next spec change) is tried at once and recovers.
    await broken.runner.stop();
    await suite.jobsFor('failing', {}, good);
    const v3 = await suite.registry.pushImage('notejam/app', 'failing-v3');
    await suite.applyInstance('failing', { image: suite.image('failing-v3') });
    const recovered = await suite.rolledOutTo('failing', `${suite.image('failing-v3')}@${v3}`);
    expect(conditionOf(recovered, 'Degraded')?.status).toBe('False');
    expect(await suite.eventReasons('failing')).toContain('Recovered');
  });

  it('wipes a dev database on MySQL before migrating each new revision, a new push of `dev` included', async () => {
    const jobs = await suite.jobsFor('dev');
    const first = await suite.registry.pushImage('notejam/app', 'dev');
    await suite.applyInstance('dev', {
      image: suite.image('dev'),
      environment: 'development',
      lifecycle: { onDeploy: 'wipe' },
    });
    await suite.rolledOutTo('dev', `${suite.image('dev')}@${first}`);
    const [wipe] = await suite.jobsOf('dev', 'wipe');
    const [migrate] = await suite.jobsOf('dev', 'migrate');
    expect(wipe?.spec?.template.spec?.containers[0]?.args).toEqual(['wipe', '--yes']);
    expect(Date.parse(String(wipe?.status?.completionTime))).toBeLessThanOrEqual(
      Date.parse(String(migrate?.metadata?.creationTimestamp)),
    );
    await mysqlQuery(
      "INSERT INTO users (email, password_hash, created_at) VALUES ('gone@example.com', 'x', NOW())",
      jobs.database.name,
    );

    const second = await suite.registry.pushImage('notejam/app', 'dev');
    // Before the wipe the pods move to the maintenance page (data-safety.test.ts); they are
    // reported up here, as the kubelet would once they run it.
    await waitFor(
      'the maintenance page',
      async () =>
        (await suite.deployment('dev'))?.spec?.template.spec?.containers[0]?.args?.[0] ===
        'maintenance',
    );
    await markDeploymentAvailable(suite.admin, suite.namespace, 'dev');
    await suite.rolledOutTo('dev', `${suite.image('dev')}@${second}`);
    expect(await suite.jobsOf('dev', 'wipe')).toHaveLength(2);
    expect(await tableCount(jobs.database.name, 'users')).toBe(0);
    expect(await appliedMigrations(jobs.database.name)).toEqual(appMigrations);

    // A Deployment deleted by hand comes back as it was, without a wipe.
    await mysqlQuery(
      "INSERT INTO users (email, password_hash, created_at) VALUES ('kept@example.com', 'x', NOW())",
      jobs.database.name,
    );
    const before = await suite.deployment('dev');
    await suite.admin.delete(types.deployment, suite.namespace, 'dev');
    await waitFor('the Deployment to come back', async () => {
      const current = await suite.deployment('dev');
      return current && current.metadata?.uid !== before?.metadata?.uid;
    });
    expect(await suite.deployedImage('dev')).toBe(`${suite.image('dev')}@${second}`);
    expect(await suite.jobsOf('dev', 'wipe')).toHaveLength(2);
    expect(await tableCount(jobs.database.name, 'users')).toBe(1);
  });

  it('seeds a test instance once per seed specification, and again only when the sizes change', async () => {
    const jobs = await suite.jobsFor('seeded');
    const v1 = await suite.registry.pushImage('notejam/app', 'seeded');
    const seed = { enabled: true, users: 3, padsPerUser: 2, notesPerPad: 2, randomSeed: 7 };
    await suite.applyInstance('seeded', {
      image: suite.image('seeded'),
      environment: 'test',
      lifecycle: { seed },
    });
    const ready = await suite.rolledOutTo('seeded', `${suite.image('seeded')}@${v1}`);
    const db = jobs.database.name;
    expect(await tableCount(db, 'notes')).toBe(12);
    expect(ready.status?.seed).toMatchObject({
      users: 3,
      padsPerUser: 2,
      notesPerPad: 2,
      randomSeed: 7,
    });
    expect(ready.status?.seed?.seededAt).toBeDefined();
    expect(conditionOf(ready, 'Seeded')).toMatchObject({ status: 'True', reason: 'Seeded' });

    // A new revision (the tag pushed again) migrates but does not seed the same data set again.
    await suite.registry.pushImage('notejam/app', 'seeded');
    const next = await waitFor(
      'the new revision',
      async () => {
        const instance = await suite.instance('seeded');
        return instance.status?.revision !== ready.status?.revision ? instance : undefined;
      },
      60_000,
    );
    expect(next.status?.seed?.key).toBe(ready.status?.seed?.key);
    expect(await suite.jobsOf('seeded', 'seed')).toHaveLength(1);
    expect(await tableCount(db, 'notes')).toBe(12);

    // Larger sizes load what is missing, without duplicating what is there.
    await suite.applyInstance('seeded', {
      image: suite.image('seeded'),
      environment: 'test',
      lifecycle: { seed: { ...seed, users: 4 } },
    });
    const reseeded = await waitFor(
      'the reseed',
      async () => {
        const instance = await suite.instance('seeded');
        return instance.status?.seed?.users === 4 ? instance : undefined;
      },
      60_000,
    );
    expect(reseeded.status?.revision).toBe(next.status?.revision);
    expect(await tableCount(db, 'notes')).toBe(16);
    expect(await suite.jobsOf('seeded', 'seed')).toHaveLength(2);
    await sleep(2000); // several reconciles later: still no further seed Job
    expect(await suite.jobsOf('seeded', 'seed')).toHaveLength(2);
  });

  it('rolls the pods for a log level or resources change, and runs no database step', async () => {
    await suite.jobsFor('tuned');
    const v1 = await suite.registry.pushImage('notejam/app', 'tuned');
    await suite.applyInstance('tuned', { image: suite.image('tuned') });
    const before = await suite.rolledOutTo('tuned', `${suite.image('tuned')}@${v1}`);

    await suite.applyInstance('tuned', {
      image: suite.image('tuned'),
      logLevel: 'debug',
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    });
    // The reconcile that moves the pods has already decided about Jobs for this spec.
    await waitFor('the new log level in the pods', async () => {
      const env = (await suite.deployment('tuned'))?.spec?.template.spec?.containers[0]?.env;
      return env?.some((variable) => variable.name === 'LOG_LEVEL' && variable.value === 'debug');
    });
    const after = await suite.observed('tuned', 'the new generation', () => true);
    expect(after.status?.revision).toBe(before.status?.revision);
    expect(await suite.jobsOf('tuned', 'migrate')).toHaveLength(1);
    expect(await suite.deployedImage('tuned')).toBe(`${suite.image('tuned')}@${v1}`);
  });

  it('creates no Job for a tag the registry does not have, and says so in status', async () => {
    await suite.jobsFor('typo');
    const v1 = await suite.registry.pushImage('notejam/app', 'typo-v1');
    await suite.applyInstance('typo', { image: suite.image('typo-v1') });
    await suite.rolledOutTo('typo', `${suite.image('typo-v1')}@${v1}`);

    await suite.applyInstance('typo', { image: suite.image('typo-v2-mistyped') });
    const held = await suite.observed(
      'typo',
      'Degraded by ImageNotFound',
      (instance) => conditionOf(instance, 'Degraded')?.reason === 'ImageNotFound',
    );
    expect(conditionOf(held, 'ImageResolved')).toMatchObject({
      status: 'False',
      reason: 'RegistryNotFound',
    });
    expect(conditionOf(held, 'Degraded')?.message).toContain('typo-v2-mistyped not found');
    expect(held.status?.phase).toBe('Degraded'); // v1 keeps serving
    expect(await suite.jobsOf('typo', 'migrate')).toHaveLength(1);
    expect(await suite.deployedImage('typo')).toBe(`${suite.image('typo-v1')}@${v1}`);

    // A new instance with a tag that does not exist: no Job either, and nothing serves.
    await suite.applyInstance('typo-new', { image: suite.image('never-pushed') });
    const fresh = await suite.observed(
      'typo-new',
      'Degraded by ImageNotFound',
      (instance) => conditionOf(instance, 'Degraded')?.reason === 'ImageNotFound',
    );
    expect(fresh.status?.phase).toBe('Failed');
    expect(await suite.jobsOf('typo-new')).toHaveLength(0);
  });

  it('deletes a migrate Job that never started when a newer revision arrives, and deploys that one', async () => {
    // The kubelet cannot pull stuck-v2 (say, only the operator can reach its registry).
    await suite.jobsFor('stuck', { pullable: (reference) => !reference.includes(':stuck-v2@') });
    const v1 = await suite.registry.pushImage('notejam/app', 'stuck-v1');
    // No backup step: the migrate Job is the first, the one whose pod cannot start.
    const spec = (tag: string) => ({
      image: suite.image(tag),
      lifecycle: { backup: { enabled: false } },
    });
    await suite.applyInstance('stuck', spec('stuck-v1'));
    await suite.rolledOutTo('stuck', `${suite.image('stuck-v1')}@${v1}`);

    await suite.registry.pushImage('notejam/app', 'stuck-v2');
    await suite.applyInstance('stuck', spec('stuck-v2'));
    const stuck = await waitFor('the stuck-v2 migrate Job in ImagePullBackOff', async () => {
      const job = (await suite.jobsOf('stuck', 'migrate')).find((candidate) =>
        candidate.spec?.template.spec?.containers[0]?.image?.includes(':stuck-v2@'),
      );
      if (!job) return undefined;
      const pods = await suite.admin.list<V1Pod>(podType, {
        namespace: suite.namespace,
        labelSelector: `batch.kubernetes.io/controller-uid=${job.metadata?.uid}`,
      });
      const waiting = pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return waiting === 'ImagePullBackOff' ? job : undefined;
    });
    await suite.observed(
      'stuck',
      'phase Migrating',
      (instance) => instance.status?.phase === 'Migrating',
    );

    // The fix: stuck-v2's Job goes (nothing of it ran), stuck-v3's runs, and v3 rolls out.
    const v3 = await suite.registry.pushImage('notejam/app', 'stuck-v3');
    await suite.applyInstance('stuck', spec('stuck-v3'));
    await suite.rolledOutTo('stuck', `${suite.image('stuck-v3')}@${v3}`);
    const uids = (await suite.jobsOf('stuck', 'migrate')).map((job) => job.metadata?.uid);
    expect(uids).not.toContain(stuck.metadata?.uid);
    expect(await suite.eventReasons('stuck')).toContain('JobSuperseded');
  });

  it('never moves the schema version back on a rollback A -> B -> A, and flags the code as older than its schema', async () => {
    const older = await suite.jobsFor('rollback', { entrypoint: olderApp });
    const a = await suite.registry.pushImage('notejam/app', 'rollback-a');
    await suite.applyInstance('rollback', { image: suite.image('rollback-a') });
    const onA = await suite.rolledOutTo('rollback', `${suite.image('rollback-a')}@${a}`);
    expect(onA.status?.schemaVersion).toBe('InitialSchema1764300000000');
    await older.runner.stop();

    await suite.jobsFor('rollback', {}, older);
    const b = await suite.registry.pushImage('notejam/app', 'rollback-b');
    await suite.applyInstance('rollback', { image: suite.image('rollback-b') });
    const onB = await suite.rolledOutTo('rollback', `${suite.image('rollback-b')}@${b}`);
    expect(onB.status?.schemaVersion).toBe(newestMigration);

    // Back to A: its migrate Job, still kept, reported the older version; B's migrations stay.
    await suite.applyInstance('rollback', { image: suite.image('rollback-a') });
    const back = await suite.rolledOutTo('rollback', `${suite.image('rollback-a')}@${a}`);
    expect(back.status?.schemaVersion).toBe(newestMigration);
    expect(conditionOf(back, 'MigrationsApplied')).toMatchObject({
      status: 'True',
      reason: 'SchemaNewerThanCode',
    });
    expect(await suite.eventReasons('rollback')).toContain('SchemaNewerThanCode');
    expect(await suite.jobsOf('rollback', 'migrate')).toHaveLength(2);
  });

  it('reads the deployed revision from the Deployment, not from a status written ahead of it', async () => {
    let hold = false;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await suite.jobsFor('truth', {
      beforeRun: async (job) => (hold && migrates(job) ? held : undefined),
    });
    const v1 = await suite.registry.pushImage('notejam/app', 'truth-v1');
    await suite.applyInstance('truth', { image: suite.image('truth-v1') });
    await suite.rolledOutTo('truth', `${suite.image('truth-v1')}@${v1}`);

    hold = true;
    const v2 = await suite.registry.pushImage('notejam/app', 'truth-v2');
    await suite.applyInstance('truth', { image: suite.image('truth-v2') });
    const migrate = await waitFor('the v2 migration', async () =>
      (await suite.jobsOf('truth', 'migrate')).find((job) =>
        job.spec?.template.spec?.containers[0]?.image?.endsWith(v2),
      ),
    );
    // A status that says v2 is deployed while the Deployment still runs v1 (a writer that
    // crashed between the two): the operator must not take it for the truth.
    await suite.admin.apply(
      types.instance,
      {
        apiVersion: 'notejam.io/v1alpha1',
        kind: 'NotejamInstance',
        metadata: { name: 'truth', namespace: suite.namespace },
        status: { revision: migrate.metadata?.labels?.['notejam.io/revision'] },
      } as KubernetesObject,
      { fieldManager: 'crashed-writer', force: true, subresource: 'status' },
    );
    release();
    await suite.rolledOutTo('truth', `${suite.image('truth-v2')}@${v2}`);
  });

  it('takes over the Deployment of an older operator version without running a database step', async () => {
    const v1 = await suite.registry.pushImage('notejam/app', 'legacy');
    const legacyRevision = 'a1b2c3d4e5'; // that version hashed the whole pod template
    await suite.stopOperator();
    try {
      await suite.applyInstance('legacy', { image: suite.image('legacy') });
      const owner = await suite.instance('legacy');
      const running = deployment(owner, {
        image: `${suite.image('legacy')}@${v1}`,
        serviceMonitorAvailable: false,
      });
      running.spec!.template.metadata!.annotations = { 'notejam.io/revision': legacyRevision };
      await suite.admin.apply(types.deployment, running, {
        fieldManager: 'notejam-operator',
        force: true,
      });
    } finally {
      await suite.startOperator();
    }
    const adopted = await suite.observed(
      'legacy',
      'a revision',
      (instance) => !!instance.status?.revision,
    );
    expect(adopted.status?.revision).not.toBe(legacyRevision);
    expect(adopted.status?.deployedImage).toBe(`${suite.image('legacy')}@${v1}`);
    expect(await suite.jobsOf('legacy')).toHaveLength(0);
    // The pods roll once, to the new annotation; the image stays.
    await waitFor(
      'the annotation of the revision',
      async () =>
        (await suite.deployment('legacy'))?.spec?.template.metadata?.annotations?.[
          'notejam.io/revision'
        ] === adopted.status?.revision,
    );
    expect(await suite.deployedImage('legacy')).toBe(`${suite.image('legacy')}@${v1}`);
  });

  it('carries on after an operator restart in the middle of a migration, without a second migration Job', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    await suite.jobsFor('restart', {
      beforeRun: async (job) => (migrates(job) ? (started++, held) : undefined),
    });
    const v1 = await suite.registry.pushImage('notejam/app', 'restart');
    await suite.applyInstance('restart', { image: suite.image('restart') });
    await waitFor('the migration to start', () => started === 1);

    await suite.stopOperator();
    await suite.startOperator();
    await sleep(3000); // the new operator has listed the Jobs and reconciled several times
    expect(await suite.jobsOf('restart', 'migrate')).toHaveLength(1);
    expect(started).toBe(1);
    expect((await suite.instance('restart')).status?.phase).toBe('Migrating');

    release();
    await suite.rolledOutTo('restart', `${suite.image('restart')}@${v1}`);
    expect(await suite.jobsOf('restart', 'migrate')).toHaveLength(1);
  });
});

describe('the cluster-wide cap on lifecycle Jobs', () => {
  let capped: LifecycleSuite;

  beforeAll(async () => {
    capped = await LifecycleSuite.start('lifecycle-cap', { maxConcurrentLifecycleJobs: 1 });
  }, 180_000);
  afterAll(async () => {
    await capped?.stop();
  });

  it('runs at most MAX_CONCURRENT_LIFECYCLE_JOBS at once; the others wait their turn', async () => {
    // Each Job is held until released; `held` counts those started and not yet released,
    // `most` the largest such count a starting Job ever saw.
    let held = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    await capped.runJobs({
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
    const v1 = await capped.registry.pushImage('notejam/app', 'capped');
    const names = ['cap-a', 'cap-b', 'cap-c'];
    for (const name of names) {
      await capped.applyInstance(name, {
        image: capped.image('capped'),
        database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      });
    }
    await waitFor('a first Job to start', () => releases.length === 1);
    await waitFor('the two others to wait for a slot', async () => {
      let waiting = 0;
      for (const name of names) {
        const message = conditionOf(await capped.instance(name), 'Progressing')?.message ?? '';
        if (message.includes('waits for a free slot: 1 of 1 lifecycle Jobs')) waiting++;
      }
      return waiting === 2;
    });
    expect(
      (await capped.admin.list<V1Job>(jobType, { namespace: capped.namespace })).items.filter(
        (job) => !job.status?.conditions?.length,
      ),
    ).toHaveLength(1);

    // Each finished Job lets the next one start: a backup and a migration per instance.
    for (let started = 1; started <= 2 * names.length; started++) {
      await waitFor(`Job ${started} to start`, () => releases.length >= started);
      releases[started - 1]?.();
    }
    for (const name of names) {
      await waitFor(
        `${name} to roll out`,
        async () => (await capped.deployedImage(name)) === `${capped.image('capped')}@${v1}`,
        60_000,
      );
    }
    expect(most).toBe(1);
  });
});
