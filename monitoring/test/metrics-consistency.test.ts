// Every metric a dashboard or an alert uses is one that really exists, with the labels the
// query matches on, so dashboards, alerts and code cannot drift apart:
// - the app's series: from the /metrics of the built app, started once on a temporary
//   SQLite database and once on a MariaDB database (its driver metrics exist only there),
//   and sent a few requests;
// - the operator's series: from the /metrics of the built operator process, running against
//   the test control plane (operator/test/envtest/) and reconciling a NotejamInstance that
//   has an autoscaler and a migration Job, so that its `notejam_instance_*` series (the
//   leader's view of the instances) carry samples too;
// - recording rules: names our PrometheusRules record; `up`: Prometheus' own.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConnection } from 'mysql2/promise';
import { mergeExpositions, parseExposition, type Exposition } from '../src/exposition.ts';
import {
  dashboardExpressions,
  loadDashboards,
  loadPrometheusRules,
  recordedNames,
  repoRoot,
  ruleExpressions,
  type Expression,
} from '../src/manifests.ts';
import { selectors, withGrafanaVariablesResolved, type Selector } from '../src/promql.ts';

/** Labels Prometheus attaches to every series of a target (ServiceMonitor discovery). */
const targetLabels = new Set([
  'job',
  'instance',
  'namespace',
  'pod',
  'service',
  'container',
  'endpoint',
]);
/** The job of the operator's metrics Service (charts/notejam-operator, config/manager). */
const operatorJob = 'notejam-operator-metrics';

const rules = loadPrometheusRules();
const expressions: Expression[] = [
  ...ruleExpressions(rules),
  ...dashboardExpressions(loadDashboards()),
];
const recorded = recordedNames(rules);

const processes: ChildProcess[] = [];
let workDir: string;
let stopControlPlane: (() => Promise<void>) | undefined;
let dropMysqlDatabase: (() => Promise<void>) | undefined;
let app: Exposition;
let operator: Exposition;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'notejam-metrics-'));
  // All run to the end, so afterAll stops whatever any of them started.
  const scrapes = await Promise.allSettled([
    scrapeApp(sqliteEnvironment()),
    createMysqlDatabase().then(scrapeApp),
    scrapeOperator(),
  ]);
  const [onSqlite, onMysql, ofOperator] = scrapes.map((scrape) => {
    if (scrape.status === 'rejected') throw scrape.reason;
    return scrape.value;
  });
  [app, operator] = [mergeExpositions(onSqlite, onMysql), ofOperator];
}, 300_000);

afterAll(async () => {
  await Promise.all(processes.map(stopProcess));
  await stopControlPlane?.();
  await dropMysqlDatabase?.();
  rmSync(workDir, { recursive: true, force: true });
}, 60_000);

type Source = 'app' | 'operator' | 'recording rule' | 'prometheus';

/** Which component a selector reads from: decided by its name and the job it matches. */
function sourceOf(selector: Selector): Source {
  if (recorded.has(selector.name)) return 'recording rule';
  if (selector.name === 'up') return 'prometheus';
  if (selector.matchers.some((m) => m.label === 'job' && m.op === '=' && m.value === operatorJob))
    return 'operator';
  if (selector.name.startsWith('notejam_instance_')) return 'operator';
  return 'app';
}

function seriesOf(source: Source): Map<string, Set<string>> | undefined {
  if (source === 'app') return withNames(app);
  if (source === 'operator') return withNames(operator);
  return undefined;
}

/** Label names per series name, with an empty set for series exposed without samples. */
function withNames(exposition: Exposition): Map<string, Set<string>> {
  return new Map(
    [...exposition.names].map((name) => [name, exposition.labels.get(name) ?? new Set<string>()]),
  );
}

const cases = expressions.flatMap(({ where, expr }) =>
  selectors(withGrafanaVariablesResolved(expr)).map(
    (selector) => [where, selector.name, selector] as const,
  ),
);

