import type { V1Job } from '@kubernetes/client-node';
import { withDefaults } from '../../api/v1alpha1/defaults.js';
import type { NotejamInstance, NotejamInstanceSpecInput } from '../../api/v1alpha1/types.js';
import { lifecycleJob, seedKey } from './jobs.js';
import { decideLifecycle } from './lifecycle.js';
import { imageResolvedCondition } from './image-target.js';
import { lifecycleReport } from './lifecycle-status.js';

const now = new Date('2026-03-01T12:00:00Z');
const target = {
  image: 'registry.example.com/notejam:v2@sha256:' + 'b'.repeat(64),
  revision: 'bbbbbbbbbb',
};
const resolved = imageResolvedCondition('registry.example.com/notejam:v2', {
  image: target.image,
  digest: 'sha256:' + 'b'.repeat(64),
  source: 'registry',
});

function instance(spec: Partial<NotejamInstanceSpecInput> = {}): NotejamInstance {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'notejam', namespace: 'notejam-test', uid: 'uid-1' },
    spec: withDefaults({
      image: 'registry.example.com/notejam:v2',
      environment: 'test',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      ...spec,
    }),
  };
}

function finished(
  nj: NotejamInstance,
  step: 'migrate' | 'seed',
  state: 'Complete' | 'Failed',
): V1Job {
  const job: V1Job = lifecycleJob(nj, step, target);
  job.status = {
    conditions: [
      {
        type: state,
        status: 'True',
        reason: state === 'Failed' ? 'BackoffLimitExceeded' : undefined,
        lastTransitionTime: now,
      },
    ],
  };
  return job;
}

const report = (nj: NotejamInstance, jobs: V1Job[], deployedRevision?: string) =>
  lifecycleReport(
    nj,
    decideLifecycle({ instance: nj, target, jobs, now, deployedRevision }),
    target.revision,
    { imageResolved: resolved },
  );

