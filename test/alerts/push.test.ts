import { and, eq, sql } from "drizzle-orm";
import { SegmentedMessage } from "sms-segments-calculator";
import { describe, expect, it } from "vitest";
import { alerts, devOutbox, jobs, jurisdictionRules, officers, smsEvents, smsMessages } from "../../schema";
import { messageHandler } from "../../src/consumers";
import { runBatch } from "../../src/queue/batch";
import { type SmsChannel, SmsSendError, type SmsSendRequest } from "../../src/sms/channels/channel";
import { QUEUE_NAMES, QUEUES, type QueueName } from "../../src/topology";
import { createTestContext, type TestContext } from "../support/context";
import { intake, outboxFor, smsFor } from "./support";

const SUBJECT = "+8613800138000";
const SIGNATURE = /^【[^【】]{2,12}】/;
const URL_LIKE = /https?:|www\.|[a-z0-9-]+\.(com|cn|net|org|top|xyz|vip|cc|me|app)\b/i;
/** A number anyone could be asked to call or text back: 110, 96110, 12381, a mobile, a landline. */
const CALLABLE_NUMBER = /\d{3,}/;
const FULL_MOBILE = /1[3-9]\d{9}/;

type Deps = TestContext["deps"];

let officerCount = 0;
/** An officer row; on duty at miaogong with a phone unless told otherwise. */
async function anOfficer(
  ctx: TestContext,
  id: string,
  overrides: { postId?: string; phone?: string | null; onDuty?: boolean; disabledAt?: Date | null } = {},
) {
  officerCount += 1;
  const phone =
    overrides.phone === undefined
      ? `+861399900${String(2000 + officerCount).padStart(4, "0")}`
      : overrides.phone;
  await ctx.deps.db.insert(officers).values({
    id,
    stationId: ctx.fixture.ids.station,
    postId: overrides.postId ?? ctx.fixture.ids.miaogong,
    username: id,
    displayName: id,
    role: "officer",
    phoneEnc: phone ? ctx.deps.pii.encrypt(phone) : null,
    phoneHash: phone ? ctx.deps.pii.hash(phone) : null,
    onDuty: overrides.onDuty ?? true,
    disabledAt: overrides.disabledAt ?? null,
    passwordHash: "not-used",
  });
  return { id, phone };
}

async function alertRow(deps: Deps, alertId: string) {
  const [row] = await deps.db.select().from(alerts).where(eq(alerts.id, alertId));
  if (!row) throw new Error(`no alert ${alertId}`);
  return row;
}

/** ctx.drain, but consuming with the deps given (a different SMS channel) and optionally only some queues. */
async function drainWith(deps: Deps, queues: readonly QueueName[] = QUEUE_NAMES): Promise<void> {
  const handle = messageHandler(deps);
  for (let round = 0; round < 50; round++) {
    let claimedAny = false;
    for (const queue of queues) {
      const records = await deps.queue.claim(queue, QUEUES[queue].batchSize, 30);
      if (records.length === 0) continue;
      claimedAny = true;
      const result = await runBatch(records, handle, deps.log);
      await deps.queue.settle(records, result, QUEUES[queue].maxReceives);
    }
    if (!claimedAny) return;
  }
  throw new Error("queues did not drain");
}

