import { and, eq, gt, gte, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import {
  campaigns,
  campaignTemplates,
  optOuts,
  type ParcelEventKind,
  parcelEvents,
  reminderReservations,
  smsMessages,
} from "../../schema";
import type { Tx } from "../db/client";
import { type Publish, transact } from "../db/transaction";
import type { Deps } from "../deps";
import type { FieldError } from "../errors";
import { type IdempotencyRequest, idempotent } from "../idempotency";
import { newId } from "../ids";
import type { PartnerPrincipal } from "../partners/auth";
import { normalizePhone } from "../privacy/phone";
import { queueSms } from "../sms/queue-sms";
import { type ActiveCampaign, type Decision, decideReminder } from "./decide";
import { type ParcelEventInput, ParcelEventInputSchema } from "./event-input";
import { shanghaiDate } from "./local-time";
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
      const errors = parsed.error.issues.map((i) => ({
        path: i.path.join(".") || "(event)",
        message: i.message,
      }));
      results[index] = { index, status: "rejected", errors };
      return;
    }
    const phone = normalizePhone(parsed.data.recipientPhone);
    const occurredAt = new Date(parsed.data.occurredAt);
    const errors: FieldError[] = [];
    if (!phone) errors.push({ path: "recipientPhone", message: "not a valid phone number" });
    if (occurredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
      errors.push({ path: "occurredAt", message: "more than a day in the future" });
    }
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
      if (!(error instanceof ConcurrentDuplicate) || attempt >= 3) throw error;
    }
  }
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

/** The one database step: lock, load, decide, store. Returns each candidate's outcome by event id. */
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

  await lockRecipients(
    tx,
    candidates.map((c) => recipientLockKey(c.recipientHash)),
  );

  // Under the locks, an event another request stored for the same recipient is visible: report it as a duplicate.
  const existing = await tx
    .select({ waybillNo: parcelEvents.waybillNo, kind: parcelEvents.kind, messageId: parcelEvents.messageId })
    .from(parcelEvents)
    .where(
      and(
        eq(parcelEvents.partnerId, partner.partnerId),
        inArray(parcelEvents.waybillNo, [...new Set(candidates.map((c) => c.input.waybillNo))]),
      ),
    );
  const existingByKey = new Map(existing.map((e) => [eventKey(e.waybillNo, e.kind), e.messageId]));
  const fresh: Candidate[] = [];
  for (const c of candidates) {
    const key = eventKey(c.input.waybillNo, c.input.kind);
    if (existingByKey.has(key))
      outcomes.set(c.id, { duplicate: true, messageId: existingByKey.get(key) ?? null });
    else fresh.push(c);
  }
  if (fresh.length === 0) return outcomes;

  const policy = { caps: deps.config.REMINDER_CAPS, hours: deps.config.REMINDER_HOURS };
  const longestCap = Math.max(...policy.caps.map((c) => c.ms));
  const hashes = [...new Set(fresh.map((c) => c.recipientHash))];
  const [optedOutRows, reservationRows, active] = await Promise.all([
    tx.select({ hash: optOuts.recipientHash }).from(optOuts).where(inArray(optOuts.recipientHash, hashes)),
    tx
      .select({ hash: reminderReservations.recipientHash, at: reminderReservations.reservedAt })
      .from(reminderReservations)
      .where(
        and(
          inArray(reminderReservations.recipientHash, hashes),
          gt(reminderReservations.reservedAt, new Date(now.getTime() - longestCap)),
          // A reminder decided now goes within a day at the latest (the next sending window).
          lt(reminderReservations.reservedAt, new Date(now.getTime() + DAY_MS + longestCap)),
        ),
      ),
    loadActiveCampaigns(tx, partner.stationId, now),
  ]);
  const optedOut = new Set(optedOutRows.map((r) => r.hash));
  const reserved = new Map<string, number[]>();
  for (const r of reservationRows) {
    const list = reserved.get(r.hash) ?? [];
    list.push(r.at.getTime());
    reserved.set(r.hash, list);
  }

  const attach = partner.channel === "attach";
  const decisions = fresh.map((c) => {
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
    );
    if (decision.decision !== "suppressed")
      reserved.set(c.recipientHash, [...times, decision.sendAt.getTime()]);
    return { c, decision };
  });

  const toSend = decisions.filter((d) => d.decision.decision === "scheduled");
  const messageIds = new Map<string, string>();
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
      })),
      traceId,
    );
    // queueSms keys each message by its dedupe key (our event id); read the keys back to pair message and event.
    const rows = ids.length
      ? await tx
          .select({ id: smsMessages.id, key: smsMessages.idempotencyKey })
          .from(smsMessages)
          .where(inArray(smsMessages.id, ids))
      : [];
    for (const row of rows) {
      const eventId = /pev_[0-9a-z]+/.exec(row.key)?.[0];
      if (eventId) messageIds.set(eventId, row.id);
    }
  }

  // Rows in key order, so two batches that share events take the unique-index locks in the same order.
  const rows = decisions
    .map(({ c, decision }) => ({
      id: c.id,
      partnerId: partner.partnerId,
      waybillNo: c.input.waybillNo,
      kind: c.input.kind as ParcelEventKind,
      recipientEnc: deps.pii.encrypt(c.phone),
      recipientHash: c.recipientHash,
      areaCode: c.input.area.code,
      pickupPoint: c.input.pickupPoint ?? null,
      occurredAt: c.occurredAt,
      receivedAt: now,
      decision: decision.decision,
      reason: decision.reason,
      campaignId: decision.decision === "suppressed" ? null : decision.campaignId,
      templateId: decision.decision === "suppressed" ? null : decision.template.id,
      messageId: messageIds.get(c.id) ?? null,
      deferredUntil: decision.decision === "deferred" ? decision.sendAt : null,
      text: decision.decision === "suppressed" ? null : decision.template.body,
    }))
    .sort((a, b) =>
      a.waybillNo < b.waybillNo ? -1 : a.waybillNo > b.waybillNo ? 1 : a.kind < b.kind ? -1 : 1,
    );
  const inserted = await tx
    .insert(parcelEvents)
    .values(rows)
    .onConflictDoNothing({ target: [parcelEvents.partnerId, parcelEvents.waybillNo, parcelEvents.kind] })
    .returning({ id: parcelEvents.id });
  // The same waybill and kind stored meanwhile under another recipient's lock: start again and see it.
  if (inserted.length !== rows.length) throw new ConcurrentDuplicate();

  const reservations = decisions.flatMap(({ c, decision }) =>
    decision.decision === "suppressed"
      ? []
      : [{ recipientHash: c.recipientHash, parcelEventId: c.id, reservedAt: decision.sendAt }],
  );
  if (reservations.length > 0) await tx.insert(reminderReservations).values(reservations);

  // Rotation counts go up last and in id order: these rows are shared by every batch, so hold them briefly.
  const usedByTemplate = new Map<string, number>();
  for (const { decision } of decisions) {
    if (decision.decision === "suppressed") continue;
    usedByTemplate.set(decision.template.id, (usedByTemplate.get(decision.template.id) ?? 0) + 1);
  }
  for (const [id, used] of [...usedByTemplate].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await tx
      .update(campaignTemplates)
      .set({ uses: sql`${campaignTemplates.uses} + ${used}` })
      .where(eq(campaignTemplates.id, id));
  }

  for (const { c, decision } of decisions) {
    outcomes.set(c.id, { duplicate: false, decision, messageId: messageIds.get(c.id) ?? null });
  }
  return outcomes;
}

