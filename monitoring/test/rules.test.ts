// The alert and recording rules, checked and unit-tested by promtool (Prometheus' own rule
// engine), and held to the conventions the runbooks and Prometheus' rule selector rely on.
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  kubePrometheusStackApplication,
  loadPrometheusRules,
  repoRoot,
  ruleFileContent,
  ruleTestsDir,
  type PrometheusRule,
} from '../src/manifests.ts';
import { monitoringToolPath, run } from './support.ts';

const rules = loadPrometheusRules();
let promtool: string;
let workDir: string;

beforeAll(() => {
  promtool = monitoringToolPath('promtool');
  // promtool reads plain rule files: the groups of each PrometheusRule, next to the tests
  // that name them as `<file>.rules.yaml`.
  workDir = mkdtempSync(join(tmpdir(), 'notejam-rules-'));
  for (const rule of rules)
    writeFileSync(join(workDir, `${rule.file}.rules.yaml`), ruleFileContent(rule));
  for (const test of readdirSync(ruleTestsDir))
    copyFileSync(join(ruleTestsDir, test), join(workDir, test));
}, 20 * 60_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('PrometheusRule objects', () => {
  it('exist for the app and the operator', () => {
    expect(rules.map((r) => r.metadata.name).sort()).toEqual(['notejam-app', 'notejam-operator']);
  });

  it.each(rules.map((r) => [r.file, r] as const))('%s passes promtool check rules', (file) => {
    const result = run(promtool, ['check', 'rules', `${file}.rules.yaml`], workDir);
    expect(result).toEqual(expect.objectContaining({ status: 0 }));
  });

  it.each(rules.map((r) => [r.file, r] as const))(
    '%s carries the label kube-prometheus-stack selects rules by',
    (_file, rule: PrometheusRule) => {
      expect(rule.metadata.labels?.release).toBe(kubePrometheusStackApplication().releaseName);
    },
  );
});

describe('promtool unit tests', () => {
  const testFiles = readdirSync(ruleTestsDir).filter((f) => f.endsWith('.test.yaml'));

  it('cover every rule file', () => {
    const tested = testFiles.flatMap((f) =>
      [...readFileSync(join(ruleTestsDir, f), 'utf8').matchAll(/^\s+- (\S+)\.rules\.yaml$/gm)].map(
        (m) => m[1],
      ),
    );
    expect(new Set(tested)).toEqual(new Set(rules.map((r) => r.file)));
  });

  it.each(testFiles)('%s passes', (file) => {
    const result = run(promtool, ['test', 'rules', file], workDir);
    if (result.status !== 0)
      throw new Error(`promtool test rules ${file} failed:\n${result.output}`);
    expect(result.output).toContain('SUCCESS');
  });

  it('test every alert at least once, firing', () => {
    const firing = new Set(
      testFiles.flatMap((f) =>
        [
          ...readFileSync(join(ruleTestsDir, f), 'utf8').matchAll(
            /alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g,
          ),
        ].map((m) => m[1]),
      ),
    );
    const alerts = rules.flatMap((r) =>
      r.spec.groups.flatMap((g) => g.rules.flatMap((rule) => (rule.alert ? [rule.alert] : []))),
    );
    expect([...new Set(alerts)].filter((a) => !firing.has(a))).toEqual([]);
  });
});

describe('alerts', () => {
  const alerts = rules.flatMap((r) =>
    r.spec.groups.flatMap((g) => g.rules.filter((rule) => rule.alert !== undefined)),
  );
  const runbooks = readFileSync(join(repoRoot, 'docs/runbooks.md'), 'utf8');
  // Every alert links to docs/runbooks.md of one and the same repository (the repository's
  // web address is yours to set in the rules; Argo CD's git URL is a deployment variable).
  const runbookBase =
    /^(https:\/\/\S+?)\/blob\/main\/docs\/runbooks\.md#/.exec(
      alerts[0]?.annotations?.runbook_url ?? '',
    )?.[0] ?? 'https://<repository>/blob/main/docs/runbooks.md#';

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a severity, a summary and a runbook section',
    (_name, alert) => {
      expect(['critical', 'warning']).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary).toBeTruthy();
      expect(alert.annotations?.description).toBeTruthy();
      const url = alert.annotations?.runbook_url ?? '';
      expect(url.startsWith(runbookBase)).toBe(true);
      expect(headingAnchors(runbooks)).toContain(url.slice(runbookBase.length));
    },
  );
});

/** GitHub's anchors for the Markdown headings of a document. */
function headingAnchors(markdown: string): string[] {
  return [...markdown.matchAll(/^#+ (.+)$/gm)].map((m) =>
    m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-'),
  );
}