describe('metrics used by dashboards and alerts', () => {
  it.each(cases)('%s: %s exists with the labels it matches on', (_where, name, selector) => {
    const source = sourceOf(selector);
    const series = seriesOf(source);
    if (!series) {
      expect(['recording rule', 'prometheus']).toContain(source);
      return;
    }
    const labels = series.get(name);
    if (!labels) throw new Error(`${name} is not exposed by the ${source}`);
    const unknown = selector.matchers
      .map((m) => m.label)
      .filter((l) => !targetLabels.has(l) && !labels.has(l));
    expect({ name, source, unknownLabels: unknown }).toEqual({ name, source, unknownLabels: [] });
  });

  it('include the app and the operator, so both scrapes matter', () => {
    const sources = new Set(cases.map(([, , selector]) => sourceOf(selector)));
    expect([...sources].sort()).toEqual(['app', 'operator', 'prometheus', 'recording rule']);
  });

  it('recorded series are used by an alert or a dashboard', () => {
    const used = new Set(cases.map(([, name]) => name));
    expect([...recorded].filter((name) => !used.has(name))).toEqual([]);
  });

  it('the check can fail: a misspelled metric or label is reported', () => {
    const [misspelled] = selectors('http_request_duration_second_count{route="/"}');
    expect(seriesOf(sourceOf(misspelled))?.has(misspelled.name)).toBe(false);
    const [wrongLabel] = selectors('http_request_duration_seconds_count{status_code="500"}');
    expect(seriesOf(sourceOf(wrongLabel))?.get(wrongLabel.name)?.has('status_code')).toBe(false);
  });
});

// --- the app -----------------------------------------------------------------------------

function sqliteEnvironment(): Record<string, string> {
  return { DB_TYPE: 'sqlite', DB_PATH: join(workDir, 'notejam.sqlite') };
}

/** A fresh database on the MariaDB test server (`make mariadb`); the suite fails without it. */
async function createMysqlDatabase(): Promise<Record<string, string>> {
  const server = new URL(process.env.TEST_MYSQL_URL ?? 'mysql://notejam:notejam@127.0.0.1:3306');
  const options = {
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
  };
  const name = `notejam_metrics_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection(options).catch((error: unknown) => {
    throw new Error(
      `the MariaDB test server at ${server.host} does not answer (make mariadb): ${String(error)}`,
    );
  });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  dropMysqlDatabase = async () => {
    const connection = await createConnection(options);
    await connection.query(`DROP DATABASE IF EXISTS ${name}`);
    await connection.end();
  };
  return {
    DB_TYPE: 'mysql',
    DB_HOST: options.host,
    DB_PORT: String(options.port),
    DB_NAME: name,
    DB_USER: options.user,
    DB_PASSWORD: options.password,
  };
}

async function scrapeApp(database: Record<string, string>): Promise<Exposition> {
  const cli = join(repoRoot, 'app/dist/cli.js');
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: build first (npm run build, part of make test)`);
  const port = await freePort();
  const managementPort = await freePort();
  const env = {
    ...process.env,
    ...database,
    NODE_ENV: 'test',
    PORT: String(port),
    MANAGEMENT_PORT: String(managementPort),
    LOG_LEVEL: 'warn',
    SESSION_SECRET: randomBytes(32).toString('hex'),
  };
  const migrate = spawnSync(process.execPath, [cli, 'migrate'], { env, encoding: 'utf8' });
  if (migrate.status !== 0)
    throw new Error(`app migrate failed:\n${migrate.stdout}${migrate.stderr}`);
  const logs = startProcess(process.execPath, [cli, 'serve'], env);
  const base = `http://127.0.0.1:${port}`;
  // Probes and metrics have a port of their own (the app's MANAGEMENT_PORT).
  const management = `http://127.0.0.1:${managementPort}`;
  await waitFor(
    'the app to answer /healthz',
    async () => (await fetch(`${management}/healthz`)).ok,
    logs,
  );
  // Pages, a form post without its CSRF token, an unknown URL and the probes: every status
  // class and route kind the dashboards break down by.
  for (const path of [
    '/',
    '/signin/',
    '/signup/',
    '/forgot-password/',
    '/notes/1/',
    '/no-such-page',
  ]) {
    await fetch(`${base}${path}`, { redirect: 'manual' });
  }
  for (const path of ['/readyz', '/healthz']) await fetch(`${management}${path}`);
  await fetch(`${base}/signin/`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({ email: 'a@b.c' }),
  });
  return parseExposition(await (await fetch(`${management}/metrics`)).text());
}

