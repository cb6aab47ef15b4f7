// Data safety on the real control plane: the operator (under config/rbac) with a real OCI
// registry, the Job runner running the app's own CLI against MariaDB.
// - backup → migrate → rollout, in that order; status.lastBackup; retention;
// - a failed backup stops the rollout while the old revision serves;
// - retries run out (RetriesExhausted) until notejam.io/retry asks again;
// - pause: no child changed, no Job started, until unpaused;
// - a changed database Secret rolls the pods, with no database step;
// - a dev wipe on MySQL moves the pods to the maintenance page before the wipe Job, and
//   starts it only once no pod of the serving template is left (terminating included).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Job, V1PersistentVolumeClaim, V1Pod, V1Service } from '@kubernetes/client-node';
import { podType } from '../../src/controllers/notejam/controller.js';
import { markDeploymentAvailable, sleep, types, waitFor } from '../integration/support.js';
import { mysqlQuery } from '../support/mysql-database.js';
import { LifecycleSuite, conditionOf, fixtureEntrypoint } from './support.js';

jest.setTimeout(300_000);

let suite: LifecycleSuite;

beforeAll(async () => {
  suite = await LifecycleSuite.start('data-safety');
}, 180_000);

afterAll(async () => {
  await suite?.stop();
});

const revisionOf = (job: V1Job) => job.metadata?.labels?.['notejam.io/revision'];
const attemptOf = (job: V1Job) => job.metadata?.annotations?.['notejam.io/attempt'];
const time = (value: Date | string | undefined) => new Date(value ?? 0).getTime();
/** Holds a deleted pod in Terminating, as a kubelet's drain does. */
const drainFinalizer = 'notejam.io/test-drain';

