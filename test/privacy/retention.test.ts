import { count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  contactAttempts,
  dailyUsage,
  idempotencyKeys,
  parcelEvents,
  sessions,
  smsMessages,
  warnings,
} from "../../schema";
import { addDays, shanghaiDate } from "../../src/calendar";
import { anEvent, DAY, HOUR, postEvents } from "../parcels/support";
import { givenPushedAlert, type Problem, send } from "../support/alerts";
import type { TestContext } from "../support/context";
import { aPartner } from "../support/partners";
import { call, givenClosedAlert, RETENTION_DAYS, retentionContext } from "./support";

/**
 * The station's alert report over the days around `day`: [from, to) in Beijing days, so the window holds
 * `day` whatever the hour (a UTC date ends the window at Beijing midnight before an alert from 00:30).
 */
async function alertReport(ctx: TestContext, day: Date) {
  const date = (offset: number) => addDays(shanghaiDate(day), offset);
  const query = `?from=${date(-1)}&to=${date(1)}`;
  const res = await send(ctx, await ctx.login("supervisor"), "GET", `/v1/reports/alerts${query}`);
  expect(res.status).toBe(200);
  const { generatedAt: _, from: __, to: ___, ...figures } = (await res.json()) as Record<string, unknown>;
  return figures;
}

