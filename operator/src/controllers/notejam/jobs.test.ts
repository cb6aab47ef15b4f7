import type { V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { withDefaults } from '../../api/v1alpha1/defaults.js';
import type { NotejamInstance, NotejamInstanceSpecInput } from '../../api/v1alpha1/types.js';
import { backupDirectory } from './backup.js';
import {
  attemptAnnotation,
  attemptOf,
  createdForCurrentSpec,
  failureLogTail,
  generationAnnotation,
  jobKindLabel,
  jobNeverStarted,
  jobPodSelector,
  jobName,
  jobOutcome,
  jobPolicies,
  jobRevisionLabel,
  jobsToDelete,
  lifecycleJob,
  lifecycleSteps,
  nextAttempt,
  retriesExhausted,
  retryAnnotation,
  retryAt,
  retryDelaySeconds,
  retryDueAt,
  seedKey,
  seedKeyLabel,
} from './jobs.js';
import { podTemplate } from './pod-template.js';
import { selectorLabels } from './labels.js';

const image = 'registry.example.com/notejam/app@sha256:' + 'a'.repeat(64);

function instance(spec: Partial<NotejamInstanceSpecInput> = {}, name = 'notejam'): NotejamInstance {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace: 'notejam-test', uid: '5b3c0e34-7d55-4d7e-9a49-3c2f0f8e9c11' },
    spec: withDefaults({
      image: 'registry.example.com/notejam/app:v0.1',
      environment: 'test',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      ...spec,
    }),
  };
}

const seeded = (sizes: { users?: number; padsPerUser?: number; notesPerPad?: number } = {}) =>
  instance({
    lifecycle: {
      onDeploy: 'migrate',
      seed: { enabled: true, users: 20, padsPerUser: 3, notesPerPad: 4, ...sizes },
    },
  });

function condition(
  type: string,
  status: string,
  extra: Partial<V1JobCondition> = {},
): V1JobCondition {
  return { type, status, ...extra };
}

function jobWith(conditions: V1JobCondition[], metadata: V1Job['metadata'] = {}): V1Job {
  return { metadata: { name: 'j', ...metadata }, status: { conditions } };
}

describe('lifecycleSteps', () => {
  it('runs migrate for a mysql instance, wipe first when asked, seed last when enabled', () => {
    expect(lifecycleSteps(instance())).toEqual(['migrate']);
    expect(lifecycleSteps(instance({ lifecycle: { onDeploy: 'wipe' } }))).toEqual([
      'wipe',
      'migrate',
    ]);
    expect(lifecycleSteps(seeded())).toEqual(['migrate', 'seed']);
  });

  it('backs up first for production on mysql unless turned off, and elsewhere when turned on', () => {
    const production = (backup: { enabled?: boolean } = {}) =>
      instance({ environment: 'production', lifecycle: { onDeploy: 'migrate', backup } });
    expect(lifecycleSteps(production())).toEqual(['backup', 'migrate']);
    expect(lifecycleSteps(production({ enabled: false }))).toEqual(['migrate']);
    expect(
      lifecycleSteps(instance({ lifecycle: { onDeploy: 'migrate', backup: { enabled: true } } })),
    ).toEqual(['backup', 'migrate']);
    // Before a wipe too, when asked: the data about to go is kept once more.
    expect(
      lifecycleSteps(instance({ lifecycle: { onDeploy: 'wipe', backup: { enabled: true } } })),
    ).toEqual(['backup', 'wipe', 'migrate']);
  });

  it('runs no Job for sqlite: the database lives in the pod’s own volume', () => {
    const sqlite = instance({
      replicas: 1,
      database: { type: 'sqlite' },
      lifecycle: { onDeploy: 'wipe' },
    });
    expect(lifecycleSteps(sqlite)).toEqual([]);
  });
});

