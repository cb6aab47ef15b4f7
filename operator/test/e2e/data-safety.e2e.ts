// Data safety on real pods (variables: see cluster.ts):
// - prod takes a backup before a new revision's migrations; after the data is damaged,
//   the restore runbook (docs/runbooks/restore-backup.md and its Job manifest) brings every
//   note back;
// - a paused dev ignores a new image until it is unpaused;
// - a rotated database password on test (a new user in the Secret) is in use after one
//   rollout, with no database step and no failed request under load;
// - a dev instance on MySQL is wiped on a new image under load: every answer is the page,
//   the sign-in redirect of a wiped session, or the maintenance page (503, Retry-After),
//   never an error.
// Prints `E2E-METRIC credential-rotation …` and `E2E-METRIC mysql-dev-wipe …`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  appPods,
  condition,
  imageFromEnv,
  instanceIn,
  isSettled,
  keepsImage,
  createRestrictedNamespace,
  kubectl,
  lifecycleJobs,
  jobSucceeded,
  metric,
  namespaceOf,
  patchInstance,
  revisionOf,
  rollOut,
  serviceUrl,
  setImage,
  settledWithService,
  step,
  waitFor,
  waitSettled,
  currentTemplatePods,
  onlyCurrentTemplatePods,
  type Instance,
} from './cluster.js';
import { describeFailures, startReading, type LoadReport } from './http-load.js';
import { NotejamClient, newUserWithNote } from './notejam-client.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** SQL as MariaDB's root, in the cluster's MariaDB pod (hack/kind/mariadb.yaml). */
async function mariadb(sql: string): Promise<string[][]> {
  const password = Buffer.from(
    await kubectl([
      '-n',
      'notejam-db',
      'get',
      'secret',
      'mariadb-init',
      '-o',
      'jsonpath={.data.root-password}',
    ]),
    'base64',
  ).toString('utf8');
  const output = await kubectl(
    ['-n', 'notejam-db', 'exec', '-i', 'mariadb-0', '--', 'env', `MYSQL_PWD=${password}`].concat([
      'mariadb',
      '-uroot',
      '--batch',
      '--skip-column-names',
    ]),
    sql,
  );
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** Waits until the operator has acted on the current generation while paused. */
function pausedObserved(namespace: string): Promise<Instance> {
  return waitFor(`${namespace} to report Paused for its generation`, async () => {
    const instance = await instanceIn(namespace);
    const paused = condition(instance, 'Paused');
    return instance.status?.observedGeneration === instance.metadata.generation &&
      paused?.status === 'True' &&
      paused.observedGeneration === instance.metadata.generation
      ? instance
      : undefined;
  });
}

interface Deployment {
  metadata: { generation: number };
  spec: {
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: { containers: Array<{ image: string; args?: string[] }> };
    };
  };
}

async function deploymentOf(namespace: string): Promise<Deployment> {
  const { name } = (await instanceIn(namespace)).metadata;
  return JSON.parse(
    await kubectl(['-n', namespace, 'get', 'deployment', name, '-o', 'json']),
  ) as Deployment;
}

async function jobStatus(
  namespace: string,
  name: string,
): Promise<'complete' | 'failed' | undefined> {
  const job = JSON.parse(await kubectl(['-n', namespace, 'get', 'job', name, '-o', 'json'])) as {
    status?: { conditions?: Array<{ type: string; status: string }> };
  };
  const isTrue = (type: string) =>
    job.status?.conditions?.some((c) => c.type === type && c.status === 'True');
  return isTrue('Complete') ? 'complete' : isTrue('Failed') ? 'failed' : undefined;
}

/** The runbook's restore Job manifest with its variables filled in, as envsubst would. */
function restoreJob(variables: Record<string, string>): string {
  const template = readFileSync(`${repoRoot}docs/runbooks/restore-backup-job.yaml`, 'utf8');
  return template.replace(/\$\{([A-Z_]+)\}/g, (all, name: string) => variables[name] ?? all);
}

