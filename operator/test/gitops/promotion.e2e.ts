// GitOps end to end on the local cluster (`make gitops-e2e`, after hack/gitops/up.sh): the
// promotion path as a team lives it, with Argo CD syncing from the git server, the pipeline
// run as CI runs it after every push, and the operator of each environment deploying. In
// order, each step building on the previous one:
//   1. the first releases are recorded and the cluster bootstraps from git (one root, its
//      sync waves really waiting), every environment Healthy, and the ServiceMonitors,
//      absent while their CRD is, are added once it is served: the operators' by Argo CD,
//      prod's app's by its operator;
//   2. a docs-only commit on dev changes nothing that runs;
//   3. a commit on dev with a visible change and a new migration is built once, synced,
//      and dev is wiped and serves it;
//   4. a real merge dev -> test, through the promotion guard: test migrates in place, its
//      seeded data intact, on dev's very digest;
//   5. a merge test -> prod rolls prod under keep-alive load without one failed request,
//      on the same digest;
//   6. an operator change reaches dev's operator while test and prod keep theirs;
//   7. the rollback puts prod's previous build back, without building;
//   8. a failing migration shows as Degraded in Argo CD while the old version serves, and
//      reverting it on dev and promoting again heals test;
//   9. deleting Applications keeps the namespaces, the database Secret and the CRD.
// Timings print as `E2E-METRIC gitops-...` lines (docs/benchmarks.md).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  appPods,
  condition,
  instanceIn,
  kubectl,
  metric,
  namespaceOf,
  podsOf,
  serviceUrl,
  settledWithService,
  step,
  waitFor,
  waitSettled,
  type Environment,
  type Instance,
} from '../e2e/cluster.js';
import { describeFailures, startReading, type LoadReport } from '../e2e/http-load.js';
import { NotejamClient, expectNoteServed, newUserWithNote } from '../e2e/notejam-client.js';
import {
  Checkout,
  application,
  argocdNamespace,
  command,
  digestIn,
  instanceHealth,
  operatorImage,
  repoRoot,
  variable,
  waitInstanceHealthy,
  waitSyncedHealthy,
  watchInstanceHealth,
} from './gitops.js';

const environments: Environment[] = ['dev', 'test', 'prod'];
const namespaces = environments.map(namespaceOf);
/** The app's seed command creates demo<i>@example.com with this password (app/src/database/seed.ts). */
const seededAccount = { email: 'demo1@example.com', password: 'notejam-demo' };
/** Makes this run's changes unique: a re-run on the same cluster builds new sources. */
const runId = Date.now();
const marker = `Delivered by GitOps run ${runId}`;
const migrationName = `GitopsE2eMarker${runId}`;
const failingMigrationName = `GitopsE2eFailing${runId + 1}`;

let checkout: Checkout;
let repoURL: string;

/** The first step that failed: each later one builds on it, so it stops at once, naming it. */
let failedStep: string | undefined;

