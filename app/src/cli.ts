#!/usr/bin/env node
// The one entry point: `node dist/cli.js <serve|migrate|wipe|seed>`. Kubernetes Jobs run these,
// so each exits 0 only on success and explains a failure in one line on stderr.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig, type AppConfig } from './config/config';
import { connect, describeDatabase, migrationStatus, wipe } from './database/data-source';
import { seed, type SeedOptions } from './database/seed';
import { createLogger } from './logging';
import { schemaVersionMessage, writeTerminationMessage } from './termination-message';

const USAGE = `usage: notejam <command>
  serve                    start the web server on PORT
  migrate [--status]       apply pending migrations (--status: list them; exit 1 when some are pending)
  wipe --yes               delete all data and recreate the empty schema
  seed --users N --pads-per-user M --notes-per-pad K [--seed S]
                           create deterministic demo data (idempotent)`;

export class UsageError extends Error {}

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
    default:
      throw new UsageError(
        `unknown command "${command}" (commands: serve, migrate, wipe, seed; see --help)`,
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
