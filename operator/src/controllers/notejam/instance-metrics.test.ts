import { describe, expect, it } from '@jest/globals';
import type { V1Job, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { type NotejamInstance, phases as allPhases } from '../../api/v1alpha1/types.js';
import { type InstanceMetricsSource, registerInstanceMetrics } from './instance-metrics.js';

const transition = '2026-03-01T10:00:00Z';
const transitionSeconds = Date.parse(transition) / 1000;

const prod: NotejamInstance = {
  apiVersion: 'notejam.io/v1alpha1',
  kind: 'NotejamInstance',
  metadata: { name: 'notejam', namespace: 'notejam-prod', uid: 'uid-1' },
  spec: { environment: 'production', database: { type: 'mysql' } } as NotejamInstance['spec'],
  status: {
    phase: 'Degraded',
    deployedImage: 'registry.example/notejam@sha256:abc',
    schemaVersion: '0003-notes',
    replicas: 4,
    readyReplicas: 3,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Serving',
        message: '',
        lastTransitionTime: transition,
      },
      {
        type: 'Degraded',
        status: 'True',
        reason: 'MigrationFailed',
        message: 'exit 1',
        lastTransitionTime: transition,
      },
      {
        type: 'Progressing',
        status: 'Unknown',
        reason: 'Waiting',
        message: '',
        lastTransitionTime: transition,
      },
    ],
  },
};

const autoscaler: V2HorizontalPodAutoscaler = {
  metadata: {
    name: 'notejam',
    namespace: 'notejam-prod',
    labels: { 'app.kubernetes.io/instance': 'notejam' },
  },
  spec: {
    minReplicas: 3,
    maxReplicas: 12,
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'notejam' },
  },
  status: { currentReplicas: 12, desiredReplicas: 12 },
};

function job(name: string, kind: string, status: V1Job['status']): V1Job {
  return {
    metadata: {
      name,
      namespace: 'notejam-prod',
      creationTimestamp: new Date('2026-03-01T09:00:00Z'),
      labels: { 'app.kubernetes.io/instance': 'notejam', 'notejam.io/job-kind': kind },
    },
    status,
  };
}

const failedMigration = job('notejam-migrate-b', 'migrate', {
  startTime: new Date('2026-03-01T09:00:05Z'),
  conditions: [
    {
      type: 'Failed',
      status: 'True',
      reason: 'BackoffLimitExceeded',
      lastTransitionTime: new Date('2026-03-01T09:01:00Z'),
    },
  ],
});
const completedMigration = job('notejam-migrate-a', 'migrate', {
  startTime: new Date('2026-03-01T09:00:05Z'),
  completionTime: new Date('2026-03-01T09:00:35Z'),
  conditions: [{ type: 'Complete', status: 'True' }],
});
const seedJob = job('notejam-seed-a', 'seed', { active: 1 });

async function scrape(source: Partial<InstanceMetricsSource>): Promise<string> {
  const registry = new Registry();
  registerInstanceMetrics(registry, {
    instances: () => [prod],
    autoscalers: () => [autoscaler],
    jobs: () => [failedMigration, completedMigration, seedJob],
    isLeading: () => true,
    ...source,
  });
  return registry.metrics();
}

