// End to end on a real cluster (after `make deploy`; variables: see cluster.ts): each
// environment serves Notejam over HTTP through its Service, with a V8 heap sized from its
// container's memory limit; test was seeded exactly once;
// rolling out a new image (E2E_NEXT_IMAGE) wipes dev, and upgrades test in place with its
// migration Job run in a pod against MariaDB before any pod of the new revision exists,
// keeping the data and the seed. The environments get their images back at the end.
import { describe, expect, it } from '@jest/globals';
import {
  appPods,
  condition,
  imageFromEnv,
  instanceIn,
  jobSucceeded,
  kubectl,
  keepsImage,
  lifecycleJobs,
  namespaceOf,
  podsOf,
  revisionOf,
  rollOut,
  settledWithService,
  step,
  type Environment,
  type Instance,
} from './cluster.js';
import { appContainerName } from '../../src/controllers/notejam/pod-template.js';
import { dockerfileEnv } from '../delivery/dockerfile.js';
import { NotejamClient, expectNoteServed, newUserWithNote } from './notejam-client.js';

const environments: Environment[] = ['dev', 'test', 'prod'];
const testNamespace = namespaceOf('test');

/** The app's seed command creates demo<i>@example.com with this password (app/src/database/seed.ts). */
const seededAccount = { email: 'demo1@example.com', password: 'notejam-demo' };

describe.each(environments)('the %s environment', (environment) => {
  const namespace = namespaceOf(environment);

  it('serves sign-up, sign-in and notes over HTTP through its Service', async () => {
    const { baseUrl } = await settledWithService(namespace);
    await step(`${environment}: sign-up, sign-in and a note over HTTP`, [namespace], () =>
      newUserWithNote(baseUrl, environment),
    );
  });

  it("runs the app with a V8 heap sized from its container's memory limit", async () => {
    const [pod] = await appPods(namespace);
    if (!pod) throw new Error(`no app pod in ${namespace}`);
    const limitMiB = mebibytes(pod.spec.containers[0]?.resources?.limits?.memory);
    // The image states the old generation as a share of the limit; Node reads the limit from
    // the pod's cgroup, so without it the share would apply to the whole node's memory.
    const share = /--max-old-space-size-percentage=(\d+)/.exec(
      dockerfileEnv('Dockerfile.app')['NODE_OPTIONS'] ?? '',
    )?.[1];
    if (share === undefined)
      throw new Error('Dockerfile.app sets no --max-old-space-size-percentage');
    const heapLimit = await kubectl([
      ...['-n', namespace, 'exec', pod.metadata.name, '-c', appContainerName, '--'],
      ...['node', '-p', "require('v8').getHeapStatistics().heap_size_limit"],
    ]);
    const heapMiB = Number(heapLimit.trim()) / 2 ** 20;
    const oldGenerationMiB = (limitMiB * Number(share)) / 100;
    // V8's limit adds the young generation (a few semi-spaces of 2 MiB) to the old one.
    expect(heapMiB).toBeGreaterThanOrEqual(Math.floor(oldGenerationMiB));
    expect(heapMiB).toBeLessThan(oldGenerationMiB + 16);
  });
});