describe('backup before migrating, and the restore runbook (prod)', () => {
  const namespace = namespaceOf('prod');
  keepsImage(namespace);

  it('backs up before the migrations; a restore from that backup brings every note back', async () => {
    const nextImage = imageFromEnv('E2E_NEXT_IMAGE');
    const { instance: before, baseUrl } = await settledWithService(namespace);
    const user = await step('prod: a user with notes', [namespace], async () => {
      const created = await newUserWithNote(baseUrl, 'backup');
      for (let index = 1; index <= 4; index++)
        expect((await created.client.createNote(`${created.note} #${index}`, 'kept')).status).toBe(
          302,
        );
      return created;
    });
    const notesBefore = Number((await mariadb('SELECT COUNT(*) FROM notejam_prod.notes'))[0]![0]);
    expect(notesBefore).toBeGreaterThanOrEqual(5);

    const after = await step(`prod: roll out ${nextImage}`, [namespace], () =>
      rollOut(namespace, nextImage),
    );
    const revision = after.status?.revision as string;
    expect(revision).not.toBe(before.status?.revision);

    await step('prod: a backup Job ran before the migrate Job', [namespace], async () => {
      const [backup, ...moreBackups] = await lifecycleJobs(namespace, 'backup', revision);
      const [migrate] = await lifecycleJobs(namespace, 'migrate', revision);
      expect(moreBackups).toEqual([]);
      expect(backup && jobSucceeded(backup)).toBe(true);
      expect(migrate && jobSucceeded(migrate)).toBe(true);
      expect(Date.parse(migrate!.metadata.creationTimestamp)).toBeGreaterThanOrEqual(
        Date.parse(backup!.status!.completionTime!),
      );
      expect(after.status?.lastBackup).toMatchObject({
        file: expect.stringMatching(
          new RegExp(`^notejam-\\d{8}T\\d{6}\\.\\d{3}Z-before-${revision}\\.ndjson\\.gz$`),
        ),
        persistentVolumeClaim: `${after.metadata.name}-backups`,
        schemaVersion: before.status?.schemaVersion,
        revision,
      });
      expect(after.status?.lastBackup?.sizeBytes).toBeGreaterThan(0);
      expect(after.status?.lastBackup?.rows).toBeGreaterThanOrEqual(notesBefore);
    });

    await step('prod: the notes are damaged', [namespace], async () => {
      await mariadb('DELETE FROM notejam_prod.notes');
      expect((await user.client.get('/')).body).not.toContain(user.note);
    });

    const file = after.status!.lastBackup!.file;
    await step(`prod: restored from ${file} as the runbook says`, [namespace], async () => {
      const name = after.metadata.name;
      await patchInstance(namespace, { spec: { paused: true } });
      await pausedObserved(namespace);
      await kubectl([
        '-n',
        namespace,
        'patch',
        'deployment',
        name,
        '--type=json',
        '-p',
        JSON.stringify([
          { op: 'replace', path: '/spec/template/spec/containers/0/args', value: ['maintenance'] },
        ]),
      ]);
      await kubectl(['-n', namespace, 'rollout', 'status', `deployment/${name}`, '--timeout=10m']);
      // As the runbook says: the serving pods still terminating are gone too.
      await onlyCurrentTemplatePods(namespace);
      // Paused: the operator leaves the maintenance page in place.
      expect((await fetch(`${baseUrl}/`, { redirect: 'manual' })).status).toBe(503);
      await kubectl(['-n', namespace, 'delete', 'job', `${name}-restore`, '--ignore-not-found']);
      await kubectl(
        ['apply', '-f', '-'],
        restoreJob({
          NAMESPACE: namespace,
          INSTANCE: name,
          IMAGE: after.status!.deployedImage!,
          DATABASE_SECRET: 'notejam-db',
          BACKUP_FILE: file,
        }),
      );
      const outcome = await waitFor(`job ${name}-restore to finish`, () =>
        jobStatus(namespace, `${name}-restore`),
      );
      const log = await kubectl([
        '-n',
        namespace,
        'logs',
        `job/${name}-restore`,
        '--all-containers',
        '--prefix',
      ]);
      expect({ outcome, log }).toMatchObject({ outcome: 'complete' });
      expect(log).toMatch(/imported \d[\d,]* rows .* of schema version/);
      await patchInstance(namespace, { spec: { paused: false } });
      await waitSettled(namespace, (instance) => condition(instance, 'Paused')?.status !== 'True');
      // The maintenance pods still terminating answer 503 on the connections they hold.
      await onlyCurrentTemplatePods(namespace);
      const deployment = await deploymentOf(namespace);
      expect(deployment.spec.template.spec.containers[0]!.args).toEqual(['serve']);
    });

    await step('prod: every note is back', [namespace], async () => {
      expect(Number((await mariadb('SELECT COUNT(*) FROM notejam_prod.notes'))[0]![0])).toBe(
        notesBefore,
      );
      // A new session, through the Service the restored pods serve.
      const client = new NotejamClient(baseUrl);
      expect((await client.signIn(user.email, user.password)).status).toBe(302);
      const page = (await client.get('/')).body;
      for (const name of [user.note, ...[1, 2, 3, 4].map((index) => `${user.note} #${index}`)])
        expect(page).toContain(name);
    });
  });
});

