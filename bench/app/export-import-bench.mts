// Export/import benchmark (run by hand: `make bench-export`; results in docs/benchmarks.md,
// section "Export and import"). For each size in BENCH_NOTES (default 100000,1000000):
//   1. a fresh SQLite file is migrated and seeded (100 users x 10 pads x N/1000 notes);
//   2. export SQLite -> file A;
//   3. import A into a fresh MariaDB database (of TEST_MYSQL_URL);
//   4. export MariaDB -> file B;
//   5. import B into a fresh SQLite file;
// then the rows of A and B are compared line by line (they must be identical). Each step
// runs the built CLI (`app/dist/cli.js`) as a child process, as a Job would; measured per
// step: wall time, rows per second, file size, CPU time, the process's peak RSS
// (`process.resourceUsage().maxRSS`) and its largest live JS heap (heap used plus external
// memory right after a full GC, taken every 2 s): what the process holds on to, as opposed
// to what the allocators keep around. A preloaded script (run with --expose-gc) measures.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import mysql from 'mysql2/promise';

const repoRoot = join(import.meta.dirname, '..', '..');
const cli = resolve(join(repoRoot, 'app', 'dist', 'cli.js'));
const sizes = (process.env.BENCH_NOTES ?? '100000,1000000').split(',').map(Number);
const mysqlServer = new URL(process.env.TEST_MYSQL_URL ?? 'mysql://notejam:notejam@127.0.0.1:3306');
const databaseName = 'notejam_bench_export';
const users = 100;
const padsPerUser = 10;

for (const size of sizes)
  if (!Number.isInteger(size) || size < 1000 || size % 1000 !== 0)
    throw new Error('BENCH_NOTES must be multiples of 1000, e.g. 100000,1000000');

const work = mkdtempSync(join(tmpdir(), 'notejam-export-bench-'));
const preload = join(work, 'report-usage.cjs');
writeFileSync(
  preload,
  `let liveMax = 0;
const sample = () => { global.gc(); const m = process.memoryUsage(); liveMax = Math.max(liveMax, m.heapUsed + m.external); };
setInterval(sample, 2000).unref();
process.on('exit', () => { sample(); require('node:fs').writeFileSync(process.env.BENCH_USAGE_FILE,
  JSON.stringify({ ...process.resourceUsage(), liveMax })); });\n`,
);

interface Usage {
  seconds: number;
  maxRssMiB: number;
  liveHeapMiB: number;
  cpuSeconds: number;
}

/** Runs the CLI with the environment of one database; fails with its stderr. */
async function runCli(args: string[], env: Record<string, string>): Promise<Usage> {
  const usageFile = join(work, 'usage.json');
  rmSync(usageFile, { force: true });
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--expose-gc', '--require', preload, cli, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      SESSION_SECRET: 'bench-session-secret-that-is-long-enough-0123456789',
      TERMINATION_MESSAGE_PATH: join(work, 'no-such-dir', 'termination-log'),
      BENCH_USAGE_FILE: usageFile,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stderr.write(`    ${chunk.toString().trimEnd().replaceAll('\n', '\n    ')}\n`);
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`notejam ${args.join(' ')} exited ${code}:\n${output}`);
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as NodeJS.ResourceUsage & {
    liveMax: number;
  };
  return {
    seconds,
    maxRssMiB: usage.maxRSS / 1024,
    liveHeapMiB: usage.liveMax / 1024 / 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  };
}

function sqliteEnv(name: string): Record<string, string> {
  return { DB_TYPE: 'sqlite', DB_PATH: join(work, `${name}.sqlite`) };
}

