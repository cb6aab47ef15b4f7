// The NotejamInstance CRD changes only compatibly (crd-compatibility.ts says what that
// means): it is applied cluster-wide from the dev branch while test and prod still run
// older operators and instances. Checked against every version committed before, and
// against the environment branches this clone knows (dev, test, prod, and the pull
// request's base branch in CI), so a change that would break an older environment fails
// here before it is merged.
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { type Crd, type JsonSchema, breakingChanges } from './crd-compatibility.js';
import { readRepoFile, run, runOk } from './support.js';

const crdPath = 'crds/notejam.io_notejaminstances.yaml';
const current = parse(readRepoFile(crdPath)) as Crd;
/**
 * The commit whose CRD is the first the environments run: the last change of the CRD before
 * GitOps landed (no environment synced anything before it). Until then v1alpha1 was still
 * being designed and changed freely (a5b76e9, say, refuses changing `replicas` while
 * autoscaling is on, which was accepted and ignored before); from it on, only compatibly.
 */
const firstReleasedCrd = '637c9db';

/** A CRD with one version whose spec has the given schema. */
function crdWith(spec: JsonSchema, version: Partial<Crd['spec']['versions'][number]> = {}): Crd {
  return {
    spec: {
      group: 'notejam.io',
      scope: 'Namespaced',
      names: { kind: 'NotejamInstance', plural: 'notejaminstances' },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
          ...version,
        },
      ],
    },
  };
}

const base: JsonSchema = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string', maxLength: 512 },
    replicas: { type: 'integer', minimum: 1, maximum: 100, default: 1 },
    environment: { type: 'string', enum: ['development', 'test', 'production'] },
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
    secrets: { type: 'array', maxItems: 8, items: { type: 'string' } },
  },
  'x-kubernetes-validations': [{ rule: 'self.replicas >= 1' }],
};

/** `base` with one change (a shallow merge; `properties` entries replace whole). */
function changed(change: Partial<JsonSchema>, properties: Record<string, JsonSchema> = {}) {
  return crdWith({ ...base, ...change, properties: { ...base.properties, ...properties } });
}

