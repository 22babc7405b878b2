import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { feedbackEvents, officers } from "../../schema";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { nextShanghaiMidnight } from "../../src/calendar";
import { csrfToken } from "../../src/console/csrf";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { CALLBACK_URL, closeWithOutcome, setCallbackUrl } from "../support/feedback";

/**
 * Every console page in every state it has, rendered through the app as a browser would ask for it (session
 * cookie, no bearer token), on whichever database this project runs. The browser test covers one database;
 * this one exists because a page that works on PGlite answered 500 on PostgreSQL (issue 10, item 2).
 */
describe("console pages render on this database", () => {
  let ctx: TestContext;
  let clock: ManualClock;

  beforeEach(async () => {
    // 10:00 tomorrow in Beijing, not the wall clock: "today's figures" counted nothing when the test ran in
    // the half hour before Beijing midnight and its 30-minute advance crossed into the next day.
    clock = new ManualClock(new Date(nextShanghaiMidnight(new Date()).getTime() + 10 * 3_600_000));
    ctx = await createTestContext({ clock });
  });

  async function cookieFor(username: string): Promise<string> {
    return `${SESSION_COOKIE}=${await ctx.login(username)}`;
  }

  async function page(cookie: string | undefined, path: string) {
    const res = await ctx.app.request(path, { headers: cookie ? { cookie } : {} });
    return { status: res.status, location: res.headers.get("location"), html: await res.text() };
  }

  async function expectPage(cookie: string | undefined, path: string, ...texts: string[]) {
    const res = await page(cookie, path);
    expect(res.status, `${path}: ${res.html.slice(0, 300)}`).toBe(200);
    for (const text of texts) expect(res.html, `${path} shows ${text}`).toContain(text);
    // Raw enum values or translation keys would mean a label is missing.
    expect(res.html).not.toMatch(/undefined|\[object Object\]|Invalid Date|NaN/);
    return res.html;
  }

  it("serves the login page and assets to anyone and sends the rest to the login page", async () => {
    await expectPage(undefined, "/console/login", 'action="/console/login"', "用户名");
    await expectPage(undefined, "/console/login?lang=en", "Username");
    // A failed login is a state of the login page: the message, the username kept.
    const failed = await ctx.app.request("/console/login", {
      method: "POST",
      headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "miaogong", password: "not the password" }).toString(),
    });
    expect(failed.status).toBe(401);
    const failedHtml = await failed.text();
    expect(failedHtml).toContain("用户名或密码错误");
    expect(failedHtml).toContain('value="miaogong"');
    expect((await page(undefined, "/console/assets/console.css")).status).toBe(200);
    expect((await page(undefined, "/console/assets/console.js")).status).toBe(200);
    for (const path of ["/console", "/console/supervisor", "/console/alerts/alr_x", "/console/password"]) {
      const res = await page(undefined, path);
      expect(res.status, path).toBe(303);
      expect(res.location, path).toBe("/console/login");
    }
  });

  it("shows an officer an empty queue, then the alert in it through every stage", async () => {
    const officer = await cookieFor("miaogong");
    // The tab title counts unacknowledged alerts, in the page's language, and says nothing when there are none.
    await expectPage(officer, "/console", "暂无待处置预警", "<title>待处置预警 · 反诈预警处置</title>");
    await expectPage(officer, "/console/fragments/queue", "暂无待处置预警");

    const alertId = await givenPushedAlert(ctx);
    await expectPage(
      officer,
      "/console",
      `/console/alerts/${alertId}`,
      "<title>(1) 待处置预警 · 反诈预警处置",
    );
    await expectPage(officer, "/console?lang=en", "<title>(1) My queue · Anti-fraud alerts</title>");
    await expectPage(officer, "/console/fragments/queue?lang=en", 'data-unacknowledged="1"');

    // pushed: can be acknowledged; the number is masked until revealed.
    let html = await expectPage(officer, `/console/alerts/${alertId}`, "签收", "****", "庙工村警务室");
    expect(html).toContain(`/console/alerts/${alertId}/acknowledge`);
    await expectPage(officer, `/console/alerts/${alertId}?lang=en`, "Acknowledge");

    const acknowledged = await ctx.app.request(`/console/alerts/${alertId}/acknowledge`, {
      method: "POST",
      headers: {
        cookie: officer,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: csrfToken(officer.split("=")[1] as string) }).toString(),
    });
    expect(acknowledged.status).toBe(303);
    await expectPage(
      officer,
      "/console",
      "<title>待处置预警 · 反诈预警处置</title>",
      'data-unacknowledged="0"',
    );
    // Acting on an old version of the page: the page again, with the conflict explained.
    const stale = await ctx.app.request(`/console/alerts/${alertId}/attempts`, {
      method: "POST",
      headers: {
        cookie: officer,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        _csrf: csrfToken(officer.split("=")[1] as string),
        channel: "phone",
        reached: "true",
        expectedVersion: "1",
      }).toString(),
    });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("该预警已被他人更新");
    html = await expectPage(officer, `/console/alerts/${alertId}?saved=1`, "已保存", "登记结果", "记录联系");
    expect(html).toContain(`/console/alerts/${alertId}/outcome`);

    // The revealed number is a page state too: the POST reveals and redirects, the page shows it.
    const revealed = await ctx.app.request(`/console/alerts/${alertId}/reveal`, {
      method: "POST",
      headers: {
        cookie: officer,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        _csrf: csrfToken(officer.split("=")[1] as string),
        reason: "核实",
      }).toString(),
    });
    expect(revealed.status).toBe(303);
    expect(revealed.headers.get("location")).toBe(`/console/alerts/${alertId}?revealed=1`);
    await expectPage(officer, `/console/alerts/${alertId}?revealed=1`, "已显示完整号码");
    expect((await page(officer, `/console/alerts/${alertId}`)).html).toMatch(/href="tel:\+861\d{10}"/);

    // verified: the outcome shows, no actions are offered.
    const closedId = await givenPushedAlert(ctx);
    await closeWithOutcome(ctx, closedId, { outcome: "dissuaded", amountProtected: 500_000 });
    html = await expectPage(officer, `/console/alerts/${closedId}`, "劝阻成功", "5,000");
    expect(html).not.toContain("/acknowledge");

    // Someone else's alert and no alert at all look the same.
    const ergong = await cookieFor("ergong");
    expect((await page(ergong, `/console/alerts/${alertId}`)).status).toBe(404);
    expect((await page(officer, "/console/alerts/alr_does_not_exist")).status).toBe(404);
    // An officer is not a supervisor.
    expect((await page(officer, "/console/supervisor")).status).toBe(403);
  });

  it("shows supervisors and admins workload, overdue alerts, failed feedback and today's figures", async () => {
    await setCallbackUrl(ctx, CALLBACK_URL);
    const overdueId = await givenPushedAlert(ctx);
    const failedId = await givenPushedAlert(ctx);
    const [eventId] = await closeWithOutcome(ctx, failedId, {
      outcome: "dissuaded",
      amountProtected: 120_000,
    });
    await ctx.deps.db
      .update(feedbackEvents)
      .set({ status: "dead", lastError: "HTTP 410", deadAt: clock.now(), attempts: 3 })
      .where(eq(feedbackEvents.id, eventId as string));
    clock.advanceMinutes(30); // past the 5-minute acknowledge deadline of a high-risk alert

    for (const username of ["supervisor", "admin"]) {
      const cookie = await cookieFor(username);
      const html = await expectPage(
        cookie,
        "/console/supervisor",
        "今日概况",
        "庙工村警务室",
        "二工村警务室",
        `/console/alerts/${overdueId}`,
        `/console/dead-letters/${eventId}/redrive`,
        "HTTP 410",
      );
      expect(html).toMatch(/data-figure="received">2</);
      expect(html).toMatch(/data-figure="dissuaded">1</);
      await expectPage(cookie, "/console/supervisor?lang=en", "Today", "Failed feedback");
      await expectPage(cookie, "/console", `/console/alerts/${overdueId}`);
      await expectPage(cookie, `/console/alerts/${overdueId}`, "待签收", "签收");
    }
  });

  it("shows the password page, and only it while an admin-set password must be replaced", async () => {
    const cookie = await cookieFor("miaogong");
    await expectPage(cookie, "/console/password", 'action="/console/password"');

    await ctx.deps.db
      .update(officers)
      .set({ passwordChangeRequired: true })
      .where(eq(officers.id, "off_miaogong"));
    const queue = await page(cookie, "/console");
    expect(queue.status).toBe(303);
    expect(queue.location).toBe("/console/password");
    await expectPage(cookie, "/console/password", "您的密码由管理员设置");
  });
});