describe('pause (dev)', () => {
  const namespace = namespaceOf('dev');
  keepsImage(namespace);

  it('a paused instance ignores a new image until it is unpaused', async () => {
    const nextImage = imageFromEnv('E2E_NEXT_IMAGE');
    const { instance: before } = await settledWithService(namespace);
    const deploymentBefore = await deploymentOf(namespace);
    await step('dev: paused, then given a new image', [namespace], async () => {
      await patchInstance(namespace, { spec: { paused: true } });
      await pausedObserved(namespace);
      await setImage(namespace, nextImage);
      const paused = await pausedObserved(namespace);
      expect(paused.status?.revision).toBe(before.status?.revision);
      expect(paused.status?.deployedImage).toBe(before.status?.deployedImage);
      const deployment = await deploymentOf(namespace);
      expect(deployment.metadata.generation).toBe(deploymentBefore.metadata.generation);
      expect(deployment.spec.template).toEqual(deploymentBefore.spec.template);
      for (const pod of await appPods(namespace))
        expect(revisionOf(pod)).toBe(before.status?.revision);
      // The printer column says so.
      const table = await kubectl(['-n', namespace, 'get', 'nj']);
      expect(table.split('\n')[0]).toContain('PAUSED');
      expect(table.split('\n')[1]).toMatch(/\btrue\b/);
    });
    await step('dev: unpaused, the new image rolls out', [namespace], async () => {
      await patchInstance(namespace, { spec: { paused: false } });
      const resumed = await waitSettled(
        namespace,
        (instance) => instance.status?.revision !== before.status?.revision,
      );
      expect(resumed.status?.deployedImage).not.toBe(before.status?.deployedImage);
      expect(condition(resumed, 'Paused')?.status).toBe('False');
    });
  });
});

