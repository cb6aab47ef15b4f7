// Every manifest we ship, as it is rendered for a cluster, goes through a server-side
// dry-run apply on the real test control plane: the chart with each CI values set, each
// kustomize overlay, the environment samples and the Argo CD objects, validated by the
// real API server against the real schemas (Argo CD's and the prometheus-operator's CRDs
// come from their Go modules). A typo, an unknown field or a CEL violation fails here.
//
// This suite runs its own control plane: it installs third-party CRDs cluster-wide, which
// must not change what the operator's suites observe on the shared one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startControlPlane, writeKubeConfig, type ControlPlane } from '../envtest/control-plane.js';
import {
  chartPath,
  chartValuesFiles,
  deliveryTool,
  helmTemplate,
  kustomize,
  kustomizeDirectories,
  objectId,
  parseObjects,
  renderChart,
  repoPath,
  run,
  runOk,
  sampleObjects,
} from './support.js';

const FIELD_MANAGER = 'notejam-delivery-validation';

let plane: ControlPlane;
let workDir: string;
let kubeconfig: string;

function kubectl(args: string[], input?: string) {
  return run('kubectl', ['--kubeconfig', kubeconfig, ...args], { input });
}

/** The objects as one kubectl input, byte for byte what was rendered (JSON is YAML). */
function manifest(objects: KubernetesObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
}

/**
 * What kubectl printed on stderr, without the API server's warning about Argo CD's own
 * finalizer name (Argo CD defines it; we cannot qualify it further).
 */
function unexpectedStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter(
      (line) =>
        line !== '' &&
        !line.startsWith('Warning: metadata.finalizers: "resources-finalizer.argocd.argoproj.io"'),
    )
    .join('\n');
}

/** Server-side dry-run apply of a set of objects; resolves to kubectl's verdict. */
function dryRunApply(objects: KubernetesObject[]) {
  return kubectl(
    ['apply', '--server-side', '--dry-run=server', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
    manifest(objects),
  );
}

function applyForReal(files: string[]): void {
  for (const file of files) {
    const result = kubectl([
      'apply',
      '--server-side',
      `--field-manager=${FIELD_MANAGER}`,
      '-f',
      file,
    ]);
    if (result.status !== 0) throw new Error(`applying ${file}: ${result.stderr}`);
  }
}

const repoURL = 'https://git.example.com/notejam.git';

function argocdBootstrap(): KubernetesObject[] {
  return renderChart(repoPath('config/argocd/bootstrap'), 'notejam-bootstrap', 'argocd', [
    '--set-string',
    `repoURL=${repoURL}`,
    '--set-string',
    'releasesRepoURL=ssh://git@git.example.com/notejam.git',
  ]);
}

function argocdPlatform(): KubernetesObject[] {
  const release = (tag: string) => ({
    tag,
    images: { notejam: `sha256:${'a'.repeat(64)}`, 'notejam-operator': `sha256:${'b'.repeat(64)}` },
  });
  const values = {
    repoURL,
    environments: ['dev', 'test', 'prod'],
    releases: { dev: release('dev'), test: release('v0.1-test'), prod: release('v0.1') },
  };
  return renderChart(
    repoPath('config/argocd/platform'),
    'notejam-platform',
    'argocd',
    Object.entries(values).flatMap(([key, value]) => [
      '--set-json',
      `${key}=${JSON.stringify(value)}`,
    ]),
  );
}

// Rendered once: what the cluster would receive from each source.
const sources: Array<[string, () => KubernetesObject[]]> = [
  ...chartValuesFiles().map((values): [string, () => KubernetesObject[]] => [
    `chart charts/notejam-operator with ${values}`,
    // As against this control plane, which serves the ServiceMonitor kind (beforeAll).
    () => helmTemplate(values, ['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor']),
  ]),
  ...kustomizeDirectories().map((directory): [string, () => KubernetesObject[]] => [
    `kustomize ${directory}`,
    () => kustomize(directory),
  ]),
  // Argo CD's objects: the bootstrap every cluster starts from and the platform its root
  // deploys (every Application and project, monitoring and all three releases included).
  ['config/argocd/bootstrap', () => argocdBootstrap()],
  ['config/argocd/platform', () => argocdPlatform()],
  // The kind workflow's own manifests (hack/kind/deploy.sh applies them).
  [
    'hack/kind/mariadb.yaml',
    () => parseObjects(readFileSync(repoPath('hack/kind/mariadb.yaml'), 'utf8')),
  ],
  ...['dev', 'test', 'prod'].map((environment): [string, () => KubernetesObject[]] => [
    `samples/${environment}`,
    () => sampleObjects(environment),
  ]),
];

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'notejam-delivery-'));
  plane = await startControlPlane();
  kubeconfig = writeKubeConfig(plane.admin(), workDir);

  // What a real cluster has before our manifests arrive: the CRDs (ours and the third-party
  // ones we create objects of) and the namespaces the objects go into.
  const argocdCrds = deliveryTool('argocd-crds');
  const monitoringCrds = deliveryTool('prometheus-operator-crds');
  const crdFiles = [
    ...readdirSync(repoPath('crds')).map((name) => repoPath('crds', name)),
    path.join(argocdCrds, 'application-crd.yaml'),
    path.join(argocdCrds, 'appproject-crd.yaml'),
    ...['servicemonitors', 'podmonitors', 'prometheusrules'].map((plural) =>
      path.join(monitoringCrds, `monitoring.coreos.com_${plural}.yaml`),
    ),
  ];
  applyForReal(crdFiles);
  runOk('kubectl', [
    '--kubeconfig',
    kubeconfig,
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '--all',
  ]);

  const namespaces = new Set<string>(['argocd']);
  for (const [, render] of sources) {
    for (const object of render()) {
      if (object.metadata?.namespace) namespaces.add(object.metadata.namespace);
      if (object.kind === 'Namespace' && object.metadata?.name)
        namespaces.add(object.metadata.name);
    }
  }
  for (const namespace of namespaces) {
    const result = kubectl(['create', 'namespace', namespace]);
    if (result.status !== 0) throw new Error(`creating namespace ${namespace}: ${result.stderr}`);
  }
}, 300_000);

