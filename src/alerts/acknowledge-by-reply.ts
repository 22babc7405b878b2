import { and, desc, eq, isNull, like, sql } from "drizzle-orm";
import { alerts, officerNotices, officers } from "../../schema";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { normalizePhone } from "../privacy/phone";
import { transact } from "../queue/outbox";
import { queueSms } from "../sms/dispatch/queue-sms";
import { alertShortCode, type ReplyRefusal, replyAnswerText } from "./sms-texts";
import { acknowledgeAlert } from "./verify";

type ReplyDeps = Pick<Deps, "db" | "queue" | "clock" | "config" | "pii" | "sms">;

/** `1`, or `1 <编号>` naming an alert by the code its page showed; full-width digits and spaces allowed. */
const REPLY = /^1(?:\s+([0-9a-z]{4,40}))?$/;

export function parseAckReply(text: string): { code: string | null } | undefined {
  const match = REPLY.exec(text.normalize("NFKC").trim().toLowerCase());
  return match ? { code: match[1] ?? null } : undefined;
}

export interface ReplyOutcome {
  officerId: string;
  alertId: string | null;
  /** Undefined when the alert is now acknowledged by this officer (now or by an earlier reply). */
  refusal?: ReplyRefusal;
}

/**
 * An officer answers a page with `1` (签收): from a phone matching an enabled officer's registered number
 * (keyed hash, nothing decrypted), it acknowledges the alert of that officer's latest page, or the one whose
 * 编号 the reply names, through the console's own use case (same workflow rules, timeline and audit, the audit
 * marked `via: sms_reply`). The officer is answered by SMS either way.
 *
 * The latest page is the newest notice whatever its alert became since: a second `1`, or a redelivered one,
 * then finds the same alert already acknowledged by this officer and is confirmed again rather than claiming
 * the next alert unasked. The answer's key comes from the provider's message id when it sends one, so a
 * redelivered reply never sends two answers.
 *
 * Returns undefined when the text is not an acknowledge reply or the number is no enabled officer's: the
 * caller then treats the message as it treats any other reply.
 */
export async function acknowledgeByReply(
  deps: ReplyDeps,
  reply: { from: string; text: string; messageId?: string },
): Promise<ReplyOutcome | undefined> {
  const parsed = parseAckReply(reply.text);
  const phone = normalizePhone(reply.from);
  if (!parsed || !phone) return undefined;
  const [officer] = await deps.db
    .select()
    .from(officers)
    .where(and(eq(officers.phoneHash, deps.pii.hash(phone)), isNull(officers.disabledAt)))
    // Two accounts on one phone: the one paged last is the one answering.
    .orderBy(sql`${officers.lastNotifiedAt} desc nulls last`)
    .limit(1);
  if (!officer) return undefined;

  const target = await targetAlert(deps, officer, parsed.code);
  const outcome: ReplyOutcome = { officerId: officer.id, alertId: target.alertId, refusal: target.refusal };
  if (target.alertId && !target.refusal) {
    outcome.refusal = await acknowledge(deps, officer, target.alertId);
  }
  const code = target.alertId ? alertShortCode(target.alertId) : parsed.code;
  await transact(deps, (tx, publish) =>
    queueSms(deps, tx, publish, [
      {
        purpose: "officer_notification",
        lane: "urgent",
        to: phone,
        body: replyAnswerText(deps.config.SMS_SIGNATURE, code, outcome.refusal),
        alertId: outcome.alertId ?? undefined,
        dedupeKey: reply.messageId
          ? `reply:${reply.messageId}`
          : `reply:${officer.id}:${outcome.alertId ?? parsed.code ?? "latest"}:${outcome.refusal ?? "ok"}`,
      },
    ]),
  );
  return outcome;
}

type OfficerRow = typeof officers.$inferSelect;

async function targetAlert(
  deps: ReplyDeps,
  officer: OfficerRow,
  code: string | null,
): Promise<{ alertId: string | null; refusal?: ReplyRefusal }> {
  if (code) {
    // Only alerts of the officer's own station: a code from elsewhere is as unknown as a mistyped one.
    const [named] = await deps.db
      .select({ id: alerts.id })
      .from(alerts)
      .where(and(eq(alerts.stationId, officer.stationId), like(alerts.id, `%${code}`)))
      .orderBy(desc(alerts.receivedAt))
      .limit(1);
    return named ? { alertId: named.id } : { alertId: null, refusal: "unknown_code" };
  }
  const [latest] = await deps.db
    .select({ alertId: officerNotices.alertId })
    .from(officerNotices)
    .where(eq(officerNotices.officerId, officer.id))
    .orderBy(desc(officerNotices.createdAt), desc(officerNotices.alertId))
    .limit(1);
  return latest ? { alertId: latest.alertId } : { alertId: null, refusal: "nothing" };
}

/** The console's acknowledge, as this officer; its refusals become the words of the answer. */
async function acknowledge(
  deps: ReplyDeps,
  officer: OfficerRow,
  alertId: string,
): Promise<ReplyRefusal | undefined> {
  const principal: Principal = {
    officerId: officer.id,
    stationId: officer.stationId,
    postId: officer.postId,
    role: officer.role,
    passwordChangeRequired: false,
  };
  try {
    await acknowledgeAlert(deps, principal, alertId, {}, "sms_reply");
    return undefined;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.code === "ALERT_NOT_FOUND" || error.code === "FORBIDDEN") return "not_yours";
    if (error.code === "CONFLICT") return "retry";
    if (error.code !== "INVALID_TRANSITION") throw error;
    const [row] = await deps.db.select({ stage: alerts.stage }).from(alerts).where(eq(alerts.id, alertId));
    if (row?.stage === "acknowledged") return "taken";
    return row?.stage === "verified" || row?.stage === "fed_back" ? "closed" : "retry";
  }
}