describe('lifecycleReport', () => {
  it('shows a running migration as phase Migrating and MigrationsApplied False', () => {
    const nj = instance();
    const result = report(nj, []);
    expect(result.phase).toBe('Migrating');
    expect(result.conditions).toContainEqual(
      expect.objectContaining({ type: 'MigrationsApplied', status: 'False', reason: 'Running' }),
    );
  });

  it('reports a failed migration under its step, without a phase of its own', () => {
    const nj = instance();
    const result = report(nj, [finished(nj, 'migrate', 'Failed')]);
    expect(result.phase).toBeUndefined();
    expect(result.conditions).toContainEqual(
      expect.objectContaining({
        type: 'MigrationsApplied',
        status: 'False',
        reason: 'MigrationFailed',
      }),
    );
  });

  it('reports a migration whose retries ran out under its step, as RetriesExhausted', () => {
    const nj = instance({ lifecycle: { maxRetries: 0 } });
    const result = report(nj, [finished(nj, 'migrate', 'Failed')]);
    expect(result.phase).toBeUndefined();
    expect(result.conditions).toContainEqual(
      expect.objectContaining({
        type: 'MigrationsApplied',
        status: 'False',
        reason: 'RetriesExhausted',
      }),
    );
  });

  it('shows the move to the maintenance page before a wipe as phase Wiping', () => {
    const nj = instance({ environment: 'development', lifecycle: { onDeploy: 'wipe' } });
    const decision = decideLifecycle({ instance: nj, target, jobs: [], now, serving: true });
    expect(lifecycleReport(nj, decision, target.revision)).toMatchObject({
      phase: 'Wiping',
      progress: expect.stringContaining('maintenance page'),
    });
    const draining = decideLifecycle({
      instance: nj,
      target,
      jobs: [],
      now,
      serving: true,
      previousPods: 1,
    });
    expect(lifecycleReport(nj, draining, target.revision).progress).toMatch(
      /^Waiting for 1 pod\(s\) of the previous template to exit/,
    );
  });

  it('records what was seeded and when once the seed Job completed', () => {
    const nj = instance({
      lifecycle: { seed: { enabled: true, users: 2, padsPerUser: 1, notesPerPad: 1 } },
    });
    const result = report(nj, [
      finished(nj, 'migrate', 'Complete'),
      finished(nj, 'seed', 'Complete'),
    ]);
    expect(result.seed).toEqual({
      key: seedKey(nj, target.revision),
      users: 2,
      padsPerUser: 1,
      notesPerPad: 1,
      randomSeed: 1,
      seededAt: '2026-03-01T12:00:00Z',
    });
    expect(result.conditions.map((c) => [c.type, c.status])).toEqual([
      ['ImageResolved', 'True'],
      ['MigrationsApplied', 'True'],
      ['Seeded', 'True'],
    ]);
  });

  it('keeps Seeded True while a new revision migrates when its seed key is recorded', () => {
    const nj = instance({
      lifecycle: { seed: { enabled: true, users: 2, padsPerUser: 1, notesPerPad: 1 } },
    });
    const key = seedKey(nj, target.revision);
    nj.status = {
      revision: 'aaaaaaaaaa',
      seed: {
        key,
        users: 2,
        padsPerUser: 1,
        notesPerPad: 1,
        randomSeed: 1,
        seededAt: '2026-02-01T08:00:00Z',
      },
    };
    const result = report(nj, [], 'aaaaaaaaaa');
    expect(result.phase).toBe('Migrating');
    expect(result.conditions.find((c) => c.type === 'Seeded')).toMatchObject({
      status: 'True',
      reason: 'Seeded',
      message: expect.stringContaining(`(key ${key}) at 2026-02-01T08:00:00Z`),
    });
    expect(result.seed).toBeUndefined(); // status.seed stays as recorded
  });

  it('reports a changed seed specification as not seeded yet', () => {
    const nj = instance({
      lifecycle: { seed: { enabled: true, users: 3, padsPerUser: 1, notesPerPad: 1 } },
    });
    nj.status = {
      seed: { key: '0123456789', users: 2, padsPerUser: 1, notesPerPad: 1, randomSeed: 1 },
    };
    const result = report(nj, [finished(nj, 'migrate', 'Complete')], target.revision);
    expect(result.conditions.find((c) => c.type === 'Seeded')).toMatchObject({
      status: 'False',
      reason: 'Running',
    });
  });

  it('marks the deployed revision migrated again once a failed newer one is abandoned', () => {
    const nj = instance();
    nj.status = {
      revision: target.revision,
      conditions: [
        {
          type: 'MigrationsApplied',
          status: 'False',
          reason: 'MigrationFailed',
          message: 'Migrations of revision ffffffffff not applied yet',
          lastTransitionTime: '2026-03-01T11:00:00Z',
        },
      ],
    };
    const steady = report(nj, [], target.revision);
    expect(steady.conditions).toContainEqual(
      expect.objectContaining({ type: 'MigrationsApplied', status: 'True', reason: 'Applied' }),
    );
  });

  it('keeps the seed and migrations of the deployed revision when only its seed runs again', () => {
    const nj = instance({
      lifecycle: { seed: { enabled: true, users: 3, padsPerUser: 1, notesPerPad: 1 } },
    });
    const result = report(nj, [], target.revision);
    expect(result.phase).toBe('Seeding');
    expect(result.conditions.find((c) => c.type === 'MigrationsApplied')).toMatchObject({
      status: 'True',
      message: `Migrations of revision ${target.revision}, the one deployed, are applied`,
    });
  });

  it('changes nothing but ImageResolved while there is no target (its image does not exist)', () => {
    const held = lifecycleReport(instance(), { action: 'hold' }, undefined, {
      imageResolved: resolved,
      failure: { reason: 'ImageNotFound', message: 'r.example: notejam:v2x not found' },
    });
    expect(held).toEqual({
      conditions: [resolved],
      failure: { reason: 'ImageNotFound', message: 'r.example: notejam:v2x not found' },
    });
  });

  it('says which Job waits for a slot under the cluster-wide cap', () => {
    const nj = instance();
    const job = lifecycleJob(nj, 'migrate', target);
    const queued = lifecycleReport(
      nj,
      { action: 'queued', job, completed: [], inUse: 4, limit: 4 },
      target.revision,
    );
    expect(queued.phase).toBe('Pending');
    expect(queued.progress).toContain('waits for a free slot: 4 of 4 lifecycle Jobs');
    expect(queued.conditions).toContainEqual(
      expect.objectContaining({ type: 'MigrationsApplied', status: 'False', reason: 'Queued' }),
    );
  });

  it('says which Job of an older revision is deleted because it never started', () => {
    const nj = instance();
    const stuck = lifecycleJob(nj, 'migrate', {
      image: 'r.example/notejam:v2x',
      revision: 'aaaaaaaaaa',
    });
    const result = lifecycleReport(nj, { action: 'supersede', job: stuck }, target.revision);
    expect(result.phase).toBe('Pending');
    expect(result.progress).toContain(
      `Deleting Job ${stuck.metadata.name} of revision aaaaaaaaaa: its container never started`,
    );
  });

  it('flags a rollback to code older than the schema it runs against', () => {
    const nj = instance();
    nj.status = { schemaVersion: 'SortIndexesSessionsResets1764300000001' };
    const migrate = finished(nj, 'migrate', 'Complete');
    const result = lifecycleReport(
      nj,
      { action: 'rollOut', completed: [{ step: 'migrate', job: migrate }] },
      target.revision,
      {
        schemaVersion: 'SortIndexesSessionsResets1764300000001',
        codeBehind: 'InitialSchema1764300000000',
      },
    );
    expect(result.conditions).toContainEqual(
      expect.objectContaining({
        type: 'MigrationsApplied',
        status: 'True',
        reason: 'SchemaNewerThanCode',
        message: expect.stringContaining(
          'The database schema is at SortIndexesSessionsResets1764300000001, newer than InitialSchema1764300000000',
        ),
      }),
    );
    expect(result.schemaVersion).toBe('SortIndexesSessionsResets1764300000001');
  });

  it('leaves the lifecycle conditions alone in a steady state', () => {
    const steady = report(instance(), [], target.revision);
    expect(steady.conditions).toEqual([resolved]);
    expect(steady.phase).toBeUndefined();
    expect(steady.seed).toBeUndefined();
  });
});