describe('lifecycleJob', () => {
  const target = { image, revision: '0123456789' };

  it('names the Job from the instance, the step and the revision', () => {
    const job = lifecycleJob(instance(), 'migrate', target);
    expect(job.metadata.name).toBe('notejam-migrate-0123456789');
    expect(job.metadata.namespace).toBe('notejam-test');
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
  });

  it('gets a new name for a new revision (the pod template is immutable)', () => {
    const a = lifecycleJob(instance(), 'migrate', target).metadata.name;
    const b = lifecycleJob(instance(), 'migrate', { image, revision: 'fedcba9876' }).metadata.name;
    expect(a).not.toBe(b);
  });

  it('keeps names DNS-safe and at most 63 characters, even for the longest instance name', () => {
    const longest = 'a'.repeat(39) + 'b';
    for (const kind of ['wipe', 'migrate', 'seed'] as const) {
      const name = lifecycleJob(seeded(), kind, target).metadata.name;
      expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      const long = jobName(instance({}, longest), kind, 'f'.repeat(64));
      expect(long.length).toBeLessThanOrEqual(63);
      expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    // Beyond the CRD's limit the instance part is cut, never the hash.
    expect(jobName(instance({}, 'x'.repeat(60)), 'migrate', '0123456789')).toBe(
      'x'.repeat(44) + '-migrate-0123456789',
    );
  });

  it('runs the app’s command for each step', () => {
    const args = (kind: 'backup' | 'wipe' | 'migrate' | 'seed') =>
      lifecycleJob(seeded(), kind, target).spec?.template.spec?.containers[0]?.args;
    expect(args('backup')).toEqual([
      'backup',
      backupDirectory,
      '--keep',
      '7',
      '--label',
      'before-0123456789',
    ]);
    expect(args('migrate')).toEqual(['migrate']);
    expect(args('wipe')).toEqual(['wipe', '--yes']);
    expect(args('seed')).toEqual([
      'seed',
      '--users',
      '20',
      '--pads-per-user',
      '3',
      '--notes-per-pad',
      '4',
      '--seed',
      '1',
    ]);
  });

  it('wires the same image, environment and security as the app pod, by Secret reference', () => {
    const nj = instance();
    const app = podTemplate(nj, image).spec!;
    const pod = lifecycleJob(nj, 'migrate', target).spec!.template.spec!;
    const [container] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    expect(container!.name).toBe('migrate');
    expect(container!.image).toBe(image);
    expect(container!.env).toEqual(app.containers[0]!.env);
    expect(container!.env).toContainEqual({
      name: 'DB_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'notejam-db', key: 'password' } },
    });
    expect(JSON.stringify(pod)).not.toContain('value":"notejam-db'); // nothing copied in clear
    expect(container!.securityContext).toEqual(app.containers[0]!.securityContext);
    expect(container!.resources).toEqual(app.containers[0]!.resources);
    expect(pod.securityContext).toEqual(app.securityContext);
    expect(pod.serviceAccountName).toBe(app.serviceAccountName);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual(app.volumes);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.initContainers).toBeUndefined();
    expect(container!.ports).toBeUndefined();
    expect(container!.readinessProbe).toBeUndefined();
    expect(container!.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('mounts the backup volume into the backup Job only', () => {
    const nj = instance({
      lifecycle: { onDeploy: 'migrate', backup: { enabled: true, retention: 3 } },
    });
    const backup = lifecycleJob(nj, 'backup', target).spec!.template.spec!;
    const app = podTemplate(nj, image).spec!;
    expect(backup.volumes).toEqual([
      ...app.volumes!,
      { name: 'backups', persistentVolumeClaim: { claimName: 'notejam-backups' } },
    ]);
    expect(backup.containers[0]!.volumeMounts).toContainEqual({
      name: 'backups',
      mountPath: backupDirectory,
    });
    expect(backup.containers[0]!.args).toContain('3');
    // Written as the app's user: the volume's group is the pod's fsGroup.
    expect(backup.securityContext?.fsGroup).toBe(1000);
    const migrate = lifecycleJob(nj, 'migrate', target).spec!.template.spec!;
    expect(JSON.stringify(migrate)).not.toContain('backups');
    expect(lifecycleJob(nj, 'backup', target).spec!.activeDeadlineSeconds).toBe(
      jobPolicies.backup.activeDeadlineSeconds,
    );
  });

  it('passes the pull secrets and pull policy on', () => {
    const nj = instance({ imagePullSecrets: [{ name: 'pull' }], imagePullPolicy: 'Always' });
    const pod = lifecycleJob(nj, 'migrate', target).spec!.template.spec!;
    expect(pod.imagePullSecrets).toEqual([{ name: 'pull' }]);
    expect(pod.containers[0]!.imagePullPolicy).toBe('Always');
  });

  it('sets the limits of the step and never runs two pods at once', () => {
    const spec = lifecycleJob(instance(), 'migrate', target).spec!;
    expect(spec.backoffLimit).toBe(jobPolicies.migrate.backoffLimit);
    expect(spec.activeDeadlineSeconds).toBe(jobPolicies.migrate.activeDeadlineSeconds);
    expect(spec.ttlSecondsAfterFinished).toBe(jobPolicies.migrate.ttlSecondsAfterFinished);
    expect(spec.parallelism).toBe(1);
    expect(spec.completions).toBe(1);
    expect(spec.podReplacementPolicy).toBe('Failed');
    const custom = { backoffLimit: 0, activeDeadlineSeconds: 5, ttlSecondsAfterFinished: 60 };
    expect(lifecycleJob(instance(), 'wipe', target, custom).spec).toMatchObject(custom);
  });

  it('labels Job and pods with step and revision, outside the app pods’ selector', () => {
    const job = lifecycleJob(instance(), 'wipe', target);
    for (const labels of [job.metadata.labels, job.spec!.template.metadata!.labels!]) {
      expect(labels).toMatchObject({
        'app.kubernetes.io/name': 'notejam',
        'app.kubernetes.io/instance': 'notejam',
        'app.kubernetes.io/managed-by': 'notejam-operator',
        'app.kubernetes.io/component': 'lifecycle',
        [jobKindLabel]: 'wipe',
        [jobRevisionLabel]: '0123456789',
      });
      const selector = selectorLabels(instance());
      expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
    }
  });

  it('is owned by the instance, as its controller', () => {
    const job = lifecycleJob(instance(), 'migrate', target);
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'notejam.io/v1alpha1',
        kind: 'NotejamInstance',
        name: 'notejam',
        uid: '5b3c0e34-7d55-4d7e-9a49-3c2f0f8e9c11',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('records the attempt, the generation and the retry request it was created under', () => {
    const nj = instance();
    nj.metadata.generation = 4;
    expect(lifecycleJob(nj, 'migrate', target).metadata.annotations).toEqual({
      [attemptAnnotation]: '1',
      [generationAnnotation]: '4',
    });
    nj.metadata.annotations = { [retryAnnotation]: '2026-12-03 again' };
    const third = lifecycleJob(nj, 'migrate', { ...target, attempt: 3 });
    expect(third.metadata.annotations).toMatchObject({ [retryAnnotation]: '2026-12-03 again' });
    expect(attemptOf(third)).toBe(3);
    expect(nextAttempt(third, nj)).toBe(4);
  });
});

describe('seed Jobs', () => {
  const target = { image, revision: '0123456789' };

  it('are named by the seed specification, not by the revision', () => {
    const a = lifecycleJob(seeded(), 'seed', target);
    const b = lifecycleJob(seeded(), 'seed', { image, revision: 'fedcba9876' });
    expect(a.metadata.name).toBe(b.metadata.name);
    expect(a.metadata.labels[seedKeyLabel]).toBe(seedKey(seeded(), '0123456789'));
  });

  it('change when a size or the random seed changes', () => {
    const names = new Set(
      [seeded(), seeded({ users: 21 }), seeded({ padsPerUser: 4 }), seeded({ notesPerPad: 5 })].map(
        (nj) => lifecycleJob(nj, 'seed', target).metadata.name,
      ),
    );
    const reseeded = seeded();
    reseeded.spec.lifecycle.seed.randomSeed = 7;
    names.add(lifecycleJob(reseeded, 'seed', target).metadata.name);
    expect(names.size).toBe(5);
  });

  it('run again on every revision when every revision starts from a wiped database', () => {
    const wiped = seeded();
    wiped.spec.lifecycle.onDeploy = 'wipe';
    expect(seedKey(wiped, '0123456789')).not.toBe(seedKey(wiped, 'fedcba9876'));
  });
});

describe('jobOutcome', () => {
  it('is running without a terminal condition, whatever the counters say', () => {
    expect(jobOutcome({})).toEqual({ state: 'running' });
    const counted: V1Job = {
      status: { succeeded: 1, failed: 3, conditions: [condition('SuccessCriteriaMet', 'True')] },
    };
    expect(jobOutcome(counted)).toEqual({ state: 'running' });
    expect(jobOutcome(jobWith([condition('FailureTarget', 'True')]))).toEqual({ state: 'running' });
    expect(
      jobOutcome(jobWith([condition('Complete', 'False'), condition('Failed', 'False')])),
    ).toEqual({
      state: 'running',
    });
  });

  it('succeeds on Complete=True', () => {
    const at = new Date('2026-01-02T03:04:05Z');
    expect(
      jobOutcome(jobWith([condition('Complete', 'True', { lastTransitionTime: at })])),
    ).toEqual({
      state: 'succeeded',
      finishedAt: at,
    });
  });

  it('fails on Failed=True with the reason and message', () => {
    const failed = jobWith([
      condition('FailureTarget', 'True'),
      condition('Failed', 'True', {
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      }),
    ]);
    expect(jobOutcome(failed)).toEqual({
      state: 'failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      finishedAt: undefined,
    });
    expect(jobOutcome(jobWith([condition('Failed', 'True')]))).toMatchObject({
      reason: 'JobFailed',
    });
  });
});

/** A Job as the API server returns it: with its uid. */
const createdJob = () => {
  const job = lifecycleJob(instance(), 'migrate', { image, revision: '0123456789' });
  job.metadata.uid = 'job-uid-2';
  return job;
};
/** Labels the Job controller gives a Job's pods: its name and its uid. */
const podLabels = (jobName: string, jobUid: string) => ({
  'batch.kubernetes.io/job-name': jobName,
  'batch.kubernetes.io/controller-uid': jobUid,
});

describe('failureLogTail', () => {
  const job = createdJob();
  const pod = (
    exitCode: number,
    message: string,
    finishedAt: string,
    jobName = job.metadata.name,
    jobUid = 'job-uid-2',
  ): V1Pod => ({
    metadata: { labels: podLabels(jobName, jobUid) },
    status: {
      containerStatuses: [
        {
          name: 'migrate',
          image,
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, message, finishedAt: new Date(finishedAt) } },
        },
      ],
    },
  });

  it('is the termination message of the Job’s latest failed container', () => {
    const pods = [
      pod(1, 'first failure\n', '2026-01-01T00:00:00Z'),
      pod(1, 'Error: table exists\n', '2026-01-01T00:01:00Z'),
      pod(0, 'success', '2026-01-01T00:02:00Z'),
      pod(1, 'another job', '2026-01-01T00:03:00Z', 'other-job', 'job-uid-9'),
      // The previous attempt of the same name, deleted for this retry, its pods not yet collected.
      pod(1, 'the previous attempt', '2026-01-01T00:04:00Z', job.metadata.name, 'job-uid-1'),
    ];
    expect(failureLogTail(job, pods)).toBe('Error: table exists');
  });

  it('selects the pods of the Job by its uid, not its name', () => {
    expect(jobPodSelector(job)).toBe('batch.kubernetes.io/controller-uid=job-uid-2');
  });

  it('is undefined when no container failed', () => {
    expect(failureLogTail(job, [pod(0, 'ok', '2026-01-01T00:00:00Z')])).toBeUndefined();
    expect(failureLogTail(job, [])).toBeUndefined();
  });
});

describe('jobNeverStarted', () => {
  const job = createdJob();
  const pod = (phase: string, container: Partial<V1ContainerStatus> = {}): V1Pod => ({
    metadata: { labels: podLabels(job.metadata.name, 'job-uid-2') },
    status: {
      phase,
      containerStatuses: [
        { name: 'migrate', image, imageID: '', ready: false, restartCount: 0, ...container },
      ],
    },
  });
  const pulling = pod('Pending', {
    state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
  });

  it('is true while its pods are held back for good: image not pulled, not schedulable', () => {
    expect(jobNeverStarted({ ...job, status: { active: 1 } }, [pulling])).toBe(true);
    const unschedulable: V1Pod = {
      ...pod('Pending'),
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
      },
    };
    expect(jobNeverStarted({ ...job, status: { active: 1, ready: 0 } }, [unschedulable])).toBe(
      true,
    );
  });

  it('is false while it may still start: no pod yet, its container being created', () => {
    expect(jobNeverStarted({ ...job, status: { active: 1 } }, [])).toBe(false);
    const creating = pod('Pending', { state: { waiting: { reason: 'ContainerCreating' } } });
    expect(jobNeverStarted({ ...job, status: { active: 1 } }, [creating])).toBe(false);
  });

  it('is false once a container ran, even if it is waiting again', () => {
    const active = { ...job, status: { active: 1 } };
    expect(jobNeverStarted(active, [pod('Running', { state: { running: {} } })])).toBe(false);
    expect(
      jobNeverStarted(active, [
        pod('Pending', {
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1 } },
        }),
      ]),
    ).toBe(false);
    expect(jobNeverStarted({ ...job, status: { active: 1, ready: 1 } }, [pulling])).toBe(false);
    expect(jobNeverStarted({ ...job, status: { failed: 1, active: 1 } }, [pulling])).toBe(false);
  });

  it('ignores pods of other Jobs', () => {
    const other: V1Pod = {
      ...pod('Running', { state: { running: {} } }),
      metadata: { labels: podLabels(job.metadata.name, 'job-uid-1') },
    };
    expect(jobNeverStarted({ ...job, status: { active: 1 } }, [pulling, other])).toBe(true);
  });
});

