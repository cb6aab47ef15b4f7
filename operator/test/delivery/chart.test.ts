// The operator's Helm chart: lint and render with every CI values set, refuse bad values
// with the schema's message, and stay equal to the kustomize config (one operator, two
// packagings): the same Deployment pod spec and exactly the RBAC rules of config/rbac.
import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject, V1Deployment, V1PolicyRule } from '@kubernetes/client-node';
import path from 'node:path';
import {
  chartPath,
  chartValuesFiles,
  deliveryTool,
  helmTemplate,
  kustomize,
  run,
} from './support.js';

type Rules = { rules?: V1PolicyRule[] };

function ofKind<T extends KubernetesObject>(objects: KubernetesObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}

/** helm template as against a cluster that serves the prometheus-operator's ServiceMonitor. */
const serviceMonitorServed = ['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'];

function lint(args: string[]) {
  return run(deliveryTool('helm'), ['lint', chartPath, '--strict', ...args]);
}

/** Rules in a canonical order, so two lists granting the same are equal. */
function canonicalRules(rules: V1PolicyRule[] = []): V1PolicyRule[] {
  return sortedByJson(
    rules.map((rule) => {
      const canonical: V1PolicyRule = { verbs: [...rule.verbs].sort() };
      if (rule.apiGroups) canonical.apiGroups = [...rule.apiGroups].sort();
      if (rule.resources) canonical.resources = [...rule.resources].sort();
      if (rule.resourceNames) canonical.resourceNames = [...rule.resourceNames].sort();
      if (rule.nonResourceURLs) canonical.nonResourceURLs = [...rule.nonResourceURLs].sort();
      return canonical;
    }),
  );
}

