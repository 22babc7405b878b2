import { type SQL, sql } from "drizzle-orm";

/**
 * The ids a batch statement touches, as an array the planner sees when it plans: `id = any(idArray(ids))` is
 * estimated at its real length and goes by the primary key. A batch joined only to a jsonb recordset is
 * estimated at 100 rows, so the planner hashed the recordset and scanned the table whole for every batch
 * until the table passed some tens of thousands of rows: sms_messages on every claim and submit, alerts on
 * every push (bench:intake, issue 19). Ids never contain a comma.
 */
export const idArray = (ids: readonly string[]): SQL => sql`string_to_array(${ids.join(",")}, ',')`;
