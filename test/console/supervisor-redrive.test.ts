import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, partnerCallbacks } from "../../schema";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { csrfToken } from "../../src/console/csrf";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aPartner } from "../support/partners";

/**
 * A partner's status callback that kept failing, as a supervisor meets it on the supervisor page: listed with
 * the partner's name and the error, re-driven with one button (audited), in the page's language.
 */
describe("stopped partner callbacks on the supervisor page", () => {
  let ctx: TestContext;
  const clock = new ManualClock("2026-12-03T04:00:00Z");

  beforeEach(async () => {
    ctx = await createTestContext({ clock });
  });

  const cookieFor = async (username: string) => `${SESSION_COOKIE}=${await ctx.login(username)}`;

  async function deadCallback() {
    const partner = await aPartner(ctx, { name: "顺达快递" });
    await ctx.deps.db.insert(partnerCallbacks).values({
      partnerId: partner.id,
      url: "https://partner.example.cn/sms-status",
      secretEnc: ctx.deps.pii.encrypt("callback-secret"),
      status: "dead",
      attempts: 12,
      lastError: "HTTP 410",
      deadAt: clock.now(),
    });
    return partner;
  }

  function post(cookie: string, path: string) {
    return ctx.app.request(path, {
      method: "POST",
      headers: {
        cookie,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: csrfToken(cookie.split("=")[1] as string) }).toString(),
    });
  }

  it("lists it for supervisors and admins and re-drives it, once, with an audit entry", async () => {
    const partner = await deadCallback();
    const supervisor = await cookieFor("supervisor");

    const page = await (
      await ctx.app.request("/console/supervisor", { headers: { cookie: supervisor } })
    ).text();
    expect(page).toContain("快递伙伴状态回调中断");
    expect(page).toContain("顺达快递");
    expect(page).toContain("原因：HTTP 410");
    expect(page).toContain(`action="/console/message-callbacks/${partner.id}/redrive"`);
    const en = await (
      await ctx.app.request("/console/supervisor?lang=en", { headers: { cookie: supervisor } })
    ).text();
    expect(en).toContain("Partner status callbacks stopped");

    const redriven = await post(supervisor, `/console/message-callbacks/${partner.id}/redrive`);
    expect(redriven.status).toBe(303);
    expect(redriven.headers.get("location")).toBe("/console/supervisor#dead-callbacks");
    const [callback] = await ctx.deps.db
      .select()
      .from(partnerCallbacks)
      .where(eq(partnerCallbacks.partnerId, partner.id));
    expect(callback).toMatchObject({ status: "active", attempts: 0, deadAt: null });
    const audits = await ctx.deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "partner.callback_redriven"), eq(auditLog.targetId, partner.id)));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ officerId: "off_supervisor", reason: "console re-drive" });
    const after = await (
      await ctx.app.request("/console/supervisor", { headers: { cookie: supervisor } })
    ).text();
    expect(after).toContain("无中断的状态回调");

    // A second press (another tab, a colleague first) finds nothing dead: back to the page, nothing written.
    const again = await post(await cookieFor("admin"), `/console/message-callbacks/${partner.id}/redrive`);
    expect(again.status).toBe(303);
    expect(
      await ctx.deps.db.select().from(auditLog).where(eq(auditLog.action, "partner.callback_redriven")),
    ).toHaveLength(1);
  });

  it("answers a partner it does not know with a page in Chinese, and officers with 403", async () => {
    const partner = await deadCallback();

    const unknown = await post(
      await cookieFor("supervisor"),
      "/console/message-callbacks/par_nobody/redrive",
    );
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("本所没有这条待重新推送的记录");

    const officer = await post(
      await cookieFor("miaogong"),
      `/console/message-callbacks/${partner.id}/redrive`,
    );
    expect(officer.status).toBe(403);
    const [callback] = await ctx.deps.db
      .select()
      .from(partnerCallbacks)
      .where(eq(partnerCallbacks.partnerId, partner.id));
    expect(callback?.status).toBe("dead");
  });
});
