// The delivery pipeline (hack/gitops/pipeline.sh) for real: git, buildah, skopeo and a real
// OCI registry, on a small repository of its own (two images built FROM scratch, the
// pipeline's scripts copied in as CI would check them out). Build once per source;
// docs-only commits build and record nothing; test and prod never build and run exactly
// dev's digests; every release is recorded on the releases branch, in a form the platform
// chart deploys; a rollback puts the previous digests back.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { startTestRegistry, type TestRegistry } from '../support/oci-registry.js';
import { deliveryTool, readRepoFile, renderChart, repoPath, run, runOk } from './support.js';

jest.setTimeout(120_000);

interface Release {
  tag: string;
  source: string;
  recordedAt: string;
  images: Record<string, string>;
}

let registry: TestRegistry;
let workDir: string;
let checkout: string;
let environment: NodeJS.ProcessEnv;
const version = readRepoFile('VERSION').trim();

function git(args: string[], cwd = checkout): string {
  return runOk('git', args, { cwd }).trim();
}

function write(file: string, content: string): void {
  mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
  writeFileSync(path.join(checkout, file), content);
}

/** Commits the given files on the checkout's current branch and pushes it; returns the commit. */
function commit(message: string, files: Record<string, string>): string {
  for (const [file, content] of Object.entries(files)) write(file, content);
  git(['add', '-A']);
  git(['commit', '--quiet', '-m', message]);
  git(['push', '--quiet', 'origin', 'HEAD']);
  return git(['rev-parse', 'HEAD']);
}

/** Runs the pipeline as CI does: from the checkout, on its current commit. */
function pipeline(...args: string[]) {
  return run(path.join(checkout, 'hack/gitops/pipeline.sh'), args, {
    cwd: checkout,
    env: environment,
  });
}

/** Runs the pipeline, which must succeed; its report (stderr) and output (stdout). */
function pipelineOk(...args: string[]): { log: string; output: string } {
  const result = pipeline(...args);
  if (result.status !== 0) throw new Error(`pipeline ${args.join(' ')} failed:\n${result.stderr}`);
  return { log: result.stderr, output: result.stdout };
}

function digestOf(image: string, tag: string): string {
  return runOk(deliveryTool('container-tools'), [
    'inspect',
    '--tls-verify=false',
    '--format',
    '{{.Digest}}',
    `docker://${registry.host}/gitops-test/${image}:${tag}`,
  ]).trim();
}

function releaseOf(environmentName: string): Release | undefined {
  git(['fetch', '--quiet', 'origin', '+refs/heads/releases:refs/remotes/origin/releases']);
  const shown = run('git', ['show', `origin/releases:${environmentName}.yaml`], { cwd: checkout });
  if (shown.status !== 0) return undefined;
  return (parse(shown.stdout) as { releases: Record<string, Release> }).releases[environmentName];
}

const releasesCommits = () =>
  Number(git(['rev-list', '--count', 'origin/releases']));

function switchTo(branch: string): void {
  git(['fetch', '--quiet', 'origin']);
  git(['checkout', '--quiet', '-B', branch, `origin/${branch}`]);
}

/** A real merge of one environment branch into the next, as a promotion pull request makes. */
function promote(from: string, to: string): string {
  switchTo(to);
  git(['merge', '--no-ff', '--quiet', '-m', `Merge ${from} into ${to}`, `origin/${from}`]);
  git(['push', '--quiet', 'origin', 'HEAD']);
  return git(['rev-parse', 'HEAD']);
}

