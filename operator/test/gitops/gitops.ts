// The GitOps suite's view of the platform: the git server's repository (a developer's and
// CI's checkout of it), the delivery pipeline as CI runs it, and Argo CD's Applications as
// Argo CD itself reports them. Every step's failure report (cluster.ts) also shows every
// Application's sync and health and the warnings and errors at the end of Argo CD's logs.
//
// Variables (`make gitops-e2e` sets them from hack/gitops/up.sh's gitops.env):
//   GITOPS_REPO_URL       the repository Argo CD deploys from (the local git server)
//   IMAGE_REGISTRY        where the pipeline pushes (the local cluster's registry)
//   REGISTRY_TLS_VERIFY   false for that plain-HTTP registry
//   KUBECONFIG            the cluster
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { addDiagnostics, kubectl, waitFor } from '../e2e/cluster.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const argocdNamespace = 'argocd';

const execute = promisify(execFile);

export function variable(name: 'GITOPS_REPO_URL' | 'IMAGE_REGISTRY'): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the suite with \`make gitops-e2e\` (hack/gitops/up.sh writes it to gitops.env)`,
    );
  }
  return value;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** Runs a command; a failure carries its output. */
export async function command(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandOutput> {
  try {
    const { stdout, stderr } = await execute(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr };
  } catch (error) {
    const { stdout, stderr, message } = error as {
      stdout?: string;
      stderr?: string;
      message: string;
    };
    throw new Error(`${file} ${args.join(' ')}: ${message}\n${stderr ?? ''}${stdout ?? ''}`, {
      cause: error,
    });
  }
}

/**
 * A clone of the git server's repository: what a developer edits and pushes, and what CI
 * checks out to run the pipeline (the pipeline script is the checked-out commit's own).
 */
export class Checkout {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'notejam-gitops-checkout-'));

  static async clone(url: string): Promise<Checkout> {
    const checkout = new Checkout();
    await command('git', ['clone', '--quiet', url, checkout.dir]);
    await checkout.git('config', 'user.name', 'GitOps e2e');
    await checkout.git('config', 'user.email', 'gitops-e2e@notejam.invalid');
    return checkout;
  }

  /** Removes the clone: the suite leaves nothing behind in the temporary directory. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  async git(...args: string[]): Promise<string> {
    return (await command('git', args, { cwd: this.dir })).stdout.trim();
  }

  /** The branch as the server has it, checked out. */
  async checkOut(branch: string): Promise<string> {
    await this.git('fetch', '--quiet', 'origin');
    await this.git('checkout', '--quiet', '-B', branch, `origin/${branch}`);
    return this.git('rev-parse', 'HEAD');
  }

  /** Commits on the checked-out branch what `edit` changes, and pushes it; returns the commit. */
  async commitAndPush(
    message: string,
    edit: (file: (relative: string) => string) => Promise<void>,
  ): Promise<string> {
    await edit((relative) => path.join(this.dir, relative));
    await this.git('add', '-A');
    await this.git('commit', '--quiet', '-m', message);
    await this.git('push', '--quiet', 'origin', 'HEAD');
    return this.git('rev-parse', 'HEAD');
  }

  /** A real merge of one environment branch into the next, pushed: a merged promotion. */
  async merge(from: string, into: string): Promise<string> {
    await this.checkOut(into);
    await this.git(
      'merge',
      '--no-ff',
      '--quiet',
      '-m',
      `Merge branch '${from}' into ${into}`,
      `origin/${from}`,
    );
    await this.git('push', '--quiet', 'origin', 'HEAD');
    return this.git('rev-parse', 'HEAD');
  }

  /** The pipeline of the checked-out commit, as CI runs it (.github/workflows/images.yml). */
  async pipeline(...args: string[]): Promise<CommandOutput> {
    return command(path.join(this.dir, 'hack/gitops/pipeline.sh'), args, {
      cwd: this.dir,
      env: {
        ...process.env,
        IMAGE_REGISTRY: variable('IMAGE_REGISTRY'),
        REGISTRY_TLS_VERIFY: process.env.REGISTRY_TLS_VERIFY ?? 'true',
      },
    });
  }

  /** What the releases branch records for an environment: its images by name. */
  async release(environment: string): Promise<Record<string, string>> {
    await this.git(
      'fetch',
      '--quiet',
      'origin',
      '+refs/heads/releases:refs/remotes/origin/releases',
    );
    const text = await this.git('show', `origin/releases:${environment}.yaml`);
    return Object.fromEntries(
      [...text.matchAll(/^ {6}([a-z0-9.-]+): (sha256:[0-9a-f]{64})$/gm)].map((match) => [
        match[1] as string,
        match[2] as string,
      ]),
    );
  }
}

export interface ResourceStatus {
  group?: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  health?: { status?: string; message?: string };
}

export interface Application {
  metadata: { name: string; creationTimestamp: string };
  status?: {
    sync?: { status?: string; revision?: string; revisions?: string[] };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string; finishedAt?: string };
    conditions?: Array<{ type: string; message: string }>;
    resources?: ResourceStatus[];
  };
}

export async function application(name: string): Promise<Application | undefined> {
  const output = await kubectl([
    '-n',
    argocdNamespace,
    'get',
    'applications.argoproj.io',
    name,
    '--ignore-not-found',
    '-o',
    'json',
  ]);
  return output.trim() ? (JSON.parse(output) as Application) : undefined;
}

