import type { V1Job } from '@kubernetes/client-node';
import { withDefaults } from '../../api/v1alpha1/defaults.js';
import type { NotejamInstance, NotejamInstanceSpecInput } from '../../api/v1alpha1/types.js';
import { attemptOf, lifecycleJob, retryAnnotation, seedKey, type JobKind } from './jobs.js';
import {
  decideLifecycle,
  inMaintenance,
  targetJobNames,
  type LifecycleObservation,
} from './lifecycle.js';

const now = new Date('2026-03-01T12:00:00Z');
const target = {
  image: 'registry.example.com/notejam:v2@sha256:' + 'b'.repeat(64),
  revision: 'bbbbbbbbbb',
};
const previous = {
  image: 'registry.example.com/notejam:v1@sha256:' + 'a'.repeat(64),
  revision: 'aaaaaaaaaa',
};

function instance(lifecycle: NotejamInstanceSpecInput['lifecycle'] = {}): NotejamInstance {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: {
      name: 'notejam',
      namespace: 'notejam-test',
      uid: 'f7b0a4f6-55c4-4c1e-8d0e-1b2c3d4e5f60',
    },
    spec: withDefaults({
      image: 'registry.example.com/notejam:v2',
      environment: 'test',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      lifecycle,
    }),
  };
}
const seeded = () =>
  instance({ seed: { enabled: true, users: 10, padsPerUser: 2, notesPerPad: 3 } });

/** The Job as the API returns it after the Job controller reported `state`. */
function observed(
  nj: NotejamInstance,
  step: JobKind,
  state: 'running' | 'succeeded' | 'failed',
  options: { revision?: typeof target; attempt?: number; failedAt?: Date } = {},
): V1Job {
  const job: V1Job = lifecycleJob(nj, step, {
    ...(options.revision ?? target),
    attempt: options.attempt ?? 1,
  });
  const at = options.failedAt ?? now;
  if (state === 'succeeded') {
    job.status = { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }] };
  } else if (state === 'failed') {
    job.status = {
      conditions: [
        { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
          lastTransitionTime: at,
        },
      ],
    };
  } else {
    job.status = { active: 1 };
  }
  return job;
}

const decide = (nj: NotejamInstance, jobs: V1Job[], extra: Partial<LifecycleObservation> = {}) =>
  decideLifecycle({
    instance: nj,
    target,
    jobs,
    now,
    deployedRevision: previous.revision,
    ...extra,
  });