/** One step of the story, in order; fails at once when an earlier one failed. */
function scenario(name: string, run: () => Promise<void>): void {
  it(name, async () => {
    if (failedStep) throw new Error(`not run: it builds on "${failedStep}", which failed`);
    try {
      await run();
    } catch (error) {
      failedStep = name;
      throw error;
    }
  });
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/** Pods (name and uid) and instance state of every environment: what "nothing changed" compares. */
async function runningState() {
  const state: Record<string, unknown> = {};
  for (const namespace of namespaces) {
    const instance = await instanceIn(namespace);
    const pods = (await podsOf(namespace, 'app.kubernetes.io/name in (notejam,notejam-operator)'))
      .filter((pod) => !pod.metadata.deletionTimestamp && pod.status.phase === 'Running')
      .map((pod) => `${pod.metadata.name}/${pod.metadata.uid}`)
      .sort();
    state[namespace] = {
      generation: instance.metadata.generation,
      image: instance.spec.image,
      revision: instance.status?.revision,
      operator: await operatorImage(namespace),
      pods,
    };
  }
  return state;
}

async function releasesHead(): Promise<string> {
  await checkout.git(
    'fetch',
    '--quiet',
    'origin',
    '+refs/heads/releases:refs/remotes/origin/releases',
  );
  return checkout.git('rev-parse', 'origin/releases');
}

/** Adds a TypeORM migration to the app's list (app/src/database/migrations/index.ts). */
async function addMigration(
  file: (relative: string) => string,
  name: string,
  up: string,
): Promise<void> {
  const directory = 'app/src/database/migrations';
  await writeFile(
    file(`${directory}/${name}.ts`),
    `import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Added by the GitOps end-to-end suite (operator/test/gitops/promotion.e2e.ts). */
export class ${name} implements MigrationInterface {
  name = '${name}';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('${up}');
  }

  async down(): Promise<void> {}
}
`,
  );
  const index = file(`${directory}/index.ts`);
  const list = await readFile(index, 'utf8');
  const updated = list
    .replace(/^/, `import { ${name} } from './${name}';\n`)
    .replace(
      /export const MIGRATIONS = \[([\s\S]*?)[\s,]*\];/,
      `export const MIGRATIONS = [$1, ${name}];`,
    );
  if (updated === list.replace(/^/, `import { ${name} } from './${name}';\n`)) {
    throw new Error(`${index}: no "export const MIGRATIONS = [...]" to add ${name} to`);
  }
  await writeFile(index, updated);
}

/** Waits until an environment runs `digest` for its app, settled, and returns the instance. */
function waitServing(environment: Environment, digest: string): Promise<Instance> {
  return waitSettled(
    namespaceOf(environment),
    (instance) => digestIn(instance.status?.deployedImage) === digest,
  );
}

async function footerOf(environment: Environment): Promise<string> {
  return (await new NotejamClient(await serviceUrl(namespaceOf(environment))).get('/signin/')).body;
}

/**
 * Waits until an environment's pages show this run's footer (or no longer do). A settled
 * instance may still have old pods draining, and a kept-alive connection reaches them.
 */
function waitFooter(environment: Environment, shown: boolean): Promise<true> {
  return waitFor(`the ${shown ? 'new' : 'previous'} footer on ${environment}`, async () =>
    (await footerOf(environment)).includes(marker) === shown ? true : undefined,
  );
}

beforeAll(async () => {
  repoURL = variable('GITOPS_REPO_URL');
  checkout = await Checkout.clone(repoURL);
}, 120_000);

afterAll(() => checkout?.remove());

describe('GitOps on the local cluster', () => {
  scenario(
    'records the first releases and bootstraps from git: one root, sync waves that wait, every environment Healthy',
    async () => {
      await step('pipeline: the first releases of dev, test and prod', [], async () => {
        for (const environment of environments) {
          await checkout.checkOut(environment);
          await checkout.pipeline('publish', environment);
        }
      });
      const fresh = (await application('notejam-platform')) === undefined;
      const health = environments.map((environment) => watchInstanceHealth(environment));
      const started = Date.now();
      await step('bootstrap: hack/gitops/bootstrap.sh', [], () =>
        command(path.join(repoRoot, 'hack/gitops/bootstrap.sh'), []),
      );
      await step(
        'Argo CD: the CRD, then every environment, Synced and Healthy',
        namespaces,
        async () => {
          const crds = await waitSyncedHealthy('notejam-crds');
          for (const environment of environments) {
            const app = await waitSyncedHealthy(`notejam-${environment}`);
            if (fresh) {
              // The root created the environments' Applications (wave 0) only after the CRD's
              // (wave -2) was synced and Healthy: its sync waves really wait.
              const crdSynced = Date.parse(crds.status?.operationState?.finishedAt ?? '');
              expect(Date.parse(app.metadata.creationTimestamp)).toBeGreaterThanOrEqual(crdSynced);
            }
            await waitSettled(namespaceOf(environment));
          }
          await waitSyncedHealthy('notejam-platform');
        },
      );
      for (const environment of environments) await waitInstanceHealthy(environment);
      const seen = await Promise.all(health.map((watch) => watch.stop()));
      metric(`gitops-bootstrap seconds=${seconds(started)} fresh=${fresh}`);
      await step(
        'Argo CD: each NotejamInstance Healthy, after Progressing on a fresh cluster',
        [],
        async () => {
          for (const [index, environment] of environments.entries()) {
            const health = seen[index] ?? [];
            expect({
              environment,
              last: health.at(-1),
              degraded: health.includes('Degraded'),
            }).toEqual({
              environment,
              last: 'Healthy',
              degraded: false,
            });
            if (fresh)
              expect({ environment, progressing: health.includes('Progressing') }).toEqual({
                environment,
                progressing: true,
              });
          }
        },
      );
    },
  );

  scenario(
    'the ServiceMonitors wait for their CRD: synced without it, added once it is served',
    async () => {
      /** Namespaces holding a ServiceMonitor with these labels (none while the kind is unknown). */
      const monitoredIn = async (selector: string) =>
        (
          await kubectl([
            'get',
            'servicemonitors.monitoring.coreos.com',
            '--all-namespaces',
            '--ignore-not-found',
            '-l',
            selector,
            '-o',
            'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}',
          ]).catch(() => '')
        )
          .split('\n')
          .filter(Boolean)
          .sort();
      const operators = 'app.kubernetes.io/name=notejam-operator';
      const apps = 'app.kubernetes.io/name=notejam';
      // Every environment synced and Healthy above, each operator's chart asking for a
      // ServiceMonitor and prod's instance for one of the app, but no CRD.
      expect(await monitoredIn(operators)).toEqual([]);
      expect(await monitoredIn(apps)).toEqual([]);
      const crds = (
        await command(path.join(repoRoot, 'hack/delivery-tools.sh'), ['prometheus-operator-crds'])
      ).stdout.trim();
      await step(
        "the prometheus-operator ServiceMonitor CRD installed; Argo CD adds the operators' ServiceMonitors, prod's operator the app's",
        namespaces,
        async () => {
          await kubectl([
            'apply',
            '--server-side',
            '-f',
            path.join(crds, 'monitoring.coreos.com_servicemonitors.yaml'),
          ]);
          await kubectl([
            'wait',
            '--for=condition=Established',
            'crd/servicemonitors.monitoring.coreos.com',
            '--timeout=60s',
          ]);
          const everyEnvironment = [...namespaces].sort().join(',');
          await waitFor("the operator's ServiceMonitor in every environment", async () =>
            (await monitoredIn(operators)).join(',') === everyEnvironment ? true : undefined,
          );
          // The operator follows the CRD while it runs (the bootstrap lets it read it):
          // prod's instance asks for a ServiceMonitor, dev's and test's do not.
          await waitFor("the app's ServiceMonitor in prod, from its operator", async () =>
            (await monitoredIn(apps)).join(',') === namespaceOf('prod') ? true : undefined,
          );
          for (const environment of environments) await waitSyncedHealthy(`notejam-${environment}`);
        },
      );
    },
  );

  scenario('a docs-only commit on dev changes nothing that runs', async () => {
    const before = await runningState();
    const releases = await releasesHead();
    await checkout.checkOut('dev');
    const commit = await checkout.commitAndPush('docs: a note from the GitOps suite', (file) =>
      appendFile(file('docs/testing.md'), `\n<!-- GitOps e2e docs-only commit ${runId} -->\n`),
    );
    const { stderr } = await step('pipeline: publish dev', [], () =>
      checkout.pipeline('publish', 'dev'),
    );
    expect(stderr).not.toContain('building');
    expect(stderr).toContain('nothing to record');
    await step('Argo CD: synced the docs commit', namespaces, async () => {
      await waitSyncedHealthy('notejam-dev', commit);
      await waitSyncedHealthy('notejam-crds', commit);
    });
    expect(await releasesHead()).toBe(releases);
    expect(await runningState()).toEqual(before);
  });

  let devDigest: string;

  scenario(
    'a commit on dev with a visible change and a new migration is built once, synced, and dev is wiped and serves it',
    async () => {
      const namespace = namespaceOf('dev');
      const { baseUrl } = await settledWithService(namespace);
      const user = await step('dev: a user before the new build', [namespace], () =>
        newUserWithNote(baseUrl, 'gitops-dev'),
      );
      const operatorBefore = await operatorImage(namespace);
      await checkout.checkOut('dev');
      const commit = await checkout.commitAndPush(
        `app: ${marker}, and migration ${migrationName}`,
        async (file) => {
          const layout = file('app/src/views/layouts/main.hbs');
          const text = await readFile(layout, 'utf8');
          const footer = text.replace(/(<footer class="site-footer">\s*<p>)/, `$1${marker}. `);
          if (footer === text) throw new Error(`${layout}: no site footer to change`);
          await writeFile(layout, footer);
          await addMigration(
            file,
            migrationName,
            `CREATE TABLE gitops_e2e_${runId} (id INTEGER NOT NULL PRIMARY KEY)`,
          );
        },
      );
      const pushed = Date.now();
      const health = watchInstanceHealth('dev');
      const { stderr } = await step('pipeline: publish dev (builds the app once)', [], () =>
        checkout.pipeline('publish', 'dev'),
      );
      metric(`gitops-build image=notejam seconds=${seconds(pushed)}`);
      expect(stderr.match(/building notejam for source/g)).toHaveLength(1);
      expect(stderr).not.toContain('building notejam-operator');
      devDigest = (await checkout.release('dev')).notejam as string;

      await step('dev: serves the new build', [namespace], async () => {
        await waitSyncedHealthy('notejam-dev', commit);
        await waitServing('dev', devDigest);
        await waitFooter('dev', true);
      });
      metric(
        `gitops-push-to-serving environment=dev seconds=${seconds(pushed)} (includes the build)`,
      );
      await step('dev: wiped, its operator unchanged', [namespace], async () => {
        const reply = await new NotejamClient(baseUrl).signIn(user.email, user.password);
        expect(reply.status).toBe(422);
        expect(await operatorImage(namespace)).toBe(operatorBefore);
      });
      await waitInstanceHealthy('dev');
      const seen = await health.stop();
      expect(seen).toContain('Progressing');
      expect(seen.at(-1)).toBe('Healthy');
    },
  );

  scenario(
    'merging dev into test through the guard: test migrates in place, seeded data intact, on the digest dev runs',
    async () => {
      const namespace = namespaceOf('test');
      const { instance: before, baseUrl } = await settledWithService(namespace);
      const user = await step('test: a user before the promotion', [namespace], () =>
        newUserWithNote(baseUrl, 'gitops-test'),
      );
      await checkout.checkOut('test');
      const guard = path.join(checkout.dir, 'hack/promotion-guard.sh');
      await step(
        'the promotion guard (as test has it) lets dev -> test through, nothing else',
        [],
        async () => {
          await command(guard, ['test', 'dev', 'notejam/notejam', 'notejam/notejam']);
          await expect(
            command(guard, ['test', 'feature/login', 'notejam/notejam', 'notejam/notejam']),
          ).rejects.toThrow("'test' only takes pull requests from 'dev'");
        },
      );
      const merge = await checkout.merge('dev', 'test');
      const pushed = Date.now();
      const { stderr } = await step('pipeline: publish test (no build)', [], () =>
        checkout.pipeline('publish', 'test'),
      );
      expect(stderr).not.toContain('building');
      expect((await checkout.release('test')).notejam).toBe(devDigest);

      const after = await step(
        'test: migrated in place to the digest dev runs',
        [namespace],
        async () => {
          await waitSyncedHealthy('notejam-test', merge);
          return waitServing('test', devDigest);
        },
      );
      metric(`gitops-push-to-serving environment=test seconds=${seconds(pushed)}`);
      await step(
        'test: the new migration applied, the data and the seed kept',
        [namespace],
        async () => {
          expect(after.status?.schemaVersion).toBe(migrationName);
          expect(condition(after, 'MigrationsApplied')?.status).toBe('True');
          await expectNoteServed(baseUrl, user);
          const client = new NotejamClient(baseUrl);
          expect((await client.signIn(seededAccount.email, seededAccount.password)).status).toBe(
            302,
          );
          expect(after.status?.seed).toEqual(before.status?.seed);
          expect(condition(after, 'Seeded')?.lastTransitionTime).toBe(
            condition(before, 'Seeded')?.lastTransitionTime,
          );
          await waitFooter('test', true);
        },
      );
    },
  );

  scenario(
    'merging test into prod rolls prod under keep-alive load with zero failed requests, on the same digest',
    async () => {
      const namespace = namespaceOf('prod');
      const { baseUrl } = await settledWithService(namespace);
      const user = await step('prod: a user with a note to read', [namespace], () =>
        newUserWithNote(baseUrl, 'gitops-prod'),
      );
      const loops = 4;
      const load = startReading(baseUrl, user, loops);
      let report: LoadReport | undefined;
      try {
        const merge = await checkout.merge('test', 'prod');
        const pushed = Date.now();
        const { stderr } = await step('pipeline: publish prod (no build)', [], () =>
          checkout.pipeline('publish', 'prod'),
        );
        expect(stderr).not.toContain('building');
        await step('prod: rolled to the digest dev and test run', [namespace], async () => {
          await waitSyncedHealthy('notejam-prod', merge);
          await waitServing('prod', devDigest);
        });
        metric(`gitops-push-to-serving environment=prod seconds=${seconds(pushed)}`);
      } finally {
        report = await load.stop();
        metric(
          `gitops-prod-rollout requests=${report.requests} failures=${report.failures.length} load-seconds=${report.seconds.toFixed(1)}`,
        );
      }
      await step('prod: no request failed during the rollout', [namespace], async () => {
        if (!report) throw new Error('the load did not report');
        if (report.failures.length > 0) throw new Error(describeFailures(report.failures));
        expect(report.requests).toBeGreaterThan(report.seconds * loops);
        await waitFooter('prod', true);
      });
    },
  );

  scenario(
    "an operator change goes to dev first: test's and prod's operators stay as they were",
    async () => {
      const before = Object.fromEntries(
        await Promise.all(
          environments.map(async (environment) => [
            environment,
            await operatorImage(namespaceOf(environment)),
          ]),
        ),
      ) as Record<Environment, string>;
      await checkout.checkOut('dev');
      const commit = await checkout.commitAndPush(
        'operator: a change from the GitOps suite',
        (file) =>
          writeFile(
            file('operator/src/gitops-e2e-change.ts'),
            `/** A change to the operator's source from the GitOps end-to-end suite, run ${runId}. */\nexport const gitopsE2eRun = ${runId};\n`,
          ),
      );
      const { stderr } = await step('pipeline: publish dev (builds the operator once)', [], () =>
        checkout.pipeline('publish', 'dev'),
      );
      expect(stderr.match(/building notejam-operator for source/g)).toHaveLength(1);
      expect(stderr).not.toMatch(/building notejam for source/);
      const operatorDigest = (await checkout.release('dev'))['notejam-operator'];
      await step(
        'dev: its operator runs the new build and keeps dev Ready',
        [namespaceOf('dev')],
        async () => {
          await waitSyncedHealthy('notejam-dev', commit);
          await waitFor('the new operator in dev', async () => {
            const image = await operatorImage(namespaceOf('dev'));
            return digestIn(image) === operatorDigest ? image : undefined;
          });
          await command('kubectl', [
            '-n',
            namespaceOf('dev'),
            'rollout',
            'status',
            'deployment/notejam-operator',
            '--timeout=5m',
          ]);
          await waitServing('dev', devDigest);
        },
      );
      expect(digestIn(before.dev)).not.toBe(operatorDigest);
      expect(await operatorImage(namespaceOf('test'))).toBe(before.test);
      expect(await operatorImage(namespaceOf('prod'))).toBe(before.prod);
    },
  );

  scenario("the rollback puts prod's previous build back, without building", async () => {
    const namespace = namespaceOf('prod');
    const history = (await checkout.pipeline('history', 'prod')).stdout.trim().split('\n');
    const previous = /notejam@(sha256:[0-9a-f]{64})/.exec(history[1] ?? '')?.[1];
    expect(previous).toBeDefined();
    expect(previous).not.toBe(devDigest);
    const started = Date.now();
    const { stderr } = await step('pipeline: rollback prod', [], () =>
      checkout.pipeline('rollback', 'prod'),
    );
    expect(stderr).not.toContain('building');
    await step('prod: serves its previous build again', [namespace], async () => {
      await waitServing('prod', previous as string);
      await waitFooter('prod', false);
    });
    metric(`gitops-rollback environment=prod seconds=${seconds(started)}`);
    const after = (await checkout.pipeline('history', 'prod')).stdout.trim().split('\n');
    expect(after[0]).toContain(`notejam@${previous}`);
    expect(after[0]).toContain('(rollback to ');
  });

  scenario(
    'a failing migration shows as Degraded in Argo CD while the old version serves; reverting it heals test',
    async () => {
      const namespace = namespaceOf('test');
      const { instance: before } = await settledWithService(namespace);
      await checkout.checkOut('dev');
      const broken = await checkout.commitAndPush(
        `app: migration ${failingMigrationName}, which fails`,
        (file) =>
          addMigration(
            file,
            failingMigrationName,
            `ALTER TABLE gitops_e2e_missing_${runId} ADD COLUMN x INTEGER NULL`,
          ),
      );
      await step(
        'pipeline: publish dev, then merge it into test and publish test',
        [],
        async () => {
          await checkout.pipeline('publish', 'dev');
          await checkout.merge('dev', 'test');
          await checkout.pipeline('publish', 'test');
        },
      );
      const health = watchInstanceHealth('test');
      await step(
        'Argo CD: test Degraded (the migration failed), the old pods still serving',
        [namespace],
        async () => {
          const degraded = await waitFor(
            'Argo CD to report the test NotejamInstance Degraded',
            async () => {
              const current = await instanceHealth('test');
              return current?.status === 'Degraded' ? current : undefined;
            },
          );
          expect(degraded?.message).toContain('MigrationFailed');
          const app = await application('notejam-test');
          expect(app?.status?.health?.status).toBe('Degraded');
          const instance = await instanceIn(namespace);
          expect(instance.status?.deployedImage).toBe(before.status?.deployedImage);
          expect(
            (await new NotejamClient(await serviceUrl(namespace)).get('/signin/')).status,
          ).toBe(200);
          expect((await appPods(namespace)).length).toBeGreaterThan(0);
        },
      );
      await step(
        'revert on dev (nothing to build: that source was built), promote, test heals',
        [namespace],
        async () => {
          await checkout.checkOut('dev');
          await checkout.git('revert', '--no-edit', broken);
          await checkout.git('push', '--quiet', 'origin', 'HEAD');
          const { stderr } = await checkout.pipeline('publish', 'dev');
          expect(stderr).not.toContain('building');
          const merge = await checkout.merge('dev', 'test');
          await checkout.pipeline('publish', 'test');
          await waitSyncedHealthy('notejam-test', merge);
          await waitSettled(
            namespace,
            (instance) => instance.status?.deployedImage === before.status?.deployedImage,
          );
          // The operator change of dev reached test with this promotion (its own tag, dev's digest).
          expect(digestIn(await operatorImage(namespace))).toBe(
            digestIn(await operatorImage(namespaceOf('dev'))),
          );
        },
      );
      await waitInstanceHealthy('test');
      const seen = await health.stop();
      expect(seen).toContain('Degraded');
      expect(seen.at(-1)).toBe('Healthy');
    },
  );

  scenario(
    'deleting Applications keeps the namespace, its database Secret and the CRD; the root puts them back',
    async () => {
      const uidOf = (...resource: string[]) =>
        kubectl([...resource, '-o', 'jsonpath={.metadata.uid}']);
      const secret = ['-n', namespaceOf('test'), 'get', 'secret', 'notejam-db'];
      const crd = ['get', 'crd', 'notejaminstances.notejam.io'];
      const secretBefore = await uidOf(...secret);
      const crdBefore = await uidOf(...crd);
      await step(
        'delete the dev and CRD Applications (cascading)',
        [namespaceOf('dev')],
        async () => {
          await kubectl([
            '-n',
            argocdNamespace,
            'delete',
            'applications.argoproj.io',
            'notejam-dev',
            'notejam-crds',
            '--wait=true',
            '--timeout=5m',
          ]);
        },
      );
      await step('the namespaces, the Secret and the CRD are still there', namespaces, async () => {
        expect(
          await kubectl(['get', 'namespace', namespaceOf('dev'), '-o', 'jsonpath={.status.phase}']),
        ).toBe('Active');
        expect(await uidOf(...secret)).toBe(secretBefore);
        expect(await uidOf(...crd)).toBe(crdBefore);
        // test and prod were not touched by either deletion.
        await waitSettled(namespaceOf('test'));
        await waitSettled(namespaceOf('prod'));
      });
      await step(
        'the root recreates both Applications and dev serves again',
        [namespaceOf('dev')],
        async () => {
          await waitSyncedHealthy('notejam-crds');
          await waitSyncedHealthy('notejam-dev');
          await waitServing('dev', devDigest);
        },
      );
    },
  );
});
