import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { devOutbox, smsEvents, smsMessages } from "../../schema";
import { type SmsChannel, SmsSendError, type SmsSendRequest } from "../../src/sms/channels/channel";
import { createTestContext } from "../support/context";
import { alertRow } from "../support/feedback";
import {
  countsByRecipient,
  drainUntil,
  drainWith,
  intake,
  jobsIn,
  outboxFor,
  SUBJECT,
  smsFor,
} from "./support";

/**
 * The push when its messages come again or the SMS channel fails: nothing is sent twice, nothing is lost.
 * What a push does the first time is in push.test.ts.
 */

/** An SMS channel for tests: fails as told, then hands over to the real dev outbox. */
class ScriptedChannel implements SmsChannel {
  readonly name = "outbox";
  readonly calls: SmsSendRequest[] = [];

  constructor(
    private readonly next: SmsChannel,
    private readonly failures: Error[],
  ) {}

  async send(request: SmsSendRequest) {
    this.calls.push(request);
    const failure = this.failures.shift();
    if (failure) throw failure;
    return this.next.send(request);
  }
}

describe("alert push (快推)", () => {
  describe("idempotency", () => {
    it("sends nothing again when the alert.push message is redelivered", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { subject: { phone: SUBJECT } });
      await ctx.drain();
      const before = await alertRow(ctx, alertId);
      const outboxBefore = await outboxFor(ctx.deps, alertId);

      await ctx.deps.queue.publish([{ queue: "alert-push", message: { type: "alert.push", v: 1, alertId } }]);
      await ctx.deps.queue.publish([{ queue: "alert-push", message: { type: "alert.push", v: 1, alertId } }]);
      const handled = await ctx.drain();

      expect(handled).toBe(2);
      const counts = await countsByRecipient(ctx.deps, alertId);
      expect([...counts.values()]).toEqual([1, 1]);
      expect(counts.get(`victim_warning ${SUBJECT}`)).toBe(1);
      expect(await outboxFor(ctx.deps, alertId)).toHaveLength(outboxBefore.length);
      expect((await alertRow(ctx, alertId)).pushedAt).toEqual(before.pushedAt);
    });

    it("sends nothing new when sms.send is redelivered after the message was submitted", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx);
      await ctx.drain();
      const [victim] = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "victim_warning");
      const messageId = victim?.id as string;

      await ctx.deps.queue.publish([{ queue: "sms-urgent", message: { type: "sms.send", v: 1, messageId } }]);
      await ctx.drain();

      const outbox = await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.messageId, messageId));
      expect(outbox).toHaveLength(1);
      const [after] = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.id, messageId));
      expect(after).toMatchObject({
        status: "submitted",
        attempts: 1,
        providerMessageId: victim?.providerMessageId,
      });
      const events = await ctx.deps.db
        .select()
        .from(smsEvents)
        .where(eq(smsEvents.messageId, messageId))
        .orderBy(smsEvents.id);
      expect(events.map((e) => e.status)).toEqual(["queued", "submitted"]);
    });

    it("retries, rather than drops, an sms.send that finds another sender's lease on the message", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx);
      await drainWith(ctx.deps, ["alert-push"]);
      // A sender that took the lease and then died (or is still sending): its lease has not lapsed yet.
      await ctx.deps.db
        .update(smsMessages)
        .set({ leaseUntil: sql`now() + interval '1 hour'` })
        .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "victim_warning")));

      await drainWith(ctx.deps, ["sms-urgent"]);

      const [victim] = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "victim_warning");
      expect(victim?.status).toBe("queued");
      const pending = (await jobsIn(ctx.deps, "sms-urgent")).filter(
        (j) => (j.payload as { messageId: string }).messageId === victim?.id,
      );
      expect(pending).toHaveLength(1);

      // The lease lapses; the retried job sends the warning, once.
      await ctx.deps.db
        .update(smsMessages)
        .set({ leaseUntil: sql`now() - interval '1 second'` })
        .where(eq(smsMessages.id, victim?.id as string));
      await drainUntil(ctx.deps, async () => (await outboxFor(ctx.deps, alertId)).length === 2);

      const outbox = await ctx.deps.db
        .select()
        .from(devOutbox)
        .where(eq(devOutbox.messageId, victim?.id as string));
      expect(outbox).toHaveLength(1);
      expect((await smsFor(ctx.deps, alertId)).every((m) => m.status === "submitted")).toBe(true);
    });
  });

  describe("channel failures", () => {
    it.each([
      ["a transient SmsSendError", () => new SmsSendError("gateway busy", true)],
      ["an unexpected error", () => new TypeError("fetch failed")],
    ])("keeps the message queued after %s and sends it on retry, once", async (_name, failure) => {
      const ctx = await createTestContext();
      const channel = new ScriptedChannel(ctx.deps.sms, [failure()]);
      const deps = { ...ctx.deps, sms: channel };
      const alertId = await intake(ctx, { area: { code: "110101" } });
      await drainWith(deps, ["alert-push"]);

      await drainWith(deps, ["sms-urgent"]);

      // Still queued, with the reason kept, nothing recorded as sent, and a send job waiting to retry it.
      const failedId = channel.calls[0]?.messageId as string;
      const failed = (await smsFor(ctx.deps, alertId)).find((m) => m.id === failedId);
      expect(failed?.status).toBe("queued");
      expect(failed?.lastError).toBeTruthy();
      expect(await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.messageId, failedId))).toEqual([]);
      const retry = (await jobsIn(ctx.deps, "sms-urgent")).filter(
        (j) => (j.payload as { messageId: string }).messageId === failedId,
      );
      expect(retry).toHaveLength(1);

      await drainUntil(deps, async () =>
        (await smsFor(ctx.deps, alertId)).every((m) => m.status === "submitted"),
      );

      expect(
        await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.messageId, failedId)),
      ).toHaveLength(1);
      expect(channel.calls.filter((c) => c.messageId === failedId)).toHaveLength(2);
      expect(await jobsIn(ctx.deps, "sms-urgent")).toEqual([]);
    });

    it("marks the message failed with an event after a permanent failure, and never retries it", async () => {
      const ctx = await createTestContext();
      const channel = new ScriptedChannel(ctx.deps.sms, [new SmsSendError("number does not exist", false)]);
      const deps = { ...ctx.deps, sms: channel };
      const alertId = await intake(ctx, { area: { code: "110101" } });

      await drainWith(deps);

      const failedId = channel.calls[0]?.messageId as string;
      const [failed] = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.id, failedId));
      expect(failed).toMatchObject({
        status: "failed",
        lastError: "number does not exist",
        leaseUntil: null,
      });
      expect(failed?.finishedAt).toBeInstanceOf(Date);
      const events = await ctx.deps.db
        .select()
        .from(smsEvents)
        .where(eq(smsEvents.messageId, failedId))
        .orderBy(smsEvents.id);
      expect(events.map((e) => [e.status, e.detail])).toEqual([
        ["queued", null],
        ["failed", "number does not exist"],
      ]);
      expect(await jobsIn(ctx.deps, "sms-urgent")).toEqual([]);
      expect(await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.messageId, failedId))).toEqual([]);

      await ctx.deps.queue.publish([
        { queue: "sms-urgent", message: { type: "sms.send", v: 1, messageId: failedId } },
      ]);
      await drainWith(deps);
      expect(channel.calls.filter((c) => c.messageId === failedId)).toHaveLength(1);
      // The other SMS of the alert went out regardless.
      expect((await smsFor(ctx.deps, alertId)).filter((m) => m.status === "submitted")).toHaveLength(1);
    });
  });
});
