// App benchmark (run by hand: `make bench-app`; results in docs/benchmarks.md, section "App").
// For each database (SQLite, then the MariaDB of TEST_MYSQL_URL), a fresh schema gets one
// user with 10 pads of 100 notes; the built app (`app/dist/cli.js serve`, NODE_ENV=production,
// logging at info, with the image's NODE_OPTIONS from Dockerfile.app) is started, the
// benchmark signs in, and Debian's `wrk` loads three pages on loopback with the session
// cookie: the all-notes page `/`, a pad page sorted by name, a note page.
// With BENCH_FLASK_DIR (the `flask/` directory of a checkout of the original Notejam,
// github.com/komarserjio/notejam), the original Flask Notejam runs beside it on gunicorn with
// 2 workers, on the same data set loaded into its own tables, and each page is measured on
// both in turn (interleaved, so both see the same load from other processes).
// Reported per run: requests per second, p50 and p99 latency, CPU time per request; per app:
// resident memory after sign-in and after all runs (Flask: its three processes together).
// Knobs: BENCH_DATABASES (sqlite,mysql), BENCH_PAGES (all,pad,note), BENCH_SECONDS (10),
// BENCH_CONNECTIONS (10), BENCH_REPEATS (3), BENCH_WARMUP_SECONDS (3), BENCH_PADS (10) and
// BENCH_NOTES_PER_PAD (100): the data set (e.g. 20 x 1000 for a heavy user's all-notes page);
// BENCH_CLI: another build's cli.js; BENCH_PROFILE_DIR: a CPU profile of Notejam per database
// (`--cpu-prof`).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { parse } from 'yaml';

const run = promisify(execFile);
const clockTicksPerSecond = Number((await run('getconf', ['CLK_TCK'])).stdout.trim());
const repoRoot = join(import.meta.dirname, '..', '..');
const cli = resolve(process.env.BENCH_CLI ?? join(repoRoot, 'app', 'dist', 'cli.js'));
const flaskBaseline = join(import.meta.dirname, 'flask-baseline');
const flaskDir = process.env.BENCH_FLASK_DIR ? resolve(process.env.BENCH_FLASK_DIR) : undefined;

const seconds = positive('BENCH_SECONDS', 10);
const connections = positive('BENCH_CONNECTIONS', 10);
const repeats = positive('BENCH_REPEATS', 3);
const warmupSeconds = positive('BENCH_WARMUP_SECONDS', 3);
const padCount = positive('BENCH_PADS', 10);
const notesPerPad = positive('BENCH_NOTES_PER_PAD', 100);
const noteCount = padCount * notesPerPad;
const pages = (process.env.BENCH_PAGES ?? 'all,pad,note').split(',');
const databases = (process.env.BENCH_DATABASES ?? 'sqlite,mysql').split(',');
const profileDir = process.env.BENCH_PROFILE_DIR;
const mysqlServer = process.env.TEST_MYSQL_URL ?? 'mysql://notejam:notejam@127.0.0.1:3306';
// One user, by default 10 pads x 100 notes = 1,000 notes (the seed's deterministic demo data).
const seedArgs = [
  ...['--users', '1'],
  ...['--pads-per-user', String(padCount), '--notes-per-pad', String(notesPerPad)],
];
const email = 'demo1@example.com';
const password = 'notejam-demo';

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`${name} must be a positive whole number`);
  return Number(raw);
}

/**
 * The V8 options the image runs the app with (Dockerfile.app's ENV NODE_OPTIONS), as a pod
 * with the default memory limit applies them: the old-space percentage of that limit becomes
 * an absolute --max-old-space-size (no cgroup limit here).
 */
function imageNodeOptions(): string {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile.app'), 'utf8');
  const match = /^\s*NODE_OPTIONS="([^"]*)"/m.exec(dockerfile);
  if (!match) throw new Error('Dockerfile.app sets no NODE_OPTIONS="..."');
  return match[1]
    .split(/\s+/)
    .map((flag) => {
      const percentage = /^--max-old-space-size-percentage=(\d+)$/.exec(flag)?.[1];
      if (percentage === undefined) return flag;
      return `--max-old-space-size=${Math.floor((defaultMemoryLimitMiB() * Number(percentage)) / 100)}`;
    })
    .join(' ');
}

