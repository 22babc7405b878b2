/**
 * opt-outs/: the numbers that asked not to get reminders. Replies forwarded by a provider or a partner
 * (inbound.ts) record them; admins add, list and remove them (admin.ts). The SMS engine only reads the list
 * when it admits a reminder (src/sms/counters/bulk-admission.ts).
 */
import { and, desc, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import { alerts, optOuts, parcelEvents, partners, smsMessages } from "../../schema";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
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
      // A test key's reminder texted nobody, so it gives no standing to opt a number out.
      .where(
        and(
          eq(smsMessages.partnerId, partnerId),
          eq(smsMessages.test, false),
          inArray(smsMessages.recipientHash, hashes),
        ),
      ),
    db
      .selectDistinct({ hash: parcelEvents.recipientHash })
      .from(parcelEvents)
      .where(
        and(
          eq(parcelEvents.decision, "attached"),
          eq(parcelEvents.test, false),
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
