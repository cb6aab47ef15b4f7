// Argo CD's configuration (config/argocd): the bootstrap every cluster starts from (one root,
// the namespaces, the platform project), the platform it deploys from git (a least-privilege
// project and an Application per environment, running its release's digests; the CRD; the
// monitoring stack), and the Argo CD installation of the local cluster (hack/argocd/), which
// is Argo CD's own with only the images and this cluster's settings changed.
import { afterAll, describe, expect, it } from '@jest/globals';
import type {
  KubernetesObject,
  V1ClusterRoleBinding,
  V1Deployment,
  V1PolicyRule,
} from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import {
  kustomize,
  parseObjects,
  readRepoFile,
  renderChart,
  repoPath,
  run,
  runOk,
} from './support.js';

interface ResourceKind {
  group: string;
  kind: string;
}

interface AppProject extends KubernetesObject {
  spec: {
    sourceRepos: string[];
    destinations: Array<{ server: string; namespace: string }>;
    clusterResourceWhitelist?: ResourceKind[];
    namespaceResourceWhitelist?: ResourceKind[];
  };
}

interface Source {
  repoURL: string;
  targetRevision: string;
  path?: string;
  chart?: string;
  ref?: string;
  helm?: {
    releaseName?: string;
    skipCrds?: boolean;
    skipTests?: boolean;
    valueFiles?: string[];
    ignoreMissingValueFiles?: boolean;
    valuesObject?: Record<string, unknown>;
  };
  kustomize?: {
    commonAnnotations?: Record<string, string>;
    patches?: Array<{ target: { group: string; kind: string }; patch: string }>;
  };
}

interface Application extends KubernetesObject {
  spec: {
    project: string;
    source?: Source;
    sources?: Source[];
    destination: { server: string; namespace: string };
    syncPolicy: { automated?: { prune?: boolean; selfHeal?: boolean }; syncOptions?: string[] };
  };
}

const repoURL = 'https://git.example.com/notejam.git';
const releasesRepoURL = 'ssh://git@git.example.com/notejam.git';
const environments = ['dev', 'test', 'prod'] as const;
const digestOf = (digit: string) => `sha256:${digit.repeat(64)}`;
const releases = {
  dev: { tag: 'dev', images: { notejam: digestOf('1'), 'notejam-operator': digestOf('2') } },
  test: { tag: 'v0.1-test', images: { notejam: digestOf('3'), 'notejam-operator': digestOf('4') } },
  prod: { tag: 'v0.1', images: { notejam: digestOf('5'), 'notejam-operator': digestOf('6') } },
};

// Made at once: the describe blocks below render while jest collects them.
const workDir = mkdtempSync(path.join(tmpdir(), 'notejam-gitops-'));

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** A values file in the work directory (what Argo CD passes as valueFiles or valuesObject). */
function valuesFile(name: string, values: unknown): string {
  const file = path.join(workDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(values));
  return file;
}

function platform(values: Record<string, unknown> = {}): KubernetesObject[] {
  return renderChart(repoPath('config/argocd/platform'), 'notejam-platform', 'argocd', [
    '--values',
    valuesFile('platform', {
      repoURL,
      environments,
      releases,
      monitoring: { enabled: false },
      ...values,
    }),
  ]);
}

function bootstrap(values: Record<string, unknown> = {}): KubernetesObject[] {
  return renderChart(repoPath('config/argocd/bootstrap'), 'notejam-bootstrap', 'argocd', [
    '--values',
    valuesFile('bootstrap', { repoURL, releasesRepoURL, ...values }),
  ]);
}