beforeAll(async () => {
  deliveryTool('container-tools');
  registry = await startTestRegistry('none');
  workDir = mkdtempSync(path.join(tmpdir(), 'notejam-pipeline-'));
  const origin = path.join(workDir, 'origin.git');
  checkout = path.join(workDir, 'checkout');
  runOk('git', ['init', '--quiet', '--bare', origin]);
  runOk('git', ['init', '--quiet', '-b', 'dev', checkout]);
  git(['config', 'user.name', 'Pipeline Test']);
  git(['config', 'user.email', 'pipeline-test@notejam.invalid']);
  git(['remote', 'add', 'origin', origin]);
  for (const script of ['hack/gitops/pipeline.sh', 'hack/image-tags.sh', 'hack/lib/buildah.sh', 'VERSION']) {
    mkdirSync(path.dirname(path.join(checkout, script)), { recursive: true });
    copyFileSync(repoPath(script), path.join(checkout, script));
  }
  commit('two images, docs', {
    'hack/gitops/images.conf': 'web Dockerfile.web Dockerfile.web web\nworker Dockerfile.worker Dockerfile.worker worker\n',
    'Dockerfile.web': 'FROM scratch\nCOPY web/ /web/\n',
    'Dockerfile.worker': 'FROM scratch\nCOPY worker/ /worker/\n',
    'web/index.html': 'version 1\n',
    'worker/job.txt': 'version 1\n',
    'docs/guide.md': '# Guide\n',
  });
  git(['push', '--quiet', 'origin', 'dev:test', 'dev:prod']);
  environment = {
    ...process.env,
    IMAGE_REGISTRY: `${registry.host}/gitops-test`,
    REGISTRY_TLS_VERIFY: 'false',
  };
}, 300_000);

