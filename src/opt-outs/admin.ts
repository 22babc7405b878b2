import { and, desc, eq, isNull, or, type SQL, sql } from "drizzle-orm";
import { auditLog, optOuts } from "../../schema";
import { assertAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor, isCursorTime } from "../pagination";
import { maskPhone, normalizePhone } from "../privacy/phone";

/**
 * Which opt-outs an admin manages: those recorded at the admin's station, and those no station recorded (a
 * reply our provider forwarded from a number we have no SMS to; rare, and someone must be able to manage it).
 * Every opt-out still applies to every sender: this limits who sees and removes it, not whom it protects.
 */
function managedBy(principal: Principal): SQL {
  return or(eq(optOuts.stationId, principal.stationId), isNull(optOuts.stationId)) as SQL;
}

const requireAdmin = (principal: Principal) => assertAdmin(principal, "opt-outs are managed by admins");

function phoneOrError(input: string): string {
  const phone = normalizePhone(input);
  if (!phone) {
    throw new AppError("VALIDATION_FAILED", "not a valid phone number", [
      { path: "phone", message: "not a valid phone number" },
    ]);
  }
  return phone;
}

/**
 * An admin records an opt-out (a person asked at the counter, by letter). Idempotent: an existing opt-out
 * is kept as it was. Audited in the same transaction.
 */
export async function addOptOut(
  deps: Pick<Deps, "db" | "pii" | "clock">,
  principal: Principal,
  input: { phone: string; reason?: string },
): Promise<{ id: string; to: string; created: boolean }> {
  requireAdmin(principal);
  const phone = phoneOrError(input.phone);
  const hash = deps.pii.hash(phone);
  return deps.db.transaction(async (tx) => {
    const inserted = await tx
      .insert(optOuts)
      .values({
        recipientHash: hash,
        recipientMasked: maskPhone(phone),
        source: "admin",
        createdBy: principal.officerId,
        stationId: principal.stationId,
      })
      .onConflictDoNothing({ target: optOuts.recipientHash })
      .returning({ hash: optOuts.recipientHash });
    await tx.insert(auditLog).values({
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: "sms.opt_out.add",
      targetType: "opt_out",
      targetId: hash,
      reason: input.reason ?? null,
      data: { to: maskPhone(phone), created: inserted.length > 0 },
      at: deps.clock.now(),
    });
    return { id: hash, to: maskPhone(phone), created: inserted.length > 0 };
  });
}

/**
 * Removes an opt-out (the person asked for reminders again). 404 when there is none, or when another station
 * recorded it (the same answer: an admin learns nothing of other stations' opt-outs). Audited at the station
 * that recorded it, so its record shows the removal beside the opt-out.
 */
export async function removeOptOut(
  deps: Pick<Deps, "db" | "clock">,
  principal: Principal,
  id: string,
  reason?: string,
): Promise<void> {
  requireAdmin(principal);
  await deps.db.transaction(async (tx) => {
    const [removed] = await tx
      .delete(optOuts)
      .where(and(eq(optOuts.recipientHash, id), managedBy(principal)))
      .returning({ masked: optOuts.recipientMasked, source: optOuts.source, stationId: optOuts.stationId });
    if (!removed) throw new AppError("NOT_FOUND", "no such opt-out");
    await tx.insert(auditLog).values({
      stationId: removed.stationId ?? principal.stationId,
      officerId: principal.officerId,
      action: "sms.opt_out.remove",
      targetType: "opt_out",
      targetId: id,
      reason: reason ?? null,
      data: { to: removed.masked, source: removed.source },
      at: deps.clock.now(),
    });
  });
}

/** The station's opt-outs (see managedBy), newest first, masked, with a cursor. `phone` finds one number's. */
export async function listOptOuts(
  deps: Pick<Deps, "db" | "pii">,
  principal: Principal,
  query: { limit: number; cursor?: string; phone?: string },
) {
  requireAdmin(principal);
  // Timestamps compared at the millisecond precision the cursor carries, or rows would be skipped.
  const at = sql`date_trunc('milliseconds', ${optOuts.createdAt})`;
  const filters: SQL[] = [managedBy(principal)];
  if (query.phone) filters.push(eq(optOuts.recipientHash, deps.pii.hash(phoneOrError(query.phone))));
  if (query.cursor) {
    const c = decodeCursor(query.cursor, (v) => {
      const o = v as { at?: unknown; id?: unknown };
      return isCursorTime(o?.at) && typeof o.id === "string" ? { at: o.at, id: o.id } : undefined;
    });
    filters.push(sql`(${at}, ${optOuts.recipientHash}) < (${c.at}::timestamptz, ${c.id})`);
  }
  const rows = await deps.db
    .select()
    .from(optOuts)
    .where(and(...filters))
    .orderBy(desc(at), desc(optOuts.recipientHash))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    optOuts: page.map((r) => ({
      id: r.recipientHash,
      to: r.recipientMasked,
      source: r.source,
      keyword: r.keyword,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({ at: last.createdAt.toISOString(), id: last.recipientHash })
        : null,
  };
}