/** Drains repeatedly until `done` holds: failed jobs come back after a randomised backoff of up to a few seconds. */
async function drainUntil(deps: Deps, done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("condition not reached before the deadline");
    await drainWith(deps);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function jobsIn(deps: Deps, queue: QueueName) {
  return deps.db.select().from(jobs).where(eq(jobs.queue, queue));
}

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
  describe("routing", () => {
    it("marks the alert pushed, routed to the post whose area code prefix matches", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { area: { code: "652301105201", address: "某地" } });

      await ctx.drain();

      const alert = await alertRow(ctx.deps, alertId);
      expect(alert).toMatchObject({ stage: "pushed", postId: "pst_miaogong", routedBy: "rul_miaogong_code" });
      expect(alert.pushedAt).toBeInstanceOf(Date);
      expect(alert.pushedAt?.getTime()).toBeGreaterThanOrEqual(alert.receivedAt.getTime());
    });

    it("routes by address keyword when no area code rule matches", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { area: { code: "652301", address: "三工镇二工村三组" } });

      await ctx.drain();

      expect(await alertRow(ctx.deps, alertId)).toMatchObject({
        stage: "pushed",
        postId: "pst_ergong",
        routedBy: "rul_ergong_kw",
      });
    });

    it("lets the longest matching rule win", async () => {
      const ctx = await createTestContext();
      await ctx.deps.db.insert(jurisdictionRules).values([
        {
          id: "rul_township",
          stationId: "stn_sangong",
          postId: "pst_ergong",
          kind: "area_prefix",
          pattern: "652301105",
        },
        {
          id: "rul_group",
          stationId: "stn_sangong",
          postId: "pst_ergong",
          kind: "address_keyword",
          pattern: "庙工村七组",
        },
      ]);
      const byCode = await intake(ctx, { area: { code: "652301105201" } });
      const byKeyword = await intake(ctx, { area: { address: "三工镇庙工村七组" } });

      await ctx.drain();

      expect(await alertRow(ctx.deps, byCode)).toMatchObject({
        postId: "pst_miaogong",
        routedBy: "rul_miaogong_code",
      });
      expect(await alertRow(ctx.deps, byKeyword)).toMatchObject({
        postId: "pst_ergong",
        routedBy: "rul_group",
      });
    });

    it("falls back to the station's duty desk and notifies its officer", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { area: { code: "110101", address: "北京市东城区" } });

      await ctx.drain();

      expect(await alertRow(ctx.deps, alertId)).toMatchObject({ postId: "pst_duty", routedBy: "duty_desk" });
      const notified = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "officer_notification");
      expect(notified.map((m) => m.to)).toEqual([ctx.fixture.phones.duty]);
    });

    it("never applies another station's rules, however well they match", async () => {
      const ctx = await createTestContext();
      await ctx.deps.db.insert(jurisdictionRules).values([
        // Same length as this station's rule and an id that sorts first: only the station filter keeps it out.
        {
          id: "rul_0_other_code",
          stationId: "stn_other",
          postId: "pst_other_duty",
          kind: "area_prefix",
          pattern: "652301105201",
        },
        {
          id: "rul_other_kw",
          stationId: "stn_other",
          postId: "pst_other_duty",
          kind: "address_keyword",
          pattern: "北京市东城区",
        },
      ]);
      const coded = await intake(ctx, { area: { code: "652301105201" } });
      const unmatched = await intake(ctx, { area: { address: "北京市东城区" } });

      await ctx.drain();

      expect(await alertRow(ctx.deps, coded)).toMatchObject({
        postId: "pst_miaogong",
        routedBy: "rul_miaogong_code",
      });
      expect(await alertRow(ctx.deps, unmatched)).toMatchObject({
        postId: "pst_duty",
        routedBy: "duty_desk",
      });
    });
  });

  describe("the warning SMS to the subject", () => {
    it.each(["funds", "call", "sms", "url", "app", "other"])(
      "sends exactly one %s warning: signed, no link, no number to call back, segments counted",
      async (type) => {
        const ctx = await createTestContext();
        const alertId = await intake(ctx, { type, subject: { phone: "138 0013 8000" } });

        await ctx.drain();

        const warnings = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "victim_warning");
        expect(warnings).toHaveLength(1);
        const [sms] = warnings;
        expect(sms).toMatchObject({ to: SUBJECT, status: "submitted", lane: "urgent" });
        expect(sms?.body?.startsWith(ctx.deps.config.SMS_SIGNATURE)).toBe(true);
        expect(sms?.body).toMatch(SIGNATURE);
        expect(sms?.body).not.toMatch(URL_LIKE);
        expect(sms?.body).not.toMatch(CALLABLE_NUMBER);
        expect(sms?.segments).toBe(new SegmentedMessage(sms?.body as string).segmentsCount);

        const outbox = (await outboxFor(ctx.deps, alertId)).filter((o) => o.purpose === "victim_warning");
        expect(outbox).toHaveLength(1);
        expect(outbox[0]).toMatchObject({
          messageId: sms?.id,
          toMasked: "138****8000",
          body: sms?.body,
          segments: sms?.segments,
        });
      },
    );

    it("signs with the configured signature", async () => {
      const ctx = await createTestContext({ env: { SMS_SIGNATURE: "【三工派出所】" } });
      const alertId = await intake(ctx);

      await ctx.drain();

      const bodies = (await smsFor(ctx.deps, alertId)).map((m) => m.body);
      expect(bodies.length).toBeGreaterThan(1);
      for (const body of bodies) expect(body.startsWith("【三工派出所】")).toBe(true);
    });
  });

  describe("notifications to officers", () => {
    it("notifies each on-duty officer of the post with a phone once, and no one else", async () => {
      const ctx = await createTestContext();
      const second = await anOfficer(ctx, "off_miaogong_2");
      await anOfficer(ctx, "off_off_duty", { onDuty: false });
      await anOfficer(ctx, "off_disabled", { disabledAt: new Date("2026-01-01T00:00:00Z") });
      await anOfficer(ctx, "off_no_phone", { phone: null });
      const elsewhere = await anOfficer(ctx, "off_ergong_2", { postId: ctx.fixture.ids.ergong });
      const alertId = await intake(ctx, { area: { code: "652301105201" } });

      await ctx.drain();

      const notified = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "officer_notification");
      expect(notified.map((m) => m.to).sort()).toEqual([ctx.fixture.phones.miaogong, second.phone].sort());
      const recipients = (await smsFor(ctx.deps, alertId)).map((m) => m.to);
      for (const phone of [ctx.fixture.phones.ergong, ctx.fixture.phones.duty, elsewhere.phone]) {
        expect(recipients).not.toContain(phone);
      }
      expect(await outboxFor(ctx.deps, alertId)).toHaveLength(3);
    });

    it("tells the officer what and where, signed, without the subject's number", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, {
        type: "funds",
        riskLevel: "critical",
        subject: { phone: "+86 138 0013 8000", name: "王某" },
        area: { code: "652301105201", address: "三工镇庙工村七组" },
      });

      await ctx.drain();

      const [sms] = (await smsFor(ctx.deps, alertId)).filter((m) => m.purpose === "officer_notification");
      expect(sms?.body).toMatch(SIGNATURE);
      expect(sms?.body).toContain("资金预警");
      expect(sms?.body).toContain("庙工村七组");
      expect(sms?.body).toContain(alertId.slice(-8));
      expect(sms?.body).not.toMatch(FULL_MOBILE);
      expect(sms?.body).not.toContain("王某");
      expect(sms?.body).not.toMatch(URL_LIKE);
      expect(sms?.segments).toBe(new SegmentedMessage(sms?.body as string).segmentsCount);
    });
  });

  describe("idempotency", () => {
    async function countsByRecipient(deps: Deps, alertId: string) {
      const counts = new Map<string, number>();
      for (const m of await smsFor(deps, alertId)) {
        const key = `${m.purpose} ${m.to}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    }

    it("sends nothing again when the alert.push message is redelivered", async () => {
      const ctx = await createTestContext();
      const alertId = await intake(ctx, { subject: { phone: SUBJECT } });
      await ctx.drain();
      const before = await alertRow(ctx.deps, alertId);
      const outboxBefore = await outboxFor(ctx.deps, alertId);

      await ctx.deps.queue.publish([{ queue: "alert-push", message: { type: "alert.push", v: 1, alertId } }]);
      await ctx.deps.queue.publish([{ queue: "alert-push", message: { type: "alert.push", v: 1, alertId } }]);
      const handled = await ctx.drain();

      expect(handled).toBe(2);
      const counts = await countsByRecipient(ctx.deps, alertId);
      expect([...counts.values()]).toEqual([1, 1]);
      expect(counts.get(`victim_warning ${SUBJECT}`)).toBe(1);
      expect(await outboxFor(ctx.deps, alertId)).toHaveLength(outboxBefore.length);
      expect((await alertRow(ctx.deps, alertId)).pushedAt).toEqual(before.pushedAt);
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
      const events = await ctx.deps.db.select().from(smsEvents).where(eq(smsEvents.messageId, messageId));
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
      const events = await ctx.deps.db.select().from(smsEvents).where(eq(smsEvents.messageId, failedId));
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