afterAll(async () => {
  await plane?.stop();
  rmSync(workDir, { recursive: true, force: true });
}, 60_000);

describe('server-side dry-run on the real API server', () => {
  it.each(sources)('%s is accepted', (_name, render) => {
    const objects = render();
    expect(objects.length).toBeGreaterThan(0);
    const result = dryRunApply(objects);
    expect(unexpectedStderr(result.stderr)).toBe('');
    expect(result.status).toBe(0);
    // kubectl names every object it applied: none was skipped.
    for (const object of objects) {
      const applied = result.stdout.includes(
        `/${object.metadata?.name ?? ''} serverside-applied (server dry run)`,
      );
      expect({ object: objectId(object), applied }).toEqual({
        object: objectId(object),
        applied: true,
      });
    }
  });

  it('installs the chart with helm (server-side dry run) and prints how to check it', () => {
    const result = run(
      deliveryTool('helm'),
      [
        'install',
        'notejam-operator',
        chartPath,
        '--namespace',
        'notejam-system',
        '--dry-run=server',
      ],
      { env: { ...process.env, KUBECONFIG: kubeconfig } },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('NOTES:');
    expect(result.stdout).toContain('helm test notejam-operator -n notejam-system');
    expect(result.stdout).toContain(
      'kubectl -n notejam-system rollout status deployment/notejam-operator',
    );
  });

  it('refuses a manifest with a misspelled field (the validation can fail)', () => {
    const [deployment] = helmTemplate('ci/default-values.yaml').filter(
      (object) => object.kind === 'Deployment',
    );
    const broken = {
      ...deployment,
      spec: { ...(deployment as { spec: object }).spec, replcas: 2 },
    } as KubernetesObject;
    const result = dryRunApply([broken]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('replcas');
  });

  it('refuses an Argo CD Application that breaks its CRD schema', () => {
    const [application] = argocdPlatform().filter((object) => object.kind === 'Application');
    const broken = {
      ...application,
      spec: {
        ...(application as { spec: object }).spec,
        syncPolicy: { automated: { prune: 'yes' } },
      },
    };
    const result = dryRunApply([broken as KubernetesObject]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('prune');
  });

  it('validated every object kind it was given against a served API', () => {
    const kinds = new Set(
      sources.flatMap(([, render]) =>
        render().map((object) => `${object.apiVersion}/${object.kind}`),
      ),
    );
    const resources = runOk('kubectl', ['--kubeconfig', kubeconfig, 'api-resources', '-o', 'name']);
    expect(resources).toContain('notejaminstances.notejam.io');
    expect(resources).toContain('applications.argoproj.io');
    expect(resources).toContain('servicemonitors.monitoring.coreos.com');
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining([
        'argoproj.io/v1alpha1/Application',
        'notejam.io/v1alpha1/NotejamInstance',
      ]),
    );
  });
});