/** The sample lines of one metric, without HELP and TYPE. */
function samples(exposition: string, name: string): string[] {
  return exposition.split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('instance metrics on the leader', () => {
  it("exports each instance's status as kube-state-metrics' custom-resource configuration did", async () => {
    const text = await scrape({});
    expect(samples(text, 'notejam_instance_info')).toEqual([
      'notejam_instance_info{namespace="notejam-prod",name="notejam",environment="production",database="mysql",deployed_image="registry.example/notejam@sha256:abc",schema_version="0003-notes"} 1',
    ]);
    const phases = samples(text, 'notejam_instance_phase');
    expect(phases).toContain(
      'notejam_instance_phase{namespace="notejam-prod",name="notejam",phase="Degraded"} 1',
    );
    expect(phases).toContain(
      'notejam_instance_phase{namespace="notejam-prod",name="notejam",phase="Ready"} 0',
    );
    expect(phases).toHaveLength(allPhases.length); // one series per phase, BackingUp included
    expect(phases).toContain(
      'notejam_instance_phase{namespace="notejam-prod",name="notejam",phase="BackingUp"} 0',
    );
    // Unknown has no value of 1 or 0: it is left out, its transition time is not.
    expect(samples(text, 'notejam_instance_condition')).toEqual([
      'notejam_instance_condition{namespace="notejam-prod",name="notejam",type="Ready",reason="Serving"} 1',
      'notejam_instance_condition{namespace="notejam-prod",name="notejam",type="Degraded",reason="MigrationFailed"} 1',
    ]);
    expect(samples(text, 'notejam_instance_condition_last_transition_time_seconds')).toContain(
      `notejam_instance_condition_last_transition_time_seconds{namespace="notejam-prod",name="notejam",type="Progressing"} ${transitionSeconds}`,
    );
    expect(samples(text, 'notejam_instance_replicas')).toEqual([
      'notejam_instance_replicas{namespace="notejam-prod",name="notejam"} 4',
    ]);
    expect(samples(text, 'notejam_instance_ready_replicas')).toEqual([
      'notejam_instance_ready_replicas{namespace="notejam-prod",name="notejam"} 3',
    ]);
  });

  it('exports the autoscaler of each instance', async () => {
    const text = await scrape({});
    const labels = 'namespace="notejam-prod",name="notejam",horizontalpodautoscaler="notejam"';
    expect(samples(text, 'notejam_instance_autoscaler_min_replicas')).toEqual([
      `notejam_instance_autoscaler_min_replicas{${labels}} 3`,
    ]);
    expect(samples(text, 'notejam_instance_autoscaler_max_replicas')).toEqual([
      `notejam_instance_autoscaler_max_replicas{${labels}} 12`,
    ]);
    expect(samples(text, 'notejam_instance_autoscaler_current_replicas')).toEqual([
      `notejam_instance_autoscaler_current_replicas{${labels}} 12`,
    ]);
    expect(samples(text, 'notejam_instance_autoscaler_desired_replicas')).toEqual([
      `notejam_instance_autoscaler_desired_replicas{${labels}} 12`,
    ]);
  });

  it('exports migration Jobs only, with their state and times', async () => {
    const text = await scrape({});
    const failed = 'namespace="notejam-prod",name="notejam",job_name="notejam-migrate-b"';
    const completed = 'namespace="notejam-prod",name="notejam",job_name="notejam-migrate-a"';
    expect(samples(text, 'notejam_instance_migration_job_status')).toEqual([
      `notejam_instance_migration_job_status{${failed},status="active"} 0`,
      `notejam_instance_migration_job_status{${failed},status="succeeded"} 0`,
      `notejam_instance_migration_job_status{${failed},status="failed"} 1`,
      `notejam_instance_migration_job_status{${completed},status="active"} 0`,
      `notejam_instance_migration_job_status{${completed},status="succeeded"} 1`,
      `notejam_instance_migration_job_status{${completed},status="failed"} 0`,
    ]);
    expect(text).not.toContain('notejam-seed-a');
    const created = Date.parse('2026-03-01T09:00:00Z') / 1000;
    expect(samples(text, 'notejam_instance_migration_job_created_timestamp_seconds')).toEqual([
      `notejam_instance_migration_job_created_timestamp_seconds{${failed}} ${created}`,
      `notejam_instance_migration_job_created_timestamp_seconds{${completed}} ${created}`,
    ]);
    // A failed Job has no completionTime: the time of its Failed condition stands in.
    expect(samples(text, 'notejam_instance_migration_job_completion_time_seconds')).toEqual([
      `notejam_instance_migration_job_completion_time_seconds{${failed}} ${Date.parse('2026-03-01T09:01:00Z') / 1000}`,
      `notejam_instance_migration_job_completion_time_seconds{${completed}} ${Date.parse('2026-03-01T09:00:35Z') / 1000}`,
    ]);
  });

  it('follows the caches from one scrape to the next: a deleted instance is gone', async () => {
    const registry = new Registry();
    let instances = [prod];
    registerInstanceMetrics(registry, {
      instances: () => instances,
      autoscalers: () => [],
      jobs: () => [],
      isLeading: () => true,
    });
    expect(samples(await registry.metrics(), 'notejam_instance_info')).toHaveLength(1);
    instances = [];
    expect(samples(await registry.metrics(), 'notejam_instance_info')).toEqual([]);
    expect(samples(await registry.metrics(), 'notejam_instance_phase')).toEqual([]);
  });
});

describe('instance metrics on a standby', () => {
  it('exports none of them, so that two replicas never double a series', async () => {
    const text = await scrape({ isLeading: () => false });
    expect(text).not.toMatch(/^notejam_instance_\w+\{/m);
    // The HELP and TYPE lines stay: the names are known whichever replica is scraped.
    expect(text).toContain('# TYPE notejam_instance_info gauge');
  });
});
