import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, jobs, officerNotices, officers, warnings } from "../../schema";
import { notifyOfficer } from "../../src/alerts/officer-notify";
import { pushAlert } from "../../src/alerts/push";
import { acknowledgeAlert } from "../../src/alerts/verify";
import { queueSms } from "../../src/sms/dispatch/queue-sms";
import { principalOf } from "../support/access";
import { aSubjectPhone } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";
import { untilWaitingForLock } from "../support/lock-waits";
import {
  about,
  alertCount,
  alertsFor,
  countsByRecipient,
  drainQueues,
  intake,
  outboxFor,
  post,
  smsTo,
} from "./support";

/**
 * Races between transactions on separate connections: two batches, flushes or consumers at the same time.
 * PostgreSQL only (vitest.config.ts): PGlite has a single connection on which transactions take turns, so
 * there these could not fail. Moved here unchanged from intake, repeats, bundling and push.test.ts.
 */

type Results = {
  results: { index: number; status: string; alertId?: string; errors?: { path: string }[] }[];
};

async function countRows(ctx: TestContext) {
  const [w] = await ctx.deps.db.select({ n: count() }).from(warnings);
  const [a] = await ctx.deps.db.select({ n: count() }).from(alerts);
  const [j] = await ctx.deps.db.select({ n: count() }).from(jobs);
  return { warnings: w?.n, alerts: a?.n, jobs: j?.n };
}

/** An officer on duty at miaogong with a phone. */
async function anOfficer(ctx: TestContext, id: string) {
  const phone = "+8613999002901";
  await ctx.deps.db.insert(officers).values({
    id,
    stationId: ctx.fixture.ids.station,
    postId: ctx.fixture.ids.miaogong,
    username: id,
    displayName: id,
    role: "officer",
    phoneEnc: ctx.deps.pii.encrypt(phone),
    phoneHash: ctx.deps.pii.hash(phone),
    onDuty: true,
    passwordHash: "not-used",
  });
  return { id, phone };
}

describe("POST /v1/feeds/{sourceId}/warnings", () => {
  it("accepts the same externalId from two concurrent batches exactly once", async () => {
    const ctx = await createTestContext();
    const shared = aWarning();
    const [a, b] = await Promise.all([
      ctx.postWarnings({ warnings: [shared, aWarning({ subject: { phone: "+86 139 0013 9001" } })] }),
      ctx.postWarnings({ warnings: [shared, aWarning({ subject: { phone: "+86 139 0013 9002" } })] }),
    ]);
    const statuses = [...((await a.json()) as Results).results, ...((await b.json()) as Results).results]
      .filter((r) => r.index === 0)
      .map((r) => r.status)
      .sort();
    expect(statuses).toEqual(["accepted", "duplicate"]);
    expect(await countRows(ctx)).toEqual({ warnings: 3, alerts: 3, jobs: 3 });
  });
});

