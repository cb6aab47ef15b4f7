// A small, typed subset of Grafana's dashboard JSON model: just what our dashboards use.
// Builders are pure functions; `dashboard()` lays panels out on Grafana's 24-column grid.

/** Every panel and variable queries the data source chosen in the `datasource` variable. */
const datasource = { type: 'prometheus', uid: '${datasource}' } as const;

export interface Target {
  expr: string;
  legendFormat?: string;
  /** Table panels ask for one value per series instead of a time series. */
  instant?: boolean;
}

export type Unit =
  'short' | 'percentunit' | 's' | 'reqps' | 'ops' | 'bytes' | 'none' | 'dateTimeFromNow';

export interface Panel {
  type: 'timeseries' | 'stat' | 'table' | 'row';
  title: string;
  description?: string;
  /** Width on the 24-column grid; height comes from the panel type. */
  width: number;
  targets: Target[];
  unit?: Unit;
  /** Thresholds turning a stat red, lowest first: [green below, then each step]. */
  thresholds?: { value: number; color: 'green' | 'orange' | 'red' }[];
  stacked?: boolean;
  /** Grafana value mappings for stat/table cells, e.g. 1 -> "leader". */
  valueText?: Record<string, string>;
}

export interface Variable {
  name: string;
  label: string;
  /** A `label_values(...)` query; its metric selector is checked like any panel query. */
  query: string;
  multi: boolean;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: Variable[];
  /** Rows of panels; each inner array is placed left to right under a row header. */
  sections: { title: string; panels: Panel[] }[];
  links?: { title: string; url: string }[];
}

const heights: Record<Panel['type'], number> = { row: 1, stat: 4, timeseries: 8, table: 8 };

export function timeseries(
  title: string,
  description: string,
  unit: Unit,
  targets: Target[],
  width = 12,
): Panel {
  return { type: 'timeseries', title, description, unit, targets, width };
}

export function stat(
  title: string,
  description: string,
  unit: Unit,
  expr: string,
  thresholds?: Panel['thresholds'],
  width = 6,
): Panel {
  return {
    type: 'stat',
    title,
    description,
    unit,
    targets: [{ expr, instant: true }],
    thresholds,
    width,
  };
}

export function table(title: string, description: string, targets: Target[], width = 24): Panel {
  return {
    type: 'table',
    title,
    description,
    targets: targets.map((t) => ({ ...t, instant: true })),
    width,
  };
}

/** The Grafana JSON of a dashboard, with stable panel ids and grid positions. */
export function dashboard(spec: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let y = 0;
  let id = 1;
  for (const section of spec.sections) {
    panels.push({
      type: 'row',
      id: id++,
      title: section.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const panel of section.panels) {
      if (x + panel.width > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      const h = heights[panel.type];
      panels.push(panelJson(panel, id++, { h, w: panel.width, x, y }));
      x += panel.width;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'utc',
    links: (spec.links ?? []).map((link) => ({ ...link, type: 'link', targetBlank: true })),
    templating: { list: [datasourceVariable(), ...spec.variables.map(variableJson)] },
    annotations: { list: [] },
    panels,
  };
}

function panelJson(
  panel: Panel,
  id: number,
  gridPos: Record<string, number>,
): Record<string, unknown> {
  const steps = [
    { color: 'green', value: null },
    ...(panel.thresholds ?? []).filter((t) => t.color !== 'green'),
  ];
  const mappings = panel.valueText
    ? [
        {
          type: 'value',
          options: Object.fromEntries(
            Object.entries(panel.valueText).map(([k, text]) => [k, { text }]),
          ),
        },
      ]
    : [];
  return {
    id,
    type: panel.type,
    title: panel.title,
    description: panel.description,
    datasource,
    gridPos,
    targets: panel.targets.map((target, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr: target.expr,
      legendFormat: target.legendFormat ?? '__auto',
      range: !target.instant,
      instant: target.instant ?? false,
      ...(panel.type === 'table' ? { format: 'table' } : {}),
    })),
    fieldConfig: {
      defaults: {
        unit: panel.unit ?? 'short',
        mappings,
        thresholds: { mode: 'absolute', steps },
        ...(panel.type === 'timeseries'
          ? {
              custom: {
                lineWidth: 1,
                fillOpacity: panel.stacked ? 30 : 10,
                stacking: { mode: panel.stacked ? 'normal' : 'none' },
              },
            }
          : {}),
      },
      overrides: [],
    },
    options:
      panel.type === 'stat'
        ? {
            reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
            colorMode: 'value',
            graphMode: 'none',
          }
        : panel.type === 'table'
          ? { showHeader: true }
          : {
              legend: { displayMode: 'table', placement: 'right', calcs: ['mean', 'max'] },
              tooltip: { mode: 'multi', sort: 'desc' },
            },
    ...(panel.type === 'table' ? { transformations: [{ id: 'merge', options: {} }] } : {}),
  };
}

function datasourceVariable(): Record<string, unknown> {
  return {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
  };
}

function variableJson(variable: Variable): Record<string, unknown> {
  return {
    name: variable.name,
    label: variable.label,
    type: 'query',
    datasource,
    query: { query: variable.query, refId: `${variable.name}-values` },
    definition: variable.query,
    refresh: 2,
    sort: 1,
    multi: variable.multi,
    includeAll: variable.multi,
    allValue: variable.multi ? '.+' : undefined,
    current: {},
    hide: 0,
  };
}
