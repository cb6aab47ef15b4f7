#!/usr/bin/env node
// The one entry point: `node dist/cli.js <serve|maintenance|migrate|wipe|seed|export|import>`.
// Kubernetes Jobs run these, so each exits 0 only on success and explains a failure in one
// line on stderr (exit 2: what the invocation got wrong, see cli-errors.ts; 1: the rest).
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { UsageError } from './cli-errors';
import { ConfigError, loadConfig, type AppConfig } from './config/config';
import { connect, describeDatabase, migrationStatus, wipe } from './database/data-source';
import { backupFileName, labelPattern, pruneBackups } from './database/portable/backups';
import {
  exportDatabase,
  NothingToExportError,
  type ExportSummary,
} from './database/portable/export';
import { CorruptExportError } from './database/portable/format';
import { importDatabase } from './database/portable/import';
import { seed, type SeedOptions } from './database/seed';
import { createLogger } from './logging';
import { formatBytes, formatCount, Progress } from './progress';
import {
  exportMessage,
  schemaVersionMessage,
  writeTerminationMessage,
} from './termination-message';

const USAGE = `usage: notejam <command>
  serve                    start the web server on PORT
  maintenance              answer every page with 503 and Retry-After while the database is
                           recreated (probes on MANAGEMENT_PORT stay up); needs no database
  migrate [--status]       apply pending migrations (--status: list them; exit 1 when some are pending)
  wipe --yes               delete all data and recreate the empty schema
  seed --users N --pads-per-user M --notes-per-pad K [--seed S]
                           create deterministic demo data (idempotent)
  export FILE              write every table, from one consistent snapshot, to FILE (gzipped
                           JSON lines; - for stdout); never overwrites; progress on stderr
  import FILE              load an export (- for stdin) into an empty database and migrate it
                           to this release's schema; refuses a newer schema or a damaged file
  backup DIR [--keep N] [--label L]
                           export into DIR/notejam-<UTC time>[-L].ndjson.gz, then delete all
                           but the N newest backups there (default: keep all)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      parseArgs({ args: rest, options: {} });
      // Loaded only here: the other commands start faster without Nest and the web stack.
      return (await import('./serve.js')).serve(config, createLogger(config.logLevel));
    case 'maintenance':
      parseArgs({ args: rest, options: {} });
      return (await import('./maintenance.js')).serveMaintenance(
        config,
        createLogger(config.logLevel),
      );
    case 'migrate':
      return migrate(
        config,
        parseArgs({ args: rest, options: { status: { type: 'boolean' } } }).values.status === true,
      );
    case 'wipe':
      return wipeCommand(
        config,
        parseArgs({ args: rest, options: { yes: { type: 'boolean' } } }).values.yes === true,
      );
    case 'seed':
      return seedCommand(config, rest);
    case 'export':
      return exportCommand(config, fileArgument('export', 'write', rest));
    case 'import':
      return importCommand(config, fileArgument('import', 'read', rest));
    case 'backup':
      return backupCommand(config, rest);
    default:
      throw new UsageError(
        `unknown command "${command}" (commands: serve, maintenance, migrate, wipe, seed, export, import, backup; see --help)`,
      );
  }
}

async function migrate(config: AppConfig, statusOnly: boolean): Promise<number> {
  const dataSource = await connect(config.database);
  try {
    if (statusOnly) {
      const { applied, pending } = await migrationStatus(dataSource);
      for (const name of applied) process.stdout.write(`applied  ${name}\n`);
      for (const name of pending) process.stdout.write(`pending  ${name}\n`);
      process.stdout.write(
        pending.length === 0
          ? 'schema is up to date\n'
          : `${pending.length} migration(s) pending\n`,
      );
      return pending.length === 0 ? 0 : 1;
    }
    const ran = await dataSource.runMigrations();
    process.stdout.write(
      ran.length === 0
        ? `schema is up to date (${describeDatabase(config.database)})\n`
        : `applied ${ran.length} migration(s): ${ran.map((m) => m.name).join(', ')}\n`,
    );
    await reportSchemaVersion(config, dataSource);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

async function wipeCommand(config: AppConfig, confirmed: boolean): Promise<number> {
  if (!confirmed) {
    throw new UsageError(
      `wipe deletes every user, pad, note and session in the ${describeDatabase(config.database)}; run "wipe --yes" to do it`,
    );
  }
  const dataSource = await connect(config.database);
  try {
    await wipe(dataSource);
    process.stdout.write(
      `wiped the ${describeDatabase(config.database)} and recreated the empty schema\n`,
    );
    await reportSchemaVersion(config, dataSource);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

/** Leaves the newest applied migration's name for the operator (`status.schemaVersion`). */
async function reportSchemaVersion(config: AppConfig, dataSource: DataSource): Promise<void> {
  const newest = (await migrationStatus(dataSource)).applied.at(-1);
  if (newest !== undefined)
    writeTerminationMessage(config.terminationMessagePath, schemaVersionMessage(newest));
}

function count(
  values: Record<string, string | boolean | undefined>,
  name: string,
  required: boolean,
  fallback = 0,
): number {
  const value = values[name];
  if (value === undefined) {
    if (required) throw new UsageError(`seed needs --${name} N`);
    return fallback;
  }
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) > 1_000_000) {
    throw new UsageError(
      `--${name} must be a whole number from 0 to 1000000 (got "${String(value)}")`,
    );
  }
  return Number(value);
}

async function seedCommand(config: AppConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      users: { type: 'string' },
      'pads-per-user': { type: 'string' },
      'notes-per-pad': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const options: SeedOptions = {
    users: count(values, 'users', true),
    padsPerUser: count(values, 'pads-per-user', true),
    notesPerPad: count(values, 'notes-per-pad', true),
    seed: count(values, 'seed', false, 1),
  };
  const dataSource = await connect(config.database);
  try {
    const { pending } = await migrationStatus(dataSource);
    if (pending.length > 0)
      throw new UsageError(
        `the schema is not up to date (run "migrate" first): ${pending.join(', ')}`,
      );
    const report = await seed(dataSource, options);
    process.stdout.write(`${report}\n`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

function fileArgument(command: string, verb: string, args: string[]): string {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  if (positionals.length !== 1 || positionals[0] === '')
    throw new UsageError(
      `${command} needs one file to ${verb} (- for standard ${verb === 'write' ? 'output' : 'input'})`,
    );
  return positionals[0]!;
}

function progressOnStderr(label: string) {
  return (total: number) =>
    new Progress({ label, total, write: (line) => process.stderr.write(`${line}\n`) });
}

function describeRows(tables: { name: string; rows: number }[]): string {
  const total = tables.reduce((sum, table) => sum + table.rows, 0);
  const each = tables.map((table) => `${table.name} ${formatCount(table.rows)}`).join(', ');
  return `${formatCount(total)} rows (${each})`;
}

/**
 * Writes `FILE.partial` and renames it once complete and flushed to disk, so a file with the
 * final name is always a whole export; a failed export leaves nothing behind.
 */
async function exportCommand(config: AppConfig, file: string): Promise<number> {
  const toStdout = file === '-';
  const target = path.resolve(file);
  if (!toStdout) {
    if (fs.existsSync(target))
      throw new UsageError(`${file} exists already: export never overwrites a file`);
    if (!fs.existsSync(path.dirname(target)))
      throw new UsageError(`the directory of ${file} does not exist`);
  }
  const started = Date.now();
  const dataSource = await connect(config.database);
  const partial = `${target}.partial`;
  let summary: ExportSummary;
  try {
    summary = await exportDatabase(
      dataSource,
      toStdout ? process.stdout : fs.createWriteStream(partial, { flush: true }),
      { endOutput: !toStdout, progress: progressOnStderr('export') },
    );
    if (!toStdout) fs.renameSync(partial, target);
  } catch (error) {
    if (!toStdout) fs.rmSync(partial, { force: true });
    throw error;
  } finally {
    await dataSource.destroy();
  }
  const { header, rows, bytes } = summary;
  const report =
    `exported ${describeRows(header.tables)} at schema version ${header.schemaVersion} ` +
    `from the ${describeDatabase(config.database)} to ${toStdout ? 'standard output' : file} ` +
    `(${formatBytes(bytes)}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`;
  (toStdout ? process.stderr : process.stdout).write(report);
  writeTerminationMessage(
    config.terminationMessagePath,
    exportMessage({ schemaVersion: header.schemaVersion, file: path.basename(file), bytes, rows }),
  );
  return 0;
}

async function backupCommand(config: AppConfig, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { keep: { type: 'string' }, label: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('backup needs the directory to write to');
  const directory = positionals[0]!;
  if (!fs.existsSync(directory) || !fs.statSync(directory).isDirectory())
    throw new UsageError(`${directory} is not a directory`);
  const keep = values.keep === undefined ? undefined : count(values, 'keep', true);
  if (keep === 0) throw new UsageError('--keep must be at least 1 (the backup just taken)');
  if (values.label !== undefined && !labelPattern.test(values.label))
    throw new UsageError(
      `--label must be up to 63 lower-case letters, digits and '-' (got "${values.label}")`,
    );
  const name = backupFileName(new Date(), values.label);
  try {
    await exportCommand(config, path.join(directory, name));
  } catch (error) {
    // A database no release has migrated yet (an instance's first deployment) holds no
    // Notejam data: nothing to lose, so nothing to back up, and no reason to stop.
    if (!(error instanceof NothingToExportError)) throw error;
    process.stdout.write(`nothing to back up: ${error.message}\n`);
    return 0;
  }
  if (keep !== undefined) {
    const deleted = pruneBackups(directory, keep, name);
    process.stdout.write(
      deleted.length === 0
        ? `kept every backup in ${directory} (at most ${keep})\n`
        : `deleted ${deleted.length} old backup(s) beyond the newest ${keep}: ${deleted.join(', ')}\n`,
    );
  }
  return 0;
}

async function importCommand(config: AppConfig, file: string): Promise<number> {
  const fromStdin = file === '-';
  if (!fromStdin && !fs.existsSync(file)) throw new UsageError(`${file} does not exist`);
  const started = Date.now();
  try {
    const { header, schemaVersion } = await importDatabase(
      config.database,
      fromStdin ? process.stdin : fs.createReadStream(file),
      { progress: progressOnStderr('import') },
    );
    const migrated =
      schemaVersion === header.schemaVersion ? '' : `, then migrated to ${schemaVersion}`;
    process.stdout.write(
      `imported ${describeRows(header.tables)} of schema version ${header.schemaVersion} ` +
        `(exported from ${header.source} at ${header.exportedAt}) into the ` +
        `${describeDatabase(config.database)}${migrated} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    writeTerminationMessage(config.terminationMessagePath, schemaVersionMessage(schemaVersion));
    return 0;
  } catch (error) {
    const source = fromStdin ? 'standard input' : file;
    if (error instanceof CorruptExportError)
      throw new Error(
        `cannot import ${source}: the file is damaged or not a Notejam export: ${error.message}; nothing was imported`,
        { cause: error },
      );
    if (error instanceof UsageError) throw error;
    throw new Error(`cannot import ${source}: ${describeFailure(error)}`, { cause: error });
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // serve keeps running; the other commands end here.
      if (code !== -1) process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`notejam: ${describeFailure(error)}\n`);
      const badArguments =
        (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS') === true;
      process.exitCode =
        error instanceof UsageError || error instanceof ConfigError || badArguments ? 2 : 1;
    },
  );
}
