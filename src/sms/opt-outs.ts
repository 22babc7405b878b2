import { and, desc, eq, inArray, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import { alerts, auditLog, optOuts, parcelEvents, partners, smsMessages } from "../../schema";
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

/** Who forwarded the replies: a partner (authenticated as itself) or our own SMS provider. */
export type InboundSource = { kind: "partner"; partnerId: string; stationId: string } | { kind: "provider" };

/**
 * Replies from phones, forwarded by a provider or a partner. An opt-out is recorded once per number (the
 * first keyword and sender are kept); anything else is acknowledged and dropped — we do not read people's
 * messages for other purposes.
 *
 * A partner forwards only replies to its own texts, so it may opt out only numbers it has texted: a reminder
 * we sent for it, or one it appended to its own SMS (`attached`). Any other number refuses the whole batch
 * before anything is written, with one answer whether or not we know the number. Our own provider forwards
 * replies to whatever the deployment sent, and is taken at its word.
 */
export async function recordInbound(
  deps: Pick<Deps, "db" | "pii">,
  source: InboundSource,
  messages: InboundSms[],
): Promise<InboundResult[]> {
  const parsed = messages.map((m) => {
    const phone = normalizePhone(m.from);
    return { phone, keyword: phone ? optOutKeyword(m.text) : undefined };
  });
  const optingOut = parsed.flatMap((p, index) =>
    p.phone && p.keyword ? [{ index, phone: p.phone, hash: deps.pii.hash(p.phone), keyword: p.keyword }] : [],
  );
  if (source.kind === "partner" && optingOut.length > 0) {
    const texted = await numbersTextedBy(
      deps.db,
      source.partnerId,
      optingOut.map((o) => o.hash),
    );
    const refused = optingOut.filter((o) => !texted.has(o.hash));
    if (refused.length > 0) {
      throw new AppError(
        "NOT_YOUR_RECIPIENT",
        "a partner may opt out only numbers it has texted; nothing in this batch was recorded",
        refused.map((o) => ({
          path: `messages[${o.index}].from`,
          message: "not a number this partner has texted",
        })),
      );
    }
  }
  for (const o of optingOut) {
    const stationId =
      source.kind === "partner" ? source.stationId : await stationThatLastTexted(deps.db, o.hash);
    await deps.db
      .insert(optOuts)
      .values({
        recipientHash: o.hash,
        recipientMasked: maskPhone(o.phone),
        source: "inbound",
        keyword: o.keyword,
        createdBy: source.kind === "partner" ? source.partnerId : "provider",
        stationId,
        partnerId: source.kind === "partner" ? source.partnerId : null,
      })
      .onConflictDoNothing({ target: optOuts.recipientHash });
  }
  return parsed.map((p, index) =>
    p.phone
      ? { index, optOut: p.keyword ?? null, from: maskPhone(p.phone) }
      : { index, optOut: null, from: null, error: "from is not a valid phone number" },
  );
}

/** Of these recipient hashes, the ones the partner has texted (keyed hashes only: no number is decrypted). */
async function numbersTextedBy(db: Executor, partnerId: string, hashes: string[]): Promise<Set<string>> {
  const [sent, attached] = await Promise.all([
    db
      .selectDistinct({ hash: smsMessages.recipientHash })
      .from(smsMessages)
      .where(and(eq(smsMessages.partnerId, partnerId), inArray(smsMessages.recipientHash, hashes))),
    db
      .selectDistinct({ hash: parcelEvents.recipientHash })
      .from(parcelEvents)
      .where(
        and(
          eq(parcelEvents.decision, "attached"),
          eq(parcelEvents.partnerId, partnerId),
          inArray(parcelEvents.recipientHash, hashes),
        ),
      ),
  ]);
  return new Set([...sent, ...attached].flatMap((r) => (r.hash ? [r.hash] : [])));
}

/**
 * The station a reply our provider forwarded belongs to: that of the last SMS the number got from us — a
 * partner's reminder (the partner's station) or a police SMS (the alert's station). Null if we never texted it.
 */
async function stationThatLastTexted(db: Executor, recipientHash: string): Promise<string | null> {
  const [row] = await db
    .select({ station: sql<string | null>`coalesce(${partners.stationId}, ${alerts.stationId})` })
    .from(smsMessages)
    .leftJoin(partners, eq(partners.id, smsMessages.partnerId))
    .leftJoin(alerts, eq(alerts.id, smsMessages.alertId))
    .where(
      and(eq(smsMessages.recipientHash, recipientHash), or(isNotNull(partners.id), isNotNull(alerts.id))),
    )
    .orderBy(desc(smsMessages.createdAt))
    .limit(1);
  return row?.station ?? null;
}

/**
 * Which opt-outs an admin manages: those recorded at the admin's station, and those no station recorded (a
 * reply our provider forwarded from a number we have no SMS to; rare, and someone must be able to manage it).
 * Every opt-out still applies to every sender: this limits who sees and removes it, not whom it protects.
 */
function managedBy(principal: Principal): SQL {
  return or(eq(optOuts.stationId, principal.stationId), isNull(optOuts.stationId)) as SQL;
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