describe('credential rotation (test)', () => {
  const namespace = namespaceOf('test');
  const rotatedUser = 'notejam_test_rotated';
  const rotatedPassword = randomBytes(18).toString('base64url');
  let original: { username: string; password: string } | undefined;
  const secretValue = async (key: string) =>
    Buffer.from(
      await kubectl([
        '-n',
        namespace,
        'get',
        'secret',
        'notejam-db',
        '-o',
        `jsonpath={.data.${key}}`,
      ]),
      'base64',
    ).toString('utf8');
  const setCredentials = (username: string, password: string) =>
    kubectl([
      '-n',
      namespace,
      'patch',
      'secret',
      'notejam-db',
      '--type=merge',
      '-p',
      JSON.stringify({ stringData: { username, password } }),
    ]);
  /** Waits until every app pod runs with the Secret's current values and the rollout is done. */
  const rolledOutWith = (hash: (value: string | undefined) => boolean) =>
    waitFor(
      `${namespace}: the pods to run with the new database settings`,
      async () => {
        const deployment = await deploymentOf(namespace);
        const current =
          deployment.spec.template.metadata.annotations?.['notejam.io/database-secret-hash'];
        if (!hash(current)) return undefined;
        const instance = await instanceIn(namespace);
        if (!isSettled(instance)) return undefined;
        // Terminating pods of the old template included: they still hold old connections.
        const pods = await currentTemplatePods(namespace);
        if (!pods) return undefined;
        const ready = pods.every(
          (pod) =>
            pod.metadata.annotations?.['notejam.io/database-secret-hash'] === current &&
            pod.status.containerStatuses?.every((status) => status.ready),
        );
        return ready && pods.length === instance.status?.readyReplicas
          ? { deployment, pods }
          : undefined;
      },
      { intervalMs: 1000 },
    );

  beforeAll(async () => {
    original = { username: await secretValue('username'), password: await secretValue('password') };
    await mariadb(
      `CREATE USER IF NOT EXISTS '${rotatedUser}'@'%' IDENTIFIED BY '${rotatedPassword}';
       GRANT ALL PRIVILEGES ON notejam_test.* TO '${rotatedUser}'@'%';`,
    );
  });

  afterAll(() =>
    step('test: the original credentials back', [namespace], async () => {
      if (!original) return;
      await mariadb(`ALTER USER '${original.username}'@'%' ACCOUNT UNLOCK;`);
      const before = (await deploymentOf(namespace)).spec.template.metadata.annotations?.[
        'notejam.io/database-secret-hash'
      ];
      await setCredentials(original.username, original.password);
      await rolledOutWith((hash) => hash !== undefined && hash !== before);
      await mariadb(`DROP USER IF EXISTS '${rotatedUser}'@'%';`);
    }),
  );

  it('a rotated password is in use after one rollout, with no database step and no failed request', async () => {
    const { instance: before, baseUrl } = await settledWithService(namespace);
    const deploymentBefore = await deploymentOf(namespace);
    const podsBefore = (await appPods(namespace)).map((pod) => pod.metadata.name);
    const jobsBefore = (await kubectl(['-n', namespace, 'get', 'jobs', '-o', 'name'])).trim();
    const user = await step('test: a user with a note to read', [namespace], () =>
      newUserWithNote(baseUrl, 'rotation'),
    );
    const loops = 4;
    const load = startReading(baseUrl, user, loops);
    let report: LoadReport;
    const started = Date.now();
    let rolledOut: Awaited<ReturnType<typeof rolledOutWith>>;
    try {
      rolledOut = await step(
        'test: new credentials in the Secret, rolled out',
        [namespace],
        async () => {
          await setCredentials(rotatedUser, rotatedPassword);
          const previous =
            deploymentBefore.spec.template.metadata.annotations?.[
              'notejam.io/database-secret-hash'
            ];
          return rolledOutWith((hash) => hash !== undefined && hash !== previous);
        },
      );
      // The old password stops working: whatever still served with it would fail now.
      await mariadb(`ALTER USER '${original!.username}'@'%' ACCOUNT LOCK;`);
      await step(
        'test: requests keep being answered with only the new user',
        [namespace],
        async () => {
          const client = new NotejamClient(baseUrl);
          expect((await client.signIn(user.email, user.password)).status).toBe(302);
          expect((await client.get('/')).body).toContain(user.note);
        },
      );
    } finally {
      report = await load.stop();
      metric(
        `credential-rotation requests=${report.requests} failures=${report.failures.length} ` +
          `rollout-seconds=${((Date.now() - started) / 1000).toFixed(1)} loops=${loops}`,
      );
    }

    await step('test: one rollout, no database step, no failed request', [namespace], async () => {
      if (report.failures.length > 0) throw new Error(describeFailures(report.failures));
      const { deployment, pods } = rolledOut;
      // One apply of the Deployment: one new pod template, every pod replaced once.
      expect(deployment.metadata.generation).toBe(deploymentBefore.metadata.generation + 1);
      expect(pods.filter((pod) => podsBefore.includes(pod.metadata.name))).toEqual([]);
      const after = await instanceIn(namespace);
      expect(after.status?.revision).toBe(before.status?.revision);
      expect((await kubectl(['-n', namespace, 'get', 'jobs', '-o', 'name'])).trim()).toBe(
        jobsBefore,
      );
      // The database's own view: the app is connected as the rotated user only.
      const connections = await mariadb(
        `SELECT DISTINCT user FROM information_schema.PROCESSLIST WHERE db = 'notejam_test';`,
      );
      expect(connections).toEqual([[rotatedUser]]);
    });
  });
});

