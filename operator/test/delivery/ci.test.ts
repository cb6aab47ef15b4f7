// The CI pieces: the workflows pass actionlint, the promotion guard lets only dev -> test
// and test -> prod through, and the image tags follow the branch and the VERSION file.
import { describe, expect, it } from '@jest/globals';
import { loadYaml } from '@kubernetes/client-node';
import { deliveryTool, readRepoFile, repoPath, run, runOk } from './support.js';

const guard = repoPath('hack/promotion-guard.sh');
const imageTags = repoPath('hack/image-tags.sh');
const repository = 'example/notejam';
const sha = '0123456789abcdef0123456789abcdef01234567';

describe('workflows', () => {
  it('pass actionlint', () => {
    const result = run(deliveryTool('actionlint'), ['-color=false'], { cwd: repoPath() });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('actionlint reports a broken workflow (the check can fail)', () => {
    const broken =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    const result = run(deliveryTool('actionlint'), ['-color=false', '-'], { input: broken });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('nope');
  });
});

describe('delivery scripts', () => {
  it.each([
    'hack/delivery-tools.sh',
    'hack/image-tags.sh',
    'hack/promotion-guard.sh',
    'hack/kind/deploy.sh',
    'hack/envtest-assets.sh',
    'hack/local-cluster/binaries.sh',
    'hack/local-cluster/images.sh',
    'hack/local-cluster/up.sh',
    'hack/local-cluster/down.sh',
    'hack/local-cluster/lib.sh',
    'hack/local-cluster/npm-build-config.sh',
    'hack/local-cluster/mariadb/docker-entrypoint.sh',
    'hack/local-cluster/mariadb/healthcheck.sh',
    'hack/local-cluster/mariadb/test.sh',
  ])('%s passes shellcheck', (script) => {
    const result = run(deliveryTool('shellcheck'), [repoPath(script)]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('promotion guard', () => {
  const verdict = (base: string, head: string, headRepository = repository) =>
    run(guard, [base, head, repository, headRepository]);

  it.each([
    ['test', 'dev'],
    ['prod', 'test'],
  ])('lets a pull request into %s from %s through', (base, head) => {
    const result = verdict(base, head);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${head} -> ${base} is an allowed promotion`);
  });

  it.each([
    ['test', 'feature/login', 'dev'],
    ['test', 'prod', 'dev'],
    ['prod', 'dev', 'test'],
    ['prod', 'feature/login', 'test'],
    ['prod', 'hotfix', 'test'],
  ])('refuses a pull request into %s from %s, naming %s', (base, head, allowed) => {
    const result = verdict(base, head);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `'${base}' only takes pull requests from '${allowed}', not from '${head}'`,
    );
  });

  it("refuses a fork's branch that merely has the right name", () => {
    const result = verdict('prod', 'test', 'someone/notejam');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `only takes pull requests from ${repository}:test, not from someone/notejam:test`,
    );
  });

  it.each(['dev', 'main', 'feature/x'])('does not restrict pull requests into %s', (base) => {
    expect(verdict(base, 'anything').status).toBe(0);
  });

  it('refuses to guess when called without all four arguments', () => {
    const result = run(guard, ['test', 'dev']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage:');
  });
});

describe('image tags', () => {
  const version = readRepoFile('VERSION').trim();

  it.each([
    ['dev', 'dev'],
    ['test', `v${version}-test`],
    ['prod', `v${version}`],
  ])('tags a push to %s as %s plus an immutable sha tag', (branch, tag) => {
    expect(runOk(imageTags, [branch, sha]).split('\n').filter(Boolean)).toEqual([
      tag,
      'sha-0123456789ab',
    ]);
  });

  it('gives the tags of the brief for the current release line', () => {
    expect(version).toBe('0.1');
  });

  it('builds images only for the environment branches', () => {
    const result = run(imageTags, ['feature/x', sha]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("not 'feature/x'");
  });

  it('refuses an abbreviated commit sha', () => {
    expect(run(imageTags, ['dev', 'abc123']).stderr).toContain('40 lowercase hex digits');
  });

  it('uses the same VERSION as the chart appVersion', () => {
    const chart = loadYaml<{ appVersion: string }>(
      readRepoFile('charts/notejam-operator/Chart.yaml'),
    );
    expect(chart.appVersion).toBe(version);
  });
});
