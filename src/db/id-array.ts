import { type SQL, sql } from "drizzle-orm";

/**
 * The ids a batch statement touches, as an array the planner sees when it plans: `id = any(idArray(ids))` is
 * estimated at its real length and goes by the primary key. A batch joined only to a jsonb recordset is
 * estimated at 100 rows, so the planner hashed the recordset and scanned the table whole for every batch
 * until the table passed some tens of thousands of rows: sms_messages on every claim and submit, alerts on
 * every push (bench:intake, issue 19). Ids never contain a comma; cast the array for other key types
 * (`::bigint[]`).
 *
 * `af_ids` (migration 0024) splits the list. Its cost keeps PostgreSQL from ever keeping one plan for a
 * statement that uses it: that statement is planned for its ids on every run, while it stays a named statement
 * (./named-statements.ts), parsed once.
 */
export const idArray = (ids: readonly string[]): SQL => sql`af_ids(${ids.join(",")})`;

/**
 * The ids as one comma-separated text parameter, as the functions that keep their plans take a list
 * (af_claim_jobs, af_claim_sms; they split it with string_to_array): one parameter for any count.
 */
export const idList = (ids: readonly string[]): SQL => sql`${ids.join(",")}::text`;

/**
 * An array parameter as one literal (`${arrayLiteral(ids)}::text[]`, `::bigint[]`): one parameter for any
 * count, in order, repeats kept (unnest pairs two arrays by position). Only for values that need no quoting
 * inside it, ids, keyed hashes, waybill numbers and integers ([A-Za-z0-9_-]); anything else is refused
 * rather than quoted.
 */
export function arrayLiteral(values: readonly (string | bigint)[]): string {
  for (const v of values) {
    if (!/^[A-Za-z0-9_-]+$/.test(String(v))) throw new Error("unexpected character in an array parameter");
  }
  return `{${values.join(",")}}`;
}
