// The dashboards as shipped: generated from monitoring/src/dashboards and up to date, every
// query accepted by Prometheus' own parser (promtool), laid out and templated for Grafana,
// and the error panels evaluated by Prometheus' engine (promtool) on a healthy and a failing
// instance.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  dashboardsDir,
  dashboardExpressions,
  loadDashboards,
  monitoringDir,
} from '../src/manifests.ts';
import { metricNames, selectors, withGrafanaVariablesResolved } from '../src/promql.ts';
import { renderDashboards } from '../src/render.ts';
import { monitoringToolPath, run } from './support.ts';

const dashboards = loadDashboards();
let promtool: string;

beforeAll(() => {
  promtool = monitoringToolPath('promtool');
}, 20 * 60_000);

describe('dashboards', () => {
  it('are the generator output (run `make dashboards` after changing monitoring/src/dashboards)', async () => {
    const rendered = await renderDashboards();
    expect(Object.keys(rendered).sort()).toEqual(dashboards.map((d) => d.file));
    for (const [file, content] of Object.entries(rendered)) {
      expect({ file, content: readFileSync(join(dashboardsDir, file), 'utf8') }).toEqual({
        file,
        content,
      });
    }
  });

  it('are each shipped in a ConfigMap labelled for the Grafana sidecar', () => {
    const kustomization = parse(
      readFileSync(join(monitoringDir, 'kustomization.yaml'), 'utf8'),
    ) as {
      generatorOptions: { labels: Record<string, string> };
      configMapGenerator: { files: string[] }[];
    };
    expect(kustomization.generatorOptions.labels).toEqual({ grafana_dashboard: '1' });
    const shipped = kustomization.configMapGenerator.flatMap((g) => g.files).sort();
    expect(shipped).toEqual(dashboards.map((d) => `dashboards/${d.file}`));
  });

  it('have unique uids and titles', () => {
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
  });

  it.each(dashboards.map((d) => [d.file, d] as const))(
    '%s templates by data source and namespace',
    (_file, { json }) => {
      const variables = json.templating.list.map((v) => v.name);
      expect(variables.slice(0, 2)).toEqual(['datasource', 'namespace']);
      for (const panel of json.panels.filter((p) => p.type !== 'row')) {
        expect({ panel: panel.title, datasource: panel.datasource?.uid }).toEqual({
          panel: panel.title,
          datasource: '${datasource}',
        });
      }
    },
  );

  it.each(dashboardExpressions(dashboards).map((e) => [e.where, e.expr] as const))(
    '%s parses and type-checks with Prometheus itself, selecting metrics by name',
    (_where, expr) => {
      const query = withGrafanaVariablesResolved(expr);
      const checked = run(promtool, ['--experimental', 'promql', 'format', query], tmpdir());
      expect({ query, ...checked }).toEqual({ query, status: 0, output: expect.any(String) });
      expect(metricNames(query).size).toBeGreaterThan(0);
    },
  );

  it('panels do not overlap on the grid', () => {
    for (const { file, json } of dashboards) {
      const cells = new Set<string>();
      for (const panel of json.panels) {
        const { x, y, w, h } = panel.gridPos;
        expect(x + w).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            const cell = `${i},${j}`;
            if (cells.has(cell))
              throw new Error(`${file}: panel "${panel.title}" overlaps another at ${cell}`);
            cells.add(cell);
          }
        }
      }
    }
  });
});

/** A query that selects failures: 5xx responses, failed probes, failed database calls. */
function selectsErrors(expr: string): boolean {
  return selectors(withGrafanaVariablesResolved(expr)).some(({ matchers }) =>
    matchers.some(
      ({ label, op, value }) =>
        (label === 'status' && ((op === '=~' && value === '5..') || value === '503')) ||
        (label === 'outcome' && op === '=' && value === 'error'),
    ),
  );
}

