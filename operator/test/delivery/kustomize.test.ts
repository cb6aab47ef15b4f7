// The kustomize configuration: every directory under config/ builds, and config/default is
// a complete operator install in notejam-system. (Argo CD's configuration: gitops.test.ts.)
import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { kustomize, kustomizeDirectories, parseObjects, readRepoFile } from './support.js';

describe('config/', () => {
  it.each(kustomizeDirectories())('kubectl kustomize %s builds', (directory) => {
    expect(kustomize(directory).length).toBeGreaterThan(0);
  });

  it('config/default installs the CRD, RBAC and operator, all in notejam-system', () => {
    const objects = kustomize('config/default');
    const kinds = objects.map((object) => object.kind);
    for (const kind of [
      'CustomResourceDefinition',
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
    ]) {
      expect(kinds).toContain(kind);
    }
    const namespaced = objects.filter((object) => object.metadata?.namespace !== undefined);
    expect(new Set(namespaced.map((object) => object.metadata?.namespace))).toEqual(
      new Set(['notejam-system']),
    );
    const deployment = objects.find(
      (object) => object.kind === 'Deployment',
    ) as KubernetesObject & {
      spec: { template: { spec: { serviceAccountName: string } } };
    };
    const serviceAccounts = objects
      .filter((object) => object.kind === 'ServiceAccount')
      .map((object) => object.metadata?.name);
    expect(serviceAccounts).toContain(deployment.spec.template.spec.serviceAccountName);
  });

  it('config/default-with-monitoring adds a ServiceMonitor selecting the metrics Service', () => {
    const objects = kustomize('config/default-with-monitoring');
    const monitor = objects.find(
      (object) => object.kind === 'ServiceMonitor',
    ) as KubernetesObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: Array<{ port: string }>;
      };
    };
    const service = objects.find(
      (object) => object.kind === 'Service' && object.metadata?.name === 'notejam-operator-metrics',
    ) as (KubernetesObject & { spec: { ports: Array<{ name: string }> } }) | undefined;
    expect(service?.metadata?.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(service?.spec.ports.map((port) => port.name)).toContain(monitor.spec.endpoints[0]?.port);
  });
});

describe('hack/kind/cluster.yaml', () => {
  it('has three nodes, each in its own zone of one region', () => {
    const [cluster] = parseObjects(readRepoFile('hack/kind/cluster.yaml')) as Array<
      KubernetesObject & { nodes: Array<{ role: string; labels?: Record<string, string> }> }
    >;
    expect(cluster?.kind).toBe('Cluster');
    expect(cluster?.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    const nodes = cluster?.nodes ?? [];
    expect(nodes.map((node) => node.role).sort()).toEqual(['control-plane', 'worker', 'worker']);
    const zones = nodes.map((node) => node.labels?.['topology.kubernetes.io/zone']);
    expect(new Set(zones).size).toBe(3);
    expect(zones).not.toContain(undefined);
    expect(new Set(nodes.map((node) => node.labels?.['topology.kubernetes.io/region'])).size).toBe(
      1,
    );
  });
});
