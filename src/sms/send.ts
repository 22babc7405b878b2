import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { smsEvents, smsMessages } from "../../schema";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { SmsSendError } from "./channel";

/**
 * The sms.send consumer. A message is sent only while `queued`, under a lease, so two deliveries of the
 * same job never both reach the provider; once submitted, a redelivery finds nothing to do.
 */
export async function sendSms(
  deps: Pick<Deps, "db" | "pii" | "sms" | "config">,
  messageId: string,
  log: Log,
): Promise<void> {
  const [message] = await deps.db
    .update(smsMessages)
    .set({
      leaseUntil: sql`now() + make_interval(secs => ${deps.config.SMS_SEND_LEASE_SECONDS})`,
      attempts: sql`${smsMessages.attempts} + 1`,
    })
    .where(
      and(
        eq(smsMessages.id, messageId),
        eq(smsMessages.status, "queued"),
        or(isNull(smsMessages.leaseUntil), lt(smsMessages.leaseUntil, sql`now()`)),
      ),
    )
    .returning();
  if (!message) {
    // Still queued means another sender holds the lease, and it may have died between taking the lease
    // and submitting: acknowledging this job would lose the SMS for good, so come back after the lease.
    const [current] = await deps.db
      .select({ status: smsMessages.status })
      .from(smsMessages)
      .where(eq(smsMessages.id, messageId));
    if (current?.status === "queued")
      throw new Error("sms is leased by another sender; retry after the lease");
    log.debug({ smsId: messageId }, "sms already sent or gone; nothing to do");
    return;
  }
  try {
    const result = await deps.sms.send({
      messageId: message.id,
      to: deps.pii.decrypt(message.recipientEnc),
      body: message.body,
      segments: message.segments,
      purpose: message.purpose,
      alertId: message.alertId,
    });
    await deps.db.transaction(async (tx) => {
      await tx
        .update(smsMessages)
        .set({
          status: "submitted",
          providerMessageId: result.providerMessageId,
          submittedAt: sql`now()`,
          leaseUntil: null,
        })
        .where(eq(smsMessages.id, message.id));
      await tx.insert(smsEvents).values({ messageId: message.id, status: "submitted" });
    });
    log.info({ smsId: message.id, purpose: message.purpose, alertId: message.alertId }, "sms submitted");
  } catch (error) {
    if (error instanceof SmsSendError && !error.transient) {
      await deps.db.transaction(async (tx) => {
        await tx
          .update(smsMessages)
          .set({ status: "failed", lastError: error.message, finishedAt: sql`now()`, leaseUntil: null })
          .where(eq(smsMessages.id, message.id));
        await tx.insert(smsEvents).values({ messageId: message.id, status: "failed", detail: error.message });
      });
      log.warn({ smsId: message.id, reason: error.message }, "sms failed permanently");
      return;
    }
    // Transient: release the lease so the retried job can send.
    await deps.db
      .update(smsMessages)
      .set({ leaseUntil: null, lastError: error instanceof Error ? error.message : String(error) })
      .where(eq(smsMessages.id, message.id));
    throw error;
  }
}
