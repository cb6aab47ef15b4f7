// The Job runner on the real control plane: the app's own migrate command run from a Job
// against SQLite and the MariaDB test server, and failures reported as Kubernetes would.
import { jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job } from '@kubernetes/client-node';
import { withDefaults } from '../../src/api/v1alpha1/defaults.js';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import {
  failureLogTail,
  jobOutcome,
  jobPodSelector,
  lifecycleJob,
  type JobKind,
} from '../../src/controllers/notejam/jobs.js';
import { reportedBackup } from '../../src/controllers/notejam/backup.js';
import { reportedSchemaVersion } from '../../src/controllers/notejam/schema-version.js';
import { sessionSecret } from '../../src/controllers/notejam/session-secret.js';
import { sharedControlPlane } from '../envtest/control-plane.js';
import { waitFor } from '../integration/support.js';
import { JobRunner, removeAbandonedVolumes } from './job-runner.js';
import {
  createMysqlDatabase,
  databaseSecretData,
  mysqlQuery,
  type TestMysqlDatabase,
} from './mysql-database.js';

jest.setTimeout(180_000);

const cli = fileURLToPath(new URL('../../../app/dist/cli.js', import.meta.url));
const namespace = `job-runner-${process.pid}`;

let kubeConfig: KubeConfig;
let core: CoreV1Api;
let batch: BatchV1Api;
let runner: JobRunner;
let workDir: string;

/** A Job the way a test writes one by hand: one container, env given explicitly. */
function job(
  name: string,
  args: string[],
  env: Record<string, string>,
  extra: Partial<NonNullable<V1Job['spec']>> = {},
): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels: { 'job-runner-test': 'yes' } },
    spec: {
      backoffLimit: 0,
      ...extra,
      template: {
        metadata: { labels: { 'job-runner-test': 'yes' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'migrate',
              image: 'notejam:test',
              args,
              terminationMessagePolicy: 'FallbackToLogsOnError',
              env: [
                ...Object.entries(env).map(([name, value]) => ({ name, value })),
                {
                  name: 'SESSION_SECRET',
                  valueFrom: { secretKeyRef: { name: 'session', key: 'value' } },
                },
              ],
            },
          ],
        },
      },
    },
  };
}

async function finishedJob(name: string): Promise<V1Job> {
  await runner.finished(namespace, name);
  return batch.readNamespacedJob({ namespace, name });
}

async function podsOf(j: V1Job) {
  return (await core.listNamespacedPod({ namespace, labelSelector: jobPodSelector(j) })).items;
}