describe('retries', () => {
  it('back off from 30 seconds, doubling, up to 10 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(retryDelaySeconds)).toEqual([
      30, 60, 120, 240, 480, 600, 600,
    ]);
  });

  it('are due after the failure plus the delay of its attempt', () => {
    const failedAt = new Date('2026-01-01T00:00:00Z');
    const failed = jobWith([condition('Failed', 'True', { lastTransitionTime: failedAt })], {
      annotations: { [attemptAnnotation]: '2' },
    });
    expect(retryAt(failed)).toEqual(new Date('2026-01-01T00:01:00Z'));
    expect(retryAt(jobWith([condition('Complete', 'True')]))).toBeUndefined();
    expect(retryAt(jobWith([]))).toBeUndefined();
  });

  describe('bounded by spec.lifecycle.maxRetries', () => {
    const failedAt = new Date('2026-01-01T00:00:00Z');
    const withRetries = (maxRetries: number) => {
      const nj = instance({ lifecycle: { onDeploy: 'migrate', maxRetries } });
      nj.metadata.generation = 2;
      return nj;
    };
    const failedAttempt = (nj: NotejamInstance, attempt: number): V1Job => {
      const job = lifecycleJob(nj, 'migrate', { image, revision: '0123456789', attempt });
      return {
        ...job,
        status: { conditions: [condition('Failed', 'True', { lastTransitionTime: failedAt })] },
      };
    };

    it('run out after the first attempt and maxRetries retries', () => {
      const nj = withRetries(2);
      expect(retriesExhausted(nj, failedAttempt(nj, 1))).toBe(false);
      expect(retriesExhausted(nj, failedAttempt(nj, 2))).toBe(false);
      expect(retriesExhausted(nj, failedAttempt(nj, 3))).toBe(true);
      expect(retriesExhausted(withRetries(0), failedAttempt(withRetries(0), 1))).toBe(true);
      // A running or succeeded Job has nothing to run out of.
      const running = { ...failedAttempt(nj, 3), status: {} };
      expect(retriesExhausted(nj, running)).toBe(false);
    });

    it('start again, at once and from 1, when the spec or the retry request changes', () => {
      const nj = withRetries(2);
      const exhausted = failedAttempt(nj, 3);
      expect(retryDueAt(nj, exhausted)).toEqual(new Date('2026-01-01T00:02:00Z'));

      const edited = withRetries(2);
      edited.metadata.generation = 3;
      expect(createdForCurrentSpec(edited, exhausted)).toBe(false);
      expect(retriesExhausted(edited, exhausted)).toBe(false);
      expect(retryDueAt(edited, exhausted)).toEqual(new Date(0));
      expect(nextAttempt(exhausted, edited)).toBe(1);

      const asked = withRetries(2);
      asked.metadata.annotations = { [retryAnnotation]: '1' };
      expect(retriesExhausted(asked, exhausted)).toBe(false);
      expect(nextAttempt(exhausted, asked)).toBe(1);
      // Once retried under that request, the count runs out again the same way.
      const again = failedAttempt(asked, 3);
      expect(retriesExhausted(asked, again)).toBe(true);
      // Raising maxRetries (a spec change) also allows more.
      expect(retriesExhausted(withRetries(5), failedAttempt(withRetries(5), 3))).toBe(false);
    });
  });

  it('count unreadable attempts as the first', () => {
    expect(attemptOf(jobWith([], { annotations: { [attemptAnnotation]: 'x' } }))).toBe(1);
    expect(attemptOf(jobWith([], {}))).toBe(1);
  });
});

