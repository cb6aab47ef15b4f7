import type { ColumnOptions } from 'typeorm';

/**
 * Timestamps are written by the app (UTC, millisecond precision) rather than by database
 * defaults, so SQLite and MySQL store exactly the same values.
 */
export function dateColumn(name: string): ColumnOptions {
  return { name, type: 'datetime', precision: 3 };
}
