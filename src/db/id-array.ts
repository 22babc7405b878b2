import { type SQL, sql } from "drizzle-orm";

/**
 * The ids a batch statement touches, as an array the planner sees when it plans: `id = any(idArray(ids))` is
 * estimated at its real length and goes by the primary key. A batch joined only to a jsonb recordset is
 * estimated at 100 rows, so the planner hashed the recordset and scanned the table whole for every batch
 * until the table passed some tens of thousands of rows: sms_messages on every claim and submit, alerts on
 * every push (bench:intake, issue 19). Ids never contain a comma; cast the array for other key types
 * (`::bigint[]`).
 *
 * Only a plan made for the statement's values sees the array: a statement using idArray is never kept
 * prepared (./named-statements.ts): a plan PostgreSQL keeps for any values cannot see the ids, and hashed
 * whole tables (in bench:sms the submit write took 4.9 ms a batch instead of 1.0, the SMS claim 8.5 instead
 * of 2.0).
 */
export const idArray = (ids: readonly string[]): SQL => sql`string_to_array(${ids.join(",")}, ',')`;

/** Whether a statement's text holds an idArray, and so must be planned for its values on every run. */
export const usesIdArray = (query: string): boolean => query.includes("string_to_array(");
