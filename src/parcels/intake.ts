import { sql } from "drizzle-orm";
import { reminderReservations } from "../../schema";
import { queryRows, type Tx } from "../db/client";
import { arrayLiteral } from "../db/id-array";
import type { Deps } from "../deps";
import { type FieldError, zodFieldErrors } from "../errors";
import { type IdempotencyRequest, idempotent } from "../idempotency";
import { newId } from "../ids";
import type { PartnerPrincipal } from "../partners/authenticate";
import { normalizePhone } from "../privacy/phone";
import { type Publish, transact } from "../queue/outbox";
import { queueSms } from "../sms/dispatch/queue-sms";
import { unstorableText } from "../text";
import { outsideWindow } from "../time-window";
import { type Decision, decideReminder } from "./decide";
import { type ParcelEventInput, ParcelEventInputSchema } from "./event-input";
import { insertEvents, loadActiveCampaigns, loadReservations } from "./intake-store";
import { lockRecipients, recipientLockKey } from "./locks";

export type ParcelEventResult =
  | { index: number; status: "scheduled"; messageId: string }
  | { index: number; status: "deferred"; reason: string; deferredUntil: string }
  | { index: number; status: "attached"; text: string }
  | { index: number; status: "suppressed"; reason: string }
  | { index: number; status: "duplicate"; messageId?: string }
  | { index: number; status: "rejected"; errors: FieldError[] };

export interface ParcelEventsResponse {
  results: ParcelEventResult[];
}

interface Candidate {
  index: number;
  input: ParcelEventInput;
  phone: string;
  recipientHash: string;
  id: string;
  occurredAt: Date;
}

/** A partner's clock may run a little ahead; a day ahead is a wrong date, not skew. */
const FUTURE_TOLERANCE_MS = 86_400_000;
const DAY_MS = 86_400_000;

/** Another request stored one of these (partner, waybill, kind) between our check and our insert. */
class ConcurrentDuplicate extends Error {}
const MAX_ATTEMPTS = 3;

type IntakeDeps = Pick<Deps, "db" | "queue" | "pii" | "sms" | "clock" | "config">;

/**
 * A partner's batch of parcel events: each is validated on its own, then every valid, new event gets its
 * reminder decision and is stored with it, its cap reservation and its queued SMS in one transaction, under a
 * lock per recipient, so concurrent batches (other partners included) never reserve beyond the caps.
 * Idempotent by (partner, waybill, kind), and by the Idempotency-Key when one is given.
 */
export async function receiveParcelEvents(
  deps: IntakeDeps,
  partner: PartnerPrincipal,
  items: unknown[],
  options: { idempotency?: IdempotencyRequest; traceId?: string } = {},
): Promise<{ status: number; body: ParcelEventsResponse; replayed: boolean }> {
  const now = deps.clock.now();
  const results: ParcelEventResult[] = new Array(items.length);
  const firstByKey = new Map<string, Candidate>();
  const repeats: { index: number; of: Candidate }[] = [];

  items.forEach((item, index) => {
    const parsed = ParcelEventInputSchema.safeParse(item);
    if (!parsed.success) {
      const errors = zodFieldErrors(parsed.error, { whole: "(event)" });
      results[index] = { index, status: "rejected", errors };
      return;
    }
    // Only this event is refused: text PostgreSQL cannot store would otherwise fail the whole batch's insert.
    const unstorable = unstorableText(parsed.data);
    if (unstorable.length > 0) {
      results[index] = { index, status: "rejected", errors: unstorable };
      return;
    }
    const phone = normalizePhone(parsed.data.recipientPhone);
    const occurredAt = new Date(parsed.data.occurredAt);
    const errors: FieldError[] = [];
    if (!phone) errors.push({ path: "recipientPhone", message: "not a valid phone number" });
    // Ahead by up to a day: pickup-point scanners' clocks are set by hand, and a reminder does not depend
    // on the minute. Behind: the shared window (INPUT_MAX_AGE_DAYS), which refuses year 0001.
    const outside = outsideWindow(occurredAt, now, {
      maxAgeDays: deps.config.INPUT_MAX_AGE_DAYS,
      maxFutureSeconds: FUTURE_TOLERANCE_MS / 1000,
    });
    if (outside) errors.push({ path: "occurredAt", message: outside });
    if (!phone || errors.length > 0) {
      results[index] = { index, status: "rejected", errors };
      return;
    }
    const key = eventKey(parsed.data.waybillNo, parsed.data.kind);
    const earlier = firstByKey.get(key);
    if (earlier) {
      repeats.push({ index, of: earlier });
      return;
    }
    firstByKey.set(key, {
      index,
      input: parsed.data,
      phone,
      recipientHash: deps.pii.hash(phone),
      id: newId("parcelEvent", now.getTime()),
      occurredAt,
    });
  });
  const candidates = [...firstByKey.values()];

  for (let attempt = 1; ; attempt++) {
    try {
      return await transact(deps, (tx, publish) =>
        idempotent(tx, options.idempotency, async () => {
          const decided = await decideAndStore(deps, tx, publish, partner, candidates, now, options.traceId);
          const body: ParcelEventsResponse = { results: [...results] };
          for (const c of candidates) body.results[c.index] = resultFor(c.index, decided.get(c.id));
          for (const { index, of } of repeats) {
            const first = body.results[of.index];
            body.results[index] = {
              index,
              status: "duplicate",
              ...(first && "messageId" in first && first.messageId ? { messageId: first.messageId } : {}),
            };
          }
          return { status: 200, body };
        }),
      );
    } catch (error) {
      // A concurrent duplicate, or a deadlock PostgreSQL broke (two partners' overlapping batches): run again.
      if (!(error instanceof ConcurrentDuplicate || isDeadlock(error)) || attempt >= MAX_ATTEMPTS)
        throw error;
    }
  }
}

