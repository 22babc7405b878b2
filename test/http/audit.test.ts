import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, auditLog } from "../../schema";
import { writeAudit } from "../../src/audit/log";
import { expectRejectsTheWrongCaller, NOT_LOGGED_IN, tokenFor } from "../support/access";
import { anAlert, type Problem, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";

interface Entry {
  id: number;
  officerId: string | null;
  action: string;
  targetId: string;
  reason: string | null;
}
interface Page {
  entries: Entry[];
  nextCursor: string | null;
}

async function reveal(ctx: TestContext, alertId: string, reason: string) {
  const res = await send(ctx, await tokenFor(ctx, "miaogong"), "POST", `/v1/alerts/${alertId}/reveal-phone`, {
    reason,
  });
  expect(res.status).toBe(200);
}

async function audit(ctx: TestContext, caller: string, query = ""): Promise<Page> {
  const res = await send(ctx, await tokenFor(ctx, caller), "GET", `/v1/audit${query}`);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body as Page;
}

describe("GET /v1/audit", () => {
  it("gives supervisors the station's entries newest first, page by page, and nothing of another station", async () => {
    const ctx = await createTestContext();
    const alertId = await anAlert(ctx);
    for (const reason of ["第一次核实", "第二次核实", "第三次核实"]) await reveal(ctx, alertId, reason);
    await writeAudit(ctx.deps.db, {
      stationId: ctx.fixture.ids.otherStation,
      officerId: "off_other",
      action: "alert.subject_phone_revealed",
      targetType: "alert",
      targetId: "alr_elsewhere",
      reason: "另一派出所",
      at: new Date(),
    });

    const first = await audit(ctx, "supervisor", "?limit=2");
    const second = await audit(ctx, "supervisor", `?limit=2&cursor=${first.nextCursor}`);

    expect([...first.entries, ...second.entries].map((e) => e.reason)).toEqual([
      "第三次核实",
      "第二次核实",
      "第一次核实",
    ]);
    expect(first.entries[0]).toMatchObject({
      officerId: "off_miaogong",
      action: "alert.subject_phone_revealed",
      targetId: alertId,
    });
    expect(second.nextCursor).toBeNull();
    expect((await audit(ctx, "other")).entries.map((e) => e.targetId)).toEqual(["alr_elsewhere"]);
  });

  it("is readable by admins and filters by action, officer and target", async () => {
    const ctx = await createTestContext();
    const [a, b] = [await anAlert(ctx), await anAlert(ctx)];
    await reveal(ctx, a, "核实身份");
    const ack = await send(ctx, await tokenFor(ctx, "miaogong"), "POST", `/v1/alerts/${b}/acknowledge`);
    expect(ack.status).toBe(200);

    expect((await audit(ctx, "admin", `?targetId=${a}`)).entries.map((e) => e.action)).toEqual([
      "alert.subject_phone_revealed",
    ]);
    expect((await audit(ctx, "admin", "?action=alert.acknowledged")).entries.map((e) => e.targetId)).toEqual([
      b,
    ]);
    expect((await audit(ctx, "admin", "?officerId=off_miaogong")).entries).toHaveLength(2);
  });

  describe.each([
    ["a limit over 100", "?limit=101", "limit"],
    ["a cursor it did not issue", "?cursor=not-a-cursor", "cursor"],
  ])("rejects %s", (_name, query, path) => {
    it(`with 400 naming ${path}`, async () => {
      const ctx = await createTestContext();
      const res = await send(ctx, await tokenFor(ctx, "supervisor"), "GET", `/v1/audit${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toEqual([path]);
    });
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(ctx, { method: "GET", path: "/v1/audit" }, [
      ...NOT_LOGGED_IN,
      { caller: "miaogong", status: 403, code: "FORBIDDEN" },
    ]);
  });
});

describe("the audit log and alert timelines", () => {
  it("refuse UPDATE and DELETE: what was recorded stays recorded", async () => {
    const ctx = await createTestContext();
    const alertId = await anAlert(ctx);
    await reveal(ctx, alertId, "核实");

    await expect(ctx.deps.db.update(auditLog).set({ reason: "nothing to see" })).rejects.toThrow();
    await expect(ctx.deps.db.delete(auditLog)).rejects.toThrow();
    await expect(ctx.deps.db.update(alertEvents).set({ officerId: null })).rejects.toThrow();
    await expect(ctx.deps.db.execute(sql`delete from alert_events`)).rejects.toThrow();
    const [entry] = await ctx.deps.db.select().from(auditLog);
    expect(entry?.reason).toBe("核实");
  });
});