/** The revisions an Application last compared with git (one per source). */
export function revisionsOf(app: Application | undefined): string[] {
  const sync = app?.status?.sync;
  return sync?.revisions ?? (sync?.revision ? [sync.revision] : []);
}

/** Waits until Argo CD has synced the Application at `commit` (one of its sources' revisions) and finds it Healthy. */
export function waitSyncedHealthy(name: string, commit?: string): Promise<Application> {
  return waitFor(
    `Argo CD to report ${name} Synced${commit ? ` at ${commit.slice(0, 12)}` : ''} and Healthy`,
    async () => {
      const app = await application(name);
      const synced =
        app?.status?.sync?.status === 'Synced' && (!commit || revisionsOf(app).includes(commit));
      return synced &&
        app?.status?.health?.status === 'Healthy' &&
        app.status.operationState?.phase !== 'Running'
        ? app
        : undefined;
    },
    { timeoutMs: 15 * 60 * 1000, intervalMs: 2000 },
  );
}

/** The health Argo CD reports for the NotejamInstance of an environment's Application. */
export async function instanceHealth(environment: string): Promise<ResourceStatus['health']> {
  const app = await application(`notejam-${environment}`);
  return app?.status?.resources?.find((resource) => resource.kind === 'NotejamInstance')?.health;
}

/**
 * Records every health Argo CD reports for an environment's NotejamInstance while it runs,
 * until stopped: the sequence the suite asserts on (Progressing, Healthy, Degraded).
 */
export function watchInstanceHealth(environment: string): { stop(): Promise<string[]> } {
  const seen: string[] = [];
  let running = true;
  /** Records the health reported now; a failed look is no health, the next one counts. */
  const look = async () => {
    const status = (await instanceHealth(environment).catch(() => undefined))?.status;
    if (status && seen.at(-1) !== status) seen.push(status);
  };
  const loop = (async () => {
    while (running) {
      await look();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await look(); // what Argo CD reports now, not up to a second ago
      return seen;
    },
  };
}

/**
 * Waits until Argo CD reports an environment's NotejamInstance Healthy: its view follows the
 * instance's status with its next refresh, a moment after the instance has settled.
 */
export function waitInstanceHealthy(environment: string): Promise<true> {
  return waitFor(`Argo CD to report the ${environment} NotejamInstance Healthy`, async () =>
    (await instanceHealth(environment))?.status === 'Healthy' ? true : undefined,
  );
}

/** The image (with digest) the operator Deployment of a namespace runs. */
export async function operatorImage(namespace: string): Promise<string> {
  return (
    await kubectl([
      '-n',
      namespace,
      'get',
      'deployment',
      'notejam-operator',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ])
  ).trim();
}

export const digestIn = (image: string | undefined) =>
  /@(sha256:[0-9a-f]{64})$/.exec(image ?? '')?.[1];

// Argo CD's side of every failure report.
addDiagnostics(async () => {
  const apps = JSON.parse(
    await kubectl(['-n', argocdNamespace, 'get', 'applications.argoproj.io', '-o', 'json']),
  ) as { items: Application[] };
  const lines = ['=== Argo CD Applications ==='];
  for (const app of apps.items) {
    const { status } = app;
    lines.push(
      `${app.metadata.name}: sync ${status?.sync?.status ?? '-'} at ${
        revisionsOf(app)
          .map((r) => r.slice(0, 12))
          .join(',') || '-'
      }, ` +
        `health ${status?.health?.status ?? '-'}${status?.health?.message ? ` (${status.health.message})` : ''}, ` +
        `operation ${status?.operationState?.phase ?? '-'}${status?.operationState?.message ? `: ${status.operationState.message}` : ''}`,
      ...(status?.conditions ?? []).map(
        (condition) => `  condition ${condition.type}: ${condition.message}`,
      ),
      ...(status?.resources ?? [])
        .filter(
          (resource) =>
            resource.status !== 'Synced' || (resource.health?.status ?? 'Healthy') !== 'Healthy',
        )
        .map(
          (resource) =>
            `  ${resource.kind} ${resource.namespace ?? ''}/${resource.name}: ${resource.status ?? '-'}, ` +
            `${resource.health?.status ?? '-'}${resource.health?.message ? ` (${resource.health.message})` : ''}`,
        ),
    );
  }
  for (const workload of [
    'statefulset/argocd-application-controller',
    'deployment/argocd-repo-server',
  ]) {
    lines.push(`--- ${workload}: warnings and errors of its last ${logWindow} log lines ---`);
    try {
      lines.push(
        problemsIn(await kubectl(['-n', argocdNamespace, 'logs', workload, `--tail=${logWindow}`])),
      );
    } catch (error) {
      lines.push(`(unavailable: ${String(error)})`);
    }
  }
  return lines.join('\n');
});

const logWindow = 500;

/**
 * The last warnings and errors of an Argo CD log, each cut short. Its info lines (one per
 * manifest served, with the Helm values as byte arrays) said nothing about a failure and
 * buried the report.
 */
function problemsIn(log: string): string {
  const problems = log
    .split('\n')
    .filter(
      (line) => line.trim() && !/"level":"(?:info|debug)"|\blevel=(?:info|debug)\b/.test(line),
    )
    .slice(-20)
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)}...` : line));
  return problems.length > 0 ? problems.join('\n') : '(none)';
}
