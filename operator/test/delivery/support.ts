// Shared helpers of the delivery tests: where the repository and the delivery tools are,
// running commands, and reading multi-document YAML.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(import.meta.dirname, '../../..');

export function repoPath(...segments: string[]): string {
  return path.join(repoRoot, ...segments);
}

export function readRepoFile(...segments: string[]): string {
  return readFileSync(repoPath(...segments), 'utf8');
}

export type DeliveryTool =
  | 'helm'
  | 'actionlint'
  | 'glua'
  | 'shellcheck'
  | 'container-tools'
  | 'argocd-crds'
  | 'prometheus-operator-crds';

/** Path of a tool (or CRD directory) from hack/delivery-tools.sh, built into its cache on first use. */
export function deliveryTool(name: DeliveryTool): string {
  return execFileSync(repoPath('hack/delivery-tools.sh'), [name], { encoding: 'utf8' }).trim();
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit (tests assert on it). */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): CommandResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    input: options.input,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed and returns its standard output. */
export function runOk(
  command: string,
  args: string[],
  options: { cwd?: string; input?: string } = {},
): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

/**
 * Every object of a multi-document YAML text, exactly as written (empty documents dropped).
 * Not client-node's loadAllYaml: it maps known kinds onto its models and silently drops
 * fields they do not declare, which would hide the very typos these tests look for.
 */
export function parseObjects(yaml: string): KubernetesObject[] {
  return parseAllDocuments(yaml)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map(String).join('\n'));
      return document.toJS() as unknown;
    })
    .filter((object): object is KubernetesObject => typeof object === 'object' && object !== null);
}

/**
 * Directories under config/ that kustomize can build: they hold a kustomization.yaml that
 * is not a Component (config/argocd is one, merged into Argo CD's installation).
 */
export function kustomizeDirectories(): string[] {
  return readdirSync(repoPath('config'))
    .filter((name) => existsSync(repoPath('config', name, 'kustomization.yaml')))
    .filter(
      (name) => !/^kind: Component$/m.test(readRepoFile('config', name, 'kustomization.yaml')),
    )
    .map((name) => `config/${name}`)
    .sort();
}

export function kustomize(directory: string): KubernetesObject[] {
  return parseObjects(runOk('kubectl', ['kustomize', repoPath(directory)]));
}

/** The values files the chart is linted and rendered with (chart-testing's ci/ convention). */
export const chartPath = repoPath('charts/notejam-operator');

export function chartValuesFiles(): string[] {
  return readdirSync(path.join(chartPath, 'ci'))
    .filter((name) => name.endsWith('-values.yaml'))
    .sort()
    .map((name) => `ci/${name}`);
}

export function helmTemplate(valuesFile: string, extraArgs: string[] = []): KubernetesObject[] {
  return renderChart(chartPath, 'notejam-operator', 'notejam-system', [
    '--include-crds',
    '--values',
    path.join(chartPath, valuesFile),
    ...extraArgs,
  ]);
}

/** `helm template <release> <chart>` into a namespace, as objects. */
export function renderChart(
  chart: string,
  release: string,
  namespace: string,
  args: string[] = [],
): KubernetesObject[] {
  const output = runOk(deliveryTool('helm'), [
    'template',
    release,
    chart,
    '--namespace',
    namespace,
    ...args,
  ]);
  return parseObjects(output);
}

/** The objects of an environment's sample, as Argo CD renders that directory. */
export function sampleObjects(environment: string): KubernetesObject[] {
  const directory = `samples/${environment}`;
  if (existsSync(repoPath(directory, 'kustomization.yaml'))) return kustomize(directory);
  return readdirSync(repoPath(directory))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .flatMap((name) => parseObjects(readRepoFile(directory, name)));
}

export function objectId(object: KubernetesObject): string {
  const namespace = object.metadata?.namespace ? `${object.metadata.namespace}/` : '';
  return `${object.kind} ${namespace}${object.metadata?.name ?? '?'}`;
}
