// The Notejam operator dashboard: is it up and leading, how its reconciles and work queue
// behave, and what it manages: instances by phase and condition, migration Jobs and their
// outcome. Every series comes from the operator's /metrics: the instance and Job ones from
// the leader only (operator/src/controllers/notejam/instance-metrics.ts).
import { dashboard, stat, table, timeseries, type DashboardSpec } from './grafana.ts';

/** The operator's metrics Service, the job of its ServiceMonitor. */
const operator = 'job="notejam-operator-metrics"';
const instances = 'namespace=~"$namespace"';
/** The migration Jobs of the selected namespaces in one state (active, succeeded, failed). */
const migrationsIn = (state: string) =>
  `notejam_instance_migration_job_status{${instances}, status="${state}"} == 1`;
/** Each finished migration Job's duration. */
const migrationDurations = `notejam_instance_migration_job_completion_time_seconds{${instances}} - notejam_instance_migration_job_start_time_seconds{${instances}}`;

export const operatorDashboard: DashboardSpec = {
  uid: 'notejam-operator',
  title: 'Notejam operator',
  description:
    'Reconciles, errors, duration and work queue of the Notejam operator, its leader, and the NotejamInstances it manages: phases, conditions, migration Jobs. Alerts: PrometheusRule notejam-operator; runbooks: docs/runbooks.md.',
  tags: ['notejam', 'operator'],
  links: [
    { title: 'Runbooks', url: 'https://github.com/example/notejam/blob/main/docs/runbooks.md' },
  ],
  variables: [
    {
      name: 'namespace',
      label: 'Instance namespaces',
      query: 'label_values(notejam_instance_info, namespace)',
      multi: true,
    },
  ],
  sections: [
    {
      title: 'Operator',
      panels: [
        stat(
          'Replicas up',
          'Operator pods Prometheus scrapes successfully.',
          'short',
          `sum(up{${operator}})`,
          [
            { value: 0, color: 'red' },
            { value: 1, color: 'green' },
          ],
        ),
        {
          ...stat(
            'Leader',
            'Replicas holding the leader Lease: exactly one reconciles, the others stand by.',
            'short',
            `sum(leader_election_master_status{${operator}})`,
            [
              { value: 0, color: 'red' },
              { value: 1, color: 'green' },
              { value: 2, color: 'red' },
            ],
          ),
          valueText: { '0': 'no leader', '1': 'one leader' },
        },
        stat(
          'Reconcile errors (1h)',
          'Share of reconciles that returned an error over the last hour.',
          'percentunit',
          `(sum(increase(controller_runtime_reconcile_errors_total{${operator}}[1h])) or vector(0)) / sum(increase(controller_runtime_reconcile_total{${operator}}[1h]))`,
          [
            { value: 0, color: 'green' },
            { value: 0.01, color: 'orange' },
            { value: 0.1, color: 'red' },
          ],
        ),
        stat(
          'Instances not Ready',
          'NotejamInstances whose Ready condition is False.',
          'short',
          `count(notejam_instance_condition{${instances}, type="Ready"} == 0) or vector(0)`,
          [
            { value: 0, color: 'green' },
            { value: 1, color: 'orange' },
          ],
        ),
        timeseries('Leader by pod', 'Which operator pod holds the Lease (1) over time.', 'short', [
          { expr: `leader_election_master_status{${operator}}`, legendFormat: '{{pod}}' },
        ]),
        timeseries(
          'Process CPU and memory',
          'CPU cores and resident memory of each operator pod.',
          'short',
          [
            {
              expr: `sum by (pod) (rate(process_cpu_seconds_total{${operator}}[$__rate_interval]))`,
              legendFormat: 'cpu {{pod}}',
            },
            {
              expr: `process_resident_memory_bytes{${operator}} / 2^30`,
              legendFormat: 'memory GiB {{pod}}',
            },
          ],
        ),
      ],
    },
    {
      title: 'Reconciles',
      panels: [
        {
          ...timeseries(
            'Reconciles per second by result',
            'success, requeue, requeue_after or error.',
            'ops',
            [
              {
                expr: `sum by (controller, result) (rate(controller_runtime_reconcile_total{${operator}}[$__rate_interval]))`,
                legendFormat: '{{controller}} {{result}}',
              },
            ],
          ),
          stacked: true,
        },
        timeseries(
          'Reconcile errors per second',
          'Reconciles that returned an error; each is retried with backoff.',
          'ops',
          [
            {
              expr: `sum by (controller) (rate(controller_runtime_reconcile_errors_total{${operator}}[$__rate_interval]))`,
              legendFormat: '{{controller}}',
            },
          ],
        ),
        timeseries('Reconcile duration', 'p50 and p99 time of one reconcile.', 's', [
          {
            expr: `histogram_quantile(0.5, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{${operator}}[$__rate_interval])))`,
            legendFormat: 'p50 {{controller}}',
          },
          {
            expr: `histogram_quantile(0.99, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{${operator}}[$__rate_interval])))`,
            legendFormat: 'p99 {{controller}}',
          },
        ]),
        timeseries('Workers', 'Workers busy reconciling against the configured maximum.', 'short', [
          {
            expr: `sum by (controller) (controller_runtime_active_workers{${operator}})`,
            legendFormat: 'active {{controller}}',
          },
          {
            expr: `max by (controller) (controller_runtime_max_concurrent_reconciles{${operator}})`,
            legendFormat: 'max {{controller}}',
          },
        ]),
      ],
    },
    {
      title: 'Work queue and API server',
      panels: [
        timeseries('Queue depth', 'Keys waiting to be reconciled.', 'short', [
          { expr: `sum by (name) (workqueue_depth{${operator}})`, legendFormat: '{{name}}' },
        ]),
        timeseries(
          'Queue adds and retries per second',
          'Keys added (events, resyncs) and retried after an error.',
          'ops',
          [
            {
              expr: `sum by (name) (rate(workqueue_adds_total{${operator}}[$__rate_interval]))`,
              legendFormat: 'adds {{name}}',
            },
            {
              expr: `sum by (name) (rate(workqueue_retries_total{${operator}}[$__rate_interval]))`,
              legendFormat: 'retries {{name}}',
            },
          ],
        ),
        timeseries(
          'Queue wait p99',
          'How long a key waits in the queue before a worker takes it.',
          's',
          [
            {
              expr: `histogram_quantile(0.99, sum by (name, le) (rate(workqueue_queue_duration_seconds_bucket{${operator}}[$__rate_interval])))`,
              legendFormat: '{{name}}',
            },
          ],
        ),
        timeseries(
          'API server requests by status code',
          'Requests of the operator to the Kubernetes API server, and watch restarts.',
          'ops',
          [
            {
              expr: `sum by (code) (rate(rest_client_requests_total{${operator}}[$__rate_interval]))`,
              legendFormat: '{{code}}',
            },
            {
              expr: `sum by (resource, reason) (rate(informer_watch_restarts_total{${operator}}[$__rate_interval]))`,
              legendFormat: 'watch restart {{resource}} {{reason}}',
            },
          ],
        ),
      ],
    },
    {
      title: 'Instances',
      panels: [
        {
          ...timeseries('Instances by phase', 'NotejamInstances in each phase.', 'short', [
            {
              expr: `count by (phase) (notejam_instance_phase{${instances}} == 1)`,
              legendFormat: '{{phase}}',
            },
          ]),
          stacked: true,
        },
        timeseries(
          'Ready replicas per instance',
          'Ready app pods against all app pods, from the instance status.',
          'short',
          [
            {
              expr: `notejam_instance_ready_replicas{${instances}}`,
              legendFormat: 'ready {{namespace}}/{{name}}',
            },
            {
              expr: `notejam_instance_replicas{${instances}}`,
              legendFormat: 'all {{namespace}}/{{name}}',
            },
          ],
        ),
        table(
          'Instances',
          'Environment, database, deployed image and schema version of each instance.',
          [{ expr: `notejam_instance_info{${instances}}` }],
        ),
        table(
          'Conditions needing attention',
          'Degraded or Progressing conditions that are True, and Ready conditions that are False, with their reason.',
          [
            {
              expr: `notejam_instance_condition{${instances}, type=~"Degraded|Progressing"} == 1 or notejam_instance_condition{${instances}, type="Ready"} == 0`,
            },
          ],
        ),
      ],
    },
    {
      title: 'Migration Jobs',
      panels: [
        stat(
          'Migrations succeeded',
          'Migration Jobs that exist and completed.',
          'short',
          `count(${migrationsIn('succeeded')}) or vector(0)`,
        ),
        stat(
          'Migrations failed',
          'Migration Jobs that exist and failed.',
          'short',
          `count(${migrationsIn('failed')}) or vector(0)`,
          [
            { value: 0, color: 'green' },
            { value: 1, color: 'red' },
          ],
        ),
        stat(
          'Migrations running',
          'Migration Jobs still running.',
          'short',
          `count(${migrationsIn('active')}) or vector(0)`,
        ),
        stat(
          'Longest migration',
          'Duration of the slowest finished migration Job that still exists.',
          's',
          `max(${migrationDurations})`,
        ),
        table(
          'Migration Jobs',
          'Each migration Job of the selected namespaces with its duration in seconds (finished Jobs only).',
          [
            {
              expr: migrationDurations,
            },
          ],
        ),
        timeseries(
          'Migration Jobs by outcome',
          'Failed, succeeded and running migration Jobs over time.',
          'short',
          [
            {
              expr: `count(${migrationsIn('failed')}) or vector(0)`,
              legendFormat: 'failed',
            },
            {
              expr: `count(${migrationsIn('succeeded')}) or vector(0)`,
              legendFormat: 'succeeded',
            },
            {
              expr: `count(${migrationsIn('active')}) or vector(0)`,
              legendFormat: 'running',
            },
          ],
          24,
        ),
      ],
    },
  ],
};

export const operatorDashboardJson = () => dashboard(operatorDashboard);