describe('backup before migrate', () => {
  it('runs backup, then migrate, then the rollout; records the backup and keeps the newest ones', async () => {
    const name = 'backed';
    const jobs = await suite.jobsFor(name);
    const v1 = await suite.push('backed-v1');
    await suite.applyInstance(name, {
      image: suite.image('backed-v1'),
      lifecycle: { backup: { retention: 2, size: '1Gi' } },
    });
    const first = await suite.rolledOutTo(name, v1);
    // The volume the operator owns, there before its first Job.
    const claim = await suite.admin.get<V1PersistentVolumeClaim>(
      types.pvc,
      suite.namespace,
      `${name}-backups`,
    );
    expect(claim.spec?.resources?.requests?.storage).toBe('1Gi');
    expect(claim.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'NotejamInstance', name });
    // A fresh database: nothing to back up yet, nothing recorded.
    expect(await suite.jobsOf(name, 'backup')).toHaveLength(1);
    expect(first.status?.lastBackup).toBeUndefined();

    const db = jobs.database.name;
    await mysqlQuery(
      "INSERT INTO users (email, password_hash, created_at) VALUES ('kept@example.com', 'x', NOW());" +
        "INSERT INTO notes (user_id, pad_id, name, text, created_at, updated_at) VALUES (LAST_INSERT_ID(), NULL, 'Kept', 'text', NOW(), NOW());",
      db,
    );
    await jobs.runner.stop();

    // The next revision's backup is held running: no migration, no move meanwhile.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let backupStarted = false;
    const holding = await suite.jobsFor(
      name,
      {
        beforeRun: async (job) => {
          if (job.metadata?.labels?.['notejam.io/job-kind'] !== 'backup') return;
          backupStarted = true;
          await held;
        },
      },
      jobs,
    );
    const v2 = await suite.push('backed-v2');
    await suite.applyInstance(name, {
      image: suite.image('backed-v2'),
      lifecycle: { backup: { retention: 2, size: '1Gi' } },
    });
    try {
      await waitFor('the backup to start', () => backupStarted);
      const backingUp = await suite.observed(
        name,
        'phase BackingUp',
        (instance) => instance.status?.phase === 'BackingUp',
      );
      expect(conditionOf(backingUp, 'Progressing')?.message).toContain('-backup-');
      const running = (await suite.jobsOf(name, 'backup')).filter(
        (job) => revisionOf(job) !== first.status?.revision,
      );
      expect(running).toHaveLength(1);
      const migrations = (await suite.jobsOf(name, 'migrate')).map(revisionOf);
      expect(migrations).not.toContain(revisionOf(running[0]!));
      expect(await suite.deployedImage(name)).toBe(v1);
    } finally {
      release(); // also when a check failed: the runner must not wait for it forever
    }

    const second = await suite.rolledOutTo(name, v2);
    const [backup] = (await suite.jobsOf(name, 'backup')).filter(
      (job) => revisionOf(job) === second.status?.revision,
    );
    const [migrate] = (await suite.jobsOf(name, 'migrate')).filter(
      (job) => revisionOf(job) === second.status?.revision,
    );
    expect(time(migrate?.metadata?.creationTimestamp)).toBeGreaterThanOrEqual(
      time(backup?.status?.completionTime) - 1000, // timestamps have whole seconds
    );
    const directory = holding.runner.claimDirectory(suite.namespace, `${name}-backups`);
    const recorded = second.status?.lastBackup;
    expect(recorded).toMatchObject({
      file: expect.stringMatching(
        new RegExp(
          `^notejam-\\d{8}T\\d{6}\\.\\d{3}Z-before-${second.status?.revision}\\.ndjson\\.gz$`,
        ),
      ),
      persistentVolumeClaim: `${name}-backups`,
      schemaVersion: first.status?.schemaVersion,
      rows: 2,
      revision: second.status?.revision,
    });
    expect(recorded?.completedAt).toBeDefined();
    expect((await stat(join(directory, recorded!.file))).size).toBe(recorded?.sizeBytes);

    // Two more revisions: the volume keeps the newest two backups (retention).
    for (const tag of ['backed-v3', 'backed-v4']) {
      const next = await suite.push(tag);
      await suite.applyInstance(name, {
        image: suite.image(tag),
        lifecycle: { backup: { retention: 2, size: '1Gi' } },
      });
      await suite.rolledOutTo(name, next);
    }
    const newest = (await suite.instance(name)).status?.lastBackup?.file;
    const files = (await readdir(directory)).sort();
    expect(files).toHaveLength(2);
    expect(files).toContain(newest);
    expect(files).not.toContain(recorded?.file);
  });

  it('stops the rollout on a failed backup: Degraded BackupFailed, the old revision serves, no migration', async () => {
    const name = 'nospace';
    const good = await suite.jobsFor(name);
    const v1 = await suite.push('nospace-v1');
    await suite.applyInstance(name, { image: suite.image('nospace-v1') });
    await suite.rolledOutTo(name, v1);
    await good.runner.stop();

    await suite.jobsFor(name, { entrypoint: fixtureEntrypoint('failing-backup.mjs') }, good);
    await suite.push('nospace-v2');
    await suite.applyInstance(name, { image: suite.image('nospace-v2') });
    const degraded = await suite.observed(
      name,
      'Degraded by the backup',
      (instance) => conditionOf(instance, 'Degraded')?.status === 'True',
    );
    expect(conditionOf(degraded, 'Degraded')).toMatchObject({ reason: 'BackupFailed' });
    expect(conditionOf(degraded, 'Degraded')?.message).toContain('ENOSPC');
    expect(degraded.status?.phase).toBe('Degraded');
    expect(await suite.deployedImage(name)).toBe(v1);
    expect(degraded.status?.deployedImage).toBe(v1);
    const revisions = (await suite.jobsOf(name, 'migrate')).map(revisionOf);
    expect(revisions).toEqual([degraded.status?.revision]); // only the deployed one's
    expect(await suite.eventReasons(name)).toContain('BackupFailed');
  });
});