function named<T extends KubernetesObject>(
  objects: KubernetesObject[],
  kind: string,
  name: string,
): T {
  const found = objects.find((object) => object.kind === kind && object.metadata?.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`,
    );
  return found as T;
}

const wave = (object: KubernetesObject) =>
  Number(object.metadata?.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);

/**
 * What Argo CD deploys for an environment's Application: each source rendered the way its
 * repo-server renders it (the chart with the Application's values, the kustomization with
 * its patches applied).
 */
function deployedBy(application: Application): KubernetesObject[] {
  const namespace = application.spec.destination.namespace;
  return (application.spec.sources ?? []).flatMap((source) => {
    if (source.helm) {
      return renderChart(repoPath(source.path ?? ''), source.helm.releaseName ?? '', namespace, [
        ...(source.helm.skipCrds ? ['--skip-crds'] : ['--include-crds']),
        ...(source.helm.skipTests ? ['--skip-tests'] : []),
        // As on a cluster with the monitoring stack: everything the chart can render.
        '--api-versions',
        'monitoring.coreos.com/v1/ServiceMonitor',
        '--values',
        valuesFile(`${namespace}-values`, source.helm.valuesObject ?? {}),
      ]);
    }
    const objects = kustomize(source.path ?? '');
    for (const { target, patch } of source.kustomize?.patches ?? []) {
      for (const object of objects) {
        if (object.kind !== target.kind || !object.apiVersion?.startsWith(`${target.group}/`))
          continue;
        for (const operation of parse(patch) as Array<{
          op: string;
          path: string;
          value: unknown;
        }>) {
          expect(operation.op).toBe('replace');
          const keys = operation.path.split('/').slice(1);
          const last = keys.pop() as string;
          let node = object as unknown as Record<string, Record<string, unknown>>;
          for (const key of keys) node = node[key] as Record<string, Record<string, unknown>>;
          (node as Record<string, unknown>)[last] = operation.value;
        }
      }
    }
    return objects;
  });
}

const groupOf = (object: KubernetesObject) =>
  object.apiVersion?.includes('/') ? (object.apiVersion.split('/')[0] ?? '') : '';

describe('config/argocd/bootstrap', () => {
  const objects = bootstrap();

  it('creates the three environment namespaces, restricted, kept when the release goes', () => {
    const namespaces = objects.filter((object) => object.kind === 'Namespace');
    expect(namespaces.map((namespace) => namespace.metadata?.name)).toEqual([
      'notejam-dev',
      'notejam-test',
      'notejam-prod',
    ]);
    for (const namespace of namespaces) {
      expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      expect(namespace.metadata?.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
  });

  it('has one root Application, deploying config/argocd/platform from prod with each environment release', () => {
    const roots = objects.filter((object) => object.kind === 'Application') as Application[];
    expect(roots).toHaveLength(1);
    const [root] = roots as [Application];
    expect(root.spec.project).toBe('notejam-platform');
    expect(root.metadata?.finalizers ?? []).toEqual([]);
    const [platformSource, releasesSource] = root.spec.sources ?? [];
    expect(platformSource).toMatchObject({
      repoURL,
      targetRevision: 'prod',
      path: 'config/argocd/platform',
      helm: {
        valueFiles: ['$releases/dev.yaml', '$releases/test.yaml', '$releases/prod.yaml'],
        ignoreMissingValueFiles: true,
        valuesObject: { repoURL, environments: ['dev', 'test', 'prod'], argocdNamespace: 'argocd' },
      },
    });
    // Through another URL: Argo CD refuses a ref source of the content source's repository
    // at another revision.
    expect(releasesSource).toEqual({
      repoURL: releasesRepoURL,
      targetRevision: 'releases',
      ref: 'releases',
    });
    expect(root.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
  });

  it('lets only the platform project deploy anything cluster-scoped, and only the CRD', () => {
    const project = named<AppProject>(objects, 'AppProject', 'notejam-platform');
    expect(project.spec.sourceRepos).toEqual([repoURL, releasesRepoURL]);
    expect(project.spec.clusterResourceWhitelist).toEqual([
      { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
    ]);
    expect(project.spec.namespaceResourceWhitelist).toEqual([
      { group: 'argoproj.io', kind: 'AppProject' },
      { group: 'argoproj.io', kind: 'Application' },
    ]);
    expect(project.spec.destinations).toEqual([
      { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
    ]);
  });

  it("grants each environment's operator the cluster-scoped read of config/rbac, bound to the ServiceAccount its chart makes", () => {
    type Role = KubernetesObject & { rules: V1PolicyRule[] };
    const granted = named<Role>(objects, 'ClusterRole', 'notejam-operator-servicemonitor-crd');
    const operatorRole = kustomize('config/rbac').find(
      (object) => object.kind === 'ClusterRole',
    ) as Role;
    // The operator's only cluster-scoped kind: an environment's Role cannot grant it.
    expect(granted.rules).toEqual(
      operatorRole.rules.filter((rule) => rule.apiGroups?.includes('apiextensions.k8s.io')),
    );
    const deployed = platform();
    for (const environment of environments) {
      const account = deployedBy(
        named<Application>(deployed, 'Application', `notejam-${environment}`),
      ).find((object) => object.kind === 'ServiceAccount');
      const binding = named<V1ClusterRoleBinding & KubernetesObject>(
        objects,
        'ClusterRoleBinding',
        `notejam-operator-servicemonitor-crd-${environment}`,
      );
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: granted.metadata?.name,
      });
      expect(binding.subjects).toEqual([
        {
          kind: 'ServiceAccount',
          name: account?.metadata?.name,
          namespace: `notejam-${environment}`,
        },
      ]);
    }
    expect(objects.filter((object) => object.kind === 'ClusterRoleBinding')).toHaveLength(3);
  });

  it.each([
    ['the same URL', repoURL],
    ['the same URL but for case and .git', 'https://git.example.com/Notejam'],
  ])('refuses %s as releasesRepoURL, which Argo CD would refuse at every sync', (_what, url) => {
    const result = run(runOk('hack/delivery-tools.sh', ['helm']).trim(), [
      'template',
      'x',
      repoPath('config/argocd/bootstrap'),
      '--set-string',
      `repoURL=${repoURL}`,
      '--set-string',
      `releasesRepoURL=${url}`,
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('releasesRepoURL must differ from repoURL');
  });

  it('refuses to render without the repository URL', () => {
    const result = run(runOk('hack/delivery-tools.sh', ['helm']).trim(), [
      'template',
      'x',
      repoPath('config/argocd/bootstrap'),
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('repoURL: the git repository Argo CD deploys from');
  });
});

describe('config/argocd/platform', () => {
  const objects = platform();
  const applications = objects.filter((object) => object.kind === 'Application') as Application[];

  it.each(environments)(
    'gives %s a project that may deploy only into its namespace, nothing cluster-scoped, no Secret',
    (environment) => {
      const project = named<AppProject>(objects, 'AppProject', `notejam-${environment}`);
      expect(project.spec.sourceRepos).toEqual([repoURL]);
      expect(project.spec.destinations).toEqual([
        { server: 'https://kubernetes.default.svc', namespace: `notejam-${environment}` },
      ]);
      expect(project.spec.clusterResourceWhitelist).toEqual([]);
      const kinds = (project.spec.namespaceResourceWhitelist ?? []).map((entry) => entry.kind);
      for (const forbidden of ['Secret', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', '*'])
        expect(kinds).not.toContain(forbidden);
      expect(wave(project)).toBeLessThan(
        wave(named(objects, 'Application', `notejam-${environment}`)),
      );
    },
  );

  it.each(environments)(
    'deploys %s from its own branch: its operator (namespaced) and its instance, by the digests of its release',
    (environment) => {
      const application = named<Application>(objects, 'Application', `notejam-${environment}`);
      const release = releases[environment];
      expect(application.spec.project).toBe(`notejam-${environment}`);
      expect(application.spec.destination.namespace).toBe(`notejam-${environment}`);
      expect(application.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      expect(application.spec.syncPolicy.syncOptions ?? []).not.toContain('CreateNamespace=true');
      // A release file missing from the releases branch must not make the root prune it.
      expect(application.metadata?.annotations?.['argocd.argoproj.io/sync-options']).toBe(
        'Prune=false',
      );
      for (const source of application.spec.sources ?? []) {
        expect(source.repoURL).toBe(repoURL);
        expect(source.targetRevision).toBe(environment);
      }
      const deployed = deployedBy(application);
      const [operator] = deployed.filter(
        (object) => object.kind === 'Deployment',
      ) as V1Deployment[];
      const container = operator?.spec?.template.spec?.containers[0];
      expect(container?.image).toBe(
        `ghcr.io/notejam/notejam-operator:${release.tag}@${release.images['notejam-operator']}`,
      );
      expect(container?.imagePullPolicy).toBe('IfNotPresent');
      expect(container?.env).toContainEqual({
        name: 'WATCH_NAMESPACE',
        valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
      });
      const instance = deployed.find((object) => object.kind === 'NotejamInstance') as
        (KubernetesObject & { spec: { image: string } }) | undefined;
      expect(instance?.spec.image).toBe(
        `ghcr.io/notejam/notejam:${release.tag}@${release.images.notejam}`,
      );
    },
  );

  it.each(environments)(
    'permits %s everything its Application deploys, all of it in its namespace',
    (environment) => {
      const project = named<AppProject>(objects, 'AppProject', `notejam-${environment}`);
      const deployed = deployedBy(
        named<Application>(objects, 'Application', `notejam-${environment}`),
      );
      expect(deployed.length).toBeGreaterThan(0);
      for (const object of deployed) {
        expect({
          object: `${object.kind}/${object.metadata?.name}`,
          namespace: object.metadata?.namespace,
        }).toEqual({
          object: `${object.kind}/${object.metadata?.name}`,
          namespace: `notejam-${environment}`,
        });
        expect(project.spec.namespaceResourceWhitelist).toContainEqual({
          group: groupOf(object),
          kind: object.kind,
        });
      }
      expect(deployed.map((object) => object.kind)).not.toContain('CustomResourceDefinition');
      expect(deployed.map((object) => object.kind)).not.toContain('Namespace');
      expect(deployed.map((object) => object.kind)).toContain('ServiceMonitor');
    },
  );

  it('installs the CRD from dev before any environment, and never prunes or deletes it, not even on a cascading delete', () => {
    const crds = named<Application>(objects, 'Application', 'notejam-crds');
    expect(crds.spec.project).toBe('notejam-platform');
    expect(crds.spec.source).toMatchObject({ targetRevision: 'dev', path: 'config/crd' });
    expect(crds.spec.source?.kustomize?.commonAnnotations).toEqual({
      'argocd.argoproj.io/sync-options': 'Delete=false,Prune=false',
    });
    expect(crds.metadata?.finalizers).toEqual(['resources-finalizer.argocd.argoproj.io']);
    for (const environment of environments)
      expect(wave(crds)).toBeLessThan(
        wave(named(objects, 'Application', `notejam-${environment}`)),
      );
    expect(kustomize('config/crd').map((object) => object.kind)).toEqual([
      'CustomResourceDefinition',
    ]);
  });

  it('owns no Namespace anywhere: the bootstrap does', () => {
    expect(objects.map((object) => object.kind)).not.toContain('Namespace');
    for (const application of applications) {
      expect(application.spec.syncPolicy.syncOptions ?? []).not.toContain('CreateNamespace=true');
    }
  });

  it('deploys no environment that has no release yet, but prepares its project', () => {
    const rendered = platform({ releases: { dev: releases.dev } });
    expect(
      rendered
        .filter((object) => object.kind === 'Application')
        .map((object) => object.metadata?.name),
    ).toEqual(['notejam-crds', 'notejam-dev']);
    expect(rendered.filter((object) => object.kind === 'AppProject')).toHaveLength(3);
  });

  it.each([
    [
      'a tag instead of a digest',
      { ...releases.prod, images: { ...releases.prod.images, notejam: 'v0.2' } },
      'releases.prod.images.notejam must be a sha256 digest',
    ],
    [
      'YAML smuggled into a digest',
      {
        ...releases.prod,
        images: { ...releases.prod.images, 'notejam-operator': `${digestOf('7')}\n  extra: 1` },
      },
      'releases.prod.images.notejam-operator must be a sha256 digest',
    ],
    [
      'a release without a tag',
      { images: releases.prod.images },
      'releases.prod.tag must be an image tag',
    ],
  ])('refuses a release with %s', (_what, release, message) => {
    const result = run(runOk('hack/delivery-tools.sh', ['helm']).trim(), [
      'template',
      'x',
      repoPath('config/argocd/platform'),
      '--values',
      valuesFile('bad-release', { repoURL, environments, releases: { prod: release } }),
    ]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('adds the monitoring stack when asked, with the values of kube-prometheus-stack.yaml', () => {
    const withMonitoring = platform({ monitoring: { enabled: true } });
    const stack = named<Application>(withMonitoring, 'Application', 'kube-prometheus-stack');
    const data = parse(readRepoFile('config/argocd/platform/kube-prometheus-stack.yaml')) as {
      version: string;
      releaseName: string;
      values: Record<string, unknown>;
    };
    expect(stack.spec.source).toMatchObject({
      chart: 'kube-prometheus-stack',
      targetRevision: data.version,
      helm: { releaseName: data.releaseName, valuesObject: data.values },
    });
    expect(
      named<Application>(withMonitoring, 'Application', 'notejam-monitoring').spec.source,
    ).toMatchObject({
      repoURL,
      targetRevision: 'prod',
      path: 'config/monitoring',
    });
    expect(wave(stack)).toBeLessThan(wave(named(withMonitoring, 'Application', 'notejam-prod')));
    expect(objects.map((object) => object.metadata?.name)).not.toContain('kube-prometheus-stack');
  });
});

describe('hack/argocd/install (the local cluster)', () => {
  const module = runOk(
    'go',
    ['list', '-mod=readonly', '-m', '-f', '{{.Dir}}', 'github.com/argoproj/argo-cd/v3'],
    {
      cwd: repoPath('hack/argocd'),
    },
  ).trim();
  const upstream = parseObjects(
    readFileSync(path.join(module, 'manifests/core-install.yaml'), 'utf8'),
  );
  const installed = parseObjects(
    runOk(repoPath('hack/argocd/install.sh'), ['--render', 'registry.local:5000']),
  );
  const id = (object: KubernetesObject) => `${object.kind}/${object.metadata?.name}`;
  /** Our keys of each Argo CD ConfigMap (hack/argocd/install/kustomization.yaml says why). */
  const ourKeys: Record<string, Set<string>> = {
    'argocd-cm': new Set([
      'resource.customizations.health.notejam.io_NotejamInstance',
      'resource.customizations.health.argoproj.io_Application',
      'timeout.reconciliation',
      'timeout.reconciliation.jitter',
    ]),
    'argocd-cmd-params-cm': new Set(['controller.resource.health.persist']),
  };

  /** The object with what the local installation may change taken out. */
  function comparable(object: KubernetesObject): unknown {
    const copy = JSON.parse(JSON.stringify(object)) as Record<string, unknown> & KubernetesObject;
    delete copy.metadata?.namespace;
    // The namespace, where bindings name their ServiceAccounts.
    for (const subject of (copy as { subjects?: Array<{ namespace?: string }> }).subjects ?? [])
      delete subject.namespace;
    const keys = copy.kind === 'ConfigMap' ? ourKeys[copy.metadata?.name ?? ''] : undefined;
    if (keys) {
      const data = (copy as { data?: Record<string, string> }).data ?? {};
      for (const key of keys) delete data[key];
      // A ConfigMap Argo CD ships empty has no data left: compare it as shipped.
      if (Object.keys(data).length === 0) delete (copy as { data?: unknown }).data;
    }
    return JSON.parse(JSON.stringify(copy).replace(/"image":"[^"]*"/g, '"image":"IMAGE"'));
  }

  it("is Argo CD's own core installation: the same objects, changed only in images and our keys of its ConfigMaps", () => {
    expect(installed.map(id).sort()).toEqual(upstream.map(id).sort());
    for (const object of installed) {
      const original = upstream.find((candidate) => id(candidate) === id(object));
      expect({ object: id(object), manifest: comparable(object) }).toEqual({
        object: id(object),
        manifest: comparable(original as KubernetesObject),
      });
    }
  });

  it('runs the images of hack/argocd/images.sh, in namespace argocd', () => {
    const images = new Set(JSON.stringify(installed).match(/"image":"[^"]*"/g));
    const version = runOk(repoPath('hack/argocd/build.sh'), ['--version']).trim();
    expect([...images].sort()).toEqual([
      `"image":"registry.local:5000/argocd:${version}"`,
      '"image":"registry.local:5000/redis:7.0-notejam"',
    ]);
    for (const object of installed.filter(
      (candidate) => candidate.metadata?.namespace !== undefined,
    ))
      expect(object.metadata?.namespace).toBe('argocd');
  });

  it("merges the health checks into argocd-cm, keeping Argo CD's own keys", () => {
    const configMap = named<KubernetesObject & { data: Record<string, string> }>(
      installed,
      'ConfigMap',
      'argocd-cm',
    );
    expect(configMap.data['resource.customizations.health.notejam.io_NotejamInstance']).toBe(
      readRepoFile('config/argocd/health/notejam-instance.lua'),
    );
    expect(configMap.data['resource.customizations.health.argoproj.io_Application']).toBe(
      readRepoFile('config/argocd/health/application.lua'),
    );
    const original = named<KubernetesObject & { data: Record<string, string> }>(
      upstream,
      'ConfigMap',
      'argocd-cm',
    );
    for (const key of Object.keys(original.data))
      expect(configMap.data[key]).toBe(original.data[key]);
  });
});