/** The station's enabled campaigns running today or tomorrow (a deferred reminder goes tomorrow), with their usable templates. */
export async function loadActiveCampaigns(tx: Tx, stationId: string, now: Date): Promise<ActiveCampaign[]> {
  const today = shanghaiDate(now);
  const tomorrow = shanghaiDate(new Date(now.getTime() + DAY_MS));
  const rows = await tx
    .select({
      id: campaigns.id,
      areaPrefixes: campaigns.areaPrefixes,
      startsOn: campaigns.startsOn,
      endsOn: campaigns.endsOn,
      priority: campaigns.priority,
      templateId: campaignTemplates.id,
      body: campaignTemplates.body,
      uses: campaignTemplates.uses,
    })
    .from(campaigns)
    .innerJoin(
      campaignTemplates,
      and(eq(campaignTemplates.campaignId, campaigns.id), isNull(campaignTemplates.disabledAt)),
    )
    .where(
      and(
        eq(campaigns.stationId, stationId),
        isNull(campaigns.disabledAt),
        gte(campaigns.endsOn, today),
        lte(campaigns.startsOn, tomorrow),
      ),
    )
    .orderBy(campaigns.id, campaignTemplates.createdAt, campaignTemplates.id);
  const byId = new Map<string, ActiveCampaign>();
  for (const r of rows) {
    let campaign = byId.get(r.id);
    if (!campaign) {
      campaign = {
        id: r.id,
        areaPrefixes: r.areaPrefixes,
        startsOn: r.startsOn,
        endsOn: r.endsOn,
        priority: r.priority,
        templates: [],
      };
      byId.set(r.id, campaign);
    }
    campaign.templates.push({ id: r.templateId, body: r.body, uses: r.uses });
  }
  return [...byId.values()];
}
