// `import`: loads an export (format.ts) into an empty database. The file's rows go into the
// schema they were written from: the database is first brought to the file's schema
// version (it is empty, so undoing newer migrations loses nothing), loaded in one
// transaction, then migrated to this release's newest version, exactly as a live database
// of that version would be. A damaged file or a failed load rolls the transaction back:
// the database is left empty, with this release's schema.
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { DataSource, QueryRunner } from 'typeorm';
import type { DatabaseConfig } from '../../config/config';
import { UsageError } from '../../cli-errors';
import type { Progress } from '../../progress';
import { appliedMigrations, connect, migrationNames } from '../data-source';
import { MIGRATIONS } from '../migrations';
import {
  CorruptExportError,
  decodeValue,
  FORMAT_VERSION,
  isEndLine,
  parseHeader,
  type ExportHeader,
  type TableHeader,
} from './format';
import { readLines } from './lines';
import { engineOf, quoteIdentifier, readTableShapes, type DatabaseEngine } from './tables';

/** The file or the database is not one import may load: nothing was changed. */
export class ImportRefusedError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'ImportRefusedError';
  }
}

export interface ImportSummary {
  header: ExportHeader;
  rows: number;
  /** The schema version after the import (this release's newest). */
  schemaVersion: string;
}

/** A note's text is at most 100,000 characters: no row of a sound file comes near this. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const BATCH_ROWS = 500;
const BATCH_BYTES = 4 * 1024 * 1024;

/** gzip's own errors (bad magic, checksum, truncation) mean a damaged file. */
async function* decompressed(input: Readable): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  try {
    yield* gunzip as AsyncIterable<Buffer>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw new CorruptExportError(`damaged gzip data (${(error as Error).message})`);
    throw error;
  } finally {
    input.unpipe(gunzip);
    input.destroy();
  }
}

function checkCompatible(header: ExportHeader, known: string[]): number {
  if (header.formatVersion > FORMAT_VERSION)
    throw new ImportRefusedError(
      `the file has export format ${header.formatVersion}, newer than this release reads (${FORMAT_VERSION}): import it with a newer Notejam`,
    );
  const index = known.indexOf(header.schemaVersion);
  if (index === -1)
    throw new ImportRefusedError(
      `the file is from schema version ${header.schemaVersion}, which this release does not know (its newest is ${known.at(-1)}): import it with the release that wrote it or a newer one`,
    );
  const history = known.slice(0, index + 1);
  if (header.migrations.join() !== history.join())
    throw new ImportRefusedError(
      `the file's migration history (${header.migrations.join(', ')}) differs from this release's (${history.join(', ')})`,
    );
  return index;
}

async function refuseUnlessEmpty(runner: QueryRunner, known: string[]): Promise<void> {
  const applied = await appliedMigrations(runner);
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new ImportRefusedError(
      `the database has migrations this release does not know (${unknown.join(', ')}): use the release that applied them`,
    );
  const engine = engineOf(runner);
  const filled: string[] = [];
  for (const table of await readTableShapes(runner)) {
    const [{ n }] = (await runner.query(
      `SELECT COUNT(*) AS n FROM ${quoteIdentifier(engine, table.name)}`,
    )) as [{ n: number | string }];
    if (Number(n) > 0) filled.push(`${table.name}: ${Number(n)} rows`);
  }
  if (filled.length > 0)
    throw new ImportRefusedError(
      `the database is not empty (${filled.join(', ')}): import loads only into an empty database (run "wipe --yes" first)`,
    );
}

/** Undoes (the database is empty) or applies migrations until `target` is the newest applied. */
async function moveSchemaTo(
  config: DatabaseConfig,
  dataSource: DataSource,
  target: number,
): Promise<void> {
  const runner = dataSource.createQueryRunner();
  let applied: string[];
  try {
    applied = await appliedMigrations(runner);
  } finally {
    await runner.release();
  }
  for (let newest = applied.length - 1; newest > target; newest--) {
    await dataSource.undoLastMigration({ transaction: 'each' });
  }
  if (applied.length - 1 < target) {
    const older = await connect(config, MIGRATIONS.slice(0, target + 1));
    try {
      await older.runMigrations();
    } finally {
      await older.destroy();
    }
  }
}

async function checkTablesMatch(runner: QueryRunner, header: ExportHeader): Promise<void> {
  const describe = (tables: { name: string; columns: { name: string; kind: string }[] }[]) =>
    tables
      .map((t) => `${t.name}(${t.columns.map((c) => `${c.name} ${c.kind}`).join(', ')})`)
      .sort();
  const expected = describe(await readTableShapes(runner));
  const found = describe(header.tables);
  if (expected.join() !== found.join())
    throw new CorruptExportError(
      `its tables do not match schema version ${header.schemaVersion}: the file has ${found.join(' ')}, the schema has ${expected.join(' ')}`,
    );
}

