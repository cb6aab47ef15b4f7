// The export file: gzip-compressed JSON lines.
//
//   line 1      the header: format, schema version, migration history, and per table its
//               columns and row count
//   then        each table's rows, in the header's table order, one JSON array per row
//               with the values in the header's column order
//   last line   {"end":"notejam-export","rows":<all rows>}
//
// Values are portable between SQLite and MySQL: integers as JSON numbers, text as strings,
// datetimes as ISO 8601 UTC strings with milliseconds, byte strings (sort keys) as base64,
// NULL as null. gzip's checksum
// catches damaged bytes; the row counts and the end line catch a file cut short.
import type { ColumnKind, ColumnShape, DatabaseEngine } from './tables';

export const FORMAT = 'notejam-export';
/** Raised only when a reader of the previous version could not read the new files. */
export const FORMAT_VERSION = 1;

export interface TableHeader {
  name: string;
  columns: ColumnShape[];
  rows: number;
}

export interface ExportHeader {
  format: typeof FORMAT;
  formatVersion: number;
  /** The newest applied migration: the schema the rows fit. */
  schemaVersion: string;
  /** Every applied migration, oldest first (ends with schemaVersion). */
  migrations: string[];
  exportedAt: string;
  source: DatabaseEngine;
  tables: TableHeader[];
}

export interface EndLine {
  end: typeof FORMAT;
  rows: number;
}

/** The file is damaged or not an export: nothing of it may be loaded. */
export class CorruptExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptExportError';
  }
}

const isoDatetime = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$/;
// SQLite has no date type: TypeORM writes "YYYY-MM-DD HH:MM:SS.SSS" (UTC); also accepted are
// the other spellings of its date functions, without seconds, milliseconds or with a T/Z.
const sqliteDatetime = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3})\d*)?)?Z?$/;

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A value as the database driver returned it, in its portable form. */
export function encodeValue(kind: ColumnKind, value: unknown): number | string | null {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'integer': {
      const number = typeof value === 'bigint' ? Number(value) : Number(value);
      if (!Number.isSafeInteger(number)) throw new Error(`${String(value)} is not a safe integer`);
      return number;
    }
    case 'text':
      if (typeof value !== 'string') throw new Error(`expected text, got ${typeof value}`);
      return value;
    case 'datetime': {
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new Error('invalid date');
        return value.toISOString();
      }
      const match = typeof value === 'string' ? sqliteDatetime.exec(value) : null;
      if (!match) throw new Error(`"${String(value)}" is not a date and time`);
      const [, year, month, day, hour, minute, second = '00', millis = '0'] = match;
      return `${year}-${month}-${day}T${hour}:${minute}:${second}.${millis.padEnd(3, '0')}Z`;
    }
    case 'bytes':
      // Both drivers return BLOB and VARBINARY columns as Buffers.
      if (!Buffer.isBuffer(value)) throw new Error(`expected bytes, got ${typeof value}`);
      return value.toString('base64');
  }
}

/**
 * A value of the file as both databases store it: datetimes in TypeORM's UTC spelling
 * ("YYYY-MM-DD HH:MM:SS.SSS"), which SQLite keeps as text and MySQL's DATETIME(3) parses;
 * bytes as a Buffer (a BLOB or VARBINARY parameter for both drivers).
 * Throws a CorruptExportError for a value that does not fit the column.
 */
export function decodeValue(
  kind: ColumnKind,
  value: unknown,
  where: string,
): number | string | Buffer | null {
  if (value === null) return null;
  switch (kind) {
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      break;
    case 'text':
      if (typeof value === 'string') return value;
      break;
    case 'datetime': {
      const match = typeof value === 'string' ? isoDatetime.exec(value) : null;
      if (match) {
        const [, year, month, day, hour, minute, second, millis] = match;
        return `${year}-${month}-${day} ${hour}:${minute}:${second}.${millis}`;
      }
      break;
    }
    case 'bytes':
      if (typeof value === 'string' && base64.test(value)) return Buffer.from(value, 'base64');
      break;
  }
  throw new CorruptExportError(`${where}: ${JSON.stringify(value)} is not a valid ${kind}`);
}

const kinds: readonly ColumnKind[] = ['integer', 'text', 'datetime', 'bytes'];
const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The first line, checked for shape only (what it may be loaded into is the importer's
 * business). A newer format version is reported as such, not as damage.
 */
export function parseHeader(line: string | undefined): ExportHeader {
  let value: unknown;
  try {
    value = line === undefined ? undefined : JSON.parse(line);
  } catch {
    value = undefined;
  }
  if (!isRecord(value) || value.format !== FORMAT)
    throw new CorruptExportError('it does not start with a Notejam export header');
  const header = value;
  const bad = (what: string) => new CorruptExportError(`the header's ${what} is invalid`);
  if (typeof header.formatVersion !== 'number') throw bad('formatVersion');
  if (header.formatVersion > FORMAT_VERSION) {
    return header as unknown as ExportHeader; // the importer refuses it by its version
  }
  if (typeof header.schemaVersion !== 'string' || header.schemaVersion === '')
    throw bad('schemaVersion');
  if (
    !Array.isArray(header.migrations) ||
    !header.migrations.every((name) => typeof name === 'string') ||
    header.migrations.at(-1) !== header.schemaVersion
  )
    throw bad('migration list');
  if (!Array.isArray(header.tables)) throw bad('table list');
  for (const table of header.tables as unknown[]) {
    if (
      !isRecord(table) ||
      typeof table.name !== 'string' ||
      !identifier.test(table.name) ||
      !Number.isSafeInteger(table.rows) ||
      (table.rows as number) < 0 ||
      !Array.isArray(table.columns) ||
      table.columns.length === 0 ||
      !table.columns.every(
        (column: unknown) =>
          isRecord(column) &&
          typeof column.name === 'string' &&
          identifier.test(column.name) &&
          kinds.includes(column.kind as ColumnKind),
      )
    )
      throw bad(`table ${JSON.stringify(isRecord(table) ? table.name : table)}`);
  }
  return header as unknown as ExportHeader;
}

export function isEndLine(value: unknown): value is EndLine {
  return isRecord(value) && value.end === FORMAT && typeof value.rows === 'number';
}
