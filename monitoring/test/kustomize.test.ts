// What Argo CD applies from config/monitoring, rendered by kustomize as it does.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { dashboardsDir, loadPrometheusRules, monitoringDir } from '../src/manifests.ts';

interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
  spec?: unknown;
}

const rendered = parseAllDocuments(
  execFileSync('kubectl', ['kustomize', monitoringDir], { encoding: 'utf8' }),
).map((doc) => doc.toJS() as RenderedObject);

it('renders the dashboards ConfigMaps and the PrometheusRules, all in namespace monitoring', () => {
  expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'ConfigMap/notejam-dashboard',
    'ConfigMap/notejam-operator-dashboard',
    'PrometheusRule/notejam-app',
    'PrometheusRule/notejam-operator',
  ]);
  expect(new Set(rendered.map((o) => o.metadata.namespace))).toEqual(new Set(['monitoring']));
});

it('ships each dashboard unchanged, labelled for the Grafana sidecar and foldered', () => {
  for (const configMap of rendered.filter((o) => o.kind === 'ConfigMap')) {
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(configMap.metadata.annotations?.grafana_folder).toBe('Notejam');
    for (const [file, content] of Object.entries(configMap.data ?? {})) {
      expect(content).toBe(readFileSync(join(dashboardsDir, file), 'utf8'));
    }
  }
});

it('ships the PrometheusRules as written', () => {
  for (const rule of loadPrometheusRules()) {
    const shipped = rendered.find(
      (o) => o.kind === 'PrometheusRule' && o.metadata.name === rule.metadata.name,
    );
    expect(shipped?.spec).toEqual(rule.spec);
    expect(shipped?.metadata.labels).toEqual(expect.objectContaining(rule.metadata.labels));
  }
});