async function freshMysql(): Promise<Record<string, string>> {
  const connection = await mysql.createConnection({
    host: mysqlServer.hostname,
    port: Number(mysqlServer.port || 3306),
    user: decodeURIComponent(mysqlServer.username),
    password: decodeURIComponent(mysqlServer.password),
  });
  await connection.query(`DROP DATABASE IF EXISTS ${databaseName}`);
  await connection.query(
    `CREATE DATABASE ${databaseName} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  await connection.end();
  return {
    DB_TYPE: 'mysql',
    DB_HOST: mysqlServer.hostname,
    DB_PORT: mysqlServer.port || '3306',
    DB_NAME: databaseName,
    DB_USER: decodeURIComponent(mysqlServer.username),
    DB_PASSWORD: decodeURIComponent(mysqlServer.password),
  };
}

/** A hash of the rows of an export (every line but the header, which names its source and time). */
async function rowsHash(file: string): Promise<{ hash: string; lines: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  const input = createInterface({ input: createReadStream(file).pipe(createGunzip()) });
  for await (const line of input) {
    if (lines++ > 0) hash.update(`${line}\n`);
  }
  return { hash: hash.digest('hex'), lines };
}

interface Row {
  notes: number;
  step: string;
  rows: number;
  usage: Usage;
  fileBytes: number;
}

const results: Row[] = [];
const mib = (bytes: number) => bytes / 1024 / 1024;

try {
  for (const notes of sizes) {
    const rows = users + users * padsPerUser + notes;
    console.error(
      `\n${notes.toLocaleString('en-US')} notes (${rows.toLocaleString('en-US')} rows)`,
    );
    const source = sqliteEnv(`source-${notes}`);
    await runCli(['migrate'], source);
    console.error('  seeding SQLite ...');
    const seeded = await runCli(
      [
        'seed',
        '--users',
        String(users),
        '--pads-per-user',
        String(padsPerUser),
        '--notes-per-pad',
        String(notes / users / padsPerUser),
      ],
      source,
    );
    console.error(`  seeded in ${seeded.seconds.toFixed(1)} s`);

    const fileA = join(work, `sqlite-${notes}.ndjson.gz`);
    const fileB = join(work, `mysql-${notes}.ndjson.gz`);
    const step = async (
      name: string,
      args: string[],
      env: Record<string, string>,
      file: string,
    ) => {
      console.error(`  ${name} ...`);
      const usage = await runCli(args, env);
      results.push({ notes, step: name, rows, usage, fileBytes: statSync(file).size });
      console.error(
        `  ${name}: ${usage.seconds.toFixed(1)} s, peak RSS ${usage.maxRssMiB.toFixed(0)} MiB`,
      );
    };
    await step('export SQLite', ['export', fileA], source, fileA);
    const mysqlEnv = await freshMysql();
    await runCli(['migrate'], mysqlEnv);
    await step('import into MariaDB', ['import', fileA], mysqlEnv, fileA);
    await step('export MariaDB', ['export', fileB], mysqlEnv, fileB);
    const target = sqliteEnv(`target-${notes}`);
    await runCli(['migrate'], target);
    await step('import into SQLite', ['import', fileB], target, fileB);

    const [a, b] = await Promise.all([rowsHash(fileA), rowsHash(fileB)]);
    if (a.hash !== b.hash || a.lines !== rows + 2)
      throw new Error(`the round trip changed the rows: ${JSON.stringify({ a, b })}`);
    console.error(`  round trip SQLite -> MariaDB -> SQLite: all ${rows} rows identical`);
    for (const file of [fileA, fileB]) rmSync(file);
    for (const name of [`source-${notes}`, `target-${notes}`])
      rmSync(join(work, `${name}.sqlite`), { force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `\n${new Date().toISOString()}; ${cpus().length} x ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Linux ${release()}, Node.js ${process.versions.node}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
);
console.log(
  '| notes | step | wall time | rows/s | file | CPU time | rows per CPU second | peak RSS | live heap |',
);
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const { notes, step, rows, usage, fileBytes } of results) {
  console.log(
    `| ${notes.toLocaleString('en-US')} | ${step} | ${usage.seconds.toFixed(1)} s | ` +
      `${Math.round(rows / usage.seconds).toLocaleString('en-US')} | ${mib(fileBytes).toFixed(0)} MiB | ` +
      `${usage.cpuSeconds.toFixed(1)} s | ${Math.round(rows / usage.cpuSeconds).toLocaleString('en-US')} | ` +
      `${usage.maxRssMiB.toFixed(0)} MiB | ${usage.liveHeapMiB.toFixed(0)} MiB |`,
  );
}
