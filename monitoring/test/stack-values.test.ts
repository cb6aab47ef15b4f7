// kube-prometheus-stack's values for GKE (config/argocd/platform/kube-prometheus-stack.yaml):
// the control plane GKE keeps out of reach is neither scraped nor alerted on, and
// Alertmanager's configuration is valid and sends every severity to a person, checked and
// routed by Alertmanager's own amtool.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubePrometheusStackApplication, repoRoot } from '../src/manifests.ts';
import { monitoringToolPath, run } from './support.ts';

interface AlertmanagerValues {
  alertmanagerSpec: { secrets?: string[] };
  config: {
    receivers: Array<{ name: string; webhook_configs?: Array<{ url_file?: string }> }>;
  };
}

const values = kubePrometheusStackApplication().values as Record<
  string,
  { enabled?: boolean; rules?: Record<string, boolean> }
> & { alertmanager: AlertmanagerValues };
const alertmanager = values.alertmanager;
let amtool: string;
let workDir: string;
let configFile: string;

beforeAll(() => {
  amtool = monitoringToolPath('amtool');
  workDir = mkdtempSync(join(tmpdir(), 'notejam-alertmanager-'));
  configFile = join(workDir, 'alertmanager.yaml');
  writeFileSync(configFile, stringify(alertmanager.config));
}, 20 * 60_000);

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

it('neither scrapes nor alerts on the control plane GKE keeps out of reach', () => {
  // GKE runs the scheduler, controller-manager and etcd itself, and Dataplane V2 has no
  // kube-proxy: their "target down" alerts would fire forever.
  for (const component of ['kubeScheduler', 'kubeControllerManager', 'kubeEtcd', 'kubeProxy']) {
    expect([component, values[component]?.enabled]).toEqual([component, false]);
  }
  expect(values.defaultRules?.rules).toMatchObject({
    etcd: false,
    kubeSchedulerAlerting: false,
    kubeSchedulerRecording: false,
    kubeControllerManager: false,
    kubeProxy: false,
  });
});

it('gives Alertmanager a configuration it accepts', () => {
  const result = run(amtool, ['check-config', configFile], repoRoot);
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
});

it.each([
  ['severity=critical', 'pager'],
  ['severity=warning', 'tickets'],
  // Anything without a known severity still reaches a person.
  ['alertname=Unexpected', 'tickets'],
  // The always-firing heartbeat and the info inhibitor go nowhere.
  ['alertname=Watchdog', 'null'],
  ['alertname=InfoInhibitor', 'null'],
])('routes an alert with %s to %s', (labels, receiver) => {
  const result = run(
    amtool,
    ['config', 'routes', 'test', `--config.file=${configFile}`, ...labels.split(' ')],
    repoRoot,
  );
  expect(result).toEqual({ status: 0, output: `${receiver}\n` });
});

it('posts to webhooks whose URLs it reads from the Secret terraform/roots/cluster writes', () => {
  // cluster-bootstrap's tests check the other side: the Secret's name and keys.
  expect(alertmanager.alertmanagerSpec.secrets).toEqual(['alertmanager-notejam-receivers']);
  const webhooks = Object.fromEntries(
    alertmanager.config.receivers.map((receiver) => [
      receiver.name,
      (receiver.webhook_configs ?? []).map((webhook) => webhook.url_file),
    ]),
  );
  const mounted = '/etc/alertmanager/secrets/alertmanager-notejam-receivers';
  expect(webhooks).toEqual({
    null: [],
    pager: [`${mounted}/critical-webhook-url`],
    tickets: [`${mounted}/warning-webhook-url`],
  });
});
