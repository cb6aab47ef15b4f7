// The dashboards as shipped: generated from monitoring/src/dashboards and up to date, every
// query accepted by Prometheus' own parser (promtool), laid out and templated for Grafana.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  dashboardsDir,
  dashboardExpressions,
  loadDashboards,
  monitoringDir,
} from '../src/manifests.ts';
import { metricNames, withGrafanaVariablesResolved } from '../src/promql.ts';
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
