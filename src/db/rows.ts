import { getTableColumns, type Table } from "drizzle-orm";

/**
 * A row of `table` from a raw statement (db.execute), decoded as drizzle decodes its own selects: raw rows
 * carry column names and the driver's values (postgres.js hands timestamps over as text), not the schema's
 * keys and types. For statements drizzle's builders cannot write, such as one with data-modifying CTEs.
 */
export function rowFromDriver<T extends Table>(table: T, raw: Record<string, unknown>): T["$inferSelect"] {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T["$inferSelect"];
}