describe("repeat warnings for one subject", () => {
  describe("concurrent batches", () => {
    it("open one alert for a subject whatever the number of batches posted at once", async () => {
      const ctx = await createTestContext();
      const phone = aSubjectPhone();

      const responses = await Promise.all(
        Array.from({ length: 5 }, () =>
          post(ctx, about(aSubjectPhone()), about(phone), about(aSubjectPhone())),
        ),
      );

      const forSubject = responses.map((results) => results[1]);
      expect(new Set(forSubject.map((r) => r?.alertId)).size).toBe(1);
      expect(forSubject.filter((r) => r?.linked).length).toBe(4);
      const rows = await ctx.deps.db
        .select({ id: alerts.id })
        .from(alerts)
        .where(eq(alerts.subjectPhoneHash, ctx.deps.pii.hash(phone)));
      expect(rows).toHaveLength(1);
      expect(await alertCount(ctx)).toBe(11);
    });

    it("open one alert for a subject when large batches (locking every subject) race small ones", async () => {
      const ctx = await createTestContext();
      const phone = aSubjectPhone();
      // Past lockSubjects' per-subject limit (128): a batch this size locks all subjects instead.
      const large = () =>
        post(ctx, ...Array.from({ length: 150 }, () => about(aSubjectPhone())), about(phone));
      const small = () => post(ctx, about(aSubjectPhone()), about(phone));

      const responses = await Promise.all([large(), small(), large(), small()]);

      const forSubject = responses.map((results) => results.at(-1));
      expect(forSubject.every((r) => r?.status === "accepted")).toBe(true);
      expect(new Set(forSubject.map((r) => r?.alertId)).size).toBe(1);
      expect(forSubject.filter((r) => r?.linked).length).toBe(3);
      expect(await alertCount(ctx)).toBe(2 * 150 + 2 * 1 + 1);
    });

    it("open a new case when an officer closes the open alert while the warning is being linked", async () => {
      const ctx = await createTestContext();
      const phone = aSubjectPhone();
      const [first] = await post(ctx, about(phone));
      let commitClose = () => {};
      const closed = new Promise<void>((resolve) => {
        commitClose = resolve;
      });
      let closeWritten = () => {};
      const written = new Promise<void>((resolve) => {
        closeWritten = resolve;
      });
      const closing = ctx.deps.db.transaction(async (tx) => {
        await tx
          .update(alerts)
          .set({ stage: "verified" })
          .where(eq(alerts.id, first?.alertId as string));
        closeWritten();
        await closed;
      });

      // The close holds the alert's row before the warning looks for an open case, and the warning waits on it.
      await written;
      const linking = post(ctx, about(phone));
      await untilWaitingForLock(ctx.deps.db, "%for update%", "the warning's open-case lookup");
      commitClose();
      await closing;
      const [later] = await linking;

      expect(later?.alertId).not.toBe(first?.alertId);
      expect(later?.linked).toBeUndefined();
    });

    it("do not deadlock when they name the same subjects in opposite orders", async () => {
      const ctx = await createTestContext();
      const subjects = Array.from({ length: 6 }, () => aSubjectPhone());

      const responses = await Promise.all([
        post(ctx, ...subjects.map((p) => about(p))),
        post(ctx, ...[...subjects].reverse().map((p) => about(p))),
        post(ctx, ...subjects.filter((_, i) => i % 2 === 0).map((p) => about(p))),
      ]);

      expect(responses.flat().every((r) => r.status === "accepted")).toBe(true);
      expect(await alertCount(ctx)).toBe(subjects.length);
      const [linked] = await ctx.deps.db
        .select({ n: count() })
        .from(alertEvents)
        .where(eq(alertEvents.kind, "warning_linked"));
      expect(Number(linked?.n)).toBe(6 + 3);
    });
  });
});

describe("officer notification bundling", () => {
  it("sends one SMS when two flushes for one officer run at once", async () => {
    const ctx = await createTestContext();
    // Medium: bundled (high alerts are paged one by one since issue 13).
    const medium = { riskLevel: "medium" };
    await alertsFor(ctx, medium, medium, medium);
    await drainQueues(ctx, ["alert-push"]);

    await Promise.all([
      notifyOfficer(ctx.deps, { officerId: "off_miaogong" }, ctx.deps.log),
      notifyOfficer(ctx.deps, { officerId: "off_miaogong" }, ctx.deps.log),
      notifyOfficer(ctx.deps, { officerId: "off_miaogong" }, ctx.deps.log),
    ]);
    await ctx.drain();

    const sent = await smsTo(ctx, ctx.fixture.phones.miaogong);
    expect(sent.map((s) => s.body)).toEqual(["【昌吉公安】您有3条新预警：中风险3，请立即登录签收。"]);
    const notices = await ctx.deps.db
      .select()
      .from(officerNotices)
      .where(eq(officerNotices.officerId, "off_miaogong"));
    expect(notices.map((n) => n.messageId)).toEqual([sent[0]?.id, sent[0]?.id, sent[0]?.id]);
  });
});

