// The kustomize configuration: every directory under config/ builds, config/default is a
// complete operator install in notejam-system, and the Argo CD objects wire each branch to
// its environment inside a project that permits exactly what they deploy.
import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  helmTemplate,
  kustomize,
  kustomizeDirectories,
  parseObjects,
  readRepoFile,
  sampleObjects,
} from './support.js';

interface Application extends KubernetesObject {
  spec: {
    project: string;
    source: { repoURL: string; targetRevision: string; path: string; helm?: object };
    destination: { server: string; namespace: string };
    syncPolicy: { automated?: { prune?: boolean; selfHeal?: boolean }; syncOptions?: string[] };
  };
}

interface AppProject extends KubernetesObject {
  spec: {
    sourceRepos: string[];
    destinations: Array<{ server: string; namespace: string }>;
    clusterResourceWhitelist: Array<{ group: string; kind: string }>;
    namespaceResourceWhitelist: Array<{ group: string; kind: string }>;
  };
}

const environments = ['dev', 'test', 'prod'] as const;

function groupOf(object: KubernetesObject): string {
  const apiVersion = object.apiVersion ?? '';
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

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

describe('config/argocd', () => {
  const objects = kustomize('config/argocd');
  // The notejam project and its Applications (config/argocd also holds other teams' projects).
  const project = objects.find(
    (object) => object.kind === 'AppProject' && object.metadata?.name === 'notejam',
  ) as AppProject | undefined;
  const applications = objects.filter(
    (object) => object.kind === 'Application' && (object as Application).spec.project === 'notejam',
  ) as Application[];

  it('has the notejam project with the operator and one Application per environment', () => {
    expect(applications.map((application) => application.metadata?.name).sort()).toEqual([
      'notejam-dev',
      'notejam-operator',
      'notejam-prod',
      'notejam-test',
    ]);
  });

  it.each(environments)(
    'syncs samples/%s from its own branch into its own namespace, automatically',
    (environment) => {
      const application = applications.find(
        (candidate) => candidate.metadata?.name === `notejam-${environment}`,
      );
      expect(application?.spec.source).toMatchObject({
        targetRevision: environment,
        path: `samples/${environment}`,
      });
      expect(application?.spec.destination.namespace).toBe(`notejam-${environment}`);
      expect(application?.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    },
  );

  it('installs the operator from the chart before the environments (sync wave)', () => {
    const operator = applications.find(
      (candidate) => candidate.metadata?.name === 'notejam-operator',
    );
    expect(operator?.spec.source.path).toBe('charts/notejam-operator');
    expect(operator?.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    const wave = (application?: Application) =>
      Number(application?.metadata?.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    for (const environment of applications.filter((candidate) => candidate !== operator)) {
      expect(wave(operator)).toBeLessThan(wave(environment));
    }
  });

  it('keeps every Application inside the project: its repository and destinations only', () => {
    const repoURL = /^repoURL=(.*)$/m.exec(
      readRepoFile('config/argocd/repository.properties'),
    )?.[1];
    expect(project?.spec.sourceRepos).toEqual([repoURL]);
    for (const application of applications) {
      expect(application.spec.project).toBe(project?.metadata?.name);
      expect(project?.spec.sourceRepos).toContain(application.spec.source.repoURL);
      expect(project?.spec.destinations).toContainEqual(application.spec.destination);
    }
    expect(project?.spec.destinations).toHaveLength(applications.length);
  });

  it('permits every kind the operator chart and the samples contain, and no Secret', () => {
    const deployed = [
      ...helmTemplate('ci/production-values.yaml').filter(
        (object) => !object.metadata?.annotations?.['helm.sh/hook'],
      ),
      ...environments.flatMap((environment) => sampleObjects(environment)),
    ];
    const clusterScoped = new Set([
      'Namespace',
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
    for (const object of deployed) {
      const whitelist = clusterScoped.has(object.kind ?? '')
        ? project?.spec.clusterResourceWhitelist
        : project?.spec.namespaceResourceWhitelist;
      expect(whitelist).toContainEqual({ group: groupOf(object), kind: object.kind });
    }
    const everything = [
      ...(project?.spec.clusterResourceWhitelist ?? []),
      ...(project?.spec.namespaceResourceWhitelist ?? []),
    ];
    expect(everything).not.toContainEqual({ group: '', kind: 'Secret' });
    expect(everything.map((entry) => entry.kind)).not.toContain('*');
  });
});