describe("retention purge (PII_RETENTION_DAYS)", () => {
  it("clears a closed alert's subject, address and notes once the period has passed; the case's facts stay", async () => {
    const { ctx, clock, sweep } = await retentionContext();
    const start = clock.now();
    const closed = await givenClosedAlert(ctx);
    const stillOpen = await givenPushedAlert(ctx);
    clock.advance((RETENTION_DAYS - 1) * DAY);
    const closedLater = await givenClosedAlert(ctx);
    expect((await sweep()).alertsPurged).toBe(0);
    const before = (await call(ctx, "GET", `/v1/alerts/${closed}`)).body;
    const reportBefore = await alertReport(ctx, start);

    clock.advance(DAY + HOUR);
    const report = await sweep();

    expect(report.alertsPurged).toBe(1);
    const after = (await call(ctx, "GET", `/v1/alerts/${closed}`)).body;
    expect(after.subject).toEqual({ phone: null, name: null, purgedAt: clock.now().toISOString() });
    expect(after.area).toEqual({ code: "652301105201", address: null });
    // What the case was and how it went stays: stage, outcome, amounts, stage times.
    for (const kept of ["stage", "outcome", "amountProtected", "stageTimes", "riskLevel", "type"]) {
      expect(after[kept], kept).toEqual(before[kept]);
    }
    expect(reportBefore.total).toBe(2);
    expect(await alertReport(ctx, start)).toEqual(reportBefore);
    const sealed = await ctx.deps.db.select().from(warnings).where(eq(warnings.alertId, closed));
    expect(
      sealed.map((w) => [w.subjectPhoneEnc, w.subjectPhoneHash, w.subjectNameEnc, w.areaAddress]),
    ).toEqual([[null, null, null, null]]);
    const notes = await ctx.deps.db.select().from(contactAttempts).where(eq(contactAttempts.alertId, closed));
    expect(notes.map((n) => n.note)).toEqual([null]);
    expect(JSON.stringify(after)).not.toContain("王某");

    // The open alert, however old, and the one closed within the period keep their subject.
    for (const kept of [stillOpen, closedLater]) {
      expect((await call(ctx, "GET", `/v1/alerts/${kept}`)).body.subject).toMatchObject({
        phone: expect.stringMatching(/^\d{3}\*{4}\d{4}$/),
        purgedAt: null,
      });
    }
  });

  it("answers a reveal of a purged number with 410 problem+json, and records no reveal", async () => {
    const { ctx, clock, sweep } = await retentionContext();
    const closed = await givenClosedAlert(ctx);
    clock.advance((RETENTION_DAYS + 1) * DAY);
    await sweep();

    const res = await send(ctx, await ctx.login("miaogong"), "POST", `/v1/alerts/${closed}/reveal-phone`, {
      reason: "回访",
    });

    expect(res.status).toBe(410);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as Problem).code).toBe("PERSONAL_DATA_PURGED");
    const timeline = (await call(ctx, "GET", `/v1/alerts/${closed}`)).body.timeline as { kind: string }[];
    expect(timeline.map((t) => t.kind)).not.toContain("phone_revealed");
  });

  it("clears a final SMS's recipient and text, and keeps its masked number and history", async () => {
    const { ctx, clock, sweep } = await retentionContext();
    const closed = await givenClosedAlert(ctx);
    const [warning] = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.alertId, closed));
    const id = warning?.id as string;
    clock.advance((RETENTION_DAYS + 1) * DAY);

    const report = await sweep();

    // The warning had no receipt: the same sweep expires it (72 h), then purges it.
    expect(report.smsPurged).toBeGreaterThanOrEqual(1);
    const res = await send(ctx, await ctx.login("miaogong"), "GET", `/v1/messages/${id}`);
    const message = (await res.json()) as {
      to: string;
      body: string | null;
      status: string;
      history: unknown[];
    };
    expect(message).toMatchObject({ to: warning?.recipientMasked, body: null, status: "expired" });
    expect(message.history.length).toBeGreaterThanOrEqual(3);
    const [row] = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.id, id));
    expect([row?.recipientEnc, row?.recipientHash, row?.idempotencyKey]).toEqual([
      null,
      null,
      `purged:${id}`,
    ]);
  });

  it("leaves queued SMS alone, however old", async () => {
    const { ctx, clock, sweep } = await retentionContext();
    const alertId = await givenPushedAlert(ctx);
    await ctx.deps.db
      .update(smsMessages)
      .set({ status: "queued", submittedAt: null, notBefore: new Date(clock.now().getTime() + 400 * DAY) })
      .where(eq(smsMessages.alertId, alertId));
    clock.advance((RETENTION_DAYS + 1) * DAY);

    await sweep();

    const rows = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.alertId, alertId));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows)
      expect([r.status, r.recipientEnc === null, r.body === null]).toEqual(["queued", false, false]);
  });

  it("clears a parcel event's recipient once the period has passed; the partner still sees the event", async () => {
    const { ctx, clock, sweep } = await retentionContext();
    const partner = await aPartner(ctx);
    const old = anEvent({ occurredAt: clock.now().toISOString() });
    expect((await postEvents(ctx, partner, { events: [old] })).status).toBe(200);
    clock.advance((RETENTION_DAYS + 1) * DAY);
    const recent = anEvent({ occurredAt: clock.now().toISOString() });
    expect((await postEvents(ctx, partner, { events: [recent] })).status).toBe(200);

    expect((await sweep()).parcelEventsPurged).toBe(1);

    const view = async (waybillNo: string) => {
      const res = await ctx.app.request(`/v1/partners/${partner.id}/parcel-events/${waybillNo}`, {
        headers: { authorization: `Bearer ${partner.apiKey}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { events: { recipient: string | null; kind: string }[] }).events;
    };
    expect(await view(old.waybillNo)).toMatchObject([{ recipient: null, kind: old.kind }]);
    expect((await view(recent.waybillNo))[0]?.recipient).toMatch(/\*{6}/);
    const [row] = await ctx.deps.db
      .select()
      .from(parcelEvents)
      .where(eq(parcelEvents.waybillNo, old.waybillNo));
    expect([row?.recipientEnc, row?.recipientHash]).toEqual([null, null]);
  });

  it("deletes expired sessions, old idempotency keys and past days' counters, and keeps live ones", async () => {
    const { ctx, clock, sweep } = await retentionContext({
      SESSION_TTL_HOURS: "12",
      IDEMPOTENCY_KEY_TTL_HOURS: "24",
    });
    const partner = await aPartner(ctx);
    const batch = { events: [anEvent({ occurredAt: clock.now().toISOString() })] };
    expect((await postEvents(ctx, partner, batch, { "idempotency-key": "batch-0001" })).status).toBe(200);
    await ctx.login("miaogong");
    await givenPushedAlert(ctx); // counts the warning against its number's daily cap
    const rows = async () => ({
      sessions: (await ctx.deps.db.select({ n: count() }).from(sessions))[0]?.n,
      keys: (await ctx.deps.db.select({ n: count() }).from(idempotencyKeys))[0]?.n,
      counters: (await ctx.deps.db.select({ n: count() }).from(dailyUsage))[0]?.n,
    });
    const start = await rows();
    expect(start.sessions).toBeGreaterThan(0);
    expect(start.keys).toBe(1);
    expect(start.counters).toBeGreaterThan(0);

    clock.advance(11 * HOUR);
    await sweep();
    expect(await rows()).toEqual(start);

    clock.advance(3 * DAY);
    const report = await sweep();

    expect(await rows()).toEqual({ sessions: 0, keys: 0, counters: 0 });
    expect(report.expiredRowsDeleted).toBeGreaterThanOrEqual(2 + (start.counters ?? 0));
    // The key may be used again: the same batch is decided afresh, not answered from the stale record.
    const again = await postEvents(ctx, partner, batch, { "idempotency-key": "batch-0001" });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
  });

  // Two sweeps at once splitting the work: retention.pg.test.ts (a race needs two connections).
  it("does each purge once: a second sweep finds nothing", async () => {
    const { ctx, clock, sweep } = await retentionContext();
    const ids = [await givenClosedAlert(ctx), await givenClosedAlert(ctx), await givenClosedAlert(ctx)];
    clock.advance((RETENTION_DAYS + 1) * DAY);

    const first = await sweep();
    const again = await sweep();

    expect(first.alertsPurged).toBe(ids.length);
    expect(again).toMatchObject({ alertsPurged: 0, smsPurged: 0, parcelEventsPurged: 0 });
    const [left] = await ctx.deps.db
      .select({ n: count() })
      .from(warnings)
      .where(sql`${warnings.subjectPhoneEnc} is not null`);
    expect(left?.n).toBe(0);
  });
});