describe("an acknowledge racing the officer's flush", () => {
  // Either the flush commits first (the page went out before the acknowledge) or the acknowledge does and
  // the notice is dropped: never both, never neither, never a second SMS. Several rounds vary who wins.
  it.each(["critical", "medium"])("sends a %s notice once or drops it, never both", async (riskLevel) => {
    const ctx = await createTestContext();
    const principal = principalOf(ctx);
    const outcomes = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const [alertId] = (await alertsFor(ctx, { riskLevel })) as [string];
      await drainQueues(ctx, ["alert-push"]);
      // No interval in the way for medium: the officer was last notified long ago.
      await ctx.deps.db.update(officers).set({ lastNotifiedAt: null }).where(eq(officers.id, "off_miaogong"));
      const flush = () => notifyOfficer(ctx.deps, { officerId: "off_miaogong" }, ctx.deps.log);
      await Promise.all(
        round % 2
          ? [acknowledgeAlert(ctx.deps, principal, alertId), flush()]
          : [flush(), acknowledgeAlert(ctx.deps, principal, alertId)],
      );
      await flush(); // a redelivered flush after both
      await ctx.drain();

      const sent = (await smsTo(ctx, ctx.fixture.phones.miaogong)).filter((s) => s.alertId === alertId);
      const dropped = await ctx.deps.db
        .select({ data: alertEvents.data })
        .from(alertEvents)
        .where(and(eq(alertEvents.alertId, alertId), eq(alertEvents.kind, "officer_notice_dropped")));
      const [notice] = await ctx.deps.db
        .select()
        .from(officerNotices)
        .where(and(eq(officerNotices.officerId, "off_miaogong"), eq(officerNotices.alertId, alertId)));
      const [alert] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
      expect(alert?.stage).toBe("acknowledged");
      expect(sent.length + dropped.length, `round ${round}`).toBe(1);
      if (sent.length === 1) {
        expect(notice?.messageId).toBe(sent[0]?.id);
        outcomes.add("sent");
      } else {
        expect(notice).toMatchObject({ messageId: null, dropReason: "acknowledged" });
        outcomes.add("dropped");
      }
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
  it("makes an acknowledge that comes while a page is being written wait for it, never send it late", async () => {
    const ctx = await createTestContext();
    const [alertId] = (await alertsFor(ctx, { riskLevel: "critical" })) as [string];
    await drainQueues(ctx, ["alert-push"]);
    const order: string[] = [];
    const rollback = new Error("rollback");
    // Another transaction writes the page's SMS key and holds it: the flush, past reading the alert, waits
    // on that insert. An acknowledge arriving then must wait for the flush (which holds the alert), so the
    // page that goes out was written before the acknowledge, not after it.
    await ctx.deps.db
      .transaction(async (tx) => {
        await queueSms(ctx.deps, tx, () => {}, [
          {
            purpose: "officer_notification",
            lane: "urgent",
            to: ctx.fixture.phones.miaogong,
            body: "held",
            dedupeKey: `off_miaogong:${alertId}`,
          },
        ]);
        const flush = notifyOfficer(ctx.deps, { officerId: "off_miaogong" }, ctx.deps.log).then(() =>
          order.push("flush"),
        );
        await new Promise((r) => setTimeout(r, 300));
        const ack = acknowledgeAlert(ctx.deps, principalOf(ctx), alertId).then(() => order.push("ack"));
        await new Promise((r) => setTimeout(r, 300));
        order.push("released");
        pending.push(flush, ack);
        throw rollback;
      })
      .catch((error) => {
        if (error !== rollback) throw error;
      });
    await Promise.all(pending.splice(0));
    await ctx.drain();

    expect(order).toEqual(["released", "flush", "ack"]);
    const sent = (await smsTo(ctx, ctx.fixture.phones.miaogong)).filter((s) => s.alertId === alertId);
    expect(sent).toHaveLength(1);
  });
});

const pending: Promise<unknown>[] = [];

describe("alert push (快推)", () => {
  describe("idempotency", () => {
    it("creates one set of SMS when two consumers push the same alert at once", async () => {
      const ctx = await createTestContext();
      await anOfficer(ctx, "off_miaogong_2");
      const alertId = await intake(ctx);

      await Promise.all([
        pushAlert(ctx.deps, alertId, ctx.deps.log),
        pushAlert(ctx.deps, alertId, ctx.deps.log),
        pushAlert(ctx.deps, alertId, ctx.deps.log),
      ]);
      await ctx.drain();

      const counts = await countsByRecipient(ctx.deps, alertId);
      expect(counts.size).toBe(3);
      expect([...counts.values()]).toEqual([1, 1, 1]);
      expect(await outboxFor(ctx.deps, alertId)).toHaveLength(3);
      const sendJobs = await ctx.deps.db.select().from(jobs);
      expect(sendJobs).toEqual([]);
    });
  });
});
