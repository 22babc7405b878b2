import * as z from "zod/mini";
import "../zod-mini";

/**
 * Every message any queue carries: versioned, one discriminated union that producers and consumers share.
 * `traceId` carries the request id through the queue so one warning can be followed across log lines.
 */
const meta = { v: z.literal(1), traceId: z.optional(z.string()) };

export const MessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("alert.push"), ...meta, alertId: z.string() }),
  /** A warning linked to an open alert: the subject may be warned again (src/alerts/rewarn.ts decides). */
  z.object({ type: z.literal("alert.rewarn"), ...meta, alertId: z.string(), warningId: z.string() }),
  /**
   * Flush an officer's pending notices: critical and high at once, one SMS each; medium and low as one SMS once
   * the interval allows or a deadline comes; stale ones dropped (src/alerts/officer-notify.ts).
   */
  z.object({ type: z.literal("officer.notify"), ...meta, officerId: z.string() }),
  z.object({ type: z.literal("sms.send"), ...meta, messageId: z.string() }),
  /**
   * A final outcome closed the alert: create its feedback events (src/feedback/create.ts). Published in the
   * outcome's transaction, so alerts need not know the feedback room; creating them again creates nothing.
   */
  z.object({ type: z.literal("feedback.create"), ...meta, alertId: z.string() }),
  z.object({
    type: z.literal("feedback.deliver"),
    ...meta,
    eventId: z.string(),
    /**
     * The event's `attempts` when this message was scheduled (absent from the first publish and from
     * re-drives). A message for an older attempt has been superseded and is dropped, so duplicates do not
     * keep parallel retry chains alive.
     */
    attempt: z.optional(z.number().check(z.int(), z.minimum(0))),
  }),
  /** Tick of the scheduled sweeper (src/sweeper/sweep.ts); carries nothing, every run looks at the database. */
  z.object({ type: z.literal("sweep.run"), ...meta }),
  /** Tick: release the reminders quiet hours deferred, once their time has come (src/parcels/release.ts). */
  z.object({ type: z.literal("parcels.release"), ...meta }),
  /** POST a partner's next message events to its status callback, in order (src/message-events/deliver.ts). */
  z.object({ type: z.literal("partner-callbacks.deliver"), ...meta, partnerId: z.string() }),
  /** Tick: start deliveries for callbacks with events waiting, replacing any lost job. */
  z.object({ type: z.literal("partner-callbacks.tick"), ...meta }),
]);

export type Message = z.infer<typeof MessageSchema>;
export type MessageType = Message["type"];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
