// The CI pieces: the workflows pass actionlint and stay thin (they run the scripts the local
// suites run), the promotion guard cannot be switched off by the pull request it judges
// and lets only dev -> test and test -> prod through, code owners guard what decides how
// code reaches the cluster, and the image tags follow the branch and the VERSION file.
import { describe, expect, it } from '@jest/globals';
import { loadYaml } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { deliveryTool, readRepoFile, repoPath, run, runOk } from './support.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

function workflow(name: string): Workflow {
  return parse(readRepoFile('.github/workflows', name)) as Workflow;
}

const steps = (flow: Workflow) => Object.values(flow.jobs).flatMap((job) => job.steps);

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

describe('the promotion guard workflow', () => {
  const guardWorkflow = workflow('promotion-guard.yml');

  it('runs as the base branch has it (pull_request_target), never as the pull request has it', () => {
    expect(Object.keys(guardWorkflow.on)).toEqual(['pull_request_target']);
    expect(guardWorkflow.on.pull_request_target).toMatchObject({ branches: ['test', 'prod'] });
    expect(guardWorkflow.permissions).toEqual({ contents: 'read' });
  });

  it("never checks out or runs the pull request's code", () => {
    for (const step of steps(guardWorkflow)) {
      if (step.uses?.startsWith('actions/checkout')) {
        expect(step.with).toEqual({
          ref: '${{ github.event.pull_request.base.sha }}',
          'persist-credentials': false,
        });
      }
      // The pull request's values reach the script only as data, in environment variables.
      expect(step.run ?? '').not.toMatch(/\$\{\{/);
    }
    expect(
      steps(guardWorkflow)
        .map((step) => step.run)
        .filter(Boolean),
    ).toEqual(['hack/promotion-guard.sh "$BASE_REF" "$HEAD_REF" "$BASE_REPO" "$HEAD_REPO"']);
  });
});

describe('the delivery workflows', () => {
  it.each(['images.yml', 'rollback.yml'])(
    '%s is thin: it runs hack/gitops/pipeline.sh, nothing builds or tags on its own',
    (name) => {
      const flow = workflow(name);
      const actions = steps(flow).flatMap((step) => (step.uses ? [step.uses.split('@')[0]] : []));
      expect(actions).toEqual(['actions/checkout']);
      const scripts = steps(flow).flatMap((step) => (step.run ? [step.run] : []));
      expect(scripts.join('\n')).toContain('hack/gitops/pipeline.sh');
      expect(scripts.join('\n')).not.toMatch(/\b(docker|buildah build|skopeo copy)\b/);
    },
  );

  it('publishes on pushes to the environment branches, one run per branch at a time', () => {
    const images = workflow('images.yml') as Workflow & { concurrency: Record<string, unknown> };
    expect(images.on).toEqual({ push: { branches: ['dev', 'test', 'prod'] } });
    expect(images.concurrency).toEqual({
      group: 'images-${{ github.ref_name }}',
      'cancel-in-progress': false,
    });
    expect(
      steps(images)
        .map((step) => step.run ?? '')
        .join('\n'),
    ).toContain('hack/gitops/pipeline.sh publish "$GITHUB_REF_NAME" "$GITHUB_SHA"');
  });

  it('tests with the whole history, which the CRD compatibility check reads', () => {
    const checkout = steps(workflow('test.yml')).find((step) =>
      step.uses?.startsWith('actions/checkout'),
    );
    expect(checkout?.with).toMatchObject({ 'fetch-depth': 0 });
  });
});

describe('.github/CODEOWNERS', () => {
  const owners = readRepoFile('.github/CODEOWNERS')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.split(/\s+/)[0]);

  it.each([
    '/.github/',
    '/config/argocd/',
    '/config/crd/',
    '/crds/',
    '/operator/src/api/',
    '/hack/gitops/',
    '/hack/promotion-guard.sh',
  ])('names an owner for %s', (path) => {
    expect(owners).toContain(path);
  });
});

describe('delivery scripts', () => {
  it.each([
    'hack/delivery-tools.sh',
    'hack/image-tags.sh',
    'hack/promotion-guard.sh',
    'hack/kind/deploy.sh',
    'hack/kind/database.sh',
    'hack/lib/buildah.sh',
    'hack/lib/diagnostics.sh',
    'hack/lib/go-mod.sh',
    'hack/gitops/pipeline.sh',
    'hack/gitops/up.sh',
    'hack/gitops/bootstrap.sh',
    'hack/argocd/build.sh',
    'hack/argocd/images.sh',
    'hack/argocd/install.sh',
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
