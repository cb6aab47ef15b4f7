// End to end on a real cluster (kind, or any current kube context after `make deploy`):
// each environment serves Notejam over HTTP; rolling out a new image wipes dev and
// upgrades test in place (migrations run, data kept), exactly as the brief asks.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  condition,
  instanceOf,
  kubectl,
  namespaceOf,
  portForward,
  waitSettled,
  type Environment,
  type PortForward,
} from './cluster.js';
import { NotejamClient } from './notejam-client.js';

const environments: Environment[] = ['dev', 'test', 'prod'];
const password = `e2e-${randomBytes(9).toString('base64url')}`;

function uniqueEmail(environment: Environment): string {
  return `e2e-${environment}-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
}

/** Signs a new user up and in, creates a note and checks it is listed; returns the user. */
async function signUpWithNote(
  baseUrl: string,
  environment: Environment,
): Promise<{ email: string; note: string }> {
  const client = new NotejamClient(baseUrl);
  const email = uniqueEmail(environment);
  const note = `Note from the ${environment} end-to-end run ${randomBytes(4).toString('hex')}`;
  expect(await client.signUp(email, password)).toMatchObject({ status: 302, location: '/signin/' });
  expect((await client.signIn(email, password)).status).toBe(302);
  expect((await client.createNote(note, 'Written over HTTP through the Service.')).status).toBe(
    302,
  );
  expect((await client.get('/')).body).toContain(note);
  return { email, note };
}

async function withForward<T>(
  environment: Environment,
  use: (forward: PortForward) => Promise<T>,
): Promise<T> {
  const forward = await portForward(environment);
  try {
    return await use(forward);
  } finally {
    forward.stop();
  }
}

function setImage(environment: Environment, image: string): void {
  const { name } = instanceOf(environment).metadata;
  kubectl([
    '-n',
    namespaceOf(environment),
    'patch',
    'notejaminstance',
    name,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { image } }),
  ]);
}

interface Job {
  metadata: { name: string };
  spec: { template: { spec: { containers: Array<{ args?: string[] }> } } };
  status: { succeeded?: number };
}

/** Names of the Jobs of an environment that ran the app's `migrate` command to success. */
function succeededMigrationJobs(environment: Environment): string[] {
  const jobs = JSON.parse(
    kubectl(['-n', namespaceOf(environment), 'get', 'jobs', '-o', 'json']),
  ) as { items: Job[] };
  return jobs.items
    .filter((job) =>
      job.spec.template.spec.containers.some((container) => container.args?.[0] === 'migrate'),
    )
    .filter((job) => (job.status.succeeded ?? 0) > 0)
    .map((job) => job.metadata.name);
}

describe.each(environments)('the %s environment', (environment) => {
  beforeAll(async () => {
    await waitSettled(environment);
  });

  it('serves sign-up, sign-in and notes over HTTP', async () => {
    await withForward(environment, (forward) => signUpWithNote(forward.baseUrl, environment));
  });
});

describe('rolling out a new image', () => {
  const nextImage = process.env['E2E_NEXT_IMAGE'];
  const originalImages = new Map<Environment, string>();

  beforeAll(() => {
    if (!nextImage)
      throw new Error(
        'E2E_NEXT_IMAGE must name an app image the cluster can run (make e2e sets it)',
      );
    for (const environment of ['dev', 'test'] as const)
      originalImages.set(environment, instanceOf(environment).spec.image);
  });

  afterAll(async () => {
    // Leave the environments as deployed.
    for (const [environment, image] of originalImages) setImage(environment, image);
    for (const environment of originalImages.keys())
      await waitSettled(
        environment,
        (instance) => instance.spec.image === originalImages.get(environment),
      );
  });

  it('wipes the dev environment: an account created before the rollout is gone after it', async () => {
    const before = await waitSettled('dev');
    const { email } = await withForward('dev', (forward) => signUpWithNote(forward.baseUrl, 'dev'));
    setImage('dev', nextImage as string);
    const after = await waitSettled(
      'dev',
      (instance) => instance.status?.revision !== before.status?.revision,
    );
    expect(after.status?.deployedImage).not.toBe(before.status?.deployedImage);
    await withForward('dev', async (forward) => {
      const reply = await new NotejamClient(forward.baseUrl).signIn(email, password);
      expect(reply.status).toBe(422);
      expect(reply.body).toContain('Wrong email or password');
    });
  });

  it('upgrades the test environment in place: migrations run before the rollout and the data stays', async () => {
    const before = await waitSettled('test');
    const { email, note } = await withForward('test', (forward) =>
      signUpWithNote(forward.baseUrl, 'test'),
    );
    const migrationJobsBefore = succeededMigrationJobs('test');
    setImage('test', nextImage as string);
    const after = await waitSettled(
      'test',
      (instance) => instance.status?.revision !== before.status?.revision,
    );
    const migrations = condition(after, 'MigrationsApplied');
    expect(migrations?.status).toBe('True');
    expect(migrations?.observedGeneration).toBe(after.metadata.generation);
    const newMigrationJobs = succeededMigrationJobs('test').filter(
      (name) => !migrationJobsBefore.includes(name),
    );
    expect(newMigrationJobs.length).toBeGreaterThan(0);
    await withForward('test', async (forward) => {
      const client = new NotejamClient(forward.baseUrl);
      expect((await client.signIn(email, password)).status).toBe(302);
      expect((await client.get('/')).body).toContain(note);
    });
  });
});
