// `export`: every table from one consistent snapshot into the file described in format.ts,
// streamed: rows are read one at a time (MySQL: a streamed query; SQLite: a statement
// iterator) and written as the gzip stream drains, so memory does not grow with the data.
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { DataSource, QueryRunner } from 'typeorm';
import type { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver.js';
import { UsageError } from '../../cli-errors';
import type { Progress } from '../../progress';
import { appliedMigrations } from '../data-source';
import { encodeValue, FORMAT, FORMAT_VERSION, type ExportHeader, type TableHeader } from './format';
import {
  engineOf,
  MIGRATIONS_TABLE,
  quoteIdentifier,
  readTableShapes,
  type DatabaseEngine,
  type TableShape,
} from './tables';

export interface ExportSummary {
  header: ExportHeader;
  rows: number;
  /** Bytes written (compressed). */
  bytes: number;
}

/** Lines are handed to gzip in chunks of about this size. */
const CHUNK_BYTES = 64 * 1024;

/** An export needs a schema: refused like a bad argument (the caller runs migrate first). */
export class NothingToExportError extends UsageError {}

async function beginSnapshot(runner: QueryRunner, engine: DatabaseEngine): Promise<void> {
  if (engine === 'mysql') {
    // InnoDB: every read of this transaction sees the data as of its start.
    await runner.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await runner.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  } else {
    // SQLite (WAL): the snapshot is taken by the first read and kept until COMMIT, while
    // writers of other connections carry on.
    await runner.query('BEGIN');
  }
}

/** Rows of one table in primary-key order, one at a time. */
async function* tableRows(
  dataSource: DataSource,
  runner: QueryRunner,
  engine: DatabaseEngine,
  table: TableShape,
): AsyncGenerator<Record<string, unknown>> {
  const q = (name: string) => quoteIdentifier(engine, name);
  const sql =
    `SELECT ${table.columns.map((c) => q(c.name)).join(', ')} FROM ${q(table.name)} ` +
    `ORDER BY ${q(table.primaryKey)}`;
  if (engine === 'mysql') {
    const stream = (await runner.stream(sql)) as unknown as AsyncIterable<Record<string, unknown>>;
    yield* stream;
    return;
  }
  // TypeORM's SQLite runner reads whole results; the driver's own iterator reads a row at a
  // time on the same connection, inside the transaction begun above.
  const database = (dataSource.driver as BetterSqlite3Driver).databaseConnection as {
    prepare(sql: string): { iterate(): IterableIterator<Record<string, unknown>> };
  };
  yield* database.prepare(sql).iterate();
}

async function* exportLines(
  dataSource: DataSource,
  runner: QueryRunner,
  header: ExportHeader,
  shapes: TableShape[],
  progress: Progress | undefined,
): AsyncGenerator<string> {
  const engine = engineOf(runner);
  yield `${JSON.stringify(header)}\n`;
  let rows = 0;
  let chunk = '';
  for (const [index, table] of shapes.entries()) {
    const expected = header.tables[index]!.rows;
    let tableRowsRead = 0;
    for await (const row of tableRows(dataSource, runner, engine, table)) {
      let values;
      try {
        values = table.columns.map((column) => {
          try {
            return encodeValue(column.kind, row[column.name]);
          } catch (error) {
            throw new Error(`column ${column.name}: ${(error as Error).message}`, { cause: error });
          }
        });
      } catch (error) {
        throw new Error(
          `cannot export row ${String(row[table.primaryKey])} of table ${table.name}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      chunk += `${JSON.stringify(values)}\n`;
      tableRowsRead++;
      if (chunk.length >= CHUNK_BYTES) {
        yield chunk;
        chunk = '';
      }
      progress?.advance(1);
    }
    if (tableRowsRead !== expected)
      throw new Error(
        `table ${table.name} gave ${tableRowsRead} rows but counted ${expected} in the same snapshot`,
      );
    rows += tableRowsRead;
  }
  yield `${chunk}${JSON.stringify({ end: FORMAT, rows })}\n`;
}

/**
 * Writes the export to `output` (ended afterwards unless `endOutput` is false, e.g. for
 * stdout). Fails when the database has no Notejam schema yet.
 */
export async function exportDatabase(
  dataSource: DataSource,
  output: Writable,
  options: { progress?: (total: number) => Progress; endOutput?: boolean; now?: Date } = {},
): Promise<ExportSummary> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const engine = engineOf(runner);
  let open = false;
  try {
    await beginSnapshot(runner, engine);
    open = true;
    if (!(await runner.hasTable(MIGRATIONS_TABLE)))
      throw new NothingToExportError(
        'the database has no Notejam schema yet (run "migrate" first): nothing to export',
      );
    const migrations = await appliedMigrations(runner);
    const schemaVersion = migrations.at(-1);
    if (schemaVersion === undefined)
      throw new NothingToExportError(
        'the database has no migration applied (run "migrate" first): nothing to export',
      );
    const shapes = await readTableShapes(runner);
    const tables: TableHeader[] = [];
    for (const table of shapes) {
      const [{ n }] = (await runner.query(
        `SELECT COUNT(*) AS n FROM ${quoteIdentifier(engine, table.name)}`,
      )) as [{ n: number | string }];
      tables.push({ name: table.name, columns: table.columns, rows: Number(n) });
    }
    const header: ExportHeader = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      schemaVersion,
      migrations,
      exportedAt: (options.now ?? new Date()).toISOString(),
      source: engine,
      tables,
    };
    const total = tables.reduce((sum, table) => sum + table.rows, 0);
    const progress = options.progress?.(total);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.from(exportLines(dataSource, runner, header, shapes, progress)),
      createGzip(),
      counter,
      output,
      { end: options.endOutput ?? true },
    );
    return { header, rows: total, bytes };
  } finally {
    if (open) await runner.query('ROLLBACK').catch(() => undefined); // read-only either way
    await runner.release();
  }
}
