import { describe, expect, it } from '@jest/globals';
import type { V1Deployment } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { assessRollout, computeStatus, setCondition, statusChanged } from './status.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');

function instance(status?: NotejamInstance['status'], generation = 3): NotejamInstance {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'notejam', namespace: 'ns', uid: 'uid-1', generation },
    spec: { monitoring: { serviceMonitor: false } } as NotejamInstance['spec'],
    status,
  };
}

function deployment(
  overrides: { replicas?: number; status?: V1Deployment['status']; generation?: number } = {},
): V1Deployment {
  return {
    metadata: { name: 'notejam', generation: overrides.generation ?? 2 },
    spec: {
      replicas: overrides.replicas ?? 2,
      selector: {},
      template: { spec: { containers: [{ name: 'app', image: 'registry.example/notejam:v2' }] } },
    },
    status: overrides.status,
  };
}

const rolledOut = {
  observedGeneration: 2,
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
};

const condition = (status: NotejamInstance['status'], type: string) =>
  status?.conditions?.find((candidate) => candidate.type === type);

describe('assessRollout', () => {
  it('waits for the Deployment controller to observe a new generation', () => {
    const result = assessRollout(deployment({ generation: 3, status: rolledOut }));
    expect(result).toMatchObject({ complete: false, reason: 'RollingOut' });
  });

  it('is not complete while old replicas remain', () => {
    const result = assessRollout(deployment({ status: { ...rolledOut, replicas: 3 } }));
    expect(result).toMatchObject({
      complete: false,
      message: '1 old replicas pending termination',
    });
  });

  it('is not complete until every updated replica is available', () => {
    const result = assessRollout(deployment({ status: { ...rolledOut, availableReplicas: 1 } }));
    expect(result).toMatchObject({ complete: false, message: '1 of 2 updated replicas available' });
  });

  it('reports a stalled rollout', () => {
    const result = assessRollout(
      deployment({
        status: {
          ...rolledOut,
          updatedReplicas: 1,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'too slow',
            },
          ],
        },
      }),
    );
    expect(result).toMatchObject({ complete: false, deadlineExceeded: true });
  });

  it('is complete when all replicas are updated and available', () => {
    expect(assessRollout(deployment({ status: rolledOut }))).toMatchObject({
      complete: true,
      available: 2,
    });
  });
});