describe('breakingChanges', () => {
  it('finds nothing between equal CRDs, or when fields are added, loosened or unrestricted', () => {
    expect(breakingChanges(crdWith(base), crdWith(base))).toEqual([]);
    const looser = changed(
      { 'x-kubernetes-validations': [] },
      {
        replicas: { type: 'integer', minimum: 0, maximum: 500, default: 1 },
        environment: { type: 'string', enum: ['development', 'test', 'production', 'staging'] },
        secrets: { type: 'array', items: { type: 'string' } },
        timeout: { type: 'string', pattern: '^[0-9]+s$' },
      },
    );
    expect(breakingChanges(crdWith(base), looser)).toEqual([]);
  });

  it.each<[string, Crd, string]>([
    [
      'a removed property',
      crdWith({
        ...base,
        properties: Object.fromEntries(
          Object.entries(base.properties ?? {}).filter(([name]) => name !== 'replicas'),
        ),
      }),
      'v1alpha1.spec: property replicas was removed',
    ],
    [
      'a changed type',
      changed({}, { replicas: { type: 'string', default: 1 } }),
      'v1alpha1.spec.replicas: type changed from integer to string',
    ],
    [
      'a new required field',
      changed({ required: ['image', 'environment'] }),
      'v1alpha1.spec: environment became required',
    ],
    [
      'a lost enum value',
      changed({}, { environment: { type: 'string', enum: ['test', 'production'] } }),
      'v1alpha1.spec.environment: enum lost "development"',
    ],
    [
      'a lower maximum',
      changed({}, { replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 } }),
      'v1alpha1.spec.replicas: maximum lowered from 100 to 10',
    ],
    [
      'a higher minimum',
      changed({}, { replicas: { type: 'integer', minimum: 2, maximum: 100, default: 1 } }),
      'v1alpha1.spec.replicas: minimum raised from 1 to 2',
    ],
    [
      'a new length limit',
      changed(
        {},
        { labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 10 } } },
      ),
      'v1alpha1.spec.labels{}: maxLength lowered from 63 to 10',
    ],
    [
      'fewer items',
      changed({}, { secrets: { type: 'array', maxItems: 2, items: { type: 'string' } } }),
      'v1alpha1.spec.secrets: maxItems lowered from 8 to 2',
    ],
    [
      'a new pattern',
      changed({}, { image: { type: 'string', maxLength: 512, pattern: '^ghcr' } }),
      'v1alpha1.spec.image: pattern changed from undefined to "^ghcr"',
    ],
    [
      'a changed default',
      changed({}, { replicas: { type: 'integer', minimum: 1, maximum: 100, default: 2 } }),
      'v1alpha1.spec.replicas: default changed from 1 to 2',
    ],
    [
      'a new CEL rule',
      changed({
        'x-kubernetes-validations': [
          { rule: 'self.replicas >= 1' },
          { rule: 'self.replicas <= 3' },
        ],
      }),
      'v1alpha1.spec: new validation rule "self.replicas <= 3"',
    ],
    [
      'a version no longer served',
      crdWith(base, { served: false }),
      'version v1alpha1 is no longer served',
    ],
    [
      'a lost status subresource',
      crdWith(base, { subresources: {} }),
      'version v1alpha1 lost its status subresource',
    ],
  ])('reports %s', (_what, next, problem) => {
    expect(breakingChanges(crdWith(base), next)).toEqual([problem]);
  });

  const availability = (defaults: Record<string, unknown>, tolerationDefault?: number) =>
    changed(
      {},
      {
        availability: {
          type: 'object',
          default: defaults,
          properties: {
            spreadAcrossNodes: { type: 'boolean', default: true },
            ...(tolerationDefault === undefined
              ? {}
              : { tolerationSeconds: { type: 'integer', default: tolerationDefault } }),
          },
        },
      },
    );

  it("accepts an object's default gaining a new property with that property's own default (objects read the same)", () => {
    expect(
      breakingChanges(
        availability({ spreadAcrossNodes: true }),
        availability({ spreadAcrossNodes: true, tolerationSeconds: 30 }, 30),
      ),
    ).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['another value than its own default', { spreadAcrossNodes: true, tolerationSeconds: 60 }, 30],
    ['a changed old key', { spreadAcrossNodes: false, tolerationSeconds: 30 }, 30],
  ])("reports an object's default gaining a new property with %s", (_what, defaults, own) => {
    expect(
      breakingChanges(availability({ spreadAcrossNodes: true }), availability(defaults, own)),
    ).toEqual([
      `v1alpha1.spec.availability: default changed from {"spreadAcrossNodes":true} to ${JSON.stringify(defaults)}`,
    ]);
  });

  it('accepts a new required field that has a default (old objects get it when read)', () => {
    const next = changed(
      { required: ['image', 'mode'] },
      { mode: { type: 'string', default: 'fast' } },
    );
    expect(breakingChanges(crdWith(base), next)).toEqual([]);
  });
});

/** The CRD as a git revision holds it; undefined when the revision does not have the file. */
function crdAt(revision: string): Crd | undefined {
  const shown = run('git', ['show', `${revision}:${crdPath}`]);
  return shown.status === 0 ? (parse(shown.stdout) as Crd) : undefined;
}

/** Environment branches (and the pull request's base in CI) this clone has. */
function environmentBranches(): string[] {
  const candidates = ['dev', 'test', 'prod'].flatMap((branch) => [branch, `origin/${branch}`]);
  if (process.env.GITHUB_BASE_REF) candidates.push(`origin/${process.env.GITHUB_BASE_REF}`);
  return candidates.filter(
    (ref) => run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).status === 0,
  );
}

describe(`${crdPath}`, () => {
  it('is compatible with every version of it committed since it was first released', () => {
    if (runOk('git', ['rev-parse', '--is-shallow-repository']).trim() === 'true') {
      throw new Error(
        'the CRD history needs a full clone (CI: actions/checkout with fetch-depth: 0)',
      );
    }
    const commits = runOk('git', [
      'log',
      '--format=%H',
      `${firstReleasedCrd}^..HEAD`,
      '--',
      crdPath,
    ])
      .split('\n')
      .filter(Boolean);
    expect(commits.length).toBeGreaterThan(0);
    const problems = commits.flatMap((commit) =>
      breakingChanges(crdAt(commit) as Crd, current).map(
        (problem) => `${commit.slice(0, 12)}: ${problem}`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it('is compatible with the CRD of every environment branch this clone has', () => {
    const problems = environmentBranches().flatMap((ref) => {
      const crd = crdAt(ref);
      return crd ? breakingChanges(crd, current).map((problem) => `${ref}: ${problem}`) : [];
    });
    expect(problems).toEqual([]);
  });
});
