// Reads the monitoring manifests under config/monitoring: the PrometheusRule objects and the
// dashboard JSON, and lists every PromQL expression they contain with where it came from.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const monitoringDir = join(repoRoot, 'config/monitoring');
export const rulesDir = join(monitoringDir, 'rules');
export const dashboardsDir = join(monitoringDir, 'dashboards');
export const ruleTestsDir = join(monitoringDir, 'tests');

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export interface PrometheusRule {
  /** The file under config/monitoring/rules/, without `.yaml`. */
  file: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { groups: RuleGroup[] };
}

/** Every PrometheusRule object of config/monitoring/rules, in file name order. */
export function loadPrometheusRules(): PrometheusRule[] {
  return yamlFiles(rulesDir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(rulesDir, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.join('; ')}`);
      const object = doc.toJS() as { kind?: string } & Omit<PrometheusRule, 'file'>;
      if (object.kind !== 'PrometheusRule')
        throw new Error(`${file}: expected a PrometheusRule, got ${object.kind}`);
      return { ...object, file: file.replace(/\.yaml$/, '') };
    }),
  );
}

/** A rule file as Prometheus and promtool read it: just the groups of a PrometheusRule. */
export function ruleFileContent(rule: PrometheusRule): string {
  return JSON.stringify({ groups: rule.spec.groups }, null, 2);
}

export interface Dashboard {
  file: string;
  json: DashboardJson;
}

export interface DashboardJson {
  uid: string;
  title: string;
  templating: { list: { name: string; type: string; definition?: string }[] };
  panels: {
    title: string;
    type: string;
    gridPos: { x: number; y: number; w: number; h: number };
    datasource?: { uid: string };
    targets?: { expr: string }[];
  }[];
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(dashboardsDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      json: JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as DashboardJson,
    }));
}

export interface Expression {
  /** Where the expression is, for error messages: file and rule or panel. */
  where: string;
  expr: string;
}

export function ruleExpressions(rules: PrometheusRule[]): Expression[] {
  return rules.flatMap((object) =>
    object.spec.groups.flatMap((group) =>
      group.rules.map((rule) => ({
        where: `${object.file}.yaml ${group.name} ${rule.record ?? rule.alert}`,
        expr: rule.expr,
      })),
    ),
  );
}

/** Panel queries and the metric selector inside each `label_values(selector, label)` variable. */
export function dashboardExpressions(dashboards: Dashboard[]): Expression[] {
  return dashboards.flatMap(({ file, json }) => [
    ...json.templating.list
      .filter((variable) => variable.type === 'query')
      .map((variable) => ({
        where: `${file} variable ${variable.name}`,
        expr: labelValuesSelector(variable.definition ?? ''),
      })),
    ...json.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        where: `${file} panel "${panel.title}"`,
        expr: target.expr,
      })),
    ),
  ]);
}

/** `label_values(up{job="x"}, instance)` -> `up{job="x"}`. */
export function labelValuesSelector(query: string): string {
  const match = /^label_values\((.+),\s*\w+\)$/.exec(query.trim());
  if (!match) throw new Error(`not a label_values(selector, label) query: ${query}`);
  return match[1];
}

export interface StackApplication {
  releaseName: string;
  values: Record<string, unknown>;
}

/**
 * The kube-prometheus-stack release Argo CD installs: its values as deployed
 * (config/argocd/platform/kube-prometheus-stack.yaml, which templates/monitoring.yaml hands
 * to the Application).
 */
export function kubePrometheusStackApplication(): StackApplication {
  const file = join(repoRoot, 'config/argocd/platform/kube-prometheus-stack.yaml');
  const release = parse(readFileSync(file, 'utf8')) as {
    releaseName?: string;
    values?: Record<string, unknown>;
  };
  if (!release.releaseName || !release.values) {
    throw new Error(`${file}: no releaseName and values`);
  }
  return { releaseName: release.releaseName, values: release.values };
}

/** Names defined by recording rules: metrics that exist because we record them. */
export function recordedNames(rules: PrometheusRule[]): Set<string> {
  return new Set(
    rules.flatMap((o) =>
      o.spec.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    ),
  );
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort();
}