class TableLoader {
  private rows: (number | string | Buffer | null)[][] = [];
  private bytes = 0;
  private readonly insert: (count: number) => string;

  constructor(
    private readonly runner: QueryRunner,
    engine: DatabaseEngine,
    private readonly table: TableHeader,
  ) {
    const q = (name: string) => quoteIdentifier(engine, name);
    const tuple = `(${table.columns.map(() => '?').join(', ')})`;
    const prefix = `INSERT INTO ${q(table.name)} (${table.columns.map((c) => q(c.name)).join(', ')}) VALUES `;
    this.insert = (count) => prefix + Array.from({ length: count }, () => tuple).join(', ');
  }

  async add(line: string, lineNumber: number): Promise<void> {
    const where = `line ${lineNumber} (table ${this.table.name})`;
    let values: unknown;
    try {
      values = JSON.parse(line);
    } catch {
      throw new CorruptExportError(`${where} is not JSON`);
    }
    if (!Array.isArray(values) || values.length !== this.table.columns.length)
      throw new CorruptExportError(`${where} is not a row of ${this.table.columns.length} values`);
    this.rows.push(
      this.table.columns.map((column, index) =>
        decodeValue(column.kind, values[index], `${where}, column ${column.name}`),
      ),
    );
    this.bytes += line.length;
    if (this.rows.length >= BATCH_ROWS || this.bytes >= BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    this.bytes = 0;
    await this.runner.query(this.insert(rows.length), rows.flat());
  }
}

async function loadRows(
  runner: QueryRunner,
  header: ExportHeader,
  lines: AsyncGenerator<string>,
  progress: Progress | undefined,
): Promise<number> {
  const engine = engineOf(runner);
  let lineNumber = 1;
  let total = 0;
  const next = async (what: string): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new CorruptExportError(`it ends before ${what} (cut short?)`);
    lineNumber++;
    return value;
  };
  for (const table of header.tables) {
    const loader = new TableLoader(runner, engine, table);
    for (let row = 1; row <= table.rows; row++) {
      await loader.add(
        await next(`row ${row} of ${table.rows} of table ${table.name}`),
        lineNumber,
      );
      progress?.advance(1);
    }
    await loader.flush();
    total += table.rows;
  }
  const endLine = await next('its end line');
  let end: unknown;
  try {
    end = JSON.parse(endLine);
  } catch {
    end = undefined;
  }
  if (!isEndLine(end) || end.rows !== total)
    throw new CorruptExportError(
      `line ${lineNumber} should end the file after ${total} rows, but it is ${endLine.slice(0, 80)}`,
    );
  if (!(await lines.next()).done)
    throw new CorruptExportError(`there is more after the end line (line ${lineNumber + 1})`);
  return total;
}

/**
 * Loads the export read from `input` (gzip bytes) into the database of `config`. The header
 * is checked before the database is opened; refusals throw ImportRefusedError, damage a
 * CorruptExportError, with nothing loaded.
 */
export async function importDatabase(
  config: DatabaseConfig,
  input: Readable,
  options: { progress?: (total: number) => Progress } = {},
): Promise<ImportSummary> {
  const lines = readLines(decompressed(input), MAX_LINE_BYTES);
  try {
    const first = await lines.next();
    const header = parseHeader(first.done ? undefined : first.value);
    const known = migrationNames();
    const target = checkCompatible(header, known);

    const dataSource = await connect(config);
    try {
      const check = dataSource.createQueryRunner();
      try {
        await refuseUnlessEmpty(check, known);
      } finally {
        await check.release();
      }
      await moveSchemaTo(config, dataSource, target);
      const total = header.tables.reduce((sum, table) => sum + table.rows, 0);
      const progress = options.progress?.(total);
      const runner = dataSource.createQueryRunner();
      try {
        await checkTablesMatch(runner, header);
        await runner.startTransaction();
        await loadRows(runner, header, lines, progress);
        await runner.commitTransaction();
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        // Left empty, with the schema a fresh `migrate` gives (this release's newest).
        await dataSource.runMigrations();
        throw error;
      } finally {
        await runner.release();
      }
      try {
        await dataSource.runMigrations();
      } catch (error) {
        throw new Error(
          `loaded every row at schema version ${header.schemaVersion}, but migrating on from there failed (run "migrate" to finish): ${(error as Error).message}`,
          { cause: error },
        );
      }
      return { header, rows: total, schemaVersion: known.at(-1)! };
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lines.return(undefined);
  }
}