describe('jobsToDelete', () => {
  const job = (
    name: string,
    kind: string,
    minute: number,
    conditions: V1JobCondition[],
  ): V1Job => ({
    metadata: {
      name,
      labels: { [jobKindLabel]: kind },
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, minute)),
    },
    status: { conditions },
  });
  const done = [condition('Complete', 'True')];
  const failed = [condition('Failed', 'True')];

  it('keeps the most recent finished Jobs of each kind, and every running or protected one', () => {
    const jobs = [
      job('m1', 'migrate', 1, done),
      job('m2', 'migrate', 2, failed),
      job('m3', 'migrate', 3, done),
      job('m4', 'migrate', 4, done),
      job('m5', 'migrate', 5, []),
      job('s1', 'seed', 1, done),
      job('s2', 'seed', 2, done),
      job('w1', 'wipe', 1, done),
    ];
    const names = (list: V1Job[]) => list.map((j) => j.metadata?.name).sort();
    expect(names(jobsToDelete(jobs, 2))).toEqual(['m1', 'm2']);
    expect(names(jobsToDelete(jobs, 1, new Set(['m1'])))).toEqual(['m2', 'm3', 's1']);
    expect(names(jobsToDelete(jobs, 0))).toEqual(['m1', 'm2', 'm3', 'm4', 's1', 's2', 'w1']);
  });

  it('leaves Jobs without a step label alone', () => {
    expect(jobsToDelete([{ metadata: { name: 'x' }, status: { conditions: done } }], 0)).toEqual(
      [],
    );
  });
});