// --- the operator --------------------------------------------------------------------------

interface ControlPlaneModule {
  startControlPlane(): Promise<{ admin(): unknown; stop(): Promise<void> }>;
  writeKubeConfig(kubeConfig: unknown, dir: string): string;
}

async function scrapeOperator(): Promise<Exposition> {
  const main = join(repoRoot, 'operator/dist/main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: build first (npm run build, part of make test)`);
  // Loaded by path at run time: the control plane harness belongs to the operator's tests.
  const harness = (await import(
    pathToFileURL(join(repoRoot, 'operator/test/envtest/control-plane.ts')).href
  )) as ControlPlaneModule;
  const plane = await harness.startControlPlane();
  stopControlPlane = () => plane.stop();
  const kubeconfig = harness.writeKubeConfig(plane.admin(), workDir);
  kubectl(kubeconfig, [
    'apply',
    '--server-side',
    '-f',
    join(repoRoot, 'crds/notejam.io_notejaminstances.yaml'),
  ]);
  kubectl(kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/notejaminstances.notejam.io',
  ]);

  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const logs = startProcess(process.execPath, [main], {
    ...process.env,
    KUBECONFIG: kubeconfig,
    METRICS_PORT: String(metricsPort),
    HEALTH_PORT: String(healthPort),
    // As deployed: leader election on a Lease (its gauge is one of the series checked).
    LEADER_ELECTION_NAMESPACE: 'default',
    POD_NAME: 'metrics-consistency-test',
    LOG_LEVEL: 'warn',
  });
  // MySQL with migrations and autoscaling, like prod: the operator makes a migration Job
  // and an autoscaler for it (the control plane has no controllers: they stay as created,
  // which is enough for their series to exist). No backup: prod's backup Job would come
  // first, and without a Job controller it never succeeds, so no migration Job would follow.
  const instance = join(workDir, 'instance.yaml');
  writeFileSync(
    instance,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'notejam-db', namespace: 'default' },
          stringData: { host: 'db', port: '3306', database: 'n', username: 'n', password: 'p' },
        },
        {
          apiVersion: 'notejam.io/v1alpha1',
          kind: 'NotejamInstance',
          metadata: { name: 'notejam', namespace: 'default' },
          spec: {
            image: 'registry.invalid/notejam:1.0',
            environment: 'production',
            database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
            lifecycle: { onDeploy: 'migrate', backup: { enabled: false } },
            autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 },
          },
        },
      ],
    }),
  );
  kubectl(kubeconfig, ['apply', '--server-side', '-f', instance]);

  const url = `http://127.0.0.1:${metricsPort}/metrics`;
  let text = '';
  // Until the instance has been reconciled, its Job and autoscaler made, and the leader is
  // known: their series exist.
  await waitFor(
    'the operator to reconcile the NotejamInstance',
    async () => {
      text = await (await fetch(url)).text();
      return [
        'controller_runtime_reconcile_total',
        'leader_election_master_status',
        'notejam_instance_condition',
        'notejam_instance_autoscaler_max_replicas',
        'notejam_instance_migration_job_status',
      ].every((name) => new RegExp(`^${name}\\{`, 'm').test(text));
    },
    logs,
  );
  return parseExposition(text);
}

function kubectl(kubeconfig: string, args: string[]): void {
  const result = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

// --- processes ---------------------------------------------------------------------------

/** Starts a child process; returns a function giving its output so far, for error messages. */
function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): () => string {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  processes.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  return () => `${args.join(' ')} (exit code ${child.exitCode ?? 'none yet'}):\n${output}`;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  logs: () => string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what} (last error: ${String(lastError)}); ${logs()}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
