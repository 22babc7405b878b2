/**
 * messages/: the SMS we send, as the people entitled to them see them (GET /v1/messages/{id}). Who may see
 * which message is a rule about alerts, stations and partners, so it lives here with the domain, not in the
 * SMS engine that sends them.
 */
import { asc, eq } from "drizzle-orm";
import { alerts, partners, smsEvents, smsMessages } from "../../schema";
import { canSeeAlert } from "../alerts/view";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { maskParcelPhone } from "../parcels/mask";

/** Who is asking: an officer (session) or a partner (API key). */
export type MessageViewer = { officer: Principal } | { partnerId: string };

/**
 * One SMS with its history: every status change with its time and reason. Officers see the SMS of alerts
 * they may see (canSeeAlert); supervisors and admins also the reminders of their station's partners; a
 * partner only its own reminders. Anything else is 404, like a message that does not exist.
 */
export async function getMessageView(
  deps: Pick<Deps, "db" | "pii">,
  viewer: MessageViewer,
  messageId: string,
) {
  const [message] = await deps.db.select().from(smsMessages).where(eq(smsMessages.id, messageId));
  if (!message || !(await maySee(deps, viewer, message))) throw new AppError("NOT_FOUND", "no such message");
  const history = await deps.db
    .select({ status: smsEvents.status, at: smsEvents.at, detail: smsEvents.detail })
    .from(smsEvents)
    .where(eq(smsEvents.messageId, messageId))
    .orderBy(asc(smsEvents.at), asc(smsEvents.id));
  return {
    id: message.id,
    lane: message.lane,
    purpose: message.purpose,
    alertId: message.alertId,
    partnerId: message.partnerId,
    to: "partnerId" in viewer ? partnerMasked(deps, message) : message.recipientMasked,
    body: message.body,
    segments: message.segments,
    channel: message.channel,
    test: message.test,
    status: message.status,
    /** Why it is held back (queued) or was suppressed. */
    reason: message.holdReason,
    notBefore: message.notBefore?.toISOString() ?? null,
    attempts: message.attempts,
    lastError: message.lastError,
    providerMessageId: message.providerMessageId,
    createdAt: message.createdAt.toISOString(),
    submittedAt: message.submittedAt?.toISOString() ?? null,
    finishedAt: message.finishedAt?.toISOString() ?? null,
    history: history.map((h) => ({ status: h.status, at: h.at.toISOString(), detail: h.detail })),
  };
}

export type MessageView = Awaited<ReturnType<typeof getMessageView>>;

async function maySee(
  deps: Pick<Deps, "db">,
  viewer: MessageViewer,
  message: typeof smsMessages.$inferSelect,
): Promise<boolean> {
  if ("partnerId" in viewer) return message.partnerId === viewer.partnerId;
  const { officer } = viewer;
  if (message.alertId) {
    const [alert] = await deps.db
      .select({ stationId: alerts.stationId, postId: alerts.postId })
      .from(alerts)
      .where(eq(alerts.id, message.alertId));
    return Boolean(alert && canSeeAlert(officer, alert));
  }
  if (message.partnerId && officer.role !== "officer") {
    const [partner] = await deps.db
      .select({ stationId: partners.stationId })
      .from(partners)
      .where(eq(partners.id, message.partnerId));
    return partner?.stationId === officer.stationId;
  }
  return false;
}

/**
 * One masking rule per audience: partners see every number as parcel output shows it (at least six digits
 * hidden, src/parcels/mask.ts), the same in this read-back as in the parcel one; officers see 138****5678.
 * A message whose number was purged keeps only the officers' mask, narrowed to the partners' from it.
 */
function partnerMasked(deps: Pick<Deps, "pii">, message: typeof smsMessages.$inferSelect): string {
  if (message.recipientEnc) return maskParcelPhone(deps.pii.decrypt(message.recipientEnc));
  return `${message.recipientMasked.slice(0, 3)}******${message.recipientMasked.slice(-2)}`;
}
