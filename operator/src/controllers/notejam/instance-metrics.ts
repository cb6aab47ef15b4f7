/**
 * Each NotejamInstance's state as Prometheus series on the operator's /metrics: its status
 * (phase, conditions, image, replicas), its autoscaler and its migration Jobs, which the
 * alerts and dashboards of config/monitoring read. The values come from the informer
 * caches at scrape time, so they are as fresh as the operator's own view and cost nothing
 * between scrapes.
 *
 * Only the leader exports them: a standby's caches are as current, but two replicas
 * exporting the same series (differing only in the pod label) would double every count and
 * sum on the dashboards.
 */
import type { V2HorizontalPodAutoscaler, V1Job } from '@kubernetes/client-node';
import { Gauge, type Registry } from 'prom-client';
import { type NotejamInstance, phases } from '../../api/v1alpha1/types.js';
import { jobKindLabel, jobOutcome } from './jobs.js';

/** What the series are computed from: the caches, and whether this process leads. */
export interface InstanceMetricsSource {
  instances(): NotejamInstance[];
  autoscalers(): V2HorizontalPodAutoscaler[];
  jobs(): V1Job[];
  isLeading(): boolean;
}

const instanceLabel = 'app.kubernetes.io/instance';
/** A migration Job's state, one series each (1 for the current one), as kube-state-metrics' StateSets. */
export const migrationJobStates = ['active', 'succeeded', 'failed'] as const;

/** The series' names, for the monitoring tests that check rules and dashboards against them. */
export const instanceMetricNames = {
  info: 'notejam_instance_info',
  phase: 'notejam_instance_phase',
  condition: 'notejam_instance_condition',
  conditionTransition: 'notejam_instance_condition_last_transition_time_seconds',
  replicas: 'notejam_instance_replicas',
  readyReplicas: 'notejam_instance_ready_replicas',
  autoscalerMin: 'notejam_instance_autoscaler_min_replicas',
  autoscalerMax: 'notejam_instance_autoscaler_max_replicas',
  autoscalerCurrent: 'notejam_instance_autoscaler_current_replicas',
  autoscalerDesired: 'notejam_instance_autoscaler_desired_replicas',
  migrationJobStatus: 'notejam_instance_migration_job_status',
  migrationJobCreated: 'notejam_instance_migration_job_created_timestamp_seconds',
  migrationJobStart: 'notejam_instance_migration_job_start_time_seconds',
  migrationJobCompletion: 'notejam_instance_migration_job_completion_time_seconds',
} as const;

const seconds = (value: Date | string | undefined): number | undefined =>
  value === undefined ? undefined : new Date(value).getTime() / 1000;

