import { nameSortKey } from '../common/collation-key';
import type { SqlValue } from './sql';

/** Where the keys are filled: a migration's QueryRunner (adapted) or the app's Sql. */
export interface SortKeyTables {
  all(sql: string, params: SqlValue[]): Promise<object[]>;
  run(sql: string, params: SqlValue[]): Promise<unknown>;
}

const BATCH = 500;

/**
 * Computes `name_sort_key` for the pads and notes that have none: every row, once, when the
 * column is added, and afterwards the rows a pod of the previous release (which does not
 * know the column) wrote during a rolling update. Returns how many rows it filled.
 */
export async function fillMissingNameSortKeys(tables: SortKeyTables): Promise<number> {
  let filled = 0;
  for (const table of ['pads', 'notes']) {
    for (;;) {
      const rows = (await tables.all(
        `SELECT id, name FROM ${table} WHERE name_sort_key = ? LIMIT ${BATCH}`,
        [Buffer.alloc(0)],
      )) as { id: number; name: string }[];
      for (const row of rows) {
        await tables.run(`UPDATE ${table} SET name_sort_key = ? WHERE id = ?`, [
          nameSortKey(row.name),
          row.id,
        ]);
      }
      filled += rows.length;
      if (rows.length < BATCH) break;
    }
  }
  return filled;
}