/** The app container's default memory limit, from the CRD (spec.resources.limits). */
function defaultMemoryLimitMiB(): number {
  const crd = parse(
    readFileSync(
      join(repoRoot, 'config', 'crd', 'bases', 'notejam.io_notejaminstances.yaml'),
      'utf8',
    ),
  ) as CrdWithResourceDefaults;
  const limit =
    crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.resources.properties
      .limits.default.memory;
  const mebibytes = /^(\d+)Mi$/.exec(String(limit))?.[1];
  if (mebibytes === undefined)
    throw new Error(`the CRD's default memory limit ${limit} is not in Mi`);
  return Number(mebibytes);
}

interface CrdWithResourceDefaults {
  spec: {
    versions: {
      schema: {
        openAPIV3Schema: {
          properties: {
            spec: {
              properties: {
                resources: { properties: { limits: { default: { memory?: string } } } };
              };
            };
          };
        };
      };
    }[];
  };
}

type PageKey = 'all' | 'pad' | 'note';
const PAGE_NAMES: Record<PageKey, string> = {
  all: `all notes \`/\` (${noteCount.toLocaleString('en')} rows)`,
  pad: `pad by name (${notesPerPad.toLocaleString('en')} rows)`,
  note: 'note',
};

/** What each page must contain, so a redirect or error page is never measured. */
const EXPECTED_TEXT: Record<PageKey, string> = {
  all: `All notes (${noteCount})`,
  pad: `(${notesPerPad})`,
  note: 'Last edited',
};

interface WrkResult {
  requestsPerSecond: number;
  /** CPU time (user + system) of the app's processes per request. */
  cpuMsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
}

/** One running app under test. */
interface Target {
  app: 'Notejam' | 'Flask';
  base: string;
  cookie: string;
  paths: Record<PageKey, string>;
  /** The text each page must contain, so a redirect or error page is never measured. */
  expect: Record<PageKey, string>;
  /** The app's processes (gunicorn: master and workers). */
  pids(): number[];
  stop(): Promise<void>;
}

interface DatabaseResult {
  database: string;
  runs: Map<string, WrkResult[]>;
  memory: Map<string, { before: number; after: number; peak: number }>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** CPU time (user + system) a process has used, in ms; /proc counts in clock ticks. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number),
  );
}

async function waitFor(what: string, probe: () => Promise<boolean>, process?: ChildProcess) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (process && process.exitCode !== null)
      throw new Error(`${what}: exited with ${process.exitCode}`);
    if (await probe().catch(() => false)) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${what}: not ready within 60 s`);
}

async function stopProcess(child: ChildProcess, name: string): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0 && code !== null) process.stderr.write(`${name} exited with ${code} on SIGTERM\n`);
}

function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Signs in through the app's form like a browser; returns the signed-in cookies. */
async function signIn(base: string, csrfField: RegExp, fields: Record<string, string>) {
  const form = await fetch(`${base}/signin/`);
  const csrf = csrfField.exec(await form.text());
  if (!csrf) throw new Error(`no CSRF token on ${base}/signin/`);
  const res = await fetch(`${base}/signin/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookiesOf(form), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, [csrf[1]]: csrf[2], email, password }).toString(),
  });
  if (res.status !== 302) throw new Error(`sign-in on ${base} answered ${res.status}`);
  return cookiesOf(res);
}

async function checkPages(target: Target): Promise<void> {
  for (const key of pages as PageKey[]) {
    const res = await fetch(`${target.base}${target.paths[key]}`, {
      headers: { cookie: target.cookie },
      redirect: 'manual',
    });
    const text = await res.text();
    if (res.status !== 200 || !text.includes(target.expect[key]))
      throw new Error(
        `${target.app}: GET ${target.paths[key]} answered ${res.status} without "${target.expect[key]}"`,
      );
  }
}

// --- Notejam ------------------------------------------------------------------------------

async function notejamDatabase(database: string, dir: string): Promise<NodeJS.ProcessEnv> {
  if (database === 'sqlite') return { DB_TYPE: 'sqlite', DB_PATH: join(dir, 'bench.sqlite') };
  if (database !== 'mysql') throw new Error(`BENCH_DATABASES: unknown database "${database}"`);
  await recreateMysqlDatabase('notejam_bench');
  return { DB_TYPE: 'mysql', DATABASE_URL: `${mysqlServer}/notejam_bench` };
}