describe('a dev wipe on MySQL under load', () => {
  const namespace = `notejam-devsql-${randomBytes(3).toString('hex')}`;
  const database = namespace.replaceAll('-', '_');
  const password = randomBytes(18).toString('base64url');

  beforeAll(() =>
    step(`${namespace}: a MySQL dev instance`, [namespace], async () => {
      const { image } = (await instanceIn(namespaceOf('dev'))).spec;
      await mariadb(
        `CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
         CREATE USER '${database}'@'%' IDENTIFIED BY '${password}';
         GRANT ALL PRIVILEGES ON ${database}.* TO '${database}'@'%';`,
      );
      await createRestrictedNamespace(namespace);
      await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name: 'notejam-db', namespace },
              stringData: {
                host: 'mariadb.notejam-db.svc.cluster.local',
                port: '3306',
                database,
                username: database,
                password,
              },
            },
            {
              apiVersion: 'notejam.io/v1alpha1',
              kind: 'NotejamInstance',
              metadata: { name: 'notejam', namespace },
              spec: {
                image,
                environment: 'development',
                replicas: 2,
                database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
                lifecycle: { onDeploy: 'wipe' },
              },
            },
          ],
        }),
      );
      await waitSettled(namespace);
    }),
  );

  afterAll(() =>
    step(`${namespace}: removed`, [namespace], async () => {
      await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--timeout=5m']);
      await mariadb(`DROP DATABASE IF EXISTS ${database}; DROP USER IF EXISTS '${database}'@'%';`);
    }),
  );

  it('answers the page, a sign-in redirect or the maintenance page (503, Retry-After), never an error', async () => {
    const nextImage = imageFromEnv('E2E_NEXT_IMAGE');
    const baseUrl = await serviceUrl(namespace, 'notejam');
    const user = await step(`${namespace}: a user with a note`, [namespace], () =>
      newUserWithNote(baseUrl, 'devsql'),
    );
    const answers = { page: 0, signIn: 0, maintenance: 0 };
    const loops = 4;
    const load = startReading(baseUrl, user, loops, (status, body, headers) => {
      if (status === 200 && body.includes(user.note)) answers.page++;
      else if (status === 302 && headers['location']?.startsWith('/signin/')) answers.signIn++;
      else if (
        status === 503 &&
        headers['retry-after'] !== undefined &&
        body.includes('Notejam is being updated')
      )
        answers.maintenance++;
      else return `HTTP ${status}${headers['location'] ? ` to ${headers['location']}` : ''}`;
      return undefined;
    });
    let report: LoadReport;
    const started = Date.now();
    try {
      await step(`${namespace}: roll out ${nextImage} (wipe)`, [namespace], async () => {
        await rollOut(namespace, nextImage, 1000);
        // The maintenance pods still terminating answer the connections they hold; once
        // they are gone the load reaches the new revision, which signs the old session out.
        await onlyCurrentTemplatePods(namespace);
        await waitFor(
          'the new revision to answer the load',
          async () => (answers.signIn > 0 ? true : undefined),
          { timeoutMs: 120_000, intervalMs: 500 },
        );
      });
    } finally {
      report = await load.stop();
      metric(
        `mysql-dev-wipe requests=${report.requests} failures=${report.failures.length} ` +
          `page=${answers.page} signin=${answers.signIn} maintenance=${answers.maintenance} ` +
          `rollout-seconds=${((Date.now() - started) / 1000).toFixed(1)} loops=${loops}`,
      );
    }
    await step(`${namespace}: no error, and the data is gone`, [namespace], async () => {
      if (report.failures.length > 0) throw new Error(describeFailures(report.failures));
      // The maintenance page was served while the schema was recreated, the old session is gone.
      expect(answers.maintenance).toBeGreaterThan(0);
      expect(answers.signIn).toBeGreaterThan(0);
      const reply = await new NotejamClient(baseUrl).signIn(user.email, user.password);
      expect(reply.status).toBe(422);
    });
  });
});