describe('computeStatus', () => {
  it('is Pending with Ready=False and Progressing=True before the Deployment exists', () => {
    const status = computeStatus(instance(), { deployment: undefined }, t0);
    expect(status.phase).toBe('Pending');
    expect(status.observedGeneration).toBe(3);
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'Creating',
      observedGeneration: 3,
    });
    expect(condition(status, 'Progressing')?.status).toBe('True');
    expect(condition(status, 'Degraded')?.status).toBe('False');
  });

  it('is Ready with the deployed image and replica counts once rolled out', () => {
    const status = computeStatus(
      instance(),
      {
        deployment: deployment({ status: rolledOut }),
        deployed: { image: 'registry.example/notejam:v2', revision: 'abcdef0123' },
        lifecycle: { conditions: [] },
      },
      t0,
    );
    expect(status).toMatchObject({
      phase: 'Ready',
      deployedImage: 'registry.example/notejam:v2',
      revision: 'abcdef0123',
      replicas: 2,
      readyReplicas: 2,
    });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(condition(status, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'RolloutComplete',
    });
  });

  it('computes the same status again from the same observation: a steady state writes nothing', () => {
    const observed = { deployment: deployment({ status: rolledOut }) };
    const first = computeStatus(instance(), observed, t0);
    const second = computeStatus(instance(first), observed, t1);
    expect(statusChanged(first, second)).toBe(false);
  });

  it('moves lastTransitionTime only when a condition changes status', () => {
    const ready = computeStatus(instance(), { deployment: deployment({ status: rolledOut }) }, t0);
    const scaling = computeStatus(
      instance(ready),
      {
        deployment: deployment({
          replicas: 3,
          status: { ...rolledOut, updatedReplicas: 3, replicas: 3, availableReplicas: 2 },
        }),
      },
      t1,
    );
    expect(condition(scaling, 'Ready')?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(condition(scaling, 'Degraded')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(scaling.phase).toBe('RollingOut');
  });

  const refused = {
    reason: 'PersistentVolumeClaimInvalid',
    message: 'applying PersistentVolumeClaim notejam-data: 422 Invalid: spec is immutable',
    terminal: true,
  };

  it('is Degraded while the old pods serve, Failed when nothing serves', () => {
    const serving = computeStatus(
      instance(),
      { deployment: deployment({ status: rolledOut }), failures: [refused] },
      t0,
    );
    expect(serving.phase).toBe('Degraded');
    expect(condition(serving, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'PersistentVolumeClaimInvalid',
      message: refused.message,
    });
    const nothing = computeStatus(instance(), { deployment: undefined, failures: [refused] }, t0);
    expect(nothing.phase).toBe('Failed');
  });

  it('lists every failure, the lifecycle’s first, and describes the Deployment whatever failed', () => {
    const status = computeStatus(
      instance(undefined, 3),
      {
        deployment: deployment({ status: rolledOut }),
        failures: [
          refused,
          {
            reason: 'JobCleanupForbidden',
            message: 'deleting the finished Job notejam-migrate-aaaaaaaaaa: 403 Forbidden: no',
            terminal: false,
          },
        ],
        lifecycle: {
          conditions: [],
          failure: { reason: 'MigrationFailed', message: 'Job notejam-migrate-b failed' },
        },
      },
      t0,
    );
    expect(status.observedGeneration).toBe(3);
    expect(condition(status, 'Degraded')).toMatchObject({
      reason: 'MigrationFailed',
      message:
        'Job notejam-migrate-b failed\n' +
        `${refused.message}\n` +
        'deleting the finished Job notejam-migrate-aaaaaaaaaa: 403 Forbidden: no',
    });
    // The pods serve: Ready says so, not "waiting for the Deployment to be created".
    expect(condition(status, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(status.phase).toBe('Degraded');
  });

  it('keeps what other parts of the operator recorded (lifecycle conditions, revision)', () => {
    const previous = {
      revision: 'abc',
      schemaVersion: '1700000000000-Init',
      conditions: [
        {
          type: 'MigrationsApplied',
          status: 'True' as const,
          reason: 'Succeeded',
          message: 'ok',
          lastTransitionTime: '2025-01-01T00:00:00Z',
        },
      ],
    };
    const status = computeStatus(instance(previous), { deployment: undefined }, t0);
    expect(status).toMatchObject({ revision: 'abc', schemaVersion: '1700000000000-Init' });
    expect(condition(status, 'MigrationsApplied')?.status).toBe('True');
  });

  it('records the schema version a rollOut reports, and drops one the new revision did not report', () => {
    const previous = { revision: 'abc', schemaVersion: 'Old1' };
    const report = (schemaVersion?: string | null) => ({
      deployment: undefined,
      deployed: { image: 'app:v2', revision: 'def' },
      lifecycle: {
        conditions: [],
        ...(schemaVersion === undefined ? {} : { schemaVersion }),
      },
    });
    expect(computeStatus(instance(previous), report('New2'), t0).schemaVersion).toBe('New2');
    expect(computeStatus(instance(previous), report(), t0).schemaVersion).toBe('Old1');
    expect(computeStatus(instance(previous), report(null), t0)).not.toHaveProperty('schemaVersion');
  });

  it('says when it is paused, keeping what it said about progress, failures and phase', () => {
    const migrating = computeStatus(
      instance(),
      {
        deployment: deployment({ status: rolledOut }),
        lifecycle: {
          phase: 'Migrating',
          progress: 'Job notejam-migrate-bbbbbbbbbb is running',
          failure: { reason: 'SeedFailed', message: 'Job notejam-seed-1 failed' },
          conditions: [],
        },
      },
      t0,
    );
    const paused = computeStatus(
      instance(migrating, 4),
      { deployment: deployment({ status: rolledOut }), paused: true },
      t1,
    );
    expect(paused.observedGeneration).toBe(4);
    expect(paused.phase).toBe(migrating.phase);
    expect(condition(paused, 'Paused')).toMatchObject({
      status: 'True',
      reason: 'Paused',
      observedGeneration: 4,
    });
    expect(condition(paused, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Paused',
      message: 'Paused while: Job notejam-migrate-bbbbbbbbbb is running',
    });
    // Nothing was attempted: the failure reported before the pause stands.
    expect(condition(paused, 'Degraded')).toEqual(condition(migrating, 'Degraded'));
    // Paused again: the same status, so no write.
    expect(
      statusChanged(
        paused,
        computeStatus(
          instance(paused, 4),
          { deployment: deployment({ status: rolledOut }), paused: true },
          t1,
        ),
      ),
    ).toBe(false);
    const resumed = computeStatus(
      instance(paused, 4),
      { deployment: deployment({ status: rolledOut }) },
      t1,
    );
    expect(condition(resumed, 'Paused')).toMatchObject({ status: 'False', reason: 'NotPaused' });
  });

  it('names the pods’ selector for the scale subresource, and records a backup taken', () => {
    const lastBackup = {
      file: 'notejam-20261203T103155.123Z-before-bbbbbbbbbb.ndjson.gz',
      persistentVolumeClaim: 'notejam-backups',
      schemaVersion: 'InitialSchema1764300000000',
      sizeBytes: 1234,
      rows: 21,
      revision: 'bbbbbbbbbb',
      completedAt: '2026-01-01T00:04:00Z',
    };
    const status = computeStatus(
      instance(),
      { deployment: deployment({ status: rolledOut }), lifecycle: { lastBackup, conditions: [] } },
      t0,
    );
    expect(status.selector).toBe(
      'app.kubernetes.io/name=notejam,app.kubernetes.io/instance=notejam,app.kubernetes.io/component=web',
    );
    expect(status.lastBackup).toEqual(lastBackup);
    // Kept when a later reconcile has nothing new to say about it.
    expect(
      computeStatus(instance(status), { deployment: deployment({ status: rolledOut }) }, t1)
        .lastBackup,
    ).toEqual(lastBackup);
  });

  it('says when a requested ServiceMonitor cannot be created', () => {
    const status = computeStatus(
      instance(),
      { deployment: undefined, serviceMonitorUnavailable: true },
      t0,
    );
    expect(condition(status, 'Ready')?.message).toContain('ServiceMonitor CRD');
  });
});

describe('setCondition', () => {
  it('appends new condition types and replaces existing ones in place', () => {
    const first = setCondition([], { type: 'A', status: 'True', reason: 'R', message: 'm' }, 1, t0);
    const both = setCondition(
      first,
      { type: 'B', status: 'False', reason: 'R', message: 'm' },
      1,
      t0,
    );
    const updated = setCondition(
      both,
      { type: 'A', status: 'True', reason: 'R2', message: 'm2' },
      2,
      t1,
    );
    expect(
      updated.map((c) => [c.type, c.reason, c.observedGeneration, c.lastTransitionTime]),
    ).toEqual([
      ['A', 'R2', 2, '2026-01-01T00:00:00Z'],
      ['B', 'R', 1, '2026-01-01T00:00:00Z'],
    ]);
  });
});
