// The Notejam dashboard: what users get from one instance (traffic, errors, latency per
// route, service levels), its capacity (replicas against the autoscaler) and its business
// (sign-ups, notes). One environment = one namespace; pick it, then the instance.
import { dashboard, stat, timeseries, type DashboardSpec } from './grafana.ts';

/** Series of the selected instances. `job` is the instance's Service (its ServiceMonitor). */
const app = 'namespace=~"$namespace", job=~"$instance"';
/** Requests of users: probes and scrapes are not part of the service levels. */
const users = `${app}, route!~"/healthz|/readyz|/metrics"`;
/** The instance series of the operator (its name is the app Service's, the job of $instance). */
const ofInstance = 'namespace=~"$namespace", name=~"$instance"';
const recorded = 'namespace=~"$namespace", job=~"$instance"';

const requests = (extra = '') => `http_request_duration_seconds_count{${users}${extra}}`;
/** User requests per second by `by`, the traffic the error panels compare against. */
const trafficBy = (by: string) => `sum by (${by}) (rate(${requests()}[$__rate_interval]))`;
/**
 * `errors`, or 0 for each `by` value that had traffic but no error: a 5xx series exists only
 * once a 5xx happened, and "no data" would hide whether the instance is healthy or not scraped.
 */
const orZeroWhereTraffic = (errors: string, traffic: string) => `${errors} or ${traffic} * 0`;
const quantile = (q: number, by: string) =>
  `histogram_quantile(${q}, sum by (${by}le) (rate(http_request_duration_seconds_bucket{${users}}[$__rate_interval])))`;