beforeAll(async () => {
  const plane = await sharedControlPlane();
  kubeConfig = plane.admin();
  core = kubeConfig.makeApiClient(CoreV1Api);
  batch = kubeConfig.makeApiClient(BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'session' },
      stringData: { value: 'a-session-secret-of-at-least-32-characters' },
    },
  });
  workDir = await mkdtemp(join(tmpdir(), 'notejam-job-runner-'));
  runner = new JobRunner({ kubeConfig, namespace, labelSelector: 'job-runner-test=yes' });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('JobRunner', () => {
  it('runs migrate against SQLite and marks the Job Complete', async () => {
    const dbPath = join(workDir, 'notejam.sqlite');
    const sqlite = { NODE_ENV: 'production', DB_TYPE: 'sqlite', DB_PATH: dbPath };
    await batch.createNamespacedJob({
      namespace,
      body: job('sqlite-migrate', ['migrate'], sqlite),
    });

    const done = await finishedJob('sqlite-migrate');
    expect(jobOutcome(done)).toMatchObject({ state: 'succeeded' });
    expect(done.status).toMatchObject({ succeeded: 1 });
    expect(done.status?.active ?? 0).toBe(0); // zero counters are omitted
    expect(done.status?.startTime).toBeDefined();
    expect(new Date(done.status!.completionTime!).getTime()).toBeGreaterThanOrEqual(
      new Date(done.status!.startTime!).getTime(),
    );
    expect(done.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'SuccessCriteriaMet=True',
      'Complete=True',
    ]);
    const run = await runner.finished(namespace, 'sqlite-migrate');
    expect(run).toMatchObject({ succeeded: true, exitCodes: [0] });
    expect(run.logTail).toMatch(/applied \d+ migration\(s\)/);

    // The schema is there: the app itself finds no pending migration.
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'migrate', '--status'], {
      env: {
        ...sqlite,
        PATH: process.env.PATH ?? '',
        SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
      },
    });
    expect(stdout).toContain('schema is up to date');
    const [pod] = await podsOf(done);
    expect(pod?.status?.phase).toBe('Succeeded');
    expect(pod?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Job',
      name: 'sqlite-migrate',
      controller: true,
    });
  });

  describe('with the operator’s Jobs on MariaDB', () => {
    let database: TestMysqlDatabase;
    const instance: NotejamInstance = {
      apiVersion: 'notejam.io/v1alpha1',
      kind: 'NotejamInstance',
      metadata: { name: 'notejam', namespace, uid: '0d9c8f0e-2b1f-4a36-9f0e-6f1c1d2e3a4b' },
      spec: withDefaults({
        image: 'registry.example.com/notejam:v1',
        environment: 'test',
        database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
        lifecycle: {
          onDeploy: 'migrate',
          seed: { enabled: true, users: 3, padsPerUser: 2, notesPerPad: 2 },
        },
      }),
    };
    const revision = 'abcdef0123';

    /** Creates the operator's Job for `kind` (picked up by the runner) and waits for it. */
    async function runStep(kind: JobKind, attempt = 1): Promise<V1Job> {
      const body = lifecycleJob(instance, kind, { image: instance.spec.image, revision, attempt });
      body.metadata.labels['job-runner-test'] = 'yes';
      const created = await batch.createNamespacedJob({ namespace, body });
      await runner.finished(namespace, body.metadata.name, created.metadata!.uid);
      return batch.readNamespacedJob({ namespace, name: body.metadata.name });
    }
    const count = async (table: string) =>
      Number((await mysqlQuery(`SELECT COUNT(*) FROM ${table}`, database.name))[0]?.[0]);
    const newestMigration = async () =>
      (
        await mysqlQuery('SELECT name FROM migrations ORDER BY id DESC LIMIT 1', database.name)
      )[0]?.[0];

    beforeAll(async () => {
      database = await createMysqlDatabase('notejam_job_runner');
      await core.createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: 'notejam-db' },
          stringData: databaseSecretData(database),
        },
      });
      await core.createNamespacedSecret({
        namespace,
        body: sessionSecret(instance, 'x'.repeat(40)),
      });
    });
    afterAll(() => database?.drop());

    it('migrate resolves the Secret references and applies the schema', async () => {
      const done = await runStep('migrate');
      expect(jobOutcome(done)).toMatchObject({ state: 'succeeded' });
      const tables = (await mysqlQuery('SHOW TABLES', database.name)).flat();
      expect(tables).toEqual(expect.arrayContaining(['migrations', 'users', 'pads', 'notes']));
      expect(await count('migrations')).toBeGreaterThan(0);
      // The file the app wrote became the pod's termination message, as the kubelet does.
      const [pod] = await podsOf(done);
      expect(pod?.status?.containerStatuses?.[0]?.state?.terminated?.message).toBe(
        `schemaVersion=${await newestMigration()}\n`,
      );
      expect(reportedSchemaVersion(done, await podsOf(done))).toBe(await newestMigration());
    });

    it('seed loads the data set, and running it again (an operator retry) adds nothing', async () => {
      const seeded = await runStep('seed');
      expect(jobOutcome(seeded)).toMatchObject({ state: 'succeeded' });
      // No file and a success: no message (the log is a fallback for failures only).
      const [pod] = await podsOf(seeded);
      expect(pod?.status?.containerStatuses?.[0]?.state?.terminated?.message).toBeUndefined();
      const sizes = {
        users: await count('users'),
        pads: await count('pads'),
        notes: await count('notes'),
      };
      expect(sizes).toEqual({ users: 3, pads: 6, notes: 12 });

      const name = lifecycleJob(instance, 'seed', { image: instance.spec.image, revision }).metadata
        .name;
      // Background, as the operator deletes: the default for Jobs (orphan) leaves a finalizer
      // only the garbage collector removes, and the pods behind.
      await batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
      expect(jobOutcome(await runStep('seed', 2))).toMatchObject({ state: 'succeeded' });
      expect({
        users: await count('users'),
        pads: await count('pads'),
        notes: await count('notes'),
      }).toEqual(sizes);
    });

    it('backup writes into the claim’s directory, kept across Jobs, and reports the file', async () => {
      await expect(runStep('backup')).rejects.toThrow(
        /PersistentVolumeClaim notejam-backups: .*not found/i,
      );
      const name = lifecycleJob(instance, 'backup', { image: instance.spec.image, revision })
        .metadata.name;
      await batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
      await core.createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: 'notejam-backups' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      });
      const done = await runStep('backup', 2);
      expect(jobOutcome(done)).toMatchObject({ state: 'succeeded' });
      const report = reportedBackup(done, await podsOf(done));
      expect(report).toMatchObject({
        file: expect.stringMatching(/^notejam-\d{8}T\d{6}\.\d{3}Z-before-abcdef0123\.ndjson\.gz$/),
        schemaVersion: await newestMigration(),
        rows: 3 + 6 + 12,
      });
      const directory = runner.claimDirectory(namespace, 'notejam-backups');
      expect(await readdir(directory)).toEqual([report!.file]);
      expect((await stat(join(directory, report!.file))).size).toBe(report!.sizeBytes);
    });

    it('wipe empties the database and leaves the schema in place', async () => {
      expect(await count('notes')).toBeGreaterThan(0);
      const wiped = await runStep('wipe');
      expect(jobOutcome(wiped)).toMatchObject({ state: 'succeeded' });
      expect({ users: await count('users'), notes: await count('notes') }).toEqual({
        users: 0,
        notes: 0,
      });
      expect(await count('migrations')).toBeGreaterThan(0);
      expect(reportedSchemaVersion(wiped, await podsOf(wiped))).toBe(await newestMigration());
    });
  });

  it('fails a Job after its backoff limit, with the log tail in the pod status', async () => {
    const unreachable = {
      NODE_ENV: 'production',
      DB_TYPE: 'mysql',
      DB_HOST: '127.0.0.1',
      DB_PORT: '1',
      DB_NAME: 'x',
      DB_USER: 'x',
      DB_PASSWORD: 'x',
    };
    await batch.createNamespacedJob({
      namespace,
      body: job('broken-migrate', ['migrate'], unreachable, { backoffLimit: 1 }),
    });

    const failed = await finishedJob('broken-migrate');
    expect(jobOutcome(failed)).toMatchObject({ state: 'failed', reason: 'BackoffLimitExceeded' });
    expect(failed.status).toMatchObject({ failed: 2 });
    expect(failed.status?.active ?? 0).toBe(0);
    expect(failed.status?.completionTime).toBeUndefined();
    expect(failed.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'FailureTarget=True',
      'Failed=True',
    ]);
    const run = await runner.finished(namespace, 'broken-migrate');
    expect(run).toMatchObject({ succeeded: false, reason: 'BackoffLimitExceeded' });
    expect(run.exitCodes).toHaveLength(2);
    expect(run.exitCodes.every((code) => code !== 0)).toBe(true);
    expect(run.logTail).toMatch(/ECONNREFUSED|connect/i);

    // What the reconciler reads for the Degraded message, in a cluster as here.
    const pods = await podsOf(failed);
    expect(pods).toHaveLength(2);
    expect(failureLogTail(failed, pods)).toBe(run.logTail.trimEnd());
  });

  it('fails a Job that outlives its activeDeadlineSeconds', async () => {
    const body = job('slow', [], {}, { activeDeadlineSeconds: 1, backoffLimit: 3 });
    body.spec!.template.spec!.containers[0]!.command = [
      process.execPath,
      '-e',
      'setTimeout(() => {}, 60_000)',
    ];
    await batch.createNamespacedJob({ namespace, body });
    const failed = await finishedJob('slow');
    expect(jobOutcome(failed)).toMatchObject({ state: 'failed', reason: 'DeadlineExceeded' });
    expect((await runner.finished(namespace, 'slow')).exitCodes).toEqual([null]);
  });

  it('runs only the Jobs its selector matches', async () => {
    const other = job('not-mine', ['migrate'], {});
    // Without labels of its own a Job takes its template's.
    other.metadata!.labels = { 'job-runner-test': 'no' };
    other.spec!.template.metadata!.labels = {};
    await batch.createNamespacedJob({ namespace, body: other });
    // A Job of ours created afterwards finishes; the other one was never touched.
    await batch.createNamespacedJob({
      namespace,
      body: job('usage-error', ['no-such-command'], { NODE_ENV: 'production' }),
    });
    const failed = await finishedJob('usage-error');
    expect((await runner.finished(namespace, 'usage-error')).logTail).toContain('unknown command');
    expect(jobOutcome(failed).state).toBe('failed');
    expect(
      (await batch.readNamespacedJob({ namespace, name: 'not-mine' })).status?.startTime,
    ).toBeUndefined();
  });

  it('reports a Job whose pod refers to a missing Secret instead of running it', async () => {
    const body = job('missing-secret', ['migrate'], {});
    body.spec!.template.spec!.containers[0]!.env!.push({
      name: 'DB_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'no-such-secret', key: 'password' } },
    });
    await batch.createNamespacedJob({ namespace, body });
    await expect(runner.finished(namespace, 'missing-secret')).rejects.toThrow(
      /could not run .*missing-secret: Secret no-such-secret for DB_PASSWORD/,
    );
  });

  it('leaves a Job whose image cannot be pulled in ImagePullBackOff, never started, until it is deleted', async () => {
    const pulling = new JobRunner({
      kubeConfig,
      namespace,
      labelSelector: 'job-runner-test=unpullable',
      pullable: (image) => image !== 'notejam:mistyped',
    });
    await pulling.start();
    try {
      const body = job('unpullable', ['migrate'], {});
      body.metadata!.labels = { 'job-runner-test': 'unpullable' };
      body.spec!.template.spec!.containers[0]!.image = 'notejam:mistyped';
      const created = await batch.createNamespacedJob({ namespace, body });
      const pod = await waitFor('the pod in ImagePullBackOff', async () => {
        const [found] = await podsOf(created);
        return found?.status?.containerStatuses?.[0]?.state?.waiting ? found : undefined;
      });
      expect(pod.status?.phase).toBe('Pending');
      expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
      const current = await batch.readNamespacedJob({ namespace, name: 'unpullable' });
      expect(current.status).toMatchObject({ active: 1 });
      expect(current.status?.ready ?? 0).toBe(0);
      expect(jobOutcome(current)).toEqual({ state: 'running' });

      // Deleted (a newer revision superseded it): the runner lets go of it.
      await batch.deleteNamespacedJob({
        namespace,
        name: 'unpullable',
        propagationPolicy: 'Background',
      });
    } finally {
      await pulling.stop();
    }
  });

  it('holds a Job in beforeRun, and stops cleanly with a process still running', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding = new JobRunner({
      kubeConfig,
      namespace,
      labelSelector: 'job-runner-test=held',
      beforeRun: () => held,
    });
    await holding.start();
    try {
      const body = job('held', [], {});
      body.metadata!.labels = { 'job-runner-test': 'held' };
      body.spec!.template.spec!.containers[0]!.command = [
        process.execPath,
        '-e',
        'setTimeout(() => {}, 120_000)',
      ];
      await batch.createNamespacedJob({ namespace, body });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(
        (await batch.readNamespacedJob({ namespace, name: 'held' })).status?.startTime,
      ).toBeUndefined();

      release();
      for (let i = 0; ; i++) {
        const current = await batch.readNamespacedJob({ namespace, name: 'held' });
        if (current.status?.active === 1 && (await podsOf(current)).length === 1) break;
        if (i > 100) throw new Error('the held Job never started');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await holding.stop();
    }
    // Stopped mid-run: the process is gone and the Job is left as it was, unfinished.
    const left = await batch.readNamespacedJob({ namespace, name: 'held' });
    expect(jobOutcome(left)).toEqual({ state: 'running' });
    expect(left.status?.active).toBe(1);
  });

  it("removes the claim directories of a killed run at start, never a live runner's", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'job-runner-volumes-test-'));
    try {
      // A process that has exited: its pid names no process now.
      const exited = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', '']);
        child.on('error', reject).on('exit', () => resolve(child.pid as number));
      });
      const names = {
        killed: `notejam-job-volumes-${exited}-abc123`,
        live: `notejam-job-volumes-${process.pid}-def456`,
        other: 'notejam-job-volumes-ghi789',
      };
      for (const name of Object.values(names))
        await mkdir(join(dir, name, 'claim'), { recursive: true });

      expect(await removeAbandonedVolumes(dir)).toEqual([names.killed]);
      expect((await readdir(dir)).sort()).toEqual([names.live, names.other].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