async function recreateMysqlDatabase(name: string, drop = false): Promise<void> {
  const connection = await mysql.createConnection(mysqlServer);
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${name}`);
    if (!drop)
      await connection.query(
        `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
  } finally {
    await connection.end();
  }
}

async function startNotejam(database: string, dir: string): Promise<Target> {
  const [port, managementPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    NODE_OPTIONS: imageNodeOptions(),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    PORT: String(port),
    MANAGEMENT_PORT: String(managementPort),
    ...(await notejamDatabase(database, dir)),
  };
  await run(process.execPath, [cli, 'migrate'], { env, cwd: repoRoot });
  await run(process.execPath, [cli, 'seed', ...seedArgs], { env, cwd: repoRoot });
  const profile = profileDir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
        `--cpu-prof-name=notejam-${database}.cpuprofile`,
      ]
    : [];
  const child = spawn(process.execPath, [...profile, cli, 'serve'], {
    env,
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let stopping = false;
  // A crash (e.g. V8 out of memory under BENCH_CONNECTIONS on a heavy data set) is reported as
  // such, not only as wrk's socket errors.
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`Notejam exited during the benchmark: ${signal ?? code}\n`);
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    'Notejam',
    async () => (await fetch(`http://127.0.0.1:${managementPort}/readyz`)).ok,
    child,
  );
  const cookie = await signIn(base, /name="(_csrf)" value="([^"]+)"/, {});
  const home = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  const padId = /href="\/pads\/(\d+)\/"/.exec(home)![1];
  const noteId = /href="\/notes\/(\d+)\/"/.exec(home)![1];
  return {
    app: 'Notejam',
    base,
    cookie,
    paths: { all: '/', pad: `/pads/${padId}/?order=name`, note: `/notes/${noteId}/` },
    expect: EXPECTED_TEXT,
    pids: () => [child.pid!],
    stop: () => {
      stopping = true;
      return stopProcess(child, 'Notejam');
    },
  };
}