describe('error panels over time', () => {
  // The Notejam dashboard's graphs of failures. An error series exists only once an error
  // happened (or from the start, at zero, where the app exports it so): each panel must
  // read 0 for an instance that serves without errors, not "no data", which would look the
  // same as an instance that is not scraped at all, and more than 0 once errors happen.
  const notejam = dashboards.find((d) => d.file === 'notejam.json')!.json;
  const errorGraphs = notejam.panels
    .filter((panel) => panel.type === 'timeseries')
    .flatMap((panel) =>
      (panel.targets ?? [])
        .filter((target) => selectsErrors(target.expr))
        .map((target) => ({
          panel: panel.title,
          // The variables as Grafana sets them for the instance of the input series below.
          expr: withGrafanaVariablesResolved(target.expr)
            .replaceAll('$namespace', 'notejam-prod')
            .replaceAll('$instance', 'notejam'),
        })),
    );

  it('are the 5xx, readiness and database error graphs', () => {
    expect([...new Set(errorGraphs.map((g) => g.panel))].sort()).toEqual([
      'Database errors (MySQL)',
      'Error ratio by route (5xx)',
      'Readiness failures',
      'Server errors by route',
    ]);
  });

  it('read 0 for an instance with traffic and no errors, and more than 0 once errors happen', () => {
    // One pod of prod at a steady load (a sample a minute), as the app exports it: request
    // counts by route and status, and both outcomes of its database calls from the start.
    const series = (name: string, labels: string, values: string) => ({
      series: `${name}{namespace="notejam-prod", job="notejam", pod="notejam-0", ${labels}}`,
      values,
    });
    const requests = 'http_request_duration_seconds_count';
    const queries = 'notejam_db_query_duration_seconds_count';
    const pool = 'notejam_db_pool_acquire_duration_seconds_count';
    const healthy = [
      series(requests, 'route="/", method="GET", status="200"', '0+60x15'),
      series(requests, 'route="/readyz", method="GET", status="200"', '0+12x15'),
      series(queries, 'outcome="ok"', '0+120x15'),
      series(queries, 'outcome="error"', '0x15'),
      series(pool, 'outcome="ok"', '0+60x15'),
      series(pool, 'outcome="error"', '0x15'),
    ];
    // The database gone for a while: 5xx pages, failed probes, failed queries and connects.
    const failing = [
      ...healthy.filter((s) => !s.series.includes('outcome="error"')),
      series(requests, 'route="/", method="GET", status="500"', '0+6x15'),
      series(requests, 'route="/readyz", method="GET", status="503"', '0+12x15'),
      series(queries, 'outcome="error"', '0+6x15'),
      series(pool, 'outcome="error"', '0+6x15'),
    ];
    const tests = [
      {
        name: 'healthy: every error graph reads 0',
        interval: '1m',
        input_series: healthy,
        promql_expr_test: errorGraphs.map(({ expr }) => ({
          expr: `sum(${expr})`,
          eval_time: '10m',
          exp_samples: [{ labels: '{}', value: 0 }],
        })),
      },
      {
        name: 'failing: every error graph reads more than 0',
        interval: '1m',
        input_series: failing,
        promql_expr_test: errorGraphs.map(({ expr }) => ({
          expr: `sum(${expr}) > bool 0`,
          eval_time: '10m',
          exp_samples: [{ labels: '{}', value: 1 }],
        })),
      },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'notejam-error-panels-'));
    try {
      writeFileSync(join(dir, 'error-panels.test.yaml'), stringify({ rule_files: [], tests }));
      const result = run(promtool, ['test', 'rules', 'error-panels.test.yaml'], dir);
      if (result.status !== 0) throw new Error(`promtool test rules failed:\n${result.output}`);
      expect(result.output).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metricNames', () => {
  it('reads names from selectors, functions, aggregations and __name__ matchers', () => {
    expect(
      metricNames(
        'sum by (le) (rate(a_bucket{x="1"}[5m])) / on () group_left b or {__name__="c"} + absent(d offset 1m)',
      ),
    ).toEqual(new Set(['a_bucket', 'b', 'c', 'd']));
  });

  it('ignores label names and string values that look like metric names', () => {
    expect(metricNames('label_replace(up{job="not_a_metric"}, "x", "$1", "job", "(.*)")')).toEqual(
      new Set(['up']),
    );
  });

  it('refuses invalid PromQL and selectors without a literal name', () => {
    expect(() => metricNames('sum(rate(a[5m])')).toThrow(/syntax error/);
    expect(() => metricNames('{__name__=~"a.*"}')).toThrow(/without a literal metric name/);
  });

  it('resolves Grafana interval variables', () => {
    expect(
      metricNames(
        withGrafanaVariablesResolved('rate(a[$__rate_interval]) + increase(b[$__range])'),
      ),
    ).toEqual(new Set(['a', 'b']));
  });
});
