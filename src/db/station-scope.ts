import { and, eq } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { AppError } from "../errors";
import type { Executor } from "./client";

/** A table of rows that belong to one station. */
type StationTable = PgTable & { id: PgColumn; stationId: PgColumn };

/**
 * "This station's X, or 404", for one kind of row: another station's row is answered exactly like an id that
 * does not exist, so a caller learns nothing about other stations. `forUpdate` locks the row for a change
 * made in the same transaction.
 */
export function stationLookup<T extends StationTable>(table: T, notFound: string) {
  return async (
    executor: Executor,
    scope: { stationId: string },
    id: string,
    options: { forUpdate?: boolean } = {},
  ): Promise<T["$inferSelect"]> => {
    const query = executor
      .select()
      .from(table as PgTable)
      .where(and(eq(table.id, id), eq(table.stationId, scope.stationId)));
    const [row] = options.forUpdate ? await query.for("update") : await query;
    if (!row) throw new AppError("NOT_FOUND", notFound);
    return row as T["$inferSelect"];
  };
}
