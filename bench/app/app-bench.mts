// App benchmark (run by hand: `make bench-app`; results in docs/benchmarks.md, section "App").
// For each database (SQLite, then the MariaDB of TEST_MYSQL_URL), a fresh schema gets one
// user with 10 pads of 100 notes; the built app (`app/dist/cli.js serve`, NODE_ENV=production,
// logging at info as deployed) is started, the benchmark signs in, and Debian's `wrk` loads
// three pages on loopback with the session cookie, each for a fixed time:
//   the all-notes page `/`, a pad page sorted by name, a note page.
// Reported per run: requests per second, p50 and p99 latency; per database: the app's RSS
// after sign-in (before load), after all runs and at its peak, and its JS heap in use.
// Knobs: BENCH_DATABASES (sqlite,mysql), BENCH_PAGES (all,pad,note), BENCH_SECONDS (10),
// BENCH_CONNECTIONS (10), BENCH_REPEATS (2), BENCH_WARMUP_SECONDS (3); BENCH_CLI: another
// build's cli.js to compare with; BENCH_PROFILE_DIR: write a CPU profile of the app per
// database there (`node --cpu-prof`; open it in Chrome DevTools).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);
const clockTicksPerSecond = Number((await run('getconf', ['CLK_TCK'])).stdout.trim());
const repoRoot = join(import.meta.dirname, '..', '..');
const cli = resolve(process.env.BENCH_CLI ?? join(repoRoot, 'app', 'dist', 'cli.js'));

const seconds = positive('BENCH_SECONDS', 10);
const connections = positive('BENCH_CONNECTIONS', 10);
const repeats = positive('BENCH_REPEATS', 2);
const warmupSeconds = positive('BENCH_WARMUP_SECONDS', 3);
const pages = (process.env.BENCH_PAGES ?? 'all,pad,note').split(',');
const databases = (process.env.BENCH_DATABASES ?? 'sqlite,mysql').split(',');
const profileDir = process.env.BENCH_PROFILE_DIR;
const mysqlServer = process.env.TEST_MYSQL_URL ?? 'mysql://notejam:notejam@127.0.0.1:3306';
const benchDatabaseName = 'notejam_bench';
// One user, 10 pads x 100 notes = 1,000 notes (the seed's deterministic demo data).
const seedArgs = ['--users', '1', '--pads-per-user', '10', '--notes-per-pad', '100'];
const email = 'demo1@example.com';
const password = 'notejam-demo';

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`${name} must be a positive whole number`);
  return Number(raw);
}

interface Case {
  /** Its BENCH_PAGES key. */
  key: string;
  name: string;
  path: string;
  /** Text the page must contain, so a redirect or error page is never measured. */
  expect: string;
}

interface WrkResult {
  requestsPerSecond: number;
  /** The app's CPU time (user + system) per request: less sensitive to other load than req/s. */
  cpuMsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

interface DatabaseResult {
  database: string;
  runs: { case: Case; results: WrkResult[] }[];
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssPeakMiB: number;
  heapUsedAfterMiB: number;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function cliCommand(env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  await run(process.execPath, [cli, ...args], { env, cwd: repoRoot });
}

async function databaseEnv(database: string, dir: string): Promise<NodeJS.ProcessEnv> {
  if (database === 'sqlite') return { DB_TYPE: 'sqlite', DB_PATH: join(dir, 'bench.sqlite') };
  if (database !== 'mysql') throw new Error(`BENCH_DATABASES: unknown database "${database}"`);
  const connection = await mysql.createConnection(mysqlServer);
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${benchDatabaseName}`);
    await connection.query(
      `CREATE DATABASE ${benchDatabaseName} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
  return { DB_TYPE: 'mysql', DATABASE_URL: `${mysqlServer}/${benchDatabaseName}` };
}

/** The app's own view of its JS heap (prom-client's default metric on /metrics). */
async function heapUsedMiB(base: string): Promise<number> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const bytes = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1];
  if (bytes === undefined) throw new Error('no nodejs_heap_size_used_bytes on /metrics');
  return Number(bytes) / 2 ** 20;
}

/** CPU time (user + system) the process has used, in ms; /proc counts in clock ticks. */
function cpuMsOf(pid: number): number {
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
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

async function waitUntilReady(base: string, app: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode}`);
    const ok = await fetch(`${base}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the app was not ready within 30 s');
}

function sessionCookie(res: Response): string {
  const cookie = res.headers.getSetCookie().find((value) => value.startsWith('notejam.sid='));
  if (!cookie) throw new Error(`no session cookie from ${res.url}`);
  return cookie.split(';')[0];
}