/** PostgreSQL's deadlock_detected, whether the driver error is thrown bare or wrapped by drizzle. */
function isDeadlock(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "40P01") return true;
  }
  return false;
}

type Outcome =
  | { duplicate: true; messageId: string | null }
  | { duplicate: false; decision: Decision; messageId: string | null };

function resultFor(index: number, outcome: Outcome | undefined): ParcelEventResult {
  if (!outcome) throw new Error("every candidate has an outcome");
  if (outcome.duplicate) {
    return outcome.messageId
      ? { index, status: "duplicate", messageId: outcome.messageId }
      : { index, status: "duplicate" };
  }
  const d = outcome.decision;
  switch (d.decision) {
    case "suppressed":
      return { index, status: "suppressed", reason: d.reason };
    case "attached":
      return { index, status: "attached", text: d.template.body };
    case "deferred":
      return {
        index,
        status: "deferred",
        reason: d.reason ?? "quiet_hours",
        deferredUntil: d.sendAt.toISOString(),
      };
    case "scheduled":
      return { index, status: "scheduled", messageId: outcome.messageId as string };
  }
}

const eventKey = (waybillNo: string, kind: string) => `${waybillNo}\u0000${kind}`;

/**
 * The one database step. Returns each candidate's outcome by event id.
 *
 * Only recipients who may get a reminder are locked. A recipient who opted out, whose area no campaign covers,
 * or who is already capped by reminders others have committed is suppressed without a lock: reservations are only
 * ever added under the lock, so other transactions can make a recipient more capped, never less. Those events are
 * written first, before any lock. The others' recipients are then locked (in key order), their reservations read
 * again and their events decided again in batch order, so what is counted is what is reserved; only their writes
 * happen while the locks are held. With repeat recipients most events are capped, so concurrent batches that
 * share recipients wait for each other only briefly.
 */