describe('bounded retries', () => {
  it('stops after spec.lifecycle.maxRetries with RetriesExhausted, until notejam.io/retry asks again', async () => {
    const name = 'exhausted';
    const good = await suite.jobsFor(name);
    const v1 = await suite.push('exhausted-v1');
    const spec = (tag: string) => ({
      image: suite.image(tag),
      lifecycle: { maxRetries: 1, backup: { enabled: false } },
    });
    await suite.applyInstance(name, spec('exhausted-v1'));
    await suite.rolledOutTo(name, v1);
    await good.runner.stop();

    const broken = await suite.jobsFor(
      name,
      { entrypoint: fixtureEntrypoint('broken-migration.mjs') },
      good,
    );
    const v2 = await suite.push('exhausted-v2');
    await suite.applyInstance(name, spec('exhausted-v2'));
    // The first failure, a retry 30 s later, its failure: no retry is left.
    const exhausted = await suite.observed(
      name,
      'RetriesExhausted',
      (instance) => conditionOf(instance, 'Degraded')?.reason === 'RetriesExhausted',
      120_000,
    );
    expect(conditionOf(exhausted, 'Degraded')?.message).toMatch(
      /failed 2 times .*maxRetries=1 retries; .*Nothing is retried until the spec changes or annotation notejam\.io\/retry gets a new value/s,
    );
    expect(conditionOf(exhausted, 'Degraded')?.message).toContain('ER_DUP_FIELDNAME');
    expect(conditionOf(exhausted, 'MigrationsApplied')?.reason).toBe('RetriesExhausted');
    expect(await suite.deployedImage(name)).toBe(v1);
    const attempts = async () =>
      (await suite.jobsOf(name, 'migrate'))
        .filter((job) => revisionOf(job) !== exhausted.status?.revision)
        .map(attemptOf);
    expect(await attempts()).toEqual(['2']);
    await sleep(3000); // several resyncs later: still nothing retried
    expect(await attempts()).toEqual(['2']);
    expect(conditionOf(await suite.instance(name), 'Degraded')?.reason).toBe('RetriesExhausted');

    // The cause is fixed (a good release behind the same digest here): a new retry request.
    await broken.runner.stop();
    await suite.jobsFor(name, {}, good);
    await suite.applyInstance(name, spec('exhausted-v2'), {
      annotations: { 'notejam.io/retry': 'fixed' },
    });
    const recovered = await suite.rolledOutTo(name, v2);
    expect(await attempts()).toEqual(['1']); // counted from 1 again
    expect(conditionOf(recovered, 'Degraded')?.status).toBe('False');
  });
});

describe('pause', () => {
  it('changes no child and starts no Job while paused; unpaused, it carries on', async () => {
    const name = 'paused';
    await suite.jobsFor(name);
    const v1 = await suite.push('paused-v1');
    const spec = (tag: string, paused: boolean) => ({
      image: suite.image(tag),
      paused,
      lifecycle: { backup: { enabled: false } },
    });
    await suite.applyInstance(name, spec('paused-v1', false));
    const before = await suite.rolledOutTo(name, v1);
    const jobsBefore = (await suite.jobsOf(name)).map((job) => job.metadata?.name);

    await suite.applyInstance(name, spec('paused-v1', true));
    await suite.observed(name, 'Paused', (i) => conditionOf(i, 'Paused')?.status === 'True');
    const v2 = await suite.push('paused-v2');
    await suite.applyInstance(name, spec('paused-v2', true));
    await suite.admin.delete(types.service, suite.namespace, name);
    const paused = await suite.observed(
      name,
      'the new image seen while paused',
      (i) =>
        i.spec.image === suite.image('paused-v2') && conditionOf(i, 'Paused')?.status === 'True',
    );
    await sleep(3000); // several resyncs and the Service's deletion later
    expect((await suite.jobsOf(name)).map((job) => job.metadata?.name)).toEqual(jobsBefore);
    expect(await suite.deployedImage(name)).toBe(v1);
    expect(
      await suite.admin.getIfExists<V1Service>(types.service, suite.namespace, name),
    ).toBeUndefined();
    expect(paused.status?.revision).toBe(before.status?.revision);
    expect(paused.status?.phase).toBe('Ready');
    expect(conditionOf(paused, 'Progressing')).toMatchObject({ status: 'False', reason: 'Paused' });

    await suite.applyInstance(name, spec('paused-v2', false));
    const resumed = await suite.rolledOutTo(name, v2);
    expect(conditionOf(resumed, 'Paused')).toMatchObject({ status: 'False', reason: 'NotPaused' });
    expect(
      await suite.admin.getIfExists<V1Service>(types.service, suite.namespace, name),
    ).toBeDefined();
    expect((await suite.jobsOf(name, 'migrate')).map(revisionOf)).toContain(
      resumed.status?.revision,
    );
  });
});