/** A memory quantity in Mi or Gi, in MiB. */
function mebibytes(quantity: string | undefined): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  if (!match) throw new Error(`memory limit ${quantity} is not in Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

/** The seed Jobs of test and what status says about the seeding. */
async function seeding(instance: Instance) {
  const jobs = await lifecycleJobs(testNamespace, 'seed');
  const seeded = condition(instance, 'Seeded');
  return {
    jobs: jobs.map((job) => ({ name: job.metadata.name, uid: job.metadata.uid })),
    seed: instance.status?.seed,
    // Whether and since when: the message's wording and observedGeneration follow every
    // reconcile of a new spec.
    seeded: seeded && {
      status: seeded.status,
      reason: seeded.reason,
      lastTransitionTime: seeded.lastTransitionTime,
    },
  };
}

describe('the test environment', () => {
  it('was seeded exactly once: status.seed, one seed Job, the seeded accounts sign in', async () => {
    const { instance, baseUrl } = await settledWithService(testNamespace);
    await step('test: seeded once', [testNamespace], async () => {
      const { jobs, seed, seeded } = await seeding(instance);
      expect(seeded).toMatchObject({ status: 'True', reason: 'Seeded' });
      expect(seed?.key).toMatch(/^[0-9a-f]+$/);
      expect(seed?.seededAt).toBeDefined();
      // The seed Job is named from the seed key (jobs.ts), so this is the one that loaded it.
      expect(jobs.map((job) => job.name)).toEqual([`${instance.metadata.name}-seed-${seed?.key}`]);
      const [job] = await lifecycleJobs(testNamespace, 'seed');
      expect(job && jobSucceeded(job)).toBe(true);
      const client = new NotejamClient(baseUrl);
      expect((await client.signIn(seededAccount.email, seededAccount.password)).status).toBe(302);
      expect((await client.get('/')).status).toBe(200);
    });
  });
});

describe('rolling out a new image', () => {
  const devNamespace = namespaceOf('dev');
  const devImage = keepsImage(devNamespace);
  const testImage = keepsImage(testNamespace);

  it('wipes the dev environment: an account created before the rollout is gone after it', async () => {
    const nextImage = imageFromEnv('E2E_NEXT_IMAGE');
    const namespace = devNamespace;
    expect(devImage()).not.toBe(nextImage);
    const { instance: before, baseUrl } = await settledWithService(namespace);
    const user = await step('dev: a user before the rollout', [namespace], () =>
      newUserWithNote(baseUrl, 'dev'),
    );
    const after = await step(`dev: roll out ${nextImage}`, [namespace], () =>
      rollOut(namespace, nextImage),
    );
    await step('dev: the account is gone', [namespace], async () => {
      expect(after.status?.deployedImage).not.toBe(before.status?.deployedImage);
      const reply = await new NotejamClient(baseUrl).signIn(user.email, user.password);
      expect(reply.status).toBe(422);
      expect(reply.body).toContain('Wrong email or password');
    });
  });

  it('upgrades test in place: the migration Job runs in a pod against MariaDB before the new pods, data and seed stay', async () => {
    const nextImage = imageFromEnv('E2E_NEXT_IMAGE');
    const namespace = testNamespace;
    expect(testImage()).not.toBe(nextImage);
    const { instance: before, baseUrl } = await settledWithService(namespace);
    const seedingBefore = await seeding(before);
    const user = await step('test: a user before the rollout', [namespace], () =>
      newUserWithNote(baseUrl, 'test'),
    );
    const after = await step(`test: roll out ${nextImage}`, [namespace], () =>
      rollOut(namespace, nextImage),
    );
    const revision = after.status?.revision as string;

    await step('test: the migrate Job ran in a pod against MariaDB', [namespace], async () => {
      expect(condition(after, 'MigrationsApplied')).toMatchObject({
        status: 'True',
        observedGeneration: after.metadata.generation,
      });
      const jobs = await lifecycleJobs(namespace, 'migrate', revision);
      expect(jobs).toHaveLength(1);
      const job = jobs[0]!;
      expect(jobSucceeded(job)).toBe(true);
      const pods = await podsOf(namespace, `batch.kubernetes.io/job-name=${job.metadata.name}`);
      const succeeded = pods.filter((pod) =>
        pod.status.containerStatuses?.some((s) => s.state?.terminated?.exitCode === 0),
      );
      expect(succeeded).toHaveLength(1);
      const container = succeeded[0]!.spec.containers[0]!;
      // The very image the Deployment now runs, configured for the MySQL protocol (MariaDB).
      expect(container.image).toBe(after.status?.deployedImage);
      expect(container.env?.find((variable) => variable.name === 'DB_TYPE')?.value).toBe('mysql');
      // What the app's migrate wrote as its termination message became status.schemaVersion.
      const message = succeeded[0]!.status.containerStatuses?.[0]?.state?.terminated?.message;
      expect(after.status?.schemaVersion).toBeDefined();
      expect(message).toContain(`schemaVersion=${after.status?.schemaVersion}`);
    });

    await step('test: no pod of the new revision before the migration', [namespace], async () => {
      const [job] = await lifecycleJobs(namespace, 'migrate', revision);
      const completed = Date.parse(job?.status?.completionTime ?? '');
      expect(Number.isNaN(completed)).toBe(false);
      // Pods, not the ReplicaSet: a Deployment revives an old ReplicaSet with the same pod
      // template (a re-run of this suite), but every pod of this rollout is created anew.
      const pods = (await appPods(namespace)).filter((pod) => revisionOf(pod) === revision);
      expect(pods.length).toBeGreaterThan(0);
      for (const pod of pods)
        expect(Date.parse(pod.metadata.creationTimestamp)).toBeGreaterThanOrEqual(completed);
    });

    await step('test: the data and the seed stayed', [namespace], async () => {
      await expectNoteServed(baseUrl, user);
      const instance = await instanceIn(namespace);
      // The seed key does not depend on the revision when test is migrated, not wiped:
      // the same seed Job, the same status.seed, and Seeded did not transition.
      expect(await seeding(instance)).toEqual(seedingBefore);
    });
  });
});
