import { and, asc, eq } from "drizzle-orm";
import { parcelEvents, smsMessages } from "../../schema";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import type { PartnerPrincipal } from "../partners/authenticate";
import { maskParcelPhone } from "./mask";

/**
 * "Why did, or didn't, this person get an SMS?": every event a partner reported for a waybill, with the
 * reminder decision, its reason and, where one was sent, the SMS's status. Scoped to the calling partner: another
 * partner's waybill answers 404 like one that does not exist. The phone is masked for parcel output.
 */
export async function getParcelEvents(
  deps: Pick<Deps, "db" | "pii">,
  partner: PartnerPrincipal,
  waybillNo: string,
) {
  const rows = await deps.db
    .select({
      event: parcelEvents,
      smsStatus: smsMessages.status,
      smsHoldReason: smsMessages.holdReason,
      submittedAt: smsMessages.submittedAt,
      finishedAt: smsMessages.finishedAt,
    })
    .from(parcelEvents)
    .leftJoin(smsMessages, eq(smsMessages.id, parcelEvents.messageId))
    .where(
      and(
        eq(parcelEvents.partnerId, partner.partnerId),
        eq(parcelEvents.waybillNo, waybillNo),
        // A test key reads back what test keys made, a live key live traffic: the two never mix.
        eq(parcelEvents.test, partner.mode === "test"),
      ),
    )
    .orderBy(asc(parcelEvents.occurredAt), asc(parcelEvents.id));
  if (rows.length === 0) throw new AppError("NOT_FOUND", `no events for waybill ${waybillNo}`);
  return {
    waybillNo,
    events: rows.map(({ event: e, ...sms }) => ({
      id: e.id,
      kind: e.kind,
      recipient: e.recipientEnc ? maskParcelPhone(deps.pii.decrypt(e.recipientEnc)) : null,
      area: { code: e.areaCode },
      pickupPoint: e.pickupPoint,
      occurredAt: e.occurredAt.toISOString(),
      receivedAt: e.receivedAt.toISOString(),
      decision: e.decision,
      reason: e.reason,
      explanation: explain(e.decision, e.reason, e.deferredUntil),
      test: e.test,
      campaignId: e.campaignId,
      templateId: e.templateId,
      deferredUntil: e.deferredUntil?.toISOString() ?? null,
      text: e.text,
      messageId: e.messageId,
      sms: e.messageId
        ? {
            status: sms.smsStatus,
            holdReason: sms.smsHoldReason,
            submittedAt: sms.submittedAt?.toISOString() ?? null,
            finishedAt: sms.finishedAt?.toISOString() ?? null,
          }
        : null,
    })),
  };
}

const REASONS: Record<string, string> = {
  opted_out: "the recipient opted out of reminders (退订)",
  opted_out_while_deferred: "the recipient opted out before the deferred reminder was released",
  no_campaign: "no active campaign targets this area on this date",
  no_template:
    "a campaign targets this area on this date, but it has no approved, active template: an admin must add or enable one",
  campaign_ended: "the campaign was disabled or ended before the deferred reminder was released",
  partner_disabled: "the partner was disabled before the deferred reminder was released",
};

/** One sentence for a support desk; the machine-readable `reason` stays beside it. */
export function explain(decision: string, reason: string | null, deferredUntil: Date | null): string {
  if (reason?.startsWith("capped_")) {
    return `the recipient already had the most reminders allowed within ${reason.slice("capped_".length)}`;
  }
  if (decision === "suppressed") return REASONS[reason ?? ""] ?? `suppressed: ${reason}`;
  if (decision === "attached") return "the reminder text was returned for the partner's own pickup SMS";
  if (decision === "deferred") return `quiet hours: the reminder waits until ${deferredUntil?.toISOString()}`;
  if (deferredUntil) return `sent after quiet hours, from ${deferredUntil.toISOString()}`;
  return "a reminder was queued";
}