afterAll(async () => {
  // The builds left their images in buildah's local storage.
  const images = run('buildah', ['images', '--format', '{{.Name}}:{{.Tag}}']).stdout
    .split('\n')
    .filter((name) => registry && name.startsWith(`${registry.host}/gitops-test/`));
  if (images.length > 0) run('buildah', ['rmi', '--force', ...images]);
  await registry?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('hack/gitops/pipeline.sh', () => {
  let firstDev: Release;

  it('keys an image by what goes into it: docs and other images leave the key as it is', () => {
    const key = (image: string) => pipelineOk('key', image).output.trim();
    const before = { web: key('web'), worker: key('worker') };
    expect(before.web).toMatch(/^[0-9a-f]{20}$/);
    expect(before.web).not.toBe(before.worker);
    commit('docs only', { 'docs/guide.md': '# Guide\n\nMore words.\n' });
    commit('infrastructure only', { 'terraform/main.tf': '# nothing yet\n' });
    expect({ web: key('web'), worker: key('worker') }).toEqual(before);
    const withWeb = git(['rev-parse', 'HEAD']);
    write('web/index.html', 'version 2\n');
    git(['add', '-A']);
    git(['commit', '--quiet', '-m', 'web changes (not pushed)']);
    expect(key('worker')).toBe(before.worker);
    expect(key('web')).not.toBe(before.web);
    git(['reset', '--quiet', '--hard', withWeb]);
  });

  it('builds each image of a dev commit once, tags it and records what dev runs', () => {
    const commitId = git(['rev-parse', 'HEAD']);
    const { log } = pipelineOk('publish', 'dev', commitId);
    expect(log).toContain('building web for source');
    expect(log).toContain('building worker for source');
    const release = releaseOf('dev') as Release;
    expect(release).toMatchObject({ tag: 'dev', source: `dev@${commitId}` });
    for (const image of ['web', 'worker']) {
      expect(release.images[image]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(digestOf(image, 'dev')).toBe(release.images[image]);
      expect(digestOf(image, `sha-${commitId.slice(0, 12)}`)).toBe(release.images[image]);
    }
    firstDev = release;
  });

  it('builds nothing and records nothing again for the same source: a docs-only commit changes no digest', () => {
    const recorded = releasesCommits();
    const docs = commit('docs again', { 'docs/guide.md': '# Guide\n\nEven more words.\n' });
    const { log } = pipelineOk('publish', 'dev', docs);
    expect(log).not.toContain('building');
    expect(log).toContain('nothing to record');
    expect(releasesCommits()).toBe(recorded);
    expect(releaseOf('dev')?.images).toEqual(firstDev.images);
    expect(digestOf('web', 'dev')).toBe(firstDev.images.web);
  });

  it("promotes dev to test and test to prod without building: both run exactly dev's digests", () => {
    const merge = promote('dev', 'test');
    expect(pipelineOk('publish', 'test', merge).log).not.toContain('building');
    const release = releaseOf('test') as Release;
    expect(release).toMatchObject({ tag: `v${version}-test`, source: `test@${merge}` });
    expect(release.images).toEqual(firstDev.images);
    expect(digestOf('web', `v${version}-test`)).toBe(firstDev.images.web);

    expect(pipelineOk('publish', 'prod', promote('test', 'prod')).log).not.toContain('building');
    expect(releaseOf('prod')).toMatchObject({ tag: `v${version}`, images: firstDev.images });
    expect(digestOf('worker', `v${version}`)).toBe(firstDev.images.worker);
  });

  it('refuses to build on test: a source dev never published has no image to promote', () => {
    switchTo('test');
    const unbuilt = commit('a change straight on test', { 'web/index.html': 'not from dev\n' });
    const recorded = releasesCommits();
    const result = pipeline('publish', 'test', unbuilt);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no web was built for source [0-9a-f]{20} .*test never builds, it promotes what dev ran/);
    expect(releasesCommits()).toBe(recorded);
    expect(releaseOf('test')?.images).toEqual(firstDev.images);
    git(['reset', '--quiet', '--hard', 'HEAD~1']);
    git(['push', '--quiet', '--force', 'origin', 'HEAD:test']);
  });

  it('builds only the image whose source changed, then promotes it through test to prod', () => {
    switchTo('dev');
    const change = commit('web version 2', { 'web/index.html': 'version 2\n' });
    const { log } = pipelineOk('publish', 'dev', change);
    expect(log).toContain('building web for source');
    expect(log).not.toContain('building worker');
    const dev = releaseOf('dev') as Release;
    expect(dev.images.worker).toBe(firstDev.images.worker);
    expect(dev.images.web).not.toBe(firstDev.images.web);

    pipelineOk('publish', 'test', promote('dev', 'test'));
    pipelineOk('publish', 'prod', promote('test', 'prod'));
    expect(releaseOf('prod')?.images).toEqual(dev.images);
    expect(digestOf('web', `v${version}`)).toBe(dev.images.web);
  });

  it('records each release in a form the platform chart deploys, by digest', () => {
    const files = ['dev', 'test', 'prod'].map((name) => {
      const file = path.join(workDir, `${name}.yaml`);
      writeFileSync(file, runOk('git', ['show', `origin/releases:${name}.yaml`], { cwd: checkout }));
      return file;
    });
    const objects = renderChart(repoPath('config/argocd/platform'), 'platform', 'argocd', [
      '--set-string',
      'repoURL=https://git.example.com/notejam.git',
      '--set-json',
      'environments=["dev","test","prod"]',
      '--set-string',
      `images.notejam=${registry.host}/gitops-test/web`,
      ...files.flatMap((file) => ['--values', file]),
    ]);
    const prod = objects.find((object) => object.metadata?.name === 'notejam-prod') as
      | (KubernetesObject & { spec: { sources: Array<{ kustomize?: { patches: Array<{ patch: string }> } }> } })
      | undefined;
    const patch = prod?.spec.sources.find((source) => source.kustomize)?.kustomize?.patches[0]?.patch;
    expect(patch).toContain(`${registry.host}/gitops-test/web:v${version}@${releaseOf('prod')?.images.web}`);
  });

  it('rolls prod back to its previous release without building, and keeps the history', () => {
    const current = releaseOf('prod') as Release;
    expect(pipelineOk('rollback', 'prod').log).not.toContain('building');
    const rolledBack = releaseOf('prod') as Release;
    expect(rolledBack.images).toEqual(firstDev.images);
    expect(rolledBack.images).not.toEqual(current.images);
    expect(rolledBack.source).toMatch(/^rollback to prod@[0-9a-f]{40}$/);
    expect(digestOf('web', `v${version}`)).toBe(firstDev.images.web);

    const lines = pipelineOk('history', 'prod').output.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`web@${firstDev.images.web}`);
    expect(lines[0]).toContain('(rollback to prod@');
    expect(lines[1]).toContain(`web@${current.images.web}`);
    expect(lines[2]).toContain(`web@${firstDev.images.web}`);
  });

  it('refuses an unknown environment and a bare call, naming what it takes', () => {
    expect(pipeline('publish', 'feature/x').stderr).toContain("environments are dev, test and prod, not 'feature/x'");
    const bare = pipeline();
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('usage:');
  });
});
