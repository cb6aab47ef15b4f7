// What kube-state-metrics exposes for us, as configured in config/argocd/monitoring.yaml.
// kube-state-metrics cannot run in the test suite (its Go module is not reachable from the
// build machines), so its standard series are listed here from its documentation, and its
// custom-resource series are derived from our configuration of it, which the tests check
// against the NotejamInstance CRD.
import { kubePrometheusStackApplication } from './manifests.ts';

/**
 * Standard series of kube-state-metrics v2 used by our dashboards and rules, with the labels
 * each carries besides the target's (documentation: docs/metrics/workload/*.md of v2.x).
 */
export const standardSeries: Record<string, string[]> = {
  kube_deployment_spec_replicas: ['namespace', 'deployment'],
  kube_deployment_status_replicas_available: ['namespace', 'deployment'],
  kube_horizontalpodautoscaler_spec_max_replicas: ['namespace', 'horizontalpodautoscaler'],
  kube_horizontalpodautoscaler_spec_min_replicas: ['namespace', 'horizontalpodautoscaler'],
  kube_horizontalpodautoscaler_status_current_replicas: ['namespace', 'horizontalpodautoscaler'],
  kube_horizontalpodautoscaler_status_desired_replicas: ['namespace', 'horizontalpodautoscaler'],
  kube_horizontalpodautoscaler_labels: ['namespace', 'horizontalpodautoscaler'],
  kube_job_created: ['namespace', 'job_name'],
  kube_job_complete: ['namespace', 'job_name', 'condition'],
  kube_job_failed: ['namespace', 'job_name', 'condition'],
  kube_job_labels: ['namespace', 'job_name'],
  kube_job_status_active: ['namespace', 'job_name'],
  kube_job_status_start_time: ['namespace', 'job_name'],
  kube_job_status_completion_time: ['namespace', 'job_name'],
};

/** `kube_<kind>_labels` series, by the plural resource name of the allow-list. */
const labelsSeriesByResource: Record<string, string> = {
  deployments: 'kube_deployment_labels',
  horizontalpodautoscalers: 'kube_horizontalpodautoscaler_labels',
  jobs: 'kube_job_labels',
};

export interface CustomResourceMetric {
  name: string;
  help: string;
  each:
    | {
        type: 'Gauge';
        gauge: {
          path: string[];
          labelsFromPath?: Record<string, string[]>;
          valueFrom?: string[];
          nilIsZero?: boolean;
        };
      }
    | { type: 'StateSet'; stateSet: { labelName: string; path: string[]; list: string[] } }
    | { type: 'Info'; info: { labelsFromPath: Record<string, string[]> } };
}

export interface CustomResourceConfig {
  groupVersionKind: { group: string; version: string; kind: string };
  metricNamePrefix: string;
  labelsFromPath: Record<string, string[]>;
  metrics: CustomResourceMetric[];
}

interface KubeStateMetricsValues {
  metricLabelsAllowlist: string[];
  customResourceState: {
    enabled: boolean;
    config: { kind: string; spec: { resources: CustomResourceConfig[] } };
  };
}

/** The kube-state-metrics values of the kube-prometheus-stack Application. */
export function kubeStateMetricsValues(): KubeStateMetricsValues {
  const values = kubePrometheusStackApplication().values['kube-state-metrics'];
  if (!values) throw new Error('config/argocd/monitoring.yaml: no kube-state-metrics values');
  return values as KubeStateMetricsValues;
}

/** Every series kube-state-metrics exposes for us, with its labels (target labels aside). */
export function kubeStateMetricsSeries(
  values = kubeStateMetricsValues(),
): Map<string, Set<string>> {
  const series = new Map(
    Object.entries(standardSeries).map(([name, labels]) => [name, new Set(labels)]),
  );
  for (const entry of values.metricLabelsAllowlist) {
    const match = /^(\w+)=\[(.*)\]$/.exec(entry);
    if (!match) throw new Error(`metricLabelsAllowlist entry is not resource=[labels]: ${entry}`);
    const name = labelsSeriesByResource[match[1]];
    if (!name) continue;
    const labels =
      series.get(name) ??
      new Set(['namespace', match[1] === 'jobs' ? 'job_name' : match[1].replace(/s$/, '')]);
    for (const label of match[2].split(','))
      labels.add(`label_${label.replace(/[^a-zA-Z0-9_]/g, '_')}`);
    series.set(name, labels);
  }
  for (const resource of values.customResourceState.config.spec.resources) {
    for (const metric of resource.metrics) {
      const labels = new Set([
        'customresource_group',
        'customresource_kind',
        'customresource_version',
        ...Object.keys(resource.labelsFromPath),
      ]);
      const each = metric.each;
      if (each.type === 'Gauge')
        Object.keys(each.gauge.labelsFromPath ?? {}).forEach((l) => labels.add(l));
      if (each.type === 'StateSet') labels.add(each.stateSet.labelName);
      if (each.type === 'Info') Object.keys(each.info.labelsFromPath).forEach((l) => labels.add(l));
      series.set(`${resource.metricNamePrefix}_${metric.name}`, labels);
    }
  }
  return series;
}