describe('decideLifecycle', () => {
  it('does nothing when the target revision is the deployed one, even with its Jobs gone', () => {
    expect(decide(instance(), [], { deployedRevision: target.revision })).toEqual({
      action: 'steady',
    });
    const nj = seeded();
    expect(
      decide(nj, [], {
        deployedRevision: target.revision,
        seededKey: seedKey(nj, target.revision),
      }),
    ).toEqual({ action: 'steady' });
  });

  it('reseeds the deployed revision when the seed sizes change, without migrating again', () => {
    const before = seeded();
    const bigger = instance({ seed: { enabled: true, users: 20, padsPerUser: 2, notesPerPad: 3 } });
    const decision = decide(bigger, [], {
      deployedRevision: target.revision,
      seededKey: seedKey(before, target.revision),
    });
    expect(decision).toMatchObject({
      action: 'create',
      phase: 'Seeding',
      completed: [{ step: 'migrate' }], // the deployed revision's, Job or not
    });
    const seedJob = observed(bigger, 'seed', 'succeeded');
    expect(
      decide(bigger, [seedJob], {
        deployedRevision: target.revision,
        seededKey: seedKey(before, target.revision),
      }),
    ).toEqual({
      action: 'rollOut',
      completed: [{ step: 'migrate' }, { step: 'seed', job: seedJob }],
    });
  });

  it('walks wipe, migrate, seed in order, one Job at a time', () => {
    const nj = instance({ onDeploy: 'wipe', seed: { enabled: true } });
    nj.spec.environment = 'development';
    const first = decide(nj, []);
    expect(first).toMatchObject({ action: 'create', phase: 'Wiping', completed: [] });
    const wipe = observed(nj, 'wipe', 'succeeded');
    expect(decide(nj, [wipe])).toMatchObject({
      action: 'create',
      phase: 'Migrating',
      completed: [{ step: 'wipe' }],
    });
    const migrate = observed(nj, 'migrate', 'running');
    expect(decide(nj, [wipe, migrate])).toMatchObject({
      action: 'wait',
      phase: 'Migrating',
      job: migrate,
    });
    const migrated = observed(nj, 'migrate', 'succeeded');
    const seeding = decide(nj, [wipe, migrated]);
    expect(seeding).toMatchObject({ action: 'create', phase: 'Seeding' });
    expect(
      seeding.action === 'create' && seeding.job.spec?.template.spec?.containers[0]?.args?.[0],
    ).toBe('seed');
    const seed = observed(nj, 'seed', 'succeeded');
    expect(decide(nj, [wipe, migrated, seed])).toEqual({
      action: 'rollOut',
      completed: [
        { step: 'wipe', job: wipe },
        { step: 'migrate', job: migrated },
        { step: 'seed', job: seed },
      ],
    });
  });

  it('creates the new image’s migrate Job for a new revision of a migrating instance', () => {
    const decision = decide(instance(), [
      observed(instance(), 'migrate', 'succeeded', { revision: previous }),
    ]);
    expect(decision).toMatchObject({ action: 'create', phase: 'Migrating' });
    expect(
      decision.action === 'create' && decision.job.spec?.template.spec?.containers[0]?.image,
    ).toBe(target.image);
  });

  it('rolls out a SQLite instance at once: its pod migrates its own volume', () => {
    const sqlite = instance({ onDeploy: 'wipe' });
    sqlite.spec.database = withDefaults({ image: 'x:1', database: { type: 'sqlite' } }).database;
    expect(decide(sqlite, [])).toEqual({ action: 'rollOut', completed: [] });
  });

  it('lets a running step of an older revision finish before starting the new one', () => {
    const older = observed(instance(), 'migrate', 'running', { revision: previous });
    expect(decide(instance(), [older])).toEqual({
      action: 'wait',
      job: older,
      phase: 'Migrating',
      completed: [],
    });
  });

  it('deletes a running step of an older revision that never started, instead of waiting for it', () => {
    const stuck = observed(instance(), 'migrate', 'running', { revision: previous });
    stuck.metadata!.uid = 'stuck-uid';
    expect(decide(instance(), [stuck], { neverStarted: new Set(['stuck-uid']) })).toEqual({
      action: 'supersede',
      job: stuck,
    });
    // Its own revision's Job is waited for, started or not (no newer revision to run).
    const own = observed(instance(), 'migrate', 'running');
    own.metadata!.uid = 'own-uid';
    expect(decide(instance(), [own], { neverStarted: new Set(['own-uid']) })).toMatchObject({
      action: 'wait',
      job: own,
    });
  });

  it('holds everything without a target (its image does not exist): no Job, nothing moves', () => {
    const stuck = observed(instance(), 'migrate', 'running', { revision: previous });
    expect(decide(instance(), [stuck], { target: undefined })).toEqual({ action: 'hold' });
    expect(decide(instance(), [], { target: undefined })).toEqual({ action: 'hold' });
  });

  it('backs off after a failure, then retries the same name with the next attempt', () => {
    const failed = observed(instance(), 'migrate', 'failed', {
      attempt: 2,
      failedAt: new Date(now.getTime() - 30_000),
    });
    expect(decide(instance(), [failed])).toEqual({
      action: 'backOff',
      job: failed,
      step: 'migrate',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      retryAt: new Date(now.getTime() + 30_000), // attempt 2: 60 s after the failure
      completed: [],
    });
    const later = decide(instance(), [failed], { now: new Date(now.getTime() + 30_000) });
    expect(later).toMatchObject({ action: 'retry', failed, phase: 'Migrating' });
    if (later.action !== 'retry') throw new Error('expected a retry');
    expect(later.job.metadata.name).toBe(failed.metadata?.name);
    expect(attemptOf(later.job)).toBe(3);
  });

  it('backs up first and migrates only after the backup succeeded', () => {
    const nj = instance({ backup: { enabled: true } });
    expect(decide(nj, [])).toMatchObject({ action: 'create', phase: 'BackingUp' });
    const running = observed(nj, 'backup', 'running');
    expect(decide(nj, [running])).toMatchObject({ action: 'wait', phase: 'BackingUp' });
    const failed = observed(nj, 'backup', 'failed');
    expect(decide(nj, [failed])).toMatchObject({ action: 'backOff', step: 'backup' });
    const backup = observed(nj, 'backup', 'succeeded');
    expect(decide(nj, [backup])).toMatchObject({
      action: 'create',
      phase: 'Migrating',
      completed: [{ step: 'backup', job: backup }],
    });
  });

  it('stops retrying once spec.lifecycle.maxRetries are used up, until the spec or the retry request changes', () => {
    const nj = instance({ maxRetries: 2 });
    nj.metadata.generation = 4;
    const third = observed(nj, 'migrate', 'failed', { attempt: 3 });
    const exhausted = decide(nj, [third], { now: new Date(now.getTime() + 3600_000) });
    expect(exhausted).toEqual({
      action: 'exhausted',
      job: third,
      step: 'migrate',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      attempts: 3,
      completed: [],
    });
    // The second attempt still had one retry left.
    const second = observed(nj, 'migrate', 'failed', { attempt: 2 });
    expect(decide(nj, [second], { now: new Date(now.getTime() + 60_000) })).toMatchObject({
      action: 'retry',
    });
    // A new value of the retry annotation: at once, counted from 1 again.
    const asked = instance({ maxRetries: 2 });
    asked.metadata.generation = 4;
    asked.metadata.annotations = { [retryAnnotation]: 'please' };
    const retried = decide(asked, [third]);
    expect(retried).toMatchObject({ action: 'retry', failed: third });
    expect(retried.action === 'retry' && attemptOf(retried.job)).toBe(1);
    // A spec change that keeps the revision (here: more retries) also lifts the stop.
    const more = instance({ maxRetries: 5 });
    more.metadata.generation = 5;
    expect(decide(more, [third])).toMatchObject({ action: 'retry' });
  });

  it('moves the pods to the maintenance page before a wipe, only while pods serve', () => {
    const nj = instance({ onDeploy: 'wipe' });
    nj.spec.environment = 'development';
    // A fresh instance has no pods: it wipes at once.
    expect(decide(nj, [], { deployedRevision: undefined })).toMatchObject({
      action: 'create',
      phase: 'Wiping',
    });
    const waiting = decide(nj, [], { serving: true, maintenanceReady: false });
    expect(waiting).toEqual({ action: 'maintenance', completed: [] });
    expect(inMaintenance(nj, waiting, true)).toBe(true);
    // Rolled out, but a pod of the serving template is still there (terminating): no wipe.
    expect(decide(nj, [], { serving: true, maintenanceReady: false, previousPods: 2 })).toEqual({
      action: 'maintenance',
      completed: [],
      previousPods: 2,
    });
    const wiping = decide(nj, [], { serving: true, maintenanceReady: true, previousPods: 0 });
    expect(wiping).toMatchObject({ action: 'create', phase: 'Wiping' });
    expect(inMaintenance(nj, wiping, true)).toBe(true);
    // The maintenance page stays until the new revision rolls out.
    const migrating = decide(nj, [observed(nj, 'wipe', 'succeeded')], { serving: true });
    expect(migrating).toMatchObject({ action: 'create', phase: 'Migrating' });
    expect(inMaintenance(nj, migrating, true)).toBe(true);
    const done = decide(
      nj,
      [observed(nj, 'wipe', 'succeeded'), observed(nj, 'migrate', 'succeeded')],
      {
        serving: true,
      },
    );
    expect(done.action).toBe('rollOut');
    expect(inMaintenance(nj, done, true)).toBe(false);
    // A backup before the wipe reads the data while the old revision still serves.
    const backedUp = instance({ onDeploy: 'wipe', backup: { enabled: true } });
    backedUp.spec.environment = 'development';
    const backingUp = decide(backedUp, [], { serving: true, maintenanceReady: false });
    expect(backingUp).toMatchObject({ action: 'create', phase: 'BackingUp' });
    expect(inMaintenance(backedUp, backingUp, true)).toBe(false);
    // Migrating instances never see the maintenance page.
    const migrate = decide(instance(), [], { serving: true });
    expect(inMaintenance(instance(), migrate, true)).toBe(false);
  });

  it('never rolls out while a step of the target has failed', () => {
    const nj = seeded();
    const decision = decide(nj, [
      observed(nj, 'migrate', 'succeeded'),
      observed(nj, 'seed', 'failed'),
    ]);
    expect(decision).toMatchObject({
      action: 'backOff',
      step: 'seed',
      completed: [{ step: 'migrate' }],
    });
  });

  it('seeds once per seed specification: a recorded seed key skips the Job', () => {
    const nj = seeded();
    const migrated = observed(nj, 'migrate', 'succeeded');
    const key = seedKey(nj, target.revision);
    expect(decide(nj, [migrated], { seededKey: key })).toEqual({
      action: 'rollOut',
      completed: [{ step: 'migrate', job: migrated }, { step: 'seed' }],
    });
    const bigger = seeded();
    bigger.spec.lifecycle.seed.users = 11;
    expect(
      decide(bigger, [observed(bigger, 'migrate', 'succeeded')], { seededKey: key }),
    ).toMatchObject({
      action: 'create',
      phase: 'Seeding',
    });
  });

  it('names the target’s Jobs for the history cleanup to keep', () => {
    const nj = seeded();
    expect(targetJobNames(nj, target)).toEqual(
      new Set([
        lifecycleJob(nj, 'migrate', target).metadata.name,
        lifecycleJob(nj, 'seed', target).metadata.name,
      ]),
    );
  });
});