/** Registers the series on the registry; each scrape recomputes them from the source. */
export function registerInstanceMetrics(registry: Registry, source: InstanceMetricsSource): void {
  const gauges: Gauge[] = [];
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: () => void,
  ) => {
    const created = new Gauge<L>({ name, help, labelNames, registers: [registry], collect });
    gauges.push(created as unknown as Gauge);
    return created;
  };
  const names = instanceMetricNames;
  const info = gauge(
    names.info,
    'Environment, database type, deployed image and schema version of a NotejamInstance (always 1)',
    ['namespace', 'name', 'environment', 'database', 'deployed_image', 'schema_version'],
    // The registry reads its metrics in registration order, each read starting with its
    // collect(): this first gauge computes every series of this module for the scrape.
    () => collect(),
  );
  const phase = gauge(names.phase, 'The phase of a NotejamInstance (1 for the current one)', [
    'namespace',
    'name',
    'phase',
  ]);
  const condition = gauge(
    names.condition,
    'Status of each condition of a NotejamInstance (1 True, 0 False; Unknown is left out), with its reason',
    ['namespace', 'name', 'type', 'reason'],
  );
  const transition = gauge(
    names.conditionTransition,
    'When each condition of a NotejamInstance last changed status (Unix time)',
    ['namespace', 'name', 'type'],
  );
  const replicas = gauge(names.replicas, 'App pods of a NotejamInstance', ['namespace', 'name']);
  const ready = gauge(names.readyReplicas, 'Ready app pods of a NotejamInstance', [
    'namespace',
    'name',
  ]);
  const autoscalerLabels = ['namespace', 'name', 'horizontalpodautoscaler'] as const;
  const autoscaler = {
    min: gauge(names.autoscalerMin, 'Lower limit of the autoscaler', autoscalerLabels),
    max: gauge(names.autoscalerMax, 'Upper limit of the autoscaler', autoscalerLabels),
    current: gauge(names.autoscalerCurrent, 'Replicas the autoscaler last saw', autoscalerLabels),
    desired: gauge(
      names.autoscalerDesired,
      'Replicas the autoscaler last asked for',
      autoscalerLabels,
    ),
  };
  const jobLabels = ['namespace', 'name', 'job_name'] as const;
  const job = {
    status: gauge(
      names.migrationJobStatus,
      'State of each migration Job of a NotejamInstance (1 for the current one of active, succeeded, failed)',
      [...jobLabels, 'status'],
    ),
    created: gauge(
      names.migrationJobCreated,
      'When the migration Job was created (Unix time)',
      jobLabels,
    ),
    start: gauge(names.migrationJobStart, 'When the migration Job started (Unix time)', jobLabels),
    completion: gauge(
      names.migrationJobCompletion,
      'When the migration Job succeeded or failed (Unix time)',
      jobLabels,
    ),
  };

  const collect = () => {
    for (const each of gauges) each.reset();
    if (!source.isLeading()) return;
    for (const instance of source.instances()) {
      const { namespace = '', name } = instance.metadata;
      const status = instance.status ?? {};
      const id = { namespace, name };
      info.set(
        {
          ...id,
          environment: instance.spec.environment,
          database: instance.spec.database.type,
          deployed_image: status.deployedImage ?? '',
          schema_version: status.schemaVersion ?? '',
        },
        1,
      );
      if (status.phase) {
        for (const each of phases) phase.set({ ...id, phase: each }, each === status.phase ? 1 : 0);
      }
      for (const c of status.conditions ?? []) {
        if (c.status !== 'Unknown') {
          condition.set({ ...id, type: c.type, reason: c.reason }, c.status === 'True' ? 1 : 0);
        }
        const changed = seconds(c.lastTransitionTime);
        if (changed !== undefined) transition.set({ ...id, type: c.type }, changed);
      }
      replicas.set(id, status.replicas ?? 0);
      ready.set(id, status.readyReplicas ?? 0);
    }
    for (const hpa of source.autoscalers()) {
      const name = hpa.metadata?.labels?.[instanceLabel];
      if (!name) continue;
      const labels = {
        namespace: hpa.metadata?.namespace ?? '',
        name,
        horizontalpodautoscaler: hpa.metadata?.name ?? '',
      };
      autoscaler.min.set(labels, hpa.spec?.minReplicas ?? 1);
      autoscaler.max.set(labels, hpa.spec?.maxReplicas ?? 0);
      autoscaler.current.set(labels, hpa.status?.currentReplicas ?? 0);
      autoscaler.desired.set(labels, hpa.status?.desiredReplicas ?? 0);
    }
    for (const each of source.jobs()) {
      const labelsOfJob = each.metadata?.labels ?? {};
      const name = labelsOfJob[instanceLabel];
      if (labelsOfJob[jobKindLabel] !== 'migrate' || !name) continue;
      const labels = {
        namespace: each.metadata?.namespace ?? '',
        name,
        job_name: each.metadata?.name ?? '',
      };
      const outcome = jobOutcome(each).state;
      const state = outcome === 'running' ? 'active' : outcome;
      for (const s of migrationJobStates)
        job.status.set({ ...labels, status: s }, s === state ? 1 : 0);
      const created = seconds(each.metadata?.creationTimestamp);
      if (created !== undefined) job.created.set(labels, created);
      const started = seconds(each.status?.startTime);
      if (started !== undefined) job.start.set(labels, started);
      const finished = seconds(each.status?.completionTime) ?? finishedAt(each);
      if (finished !== undefined) job.completion.set(labels, finished);
    }
  };
}

/** A failed Job has no completionTime: its Failed condition says when. */
function finishedAt(job: V1Job): number | undefined {
  const outcome = jobOutcome(job);
  return outcome.state === 'failed' ? seconds(outcome.finishedAt) : undefined;
}
