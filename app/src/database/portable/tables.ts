// What the database itself says its tables look like. Export and import read the shape from
// the database rather than from the entities, because the operator's backup Job runs the
// new release against a database still at the previous schema version: the file must hold
// the tables as they are, whatever release writes it.
import type { QueryRunner } from 'typeorm';

/** How a column's values travel in the file (see format.ts). */
export type ColumnKind = 'integer' | 'text' | 'datetime' | 'bytes';

export interface ColumnShape {
  name: string;
  kind: ColumnKind;
}

export interface TableShape {
  name: string;
  /** In the table's own column order. */
  columns: ColumnShape[];
  /** The one-column primary key rows are read in the order of. */
  primaryKey: string;
  /** Tables this one has foreign keys to (itself excluded). */
  references: string[];
}

/** TypeORM's migration history: its content is the schema version, never exported as data. */
export const MIGRATIONS_TABLE = 'migrations';

export type DatabaseEngine = 'sqlite' | 'mysql';

export function engineOf(runner: QueryRunner): DatabaseEngine {
  const type = runner.connection.options.type;
  if (type === 'better-sqlite3') return 'sqlite';
  if (type === 'mysql') return 'mysql';
  throw new Error(`export and import do not support database type ${type}`);
}

export function quoteIdentifier(engine: DatabaseEngine, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new Error(`unexpected name "${name}"`);
  return engine === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

/** A declared column type as one of the kinds the file carries, or undefined when unsupported. */
export function columnKind(declaredType: string): ColumnKind | undefined {
  const type = declaredType.toLowerCase();
  if (/^(tiny|small|medium|big)?int(eger)?\b/.test(type)) return 'integer';
  if (/^datetime\b/.test(type)) return 'datetime';
  if (/^(var)?char\b|^(tiny|medium|long)?text\b/.test(type)) return 'text';
  if (/^(var)?binary\b|^blob$/.test(type)) return 'bytes';
  return undefined;
}

interface RawColumn {
  table: string;
  name: string;
  type: string;
  primaryKey: boolean;
}

async function sqliteShape(
  runner: QueryRunner,
): Promise<{ columns: RawColumn[]; references: [string, string][] }> {
  const tables: { name: string }[] = await runner.query(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
  );
  const columns: RawColumn[] = [];
  const references: [string, string][] = [];
  for (const { name: table } of tables) {
    const info: { name: string; type: string; pk: number }[] = await runner.query(
      `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`,
      [table],
    );
    for (const column of info)
      columns.push({ table, name: column.name, type: column.type, primaryKey: column.pk > 0 });
    const keys: { table: string }[] = await runner.query(
      `SELECT "table" FROM pragma_foreign_key_list(?)`,
      [table],
    );
    for (const key of keys) references.push([table, key.table]);
  }
  return { columns, references };
}

async function mysqlShape(
  runner: QueryRunner,
): Promise<{ columns: RawColumn[]; references: [string, string][] }> {
  const columns: { table: string; name: string; type: string; columnKey: string }[] =
    await runner.query(
      `SELECT c.TABLE_NAME AS \`table\`, c.COLUMN_NAME AS name, c.COLUMN_TYPE AS type, c.COLUMN_KEY AS columnKey
         FROM information_schema.COLUMNS c
         JOIN information_schema.TABLES t
           ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
        WHERE c.TABLE_SCHEMA = DATABASE()
        ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
    );
  const references: { table: string; referenced: string }[] = await runner.query(
    `SELECT TABLE_NAME AS \`table\`, REFERENCED_TABLE_NAME AS referenced
       FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL`,
  );
  return {
    columns: columns.map((c) => ({
      table: c.table,
      name: c.name,
      type: c.type,
      primaryKey: c.columnKey === 'PRI',
    })),
    references: references.map((r) => [r.table, r.referenced]),
  };
}

/**
 * Every table of the database except the migration history, parents before children (in
 * the order foreign keys need when loading), ties by name. Fails naming the table when one
 * cannot be exported: no single-column primary key, or a column type the file cannot carry.
 */
export async function readTableShapes(runner: QueryRunner): Promise<TableShape[]> {
  const raw = engineOf(runner) === 'sqlite' ? await sqliteShape(runner) : await mysqlShape(runner);
  const tables = new Map<string, TableShape>();
  const primaryKeys = new Map<string, string[]>();
  for (const column of raw.columns) {
    if (column.table === MIGRATIONS_TABLE) continue;
    const kind = columnKind(column.type);
    if (kind === undefined)
      throw new Error(
        `column ${column.table}.${column.name} has type ${column.type}, which export and import do not support`,
      );
    const table = tables.get(column.table) ?? {
      name: column.table,
      columns: [],
      primaryKey: '',
      references: [],
    };
    table.columns.push({ name: column.name, kind });
    tables.set(column.table, table);
    if (column.primaryKey)
      primaryKeys.set(column.table, [...(primaryKeys.get(column.table) ?? []), column.name]);
  }
  for (const table of tables.values()) {
    const key = primaryKeys.get(table.name) ?? [];
    if (key.length !== 1)
      throw new Error(`table ${table.name} has no single-column primary key to export it by`);
    table.primaryKey = key[0]!;
  }
  for (const [table, referenced] of raw.references) {
    const shape = tables.get(table);
    if (shape && referenced !== table && !shape.references.includes(referenced))
      shape.references.push(referenced);
  }
  return dependencyOrder([...tables.values()]);
}

/** Parents first; a cycle of foreign keys (none in Notejam) is refused rather than guessed. */
export function dependencyOrder(tables: TableShape[]): TableShape[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const ordered: TableShape[] = [];
  const placed = new Set<string>();
  const remaining = [...tables].sort((a, b) => a.name.localeCompare(b.name));
  while (remaining.length > 0) {
    const index = remaining.findIndex((table) =>
      table.references.every((name) => placed.has(name) || !byName.has(name)),
    );
    if (index === -1)
      throw new Error(
        `the foreign keys of ${remaining.map((t) => t.name).join(', ')} form a cycle`,
      );
    const [next] = remaining.splice(index, 1);
    ordered.push(next!);
    placed.add(next!.name);
  }
  return ordered;
}