function sortedByJson<T>(items: T[]): T[] {
  return [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('charts/notejam-operator', () => {
  const valuesFiles = chartValuesFiles();

  it('has several CI values sets', () => {
    expect(valuesFiles.length).toBeGreaterThanOrEqual(3);
  });

  it.each(valuesFiles)('passes helm lint --strict with %s', (values) => {
    const result = lint(['--values', path.join(chartPath, values)]);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it.each(valuesFiles)('renders a complete install with %s', (values) => {
    const objects = helmTemplate(values);
    const kinds = new Set(objects.map((object) => object.kind));
    for (const kind of ['CustomResourceDefinition', 'Deployment', 'Service', 'Pod'])
      expect(kinds).toContain(kind);
    for (const object of objects) expect(object.metadata?.name).toBeTruthy();
  });

  it('runs two replicas with leader election, probes, resources, a restricted security context and a PDB by default', () => {
    const objects = helmTemplate('ci/default-values.yaml');
    const [deployment] = ofKind<V1Deployment>(objects, 'Deployment');
    const spec = deployment?.spec;
    const container = spec?.template.spec?.containers[0];
    expect(spec?.replicas).toBe(2);
    expect(container?.env).toContainEqual({ name: 'LEADER_ELECTION', value: 'true' });
    expect(container?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container?.resources?.requests).toBeDefined();
    expect(container?.resources?.limits?.['memory']).toBeDefined();
    expect(container?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(spec?.template.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(ofKind(objects, 'PodDisruptionBudget')).toHaveLength(1);
    expect(ofKind(objects, 'ServiceMonitor')).toHaveLength(0);
  });

  it('adds the ServiceMonitor with its selector labels, and pins the image by digest, when asked', () => {
    const objects = helmTemplate('ci/production-values.yaml', serviceMonitorServed);
    const [monitor] = ofKind<KubernetesObject & { spec: { endpoints: Array<{ port: string }> } }>(
      objects,
      'ServiceMonitor',
    );
    expect(monitor?.metadata?.labels?.['release']).toBe('kube-prometheus-stack');
    expect(monitor?.spec.endpoints[0]?.port).toBe('metrics');
    const [deployment] = ofKind<V1Deployment>(objects, 'Deployment');
    expect(deployment?.spec?.template.spec?.containers[0]?.image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('renders the ServiceMonitor only while the cluster serves the kind, so an install never fails on it', () => {
    expect(ofKind(helmTemplate('ci/production-values.yaml'), 'ServiceMonitor')).toHaveLength(0);
    expect(
      ofKind(helmTemplate('ci/production-values.yaml', serviceMonitorServed), 'ServiceMonitor'),
    ).toHaveLength(1);
  });

  it('pulls a digest once and a tag alone always (a cached mutable tag may be another build)', () => {
    const container = (values: string) =>
      ofKind<V1Deployment>(helmTemplate(values), 'Deployment')[0]?.spec?.template.spec
        ?.containers[0];
    expect(container('ci/default-values.yaml')).toMatchObject({
      image: 'ghcr.io/notejam/notejam-operator:v0.1',
      imagePullPolicy: 'Always',
    });
    expect(container('ci/production-values.yaml')).toMatchObject({
      image: expect.stringMatching(
        /^registry\.example\.com\/platform\/notejam-operator:v0\.1@sha256:[0-9a-f]{64}$/,
      ),
      imagePullPolicy: 'IfNotPresent',
    });
  });

  it('with scope: namespace, watches its own namespace only, with a Role there and nothing cluster-wide', () => {
    // Without the CRD, which Argo CD leaves to the platform (skipCrds).
    const objects = helmTemplate('ci/default-values.yaml', ['--set', 'scope=namespace']).filter(
      (object) => object.kind !== 'CustomResourceDefinition',
    );
    for (const kind of ['ClusterRole', 'ClusterRoleBinding'])
      expect({ kind, count: ofKind(objects, kind).length }).toEqual({ kind, count: 0 });
    for (const object of objects) expect(object.metadata?.namespace).toBe('notejam-system');
    const roles = ofKind<KubernetesObject & Rules>(objects, 'Role');
    const operatorRole = roles.find((role) => role.metadata?.name === 'notejam-operator');
    const [clusterRole] = ofKind<KubernetesObject & Rules>(kustomize('config/rbac'), 'ClusterRole');
    expect(canonicalRules(operatorRole?.rules)).toEqual(canonicalRules(clusterRole?.rules));
    const bindings = ofKind<KubernetesObject & { roleRef: { kind: string; name: string } }>(
      objects,
      'RoleBinding',
    );
    expect(bindings.map((binding) => binding.roleRef)).toContainEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'notejam-operator',
    });
    const [deployment] = ofKind<V1Deployment>(objects, 'Deployment');
    expect(deployment?.spec?.template.spec?.containers[0]?.env).toContainEqual({
      name: 'WATCH_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
  });

  it('drops RBAC, service account, PDB and leader election in the single-replica set', () => {
    const objects = helmTemplate('ci/single-replica-values.yaml');
    for (const kind of [
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'ServiceAccount',
      'PodDisruptionBudget',
    ]) {
      expect({ kind, count: ofKind(objects, kind).length }).toEqual({ kind, count: 0 });
    }
    const [deployment] = ofKind<V1Deployment>(objects, 'Deployment');
    expect(deployment?.spec?.template.spec?.containers[0]?.env).toContainEqual({
      name: 'LEADER_ELECTION',
      value: 'false',
    });
    expect(deployment?.spec?.template.spec?.serviceAccountName).toBe('notejam-operator');
  });

  it('has a helm test hook that checks the metrics endpoint', () => {
    const hooks = ofKind(helmTemplate('ci/default-values.yaml'), 'Pod').filter(
      (pod) => pod.metadata?.annotations?.['helm.sh/hook'] === 'test',
    );
    expect(hooks).toHaveLength(1);
    expect(JSON.stringify(hooks[0])).toContain('controller_runtime_reconcile_total');
  });

  it.each([
    [['--set', 'leaderElection.enabled=false'], "at '/leaderElection/enabled': value must be true"],
    [['--set', 'image.digest=sha256:abc'], "at '/image/digest'"],
    [['--set', 'replicaCount=0'], "at '/replicaCount'"],
    [['--set', 'metrics.port=80'], "at '/metrics/port'"],
    [['--set', 'logLevel=verbose'], "at '/logLevel'"],
    [['--set', 'replicas=3'], "additional properties 'replicas' not allowed"],
    [['--set', 'scope=everywhere'], "at '/scope'"],
  ])('refuses bad values %j with the schema message', (args, message) => {
    const result = lint(args);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(message);
  });

  it('renders the same operator pod as config/default', () => {
    const [fromChart] = ofKind<V1Deployment>(helmTemplate('ci/default-values.yaml'), 'Deployment');
    const [fromKustomize] = ofKind<V1Deployment>(kustomize('config/default'), 'Deployment');
    const comparable = (deployment?: V1Deployment) => {
      const pod = deployment?.spec?.template.spec;
      return {
        replicas: deployment?.spec?.replicas,
        strategy: deployment?.spec?.strategy,
        securityContext: pod?.securityContext,
        terminationGracePeriodSeconds: pod?.terminationGracePeriodSeconds,
        volumes: pod?.volumes,
        containers: pod?.containers.map(({ image: _image, ...container }) => container),
        topologyKeys: pod?.topologySpreadConstraints?.map((constraint) => constraint.topologyKey),
      };
    };
    expect(comparable(fromChart)).toEqual(comparable(fromKustomize));
  });

  it('grants exactly the RBAC rules of config/rbac', () => {
    const fromKustomize = kustomize('config/rbac');
    const fromChart = helmTemplate('ci/default-values.yaml');
    for (const kind of ['ClusterRole', 'Role']) {
      const expected = ofKind<KubernetesObject & Rules>(fromKustomize, kind).map((role) =>
        canonicalRules(role.rules),
      );
      const actual = ofKind<KubernetesObject & Rules>(fromChart, kind).map((role) =>
        canonicalRules(role.rules),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(sortedByJson(actual)).toEqual(sortedByJson(expected));
    }
  });
});
