// The delivery pipeline (hack/gitops/pipeline.sh) for real: git, buildah, skopeo and a real
// OCI registry, on a small repository of its own (two images named like ours but built FROM
// scratch, the pipeline's scripts copied in as CI would check them out). Build once per
// source; docs-only commits build and record nothing; test and prod never build and run
// exactly dev's digests; every release is recorded on the releases branch, in a form the
// platform chart deploys; a rollback puts the previous digests back.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { startTestRegistry, type TestRegistry } from '../support/oci-registry.js';
import {
  type CommandResult,
  deliveryTool,
  readRepoFile,
  renderChart,
  repoPath,
} from './support.js';

jest.setTimeout(180_000);

interface Release {
  tag: string;
  source: string;
  recordedAt: string;
  images: Record<string, string>;
}

const app = 'notejam';
const operator = 'notejam-operator';
const version = readRepoFile('VERSION').trim();
let registry: TestRegistry;
let workDir: string;
let checkout: string;
let environment: NodeJS.ProcessEnv;

/**
 * Runs a command without blocking the event loop: the test registry is a child of this
 * process, and its log pipe must keep draining while the pipeline talks to it.
 */
function exec(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: checkout, env, encoding: 'utf8', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

async function git(...args: string[]): Promise<string> {
  const result = await exec('git', args);
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function write(file: string, content: string): void {
  mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
  writeFileSync(path.join(checkout, file), content);
}

/** Commits the given files on the checked-out branch and pushes it; returns the commit. */
async function commit(message: string, files: Record<string, string>): Promise<string> {
  for (const [file, content] of Object.entries(files)) write(file, content);
  await git('add', '-A');
  await git('commit', '--quiet', '-m', message);
  await git('push', '--quiet', 'origin', 'HEAD');
  return git('rev-parse', 'HEAD');
}

/** The pipeline as CI runs it: the checkout's own script, on a commit of it. */
function pipeline(...args: string[]): Promise<CommandResult> {
  return exec(path.join(checkout, 'hack/gitops/pipeline.sh'), args, environment);
}

/** The pipeline, which must succeed: its report (stderr) and output (stdout). */
async function pipelineOk(...args: string[]): Promise<{ log: string; output: string }> {
  const result = await pipeline(...args);
  if (result.status !== 0) throw new Error(`pipeline ${args.join(' ')} failed:\n${result.stderr}`);
  return { log: result.stderr, output: result.stdout };
}

async function digestOf(image: string, tag: string): Promise<string> {
  const result = await exec(deliveryTool('container-tools'), [
    'inspect',
    '--tls-verify=false',
    '--format',
    '{{.Digest}}',
    `docker://${registry.host}/gitops-test/${image}:${tag}`,
  ]);
  if (result.status !== 0) throw new Error(`skopeo inspect ${image}:${tag}: ${result.stderr}`);
  return result.stdout.trim();
}

async function releaseFile(environmentName: string): Promise<string | undefined> {
  await git('fetch', '--quiet', 'origin', '+refs/heads/releases:refs/remotes/origin/releases');
  const shown = await exec('git', ['show', `origin/releases:${environmentName}.yaml`]);
  return shown.status === 0 ? shown.stdout : undefined;
}

async function releaseOf(environmentName: string): Promise<Release> {
  const text = await releaseFile(environmentName);
  if (!text) throw new Error(`no ${environmentName} release recorded`);
  return (parse(text) as { releases: Record<string, Release> }).releases[
    environmentName
  ] as Release;
}

const releasesCommits = async () => Number(await git('rev-list', '--count', 'origin/releases'));

async function switchTo(branch: string): Promise<void> {
  await git('fetch', '--quiet', 'origin');
  await git('checkout', '--quiet', '-B', branch, `origin/${branch}`);
}

/** A real merge of one environment branch into the next, as a promotion pull request makes. */
async function promote(from: string, to: string): Promise<string> {
  await switchTo(to);
  await git('merge', '--no-ff', '--quiet', '-m', `Merge ${from} into ${to}`, `origin/${from}`);
  await git('push', '--quiet', 'origin', 'HEAD');
  return git('rev-parse', 'HEAD');
}

beforeAll(async () => {
  deliveryTool('container-tools');
  registry = await startTestRegistry('none');
  workDir = mkdtempSync(path.join(tmpdir(), 'notejam-pipeline-'));
  const origin = path.join(workDir, 'origin.git');
  checkout = path.join(workDir, 'checkout');
  mkdirSync(checkout);
  await exec('git', ['init', '--quiet', '--bare', origin]);
  await git('init', '--quiet', '-b', 'dev');
  await git('config', 'user.name', 'Pipeline Test');
  await git('config', 'user.email', 'pipeline-test@notejam.invalid');
  await git('remote', 'add', 'origin', origin);
  for (const script of [
    'hack/gitops/pipeline.sh',
    'hack/image-tags.sh',
    'hack/lib/buildah.sh',
    'hack/local-cluster/npm-build-config.sh',
    'VERSION',
  ]) {
    mkdirSync(path.dirname(path.join(checkout, script)), { recursive: true });
    copyFileSync(repoPath(script), path.join(checkout, script));
  }
  await commit('two images, docs', {
    // A file inside a listed directory too, as ours list app/package.json and app/.
    'hack/gitops/images.conf': `${app} Dockerfile.app Dockerfile.app app/index.html app\n${operator} Dockerfile.operator Dockerfile.operator operator\n`,
    'Dockerfile.app': 'FROM scratch\nCOPY app/ /app/\n',
    'Dockerfile.operator': 'FROM scratch\nCOPY operator/ /operator/\n',
    'app/index.html': 'version 1\n',
    'operator/main.txt': 'version 1\n',
    'docs/guide.md': '# Guide\n',
  });
  await git('push', '--quiet', 'origin', 'dev:test', 'dev:prod');
  environment = {
    ...process.env,
    IMAGE_REGISTRY: `${registry.host}/gitops-test`,
    REGISTRY_TLS_VERIFY: 'false',
  };
}, 300_000);

afterAll(async () => {
  // The builds left their images in buildah's local storage.
  if (registry) {
    const listed = await exec('buildah', ['images', '--format', '{{.Name}}:{{.Tag}}']);
    const images = listed.stdout
      .split('\n')
      .filter((name) => name.startsWith(`${registry.host}/gitops-test/`));
    if (images.length > 0) await exec('buildah', ['rmi', '--force', ...images]);
    await registry.stop();
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('hack/gitops/pipeline.sh', () => {
  let first: Release;

  it('keys an image by what goes into it: docs, infrastructure and the other image leave the key', async () => {
    const key = async (image: string) => (await pipelineOk('key', image)).output.trim();
    const before = { app: await key(app), operator: await key(operator) };
    expect(before.app).toMatch(/^[0-9a-f]{20}$/);
    expect(before.app).not.toBe(before.operator);
    await commit('docs only', { 'docs/guide.md': '# Guide\n\nMore words.\n' });
    await commit('infrastructure only', { 'terraform/main.tf': '# nothing yet\n' });
    expect({ app: await key(app), operator: await key(operator) }).toEqual(before);
    const pushed = await git('rev-parse', 'HEAD');
    write('app/index.html', 'version 2\n');
    await git('commit', '--quiet', '-am', 'an app change (not pushed)');
    expect(await key(operator)).toBe(before.operator);
    expect(await key(app)).not.toBe(before.app);
    await git('reset', '--quiet', '--hard', pushed);
  });

  it('builds each image of a dev commit once, tags it and records what dev runs', async () => {
    const head = await git('rev-parse', 'HEAD');
    const { log } = await pipelineOk('publish', 'dev', head);
    expect(log).toContain(`building ${app} for source`);
    expect(log).toContain(`building ${operator} for source`);
    first = await releaseOf('dev');
    expect(first).toMatchObject({ tag: 'dev', source: `dev@${head}` });
    for (const image of [app, operator]) {
      expect(first.images[image]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await digestOf(image, 'dev')).toBe(first.images[image]);
      expect(await digestOf(image, `sha-${head.slice(0, 12)}`)).toBe(first.images[image]);
    }
  });

  it('builds and records nothing for the same source again: a docs-only commit changes no digest', async () => {
    const recorded = await releasesCommits();
    const docs = await commit('docs again', { 'docs/guide.md': '# Guide\n\nEven more words.\n' });
    const { log } = await pipelineOk('publish', 'dev', docs);
    expect(log).not.toContain('building');
    expect(log).toContain('nothing to record');
    expect(await releasesCommits()).toBe(recorded);
    expect((await releaseOf('dev')).images).toEqual(first.images);
    expect(await digestOf(app, 'dev')).toBe(first.images[app]);
  });

  it("promotes dev to test and test to prod without building: both run exactly dev's digests", async () => {
    const merge = await promote('dev', 'test');
    expect((await pipelineOk('publish', 'test', merge)).log).not.toContain('building');
    expect(await releaseOf('test')).toMatchObject({
      tag: `v${version}-test`,
      source: `test@${merge}`,
      images: first.images,
    });
    expect(await digestOf(app, `v${version}-test`)).toBe(first.images[app]);

    const prodMerge = await promote('test', 'prod');
    expect((await pipelineOk('publish', 'prod', prodMerge)).log).not.toContain('building');
    expect(await releaseOf('prod')).toMatchObject({ tag: `v${version}`, images: first.images });
    expect(await digestOf(operator, `v${version}`)).toBe(first.images[operator]);
  });

  it('refuses to build on test: a source dev never published has no image to promote', async () => {
    await switchTo('test');
    const unbuilt = await commit('a change straight on test', { 'app/index.html': 'not dev\n' });
    const recorded = await releasesCommits();
    const result = await pipeline('publish', 'test', unbuilt);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `no ${app} was built for source [0-9a-f]{20} .*test never builds, it promotes what dev ran`,
      ),
    );
    expect(await releasesCommits()).toBe(recorded);
    expect((await releaseOf('test')).images).toEqual(first.images);
    await git('reset', '--quiet', '--hard', 'HEAD~1');
    await git('push', '--quiet', '--force', 'origin', 'HEAD:test');
  });

  it('builds only the image whose source changed, then promotes it through test to prod', async () => {
    await switchTo('dev');
    const change = await commit('app version 2', { 'app/index.html': 'version 2\n' });
    const { log } = await pipelineOk('publish', 'dev', change);
    expect(log).toContain(`building ${app} for source`);
    expect(log).not.toContain(`building ${operator}`);
    const dev = await releaseOf('dev');
    expect(dev.images[operator]).toBe(first.images[operator]);
    expect(dev.images[app]).not.toBe(first.images[app]);

    await pipelineOk('publish', 'test', await promote('dev', 'test'));
    await pipelineOk('publish', 'prod', await promote('test', 'prod'));
    expect((await releaseOf('prod')).images).toEqual(dev.images);
    expect(await digestOf(app, `v${version}`)).toBe(dev.images[app]);
  });

  it('records each release in a form the platform chart deploys, by digest', async () => {
    const files: string[] = [];
    for (const name of ['dev', 'test', 'prod']) {
      const file = path.join(workDir, `${name}.yaml`);
      writeFileSync(file, (await releaseFile(name)) ?? '');
      files.push(file);
    }
    const objects = renderChart(repoPath('config/argocd/platform'), 'platform', 'argocd', [
      '--set-string',
      'repoURL=https://git.example.com/notejam.git',
      '--set-json',
      'environments=["dev","test","prod"]',
      '--set-string',
      `images.${app}=${registry.host}/gitops-test/${app}`,
      '--set-string',
      `images.${operator}=${registry.host}/gitops-test/${operator}`,
      ...files.flatMap((file) => ['--values', file]),
    ]);
    const prod = objects.find(
      (object) => object.kind === 'Application' && object.metadata?.name === 'notejam-prod',
    ) as
      | (KubernetesObject & {
          spec: {
            sources: Array<{
              helm?: { valuesObject: { image: { digest: string } } };
              kustomize?: { patches: Array<{ patch: string }> };
            }>;
          };
        })
      | undefined;
    const release = await releaseOf('prod');
    const patch = prod?.spec.sources.find((source) => source.kustomize)?.kustomize?.patches[0];
    expect(patch?.patch).toContain(
      `${registry.host}/gitops-test/${app}:v${version}@${release.images[app]}`,
    );
    const chart = prod?.spec.sources.find((source) => source.helm);
    expect(chart?.helm?.valuesObject.image.digest).toBe(release.images[operator]);
  });

  it('rolls prod back to its previous release without building, and keeps the history', async () => {
    const current = await releaseOf('prod');
    expect((await pipelineOk('rollback', 'prod')).log).not.toContain('building');
    const rolledBack = await releaseOf('prod');
    expect(rolledBack.images).toEqual(first.images);
    expect(rolledBack.images).not.toEqual(current.images);
    expect(rolledBack.source).toMatch(/^rollback to prod@[0-9a-f]{40}$/);
    expect(await digestOf(app, `v${version}`)).toBe(first.images[app]);

    const lines = (await pipelineOk('history', 'prod')).output.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`${app}@${first.images[app]}`);
    expect(lines[0]).toContain('(rollback to prod@');
    expect(lines[1]).toContain(`${app}@${current.images[app]}`);
    expect(lines[2]).toContain(`${app}@${first.images[app]}`);
  });

  it('refuses an unknown environment and a bare call, naming what it takes', async () => {
    expect((await pipeline('publish', 'feature/x')).stderr).toContain(
      "environments are dev, test and prod, not 'feature/x'",
    );
    const bare = await pipeline();
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('usage:');
  });
});