/** Signs in through the form like a browser; returns the signed-in session cookie. */
async function signIn(base: string): Promise<string> {
  const form = await fetch(`${base}/signin/`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no CSRF token on the sign-in page');
  const res = await fetch(`${base}/signin/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: sessionCookie(form), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  if (res.status !== 302) throw new Error(`sign-in answered ${res.status}, not a redirect`);
  return sessionCookie(res);
}

async function page(base: string, cookie: string, path: string): Promise<string> {
  const res = await fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
  return res.text();
}

/** The three measured pages, with ids taken from the all-notes page. */
async function casesFor(base: string, cookie: string): Promise<Case[]> {
  const all = await page(base, cookie, '/');
  const padId = /href="\/pads\/(\d+)\/"/.exec(all)?.[1];
  const noteId = /href="\/notes\/(\d+)\/"/.exec(all)?.[1];
  if (!padId || !noteId) throw new Error('no pad or note link on the all-notes page');
  return [
    { key: 'all', name: 'all notes `/`', path: '/', expect: 'All notes (1000)' },
    {
      key: 'pad',
      name: 'pad by name `/pads/<id>/?order=name`',
      path: `/pads/${padId}/?order=name`,
      expect: '(100)',
    },
    { key: 'note', name: 'note `/notes/<id>/`', path: `/notes/${noteId}/`, expect: 'Last edited' },
  ].filter((benchCase) => pages.includes(benchCase.key));
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function parseDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new Error(`unreadable wrk duration "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

async function wrk(
  url: string,
  cookie: string,
  durationSeconds: number,
  appPid: number,
): Promise<WrkResult> {
  const cpuBefore = cpuMsOf(appPid);
  const { stdout } = await run(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${durationSeconds}s`,
      '--timeout',
      '10s',
      '--latency',
      '-H',
      `Cookie: ${cookie}`,
      url,
    ],
    { timeout: (durationSeconds + 30) * 1000 },
  );
  if (/Non-2xx or 3xx responses|Socket errors/.test(stdout)) {
    throw new Error(`wrk saw failed requests on ${url}:\n${stdout}`);
  }
  const field = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`unreadable wrk output:\n${stdout}`);
    return match[1];
  };
  const requests = Number(field(/(\d+) requests in/));
  return {
    requestsPerSecond: Number(field(/Requests\/sec:\s+([\d.]+)/)),
    cpuMsPerRequest: (cpuMsOf(appPid) - cpuBefore) / requests,
    p50Ms: parseDuration(field(/^\s+50%\s+(\S+)/m)),
    p99Ms: parseDuration(field(/^\s+99%\s+(\S+)/m)),
    requests,
  };
}

async function benchDatabase(database: string): Promise<DatabaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'notejam-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    SESSION_SECRET: randomBytes(32).toString('hex'),
    PORT: String(port),
    ...(await databaseEnv(database, dir)),
  };
  let app: ChildProcess | undefined;
  try {
    await cliCommand(env, ['migrate']);
    await cliCommand(env, ['seed', ...seedArgs]);
    const profile = profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${database}.cpuprofile`]
      : [];
    app = spawn(process.execPath, [...profile, cli, 'serve'], {
      env,
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitUntilReady(base, app);
    const cookie = await signIn(base);
    const cases = await casesFor(base, cookie);
    for (const { path, expect } of cases) {
      if (!(await page(base, cookie, path)).includes(expect))
        throw new Error(`GET ${path} lacks "${expect}"`);
    }
    const before = memoryOf(app.pid!);
    const runs: DatabaseResult['runs'] = [];
    for (const benchCase of cases) {
      await wrk(`${base}${benchCase.path}`, cookie, warmupSeconds, app.pid!);
      const results: WrkResult[] = [];
      for (let i = 0; i < repeats; i++) {
        const result = await wrk(`${base}${benchCase.path}`, cookie, seconds, app.pid!);
        process.stderr.write(
          `${database} ${benchCase.path}: ${result.requestsPerSecond.toFixed(0)} req/s, ` +
            `${result.cpuMsPerRequest.toFixed(2)} CPU ms/request, ` +
            `p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms ` +
            `(load average ${loadavg()[0].toFixed(2)})\n`,
        );
        results.push(result);
      }
      runs.push({ case: benchCase, results });
    }
    const after = memoryOf(app.pid!);
    return {
      database,
      runs,
      rssBeforeMiB: before.rss,
      rssAfterMiB: after.rss,
      rssPeakMiB: after.peak,
      heapUsedAfterMiB: await heapUsedMiB(base),
    };
  } finally {
    if (app && app.exitCode === null) {
      app.kill('SIGTERM');
      const [code] = (await once(app, 'exit')) as [number | null];
      if (code !== 0) process.stderr.write(`${database}: the app exited with ${code} on SIGTERM\n`);
    }
    rmSync(dir, { recursive: true, force: true });
    if (database === 'mysql') {
      const connection = await mysql.createConnection(mysqlServer);
      await connection
        .query(`DROP DATABASE IF EXISTS ${benchDatabaseName}`)
        .finally(() => connection.end());
    }
  }
}

function report(results: DatabaseResult[], loads: string[]): string {
  const lines = [
    `Machine: ${cpus().length} x ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Linux ${release()}, Node.js ${process.versions.node}; load average (1 min) ${loads.join(' / ')} ` +
      `(start / after each database).`,
    `wrk: 1 thread, ${connections} connections, ${seconds} s per run after a ${warmupSeconds} s warm-up, ${repeats} runs per page.`,
    '',
    '| database | page | req/s | app CPU ms per request | p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const each = (runs: WrkResult[], value: (run: WrkResult) => number, digits: number) =>
    runs.map((run) => value(run).toFixed(digits)).join(' / ');
  for (const result of results) {
    for (const { case: benchCase, results: runs } of result.runs) {
      const cells = [
        result.database,
        benchCase.name,
        each(runs, (run) => run.requestsPerSecond, 0),
        each(runs, (run) => run.cpuMsPerRequest, 2),
        each(runs, (run) => run.p50Ms, 1),
        each(runs, (run) => run.p99Ms, 1),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  lines.push(
    '',
    '| database | RSS before load | RSS after load | peak RSS | JS heap used after load |',
    '| --- | --- | --- | --- | --- |',
  );
  const mib = (value: number) => `${value.toFixed(0)} MiB`;
  for (const result of results) {
    const cells = [
      result.database,
      mib(result.rssBeforeMiB),
      mib(result.rssAfterMiB),
      mib(result.rssPeakMiB),
      mib(result.heapUsedAfterMiB),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const loads = [loadavg()[0].toFixed(2)];
const results: DatabaseResult[] = [];
for (const database of databases) {
  results.push(await benchDatabase(database));
  loads.push(loadavg()[0].toFixed(2));
}
process.stdout.write(`${report(results, loads)}\n`);
