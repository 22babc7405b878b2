import { type SQL, sql } from "drizzle-orm";

/**
 * Rows for an INSERT ... SELECT, as one jsonb parameter expanded by jsonb_to_recordset with the given column
 * definitions (snake_case keys). Column types and constraints are the table's; this only carries the values.
 * One statement text for every batch size, and none of the per-value work a VALUES list of many rows costs
 * the query builder and the driver (at hundreds of rows a second, drizzle's building of VALUES lists was a
 * tenth of the process's CPU in bench:intake).
 */
export function jsonRows(rows: Record<string, unknown>[], columns: SQL): SQL {
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(${columns})`;
}
