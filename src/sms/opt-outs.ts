import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import { auditLog, optOuts } from "../../schema";
import type { Principal } from "../auth/sessions";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor, isCursorTime } from "../pagination";
import { maskPhone, normalizePhone } from "../privacy/phone";

/**
 * Reply keywords that mean "stop sending me reminders": R (our own 拒收请回复R), T and TD (the carriers'
 * 退订 convention), 退订, and STOP. A reply counts only if it is the keyword alone, in any case, full- or
 * half-width, with spaces and punctuation around it ("r", " TD。", "退订!", "Stop."); a sentence that merely
 * contains a T does not.
 */
const KEYWORDS = new Set(["R", "T", "TD", "退订", "STOP"]);
const EDGES = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

export function optOutKeyword(text: string): string | undefined {
  const core = text.normalize("NFKC").replace(EDGES, "").toUpperCase();
  return KEYWORDS.has(core) ? core : undefined;
}

export async function isOptedOut(db: Executor, recipientHash: string): Promise<boolean> {
  const [row] = await db
    .select({ hash: optOuts.recipientHash })
    .from(optOuts)
    .where(eq(optOuts.recipientHash, recipientHash));
  return Boolean(row);
}

export interface InboundSms {
  from: string;
  text: string;
}

export interface InboundResult {
  index: number;
  /** The keyword understood, if the reply was an opt-out. */
  optOut: string | null;
  /** Masked: the caller knows the number; our answer is logged by proxies and must not repeat it. */
  from: string | null;
  error?: string;
}

/**
 * Replies from phones, forwarded by a provider or a partner. An opt-out is recorded once per number (the
 * first keyword and sender are kept); anything else is acknowledged and dropped — we do not read people's
 * messages for other purposes.
 */
export async function recordInbound(
  deps: Pick<Deps, "db" | "pii">,
  source: string,
  messages: InboundSms[],
): Promise<InboundResult[]> {
  const results: InboundResult[] = [];
  for (const [index, m] of messages.entries()) {
    const phone = normalizePhone(m.from);
    if (!phone) {
      results.push({ index, optOut: null, from: null, error: "from is not a valid phone number" });
      continue;
    }
    const keyword = optOutKeyword(m.text);
    if (keyword) {
      await deps.db
        .insert(optOuts)
        .values({
          recipientHash: deps.pii.hash(phone),
          recipientMasked: maskPhone(phone),
          source: "inbound",
          keyword,
          createdBy: source,
        })
        .onConflictDoNothing({ target: optOuts.recipientHash });
    }
    results.push({ index, optOut: keyword ?? null, from: maskPhone(phone) });
  }
  return results;
}

function requireAdmin(principal: Principal): void {
  if (principal.role !== "admin") throw new AppError("FORBIDDEN", "opt-outs are managed by admins");
}

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

/** Removes an opt-out (the person asked for reminders again). 404 when there is none. Audited. */
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
      .where(eq(optOuts.recipientHash, id))
      .returning({ masked: optOuts.recipientMasked, source: optOuts.source });
    if (!removed) throw new AppError("NOT_FOUND", "no such opt-out");
    await tx.insert(auditLog).values({
      stationId: principal.stationId,
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

/** Newest first, masked, with a cursor. `phone` finds one number's opt-out. */
export async function listOptOuts(
  deps: Pick<Deps, "db" | "pii">,
  principal: Principal,
  query: { limit: number; cursor?: string; phone?: string },
) {
  requireAdmin(principal);
  // Timestamps compared at the millisecond precision the cursor carries, or rows would be skipped.
  const at = sql`date_trunc('milliseconds', ${optOuts.createdAt})`;
  const filters: SQL[] = [];
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