describe('credential rotation', () => {
  it('rolls the pods for a changed database Secret, with no database step and the same revision', async () => {
    const name = 'rotated';
    await suite.jobsFor(name);
    const v1 = await suite.push('rotated-v1');
    await suite.applyInstance(name, {
      image: suite.image('rotated-v1'),
      lifecycle: { backup: { enabled: false } },
    });
    const before = await suite.rolledOutTo(name, v1);
    const template = async () => (await suite.deployment(name))?.spec?.template.metadata;
    const hashBefore = (await template())?.annotations?.['notejam.io/database-secret-hash'];
    expect(hashBefore).toMatch(/^[0-9a-f]{16}$/);
    const jobsBefore = (await suite.jobsOf(name)).map((job) => job.metadata?.name);

    // Another key than the app reads: nothing to roll.
    await suite.patchDatabaseSecret(name, { note: 'rotated next week' });
    await sleep(3000);
    expect((await template())?.annotations?.['notejam.io/database-secret-hash']).toBe(hashBefore);

    await suite.patchDatabaseSecret(name, { password: 'a-rotated-password' });
    const rolled = await waitFor('the Deployment to roll for the new password', async () => {
      const hash = (await template())?.annotations?.['notejam.io/database-secret-hash'];
      return hash !== hashBefore ? hash : undefined;
    });
    expect(rolled).toMatch(/^[0-9a-f]{16}$/);
    await markDeploymentAvailable(suite.admin, suite.namespace, name);
    const after = await suite.observed(name, 'Ready again', (i) => i.status?.phase === 'Ready');
    expect(after.status?.revision).toBe(before.status?.revision);
    expect((await template())?.annotations?.['notejam.io/revision']).toBe(before.status?.revision);
    expect((await suite.jobsOf(name)).map((job) => job.metadata?.name)).toEqual(jobsBefore);
  });
});

describe('a dev wipe on MySQL', () => {
  it('moves the pods to the maintenance page, wipes only once they all run it, then rolls out', async () => {
    const name = 'devsql';
    const jobs = await suite.jobsFor(name);
    const spec = (tag: string) => ({
      image: suite.image(tag),
      environment: 'development',
      lifecycle: { onDeploy: 'wipe' },
    });
    const v1 = await suite.push('devsql-v1');
    await suite.applyInstance(name, spec('devsql-v1'));
    // A fresh instance has no pods to move: wiped, migrated, rolled out.
    await suite.rolledOutTo(name, v1);
    const args = async () =>
      (await suite.deployment(name))?.spec?.template.spec?.containers[0]?.args;
    expect(await args()).toEqual(['serve']);
    const wipesBefore = (await suite.jobsOf(name, 'wipe')).length;
    await mysqlQuery(
      "INSERT INTO users (email, password_hash, created_at) VALUES ('gone@example.com', 'x', NOW())",
      jobs.database.name,
    );

    const v2 = await suite.push('devsql-v2');
    await suite.applyInstance(name, spec('devsql-v2'));
    await waitFor('the maintenance page', async () => (await args())?.[0] === 'maintenance');
    const moving = await suite.observed(name, 'phase Wiping', (i) => i.status?.phase === 'Wiping');
    expect(conditionOf(moving, 'Progressing')?.message).toContain('maintenance page');
    expect(await suite.deployedImage(name)).toBe(v1); // the same pods, the maintenance command
    await sleep(2000); // the maintenance pods are not up yet: no wipe
    expect(await suite.jobsOf(name, 'wipe')).toHaveLength(wipesBefore);

    // A pod of the serving template still terminating (its drain holds it, here a
    // finalizer): the Deployment's status counts it no more, but it still answers the
    // connections it holds against the database. The wipe waits until it is gone.
    const serving = await suite.deployment(name);
    const leftover = `${name}-previous-template`;
    await suite.admin.create<V1Pod>(
      podType,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: leftover,
          namespace: suite.namespace,
          labels: serving?.spec?.selector.matchLabels,
          annotations: { 'notejam.io/revision': 'serving' },
          finalizers: [drainFinalizer],
        },
        spec: { containers: [{ name: 'app', image: suite.image('devsql-v1') }] },
      },
      'test',
    );
    await suite.admin.delete(podType, suite.namespace, leftover);
    await markDeploymentAvailable(suite.admin, suite.namespace, name);
    const draining = await suite.observed(name, 'waiting for the previous pod', (i) =>
      /^Waiting for 1 pod\(s\) of the previous template/.test(
        conditionOf(i, 'Progressing')?.message ?? '',
      ),
    );
    expect(draining.status?.phase).toBe('Wiping');
    expect(await suite.jobsOf(name, 'wipe')).toHaveLength(wipesBefore);

    const marked = Date.now();
    await suite.admin.mergePatch(
      podType,
      suite.namespace,
      leftover,
      { metadata: { finalizers: null } },
      'test',
    );
    await suite.rolledOutTo(name, v2);
    expect(await args()).toEqual(['serve']);
    const wipes = await suite.jobsOf(name, 'wipe');
    expect(wipes).toHaveLength(wipesBefore + 1);
    const wipe = wipes.find((job) => time(job.metadata?.creationTimestamp) >= marked - 1000);
    expect(wipe).toBeDefined();
    expect(
      Number((await mysqlQuery('SELECT COUNT(*) FROM users', jobs.database.name))[0]?.[0]),
    ).toBe(0);
  });
});