/** The data set Notejam's seed made, read back from its database (dates as local time). */
async function exportDataset(database: string, dir: string) {
  const local = (value: unknown) => {
    const date = value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`);
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  };
  const padsSql = 'SELECT id, name FROM pads ORDER BY id';
  const notesSql =
    'SELECT id, name, text, pad_id AS padId, created_at AS createdAt, updated_at AS updatedAt FROM notes ORDER BY id';
  let pads: { id: number; name: string }[];
  let notes: Record<string, unknown>[];
  if (database === 'sqlite') {
    const db = new DatabaseSync(join(dir, 'bench.sqlite'), { readOnly: true });
    pads = db.prepare(padsSql).all() as typeof pads;
    notes = db.prepare(notesSql).all() as typeof notes;
    db.close();
  } else {
    const connection = await mysql.createConnection(`${mysqlServer}/notejam_bench`);
    pads = (await connection.query(padsSql))[0] as typeof pads;
    notes = (await connection.query(notesSql))[0] as typeof notes;
    await connection.end();
  }
  return {
    email,
    password,
    pads,
    notes: notes.map((note) => ({
      ...note,
      createdAt: local(note.createdAt),
      updatedAt: local(note.updatedAt),
    })),
  };
}

// --- the original Flask Notejam -------------------------------------------------------------

async function startFlask(database: string, dir: string, notejam: Target): Promise<Target> {
  const python = (await run(join(flaskBaseline, 'setup.sh'))).stdout.trim();
  const server = new URL(mysqlServer);
  if (database === 'mysql') await recreateMysqlDatabase('notejam_bench_flask');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ENVIRONMENT: 'production',
    // No __pycache__ written into the clone (flask-baseline/) or into the Notejam checkout.
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONPATH: `${flaskBaseline}:${flaskDir}`,
    SQLALCHEMY_DATABASE_URI:
      database === 'sqlite'
        ? `sqlite:///${join(dir, 'flask.sqlite')}`
        : `mysql+pymysql://${server.username}:${server.password}@${server.host}/notejam_bench_flask?charset=utf8mb4`,
  };
  const loader = spawn(python, [join(flaskBaseline, 'load_dataset.py')], { env });
  let loaded = '';
  loader.stdout.on('data', (chunk: Buffer) => (loaded += chunk.toString()));
  loader.stdin.end(JSON.stringify(await exportDataset(database, dir)));
  const [code] = (await once(loader, 'exit')) as [number];
  if (code !== 0) throw new Error(`loading the data set into Flask Notejam failed (${code})`);
  const ids = JSON.parse(loaded) as { pads: Record<string, number>; notes: Record<string, number> };
  const port = await freePort();
  const gunicorn = join(python, '..', 'gunicorn');
  const child = spawn(
    gunicorn,
    ['--workers', '2', '--timeout', '300', '--bind', `127.0.0.1:${port}`, 'wsgi:app'],
    { env, cwd: flaskBaseline, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor('Flask Notejam', async () => (await fetch(`${base}/signin/`)).ok, child);
  const cookie = await signIn(base, /name="(csrf_token)" type="hidden" value="([^"]+)"/, {});
  const notejamId = (path: string, kind: 'pads' | 'notes') => ids[kind][/\/(\d+)\//.exec(path)![1]];
  return {
    app: 'Flask',
    base,
    cookie,
    paths: {
      all: '/',
      pad: `/pads/${notejamId(notejam.paths.pad, 'pads')}/?order=name`,
      note: `/notes/${notejamId(notejam.paths.note, 'notes')}/`,
    },
    expect: EXPECTED_TEXT,
    pids: () => [child.pid!, ...childrenOf(child.pid!)],
    stop: async () => {
      await stopProcess(child, 'gunicorn');
      if (database === 'mysql') await recreateMysqlDatabase('notejam_bench_flask', true);
    },
  };
}

// --- measuring ------------------------------------------------------------------------------

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function parseDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new Error(`unreadable wrk duration "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

async function wrk(target: Target, key: PageKey, durationSeconds: number): Promise<WrkResult> {
  const pids = target.pids();
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  const { stdout } = await run(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${durationSeconds}s`,
      '--timeout',
      '60s',
      '--latency',
      '-H',
      `Cookie: ${target.cookie}`,
      `${target.base}${target.paths[key]}`,
    ],
    { timeout: (durationSeconds + 90) * 1000 },
  );
  if (/Non-2xx or 3xx responses|Socket errors/.test(stdout)) {
    throw new Error(`wrk saw failed requests on ${target.app} ${target.paths[key]}:\n${stdout}`);
  }
  const field = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`unreadable wrk output:\n${stdout}`);
    return match[1];
  };
  const requests = Number(field(/(\d+) requests in/));
  const cpuAfter = pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  return {
    requestsPerSecond: Number(field(/Requests\/sec:\s+([\d.]+)/)),
    cpuMsPerRequest: (cpuAfter - cpuBefore) / requests,
    p50Ms: parseDuration(field(/^\s+50%\s+(\S+)/m)),
    p99Ms: parseDuration(field(/^\s+99%\s+(\S+)/m)),
  };
}

/**
 * Waits until the app's processes stop using CPU: gunicorn's workers go on with the requests
 * wrk left queued when it stopped, which would otherwise run during the next app's turn.
 */
async function settle(target: Target): Promise<void> {
  const cpu = () => target.pids().reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  const deadline = Date.now() + 300_000;
  for (let last = cpu(); Date.now() < deadline;) {
    await new Promise((done) => setTimeout(done, 500));
    const now = cpu();
    if (now - last < 25) return;
    last = now;
  }
  throw new Error(`${target.app} is still busy 5 minutes after its run`);
}

function rss(target: Target): { rss: number; peak: number } {
  return target
    .pids()
    .map(memoryOf)
    .reduce((sum, memory) => ({ rss: sum.rss + memory.rss, peak: sum.peak + memory.peak }), {
      rss: 0,
      peak: 0,
    });
}