export const notejamDashboard: DashboardSpec = {
  uid: 'notejam-app',
  title: 'Notejam',
  description:
    'Requests, errors, latency per route, service levels, replicas against the autoscaler, and sign-ups and notes of a Notejam instance. Alerts: PrometheusRule notejam-app; runbooks: docs/runbooks.md.',
  tags: ['notejam'],
  links: [
    { title: 'Runbooks', url: 'https://github.com/example/notejam/blob/main/docs/runbooks.md' },
  ],
  variables: [
    {
      name: 'namespace',
      label: 'Environment (namespace)',
      query: 'label_values(notejam_signups_total, namespace)',
      multi: false,
    },
    {
      name: 'instance',
      label: 'Instance',
      query: 'label_values(notejam_signups_total{namespace=~"$namespace"}, job)',
      multi: true,
    },
  ],
  sections: [
    {
      title: 'Service levels (objectives over 30 days: 99.5 % without 5xx, 99 % within 500 ms)',
      panels: [
        stat(
          'Availability over the time range',
          'Share of user requests answered without a 5xx status. Objective: 99.5 %.',
          'percentunit',
          `1 - (sum(increase(${requests(', status=~"5.."')}[$__range])) or vector(0)) / sum(increase(${requests()}[$__range]))`,
          [
            { value: 0, color: 'red' },
            { value: 0.995, color: 'green' },
          ],
        ),
        stat(
          'Requests within 500 ms over the time range',
          'Share of user requests that completed within 500 ms. Objective: 99 %.',
          'percentunit',
          `sum(increase(http_request_duration_seconds_bucket{${users}, le="0.5"}[$__range])) / sum(increase(${requests()}[$__range]))`,
          [
            { value: 0, color: 'red' },
            { value: 0.99, color: 'green' },
          ],
        ),
        stat(
          'Error budget burn rate (1h)',
          'How fast the last hour spends the error budget: 1 uses it up in exactly 30 days; 14.4 over 1h pages.',
          'none',
          `max(notejam:http_request_errors:ratio_rate1h{${recorded}}) / 0.005`,
          [
            { value: 1, color: 'orange' },
            { value: 14.4, color: 'red' },
          ],
        ),
        stat(
          'Requests per second',
          'User requests per second over the last 5 minutes.',
          'reqps',
          `sum(rate(${requests()}[5m]))`,
        ),
      ],
    },
    {
      title: 'Traffic and errors',
      panels: [
        timeseries('Requests per second by route', 'User requests by route template.', 'reqps', [
          {
            expr: trafficBy('route'),
            legendFormat: '{{route}}',
          },
        ]),
        timeseries(
          'Error ratio by route (5xx)',
          'Share of requests of each route answered with a 5xx status.',
          'percentunit',
          [
            {
              expr: orZeroWhereTraffic(
                `sum by (route) (rate(${requests(', status=~"5.."')}[$__rate_interval])) / ${trafficBy('route')}`,
                trafficBy('route'),
              ),
              legendFormat: '{{route}}',
            },
          ],
        ),
        {
          ...timeseries(
            'Responses by status',
            'All responses, probes included, by HTTP status.',
            'reqps',
            [
              {
                expr: `sum by (status) (rate(http_request_duration_seconds_count{${app}}[$__rate_interval]))`,
                legendFormat: '{{status}}',
              },
            ],
          ),
          stacked: true,
        },
        timeseries(
          'Budget burn rate',
          'Error and latency budget burn rates over the alert windows (1 = the budget lasts exactly 30 days; pages at 14.4 over 1h and 6 over 6h).',
          'none',
          [
            {
              expr: `notejam:http_request_errors:ratio_rate1h{${recorded}} / 0.005`,
              legendFormat: 'errors 1h {{job}}',
            },
            {
              expr: `notejam:http_request_errors:ratio_rate6h{${recorded}} / 0.005`,
              legendFormat: 'errors 6h {{job}}',
            },
            {
              expr: `notejam:http_request_slow:ratio_rate1h{${recorded}} / 0.01`,
              legendFormat: 'latency 1h {{job}}',
            },
            {
              expr: `notejam:http_request_slow:ratio_rate6h{${recorded}} / 0.01`,
              legendFormat: 'latency 6h {{job}}',
            },
          ],
        ),
      ],
    },
    {
      title: 'Latency',
      panels: [
        timeseries(
          'p50 latency by route',
          'Median request duration per route template.',
          's',
          [{ expr: quantile(0.5, 'route, '), legendFormat: '{{route}}' }],
          8,
        ),
        timeseries(
          'p90 latency by route',
          '90th percentile request duration per route template.',
          's',
          [{ expr: quantile(0.9, 'route, '), legendFormat: '{{route}}' }],
          8,
        ),
        timeseries(
          'p99 latency by route',
          '99th percentile request duration per route template.',
          's',
          [{ expr: quantile(0.99, 'route, '), legendFormat: '{{route}}' }],
          8,
        ),
        timeseries('Latency, all routes', 'p50, p90 and p99 of all user requests.', 's', [
          { expr: quantile(0.5, ''), legendFormat: 'p50' },
          { expr: quantile(0.9, ''), legendFormat: 'p90' },
          { expr: quantile(0.99, ''), legendFormat: 'p99' },
        ]),
        timeseries(
          'Requests slower than 500 ms',
          'Share of user requests over the latency objective (1 % allowed).',
          'percentunit',
          [
            {
              expr: `notejam:http_request_slow:ratio_rate5m{${recorded}}`,
              legendFormat: '{{job}}',
            },
          ],
        ),
      ],
    },
    {
      title: 'Capacity',
      panels: [
        timeseries(
          'Replicas and autoscaler',
          'Ready pods and all pods of the instance against what the autoscaler wants and its bounds (no autoscaler series when autoscaling is off). From the operator.',
          'short',
          [
            {
              expr: `max by (namespace, name) (notejam_instance_ready_replicas{${ofInstance}})`,
              legendFormat: 'ready {{namespace}}/{{name}}',
            },
            {
              expr: `max by (namespace, name) (notejam_instance_replicas{${ofInstance}})`,
              legendFormat: 'pods {{namespace}}/{{name}}',
            },
            {
              expr: `max by (namespace, name) (notejam_instance_autoscaler_desired_replicas{${ofInstance}})`,
              legendFormat: 'autoscaler desired {{namespace}}/{{name}}',
            },
            {
              expr: `max by (namespace, name) (notejam_instance_autoscaler_max_replicas{${ofInstance}})`,
              legendFormat: 'autoscaler max {{namespace}}/{{name}}',
            },
            {
              expr: `max by (namespace, name) (notejam_instance_autoscaler_min_replicas{${ofInstance}})`,
              legendFormat: 'autoscaler min {{namespace}}/{{name}}',
            },
          ],
        ),
        timeseries('CPU per pod', 'CPU cores used by each app process.', 'short', [
          {
            expr: `sum by (pod) (rate(process_cpu_seconds_total{${app}}[$__rate_interval]))`,
            legendFormat: '{{pod}}',
          },
        ]),
        timeseries(
          'Memory per pod',
          'Resident memory and V8 heap in use of each app process.',
          'bytes',
          [
            { expr: `process_resident_memory_bytes{${app}}`, legendFormat: 'resident {{pod}}' },
            {
              expr: `sum by (pod) (nodejs_heap_size_used_bytes{${app}})`,
              legendFormat: 'heap used {{pod}}',
            },
          ],
        ),
        timeseries(
          'Event loop lag p99',
          'How long ready work waited for the Node.js event loop: high values mean CPU saturation or blocking code.',
          's',
          [{ expr: `nodejs_eventloop_lag_p99_seconds{${app}}`, legendFormat: '{{pod}}' }],
        ),
      ],
    },
    {
      title: 'Users and notes',
      panels: [
        stat(
          'Sign-ups over the time range',
          'Accounts created.',
          'short',
          `sum(increase(notejam_signups_total{${app}}[$__range]))`,
        ),
        stat(
          'Notes created over the time range',
          'Notes created.',
          'short',
          `sum(increase(notejam_notes_created_total{${app}}[$__range]))`,
        ),
        timeseries(
          'Sign-ups and notes per hour',
          'Accounts and notes created, per hour.',
          'short',
          [
            {
              expr: `sum(rate(notejam_signups_total{${app}}[$__rate_interval])) * 3600`,
              legendFormat: 'sign-ups',
            },
            {
              expr: `sum(rate(notejam_notes_created_total{${app}}[$__rate_interval])) * 3600`,
              legendFormat: 'notes created',
            },
          ],
        ),
      ],
    },
    {
      title: 'Database',
      panels: [
        timeseries(
          'Database errors (MySQL)',
          'Failed queries and failed attempts to get a pool connection, per second (from the mysql2 driver; SQLite has no such metrics).',
          'ops',
          [
            {
              expr: `sum by (pod) (rate(notejam_db_query_duration_seconds_count{${app}, outcome="error"}[$__rate_interval]))`,
              legendFormat: 'queries {{pod}}',
            },
            {
              expr: `sum by (pod) (rate(notejam_db_pool_acquire_duration_seconds_count{${app}, outcome="error"}[$__rate_interval]))`,
              legendFormat: 'pool {{pod}}',
            },
          ],
        ),
        timeseries(
          'Database latency (MySQL)',
          'p50 and p99 query time, and p99 wait for a pool connection (a long wait means the pool is too small for the load).',
          's',
          [
            {
              expr: `histogram_quantile(0.5, sum by (le) (rate(notejam_db_query_duration_seconds_bucket{${app}, outcome="ok"}[$__rate_interval])))`,
              legendFormat: 'query p50',
            },
            {
              expr: `histogram_quantile(0.99, sum by (le) (rate(notejam_db_query_duration_seconds_bucket{${app}, outcome="ok"}[$__rate_interval])))`,
              legendFormat: 'query p99',
            },
            {
              expr: `histogram_quantile(0.99, sum by (le) (rate(notejam_db_pool_acquire_duration_seconds_bucket{${app}}[$__rate_interval])))`,
              legendFormat: 'pool wait p99',
            },
          ],
        ),
        timeseries(
          'Readiness failures',
          'Failed /readyz probes per second: the database is unreachable or migrations are pending, and the pod is taken out of the Service.',
          'ops',
          [
            {
              expr: orZeroWhereTraffic(
                `sum by (pod) (rate(http_request_duration_seconds_count{${app}, route="/readyz", status="503"}[$__rate_interval]))`,
                `sum by (pod) (rate(http_request_duration_seconds_count{${app}, route="/readyz"}[$__rate_interval]))`,
              ),
              legendFormat: '{{pod}}',
            },
          ],
        ),
        timeseries(
          'Server errors by route',
          'Responses with a 5xx status per second; a database outage shows here on every route that reads or writes.',
          'reqps',
          [
            {
              expr: orZeroWhereTraffic(
                `sum by (route) (rate(${requests(', status=~"5.."')}[$__rate_interval]))`,
                trafficBy('route'),
              ),
              legendFormat: '{{route}}',
            },
          ],
        ),
      ],
    },
  ],
};

export const notejamDashboardJson = () => dashboard(notejamDashboard);