async function decideAndStore(
  deps: IntakeDeps,
  tx: Tx,
  publish: Publish,
  partner: PartnerPrincipal,
  candidates: Candidate[],
  now: Date,
  traceId: string | undefined,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  if (candidates.length === 0) return outcomes;

  // A test key's events are decided exactly like live ones, but among test traffic only: they neither see nor
  // take live cap slots, waybills or template turns, and their SMS are never sent (src/sms/dispatch/test-mode.ts).
  const test = partner.mode === "test";
  const policy = { caps: deps.config.REMINDER_CAPS, hours: deps.config.REMINDER_HOURS };
  const longestCap = Math.max(...policy.caps.map((c) => c.ms));
  // A reminder decided now goes within a day at the latest (the next sending window).
  const window = {
    from: new Date(now.getTime() - longestCap),
    to: new Date(now.getTime() + DAY_MS + longestCap),
  };
  const allHashes = [...new Set(candidates.map((c) => c.recipientHash))];
  // Four reads at once (pipelined on one connection). Another request may store the same (waybill, kind) after
  // the first one; the inserts' ON CONFLICT catches that.
  const [existing, optedOutRows, committed, active] = await Promise.all([
    queryRows<{ waybill_no: string; kind: string; message_id: string | null }>(
      tx,
      sql`select waybill_no, kind, message_id from parcel_events
          where partner_id = ${partner.partnerId} and test = ${test}
            and waybill_no = any(${arrayLiteral(candidates.map((c) => c.input.waybillNo))}::text[])`,
    ),
    queryRows<{ recipient_hash: string }>(
      tx,
      sql`select recipient_hash from opt_outs where recipient_hash = any(${arrayLiteral(allHashes)}::text[])`,
    ),
    loadReservations(tx, allHashes, window, test),
    loadActiveCampaigns(tx, partner.stationId, now),
  ]);
  const existingByKey = new Map(existing.map((e) => [eventKey(e.waybill_no, e.kind), e.message_id]));
  const fresh: Candidate[] = [];
  for (const c of candidates) {
    const key = eventKey(c.input.waybillNo, c.input.kind);
    if (existingByKey.has(key))
      outcomes.set(c.id, { duplicate: true, messageId: existingByKey.get(key) ?? null });
    else fresh.push(c);
  }
  if (fresh.length === 0) return outcomes;

  const optedOut = new Set(optedOutRows.map((r) => r.recipient_hash));
  const attach = partner.channel === "attach";
  const decideAll = (events: Candidate[], reserved: Map<string, number[]>, rotate: boolean) =>
    events.map((c) => {
      const times = reserved.get(c.recipientHash) ?? [];
      const decision = decideReminder(
        {
          now,
          attach,
          areaCode: c.input.area.code,
          optedOut: optedOut.has(c.recipientHash),
          reservedAt: times,
        },
        active,
        policy,
        rotate,
      );
      if (decision.decision !== "suppressed")
        reserved.set(c.recipientHash, [...times, decision.sendAt.getTime()]);
      return { c, decision };
    });
  const row = (c: Candidate, decision: Decision) => ({
    id: c.id,
    partner_id: partner.partnerId,
    waybill_no: c.input.waybillNo,
    kind: c.input.kind,
    recipient_enc: deps.pii.encrypt(c.phone),
    recipient_hash: c.recipientHash,
    area_code: c.input.area.code,
    pickup_point: c.input.pickupPoint ?? null,
    occurred_at: c.occurredAt.toISOString(),
    received_at: now.toISOString(),
    decision: decision.decision,
    reason: decision.reason,
    campaign_id: decision.decision === "suppressed" ? null : decision.campaignId,
    template_id: decision.decision === "suppressed" ? null : decision.template.id,
    // queueSms keys a message `<purpose>:<dedupe key>:<recipient hash>`; the insert finds its id by that key.
    sms_key: decision.decision === "scheduled" ? `parcel_reminder:${c.id}:${c.recipientHash}` : null,
    deferred_until: decision.decision === "deferred" ? decision.sendAt.toISOString() : null,
    text: decision.decision === "suppressed" ? null : decision.template.body,
    test,
  });

  // Decisions from what is committed, without touching the rotation. Recipients who may get a reminder are
  // contested: their events are decided again under their lock. Everyone else's events are final and written now.
  const provisional = decideAll(fresh, committed, false);
  const contested = new Set(
    provisional.filter(({ decision }) => decision.decision !== "suppressed").map(({ c }) => c.recipientHash),
  );
  const settled = provisional.filter(({ c }) => !contested.has(c.recipientHash));
  let stored = await insertEvents(
    tx,
    settled.map(({ c, decision }) => row(c, decision)),
  );

  const ofContested = fresh.filter((c) => contested.has(c.recipientHash));
  const decided = [...settled];
  if (ofContested.length > 0) {
    await lockRecipients(tx, [...contested].map(recipientLockKey));
    const final = decideAll(ofContested, await loadReservations(tx, [...contested], window, test), true);
    decided.push(...final);
    const toSend = final.filter((d) => d.decision.decision === "scheduled");
    if (toSend.length > 0) {
      const ids = await queueSms(
        deps,
        tx,
        publish,
        toSend.map(({ c, decision }) => ({
          purpose: "parcel_reminder" as const,
          lane: "bulk" as const,
          partnerId: partner.partnerId,
          to: c.phone,
          body: decision.decision === "suppressed" ? "" : decision.template.body,
          dedupeKey: c.id,
          test,
        })),
        traceId,
      );
      if (ids.length !== toSend.length) throw new Error("queueSms did not create every reminder");
    }
    stored = [
      ...stored,
      ...(await insertEvents(
        tx,
        final.map(({ c, decision }) => row(c, decision)),
      )),
    ];

    const reservations = final.flatMap(({ c, decision }) =>
      decision.decision === "suppressed"
        ? []
        : [{ recipientHash: c.recipientHash, parcelEventId: c.id, reservedAt: decision.sendAt, test }],
    );
    const usedByTemplate = new Map<string, number>();
    for (const { decision } of final) {
      if (decision.decision === "suppressed" || test) continue;
      usedByTemplate.set(decision.template.id, (usedByTemplate.get(decision.template.id) ?? 0) + 1);
    }
    // Both at once (pipelined). The rotation counts are rows every batch updates: taken last, in id order, and
    // held only until the commit that follows.
    await Promise.all([
      reservations.length > 0 ? tx.insert(reminderReservations).values(reservations) : undefined,
      usedByTemplate.size > 0
        ? tx.execute(
            sql`update campaign_templates t set uses = t.uses + v.used
                from jsonb_to_recordset(${JSON.stringify(
                  [...usedByTemplate]
                    .sort(([a], [b]) => (a < b ? -1 : 1))
                    .map(([id, used]) => ({ id, used })),
                )}::jsonb) as v(id text, used int)
                where t.id = v.id`,
          )
        : undefined,
    ]);
  }
  // The same waybill and kind stored meanwhile by a concurrent request: start again and see it as a duplicate.
  if (stored.length !== fresh.length) throw new ConcurrentDuplicate();
  const messageIds = new Map(stored.flatMap((r) => (r.message_id ? [[r.id, r.message_id] as const] : [])));

  for (const { c, decision } of decided) {
    if (decision.decision === "scheduled" && !messageIds.has(c.id)) {
      throw new Error("a scheduled reminder's SMS was not found by its key");
    }
    outcomes.set(c.id, { duplicate: false, decision, messageId: messageIds.get(c.id) ?? null });
  }
  return outcomes;
}