async function benchDatabase(database: string): Promise<DatabaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'notejam-bench-'));
  const targets: Target[] = [];
  try {
    const notejam = await startNotejam(database, dir);
    targets.push(notejam);
    if (flaskDir) targets.push(await startFlask(database, dir, notejam));
    for (const target of targets) await checkPages(target);
    const before = new Map(targets.map((target) => [target.app, rss(target)]));
    const runs = new Map<string, WrkResult[]>();
    for (const key of pages as PageKey[]) {
      for (const target of targets) {
        await wrk(target, key, warmupSeconds);
        await settle(target);
      }
      for (let i = 0; i < repeats; i++) {
        for (const target of targets) {
          const result = await wrk(target, key, seconds);
          await settle(target);
          process.stderr.write(
            `${database} ${target.app} ${key}: ${result.requestsPerSecond.toFixed(1)} req/s, ` +
              `${result.cpuMsPerRequest.toFixed(2)} CPU ms/request, p50 ${result.p50Ms.toFixed(1)} ms, ` +
              `p99 ${result.p99Ms.toFixed(1)} ms (load average ${loadavg()[0].toFixed(2)})\n`,
          );
          const id = `${target.app} ${key}`;
          runs.set(id, [...(runs.get(id) ?? []), result]);
        }
      }
    }
    const memory = new Map(
      targets.map((target) => {
        const after = rss(target);
        return [
          target.app,
          { before: before.get(target.app)!.rss, after: after.rss, peak: after.peak },
        ];
      }),
    );
    return { database, runs, memory };
  } finally {
    for (const target of targets.reverse()) await target.stop();
    rmSync(dir, { recursive: true, force: true });
    if (database === 'mysql') await recreateMysqlDatabase('notejam_bench', true);
  }
}

// --- the report -----------------------------------------------------------------------------

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function cell(runs: WrkResult[] | undefined, value: (run: WrkResult) => number, digits: number) {
  if (!runs) return '—';
  const values = runs.map(value);
  return `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`;
}

function report(results: DatabaseResult[], loads: string[]): string {
  const lines = [
    `Machine: ${cpus().length} x ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Linux ${release()}, Node.js ${process.versions.node}; load average (1 min) ${loads.join(' / ')} ` +
      `(start / after each database). Notejam's NODE_OPTIONS: ${imageNodeOptions()}.`,
    `wrk: 1 thread, ${connections} connections, ${seconds} s per run after a ${warmupSeconds} s warm-up, ` +
      `${repeats} runs per page and app, the apps taking turns. Median [range].`,
    '',
    '| database | page | Notejam req/s | Flask req/s | req/s ratio (median) | Notejam p99 ms | Flask p99 ms | p99 ratio (median) | Notejam CPU ms / request | Flask CPU ms / request |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    for (const key of pages as PageKey[]) {
      const ours = result.runs.get(`Notejam ${key}`);
      const flask = result.runs.get(`Flask ${key}`);
      const ratio = (value: (run: WrkResult) => number, digits: number, unit = '') =>
        ours && flask
          ? `${(median(ours.map(value)) / median(flask.map(value))).toFixed(digits)}${unit}`
          : '—';
      lines.push(
        `| ${result.database} | ${PAGE_NAMES[key]} | ${cell(ours, (r) => r.requestsPerSecond, 0)} | ${cell(flask, (r) => r.requestsPerSecond, 1)} | ${ratio((r) => r.requestsPerSecond, 1, 'x')} | ${cell(ours, (r) => r.p99Ms, 0)} | ${cell(flask, (r) => r.p99Ms, 0)} | ${ratio((r) => r.p99Ms, 2)} | ${cell(ours, (r) => r.cpuMsPerRequest, 2)} | ${cell(flask, (r) => r.cpuMsPerRequest, 1)} |`,
      );
    }
  }
  lines.push(
    '',
    '| database | app | RSS after sign-in | RSS after load | peak RSS |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const result of results) {
    for (const [app, memory] of result.memory) {
      lines.push(
        `| ${result.database} | ${app}${app === 'Flask' ? ' (3 processes)' : ''} | ${memory.before.toFixed(0)} MiB | ${memory.after.toFixed(0)} MiB | ${memory.peak.toFixed(0)} MiB |`,
      );
    }
  }
  return lines.join('\n');
}

if (flaskDir && !existsSync(join(flaskDir, 'notejam', 'views.py')))
  throw new Error(
    `BENCH_FLASK_DIR=${flaskDir} is not the flask/ directory of the original Notejam`,
  );
const loads = [loadavg()[0].toFixed(2)];
const results: DatabaseResult[] = [];
for (const database of databases) {
  results.push(await benchDatabase(database));
  loads.push(loadavg()[0].toFixed(2));
}
process.stdout.write(`${report(results, loads)}\n`);
