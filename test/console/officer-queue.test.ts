import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { alerts, auditLog } from "../../schema";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { csrfToken } from "../../src/console/csrf";
import { anAlert, givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { closeWithOutcome } from "../support/feedback";

/** What an officer notices in the queue and around a reveal: which cards show, what a reload does. */
describe("the officer's queue and the revealed number", () => {
  let ctx: TestContext;
  let clock: ManualClock;
  let cookie: string;
  let csrf: string;

  beforeEach(async () => {
    clock = new ManualClock(new Date("2026-12-03T04:00:00Z")); // 12:00 in Beijing
    ctx = await createTestContext({ clock });
    const token = await ctx.login("miaogong");
    cookie = `${SESSION_COOKIE}=${token}`;
    csrf = csrfToken(token);
  });

  const html = async (path: string) => (await ctx.app.request(path, { headers: { cookie } })).text();
  const post = (path: string, form: Record<string, string> = {}) =>
    ctx.app.request(path, {
      method: "POST",
      headers: { cookie, origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
    });
  const cards = (page: string) => [...page.matchAll(/data-alert-id="([^"]+)"/g)].map((m) => m[1]);
  const reveals = async (alertId: string) =>
    (
      await ctx.deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.targetId, alertId), eq(auditLog.action, "alert.subject_phone_revealed")))
    ).length;

  it("keeps a revealed number and its call link for the window, audited once, then masks it again", async () => {
    const id = await anAlert(ctx, { phone: "+8613912340001" });
    await post(`/console/alerts/${id}/acknowledge`);
    const revealed = await post(`/console/alerts/${id}/reveal`, { reason: "电话核实" });
    expect(revealed.status).toBe(303);
    expect(revealed.headers.get("location")).toBe(`/console/alerts/${id}?revealed=1`);

    // Reloads and other actions keep showing it; none of them reveals again.
    expect(await html(`/console/alerts/${id}?revealed=1`)).toContain('href="tel:+8613912340001"');
    await post(`/console/alerts/${id}/attempts`, { channel: "phone", reached: "false" });
    clock.advanceMinutes(4);
    expect(await html(`/console/alerts/${id}`)).toContain('href="tel:+8613912340001"');
    expect(await reveals(id)).toBe(1);

    // Past the window the page masks it and offers the (audited) reveal again.
    clock.advanceMinutes(2);
    const later = await html(`/console/alerts/${id}`);
    expect(later).not.toContain("tel:");
    expect(later).not.toContain("13912340001");
    expect(later).toContain(`action="/console/alerts/${id}/reveal"`);

    // Another person at the station does not see this officer's reveal.
    const supervisor = `${SESSION_COOKIE}=${await ctx.login("supervisor")}`;
    clock.advanceMinutes(-3);
    const theirs = await (
      await ctx.app.request(`/console/alerts/${id}`, { headers: { cookie: supervisor } })
    ).text();
    expect(theirs).not.toContain("tel:");
  });

  it("filters to mine, unacknowledged, overdue and a risk level", async () => {
    const mine = await anAlert(ctx, { riskLevel: "medium" });
    const waiting = await anAlert(ctx, { riskLevel: "critical" });
    const late = await anAlert(ctx, {
      riskLevel: "low",
      receivedAt: new Date(clock.now().getTime() - 3 * 3600_000),
    });
    await post(`/console/alerts/${mine}/acknowledge`);

    expect(cards(await html("/console")).sort()).toEqual([mine, waiting, late].sort());
    expect(cards(await html("/console?mine=1"))).toEqual([mine]);
    expect(cards(await html("/console?unack=1")).sort()).toEqual([waiting, late].sort());
    expect(cards(await html("/console?overdue=1"))).toEqual([late]);
    expect(cards(await html("/console?risk=critical"))).toEqual([waiting]);
    expect(cards(await html("/console/fragments/queue?risk=critical"))).toEqual([waiting]);
  });

  it("finds an alert by the subject's number in any format, or by its 编号, closed ones too", async () => {
    const wanted = await givenPushedAlert(ctx, { subject: { phone: "+8613912345678" } });
    await givenPushedAlert(ctx, { subject: { phone: "+8613912345679" } });
    await closeWithOutcome(ctx, wanted, { outcome: "dissuaded" });

    for (const q of ["13912345678", "139 1234 5678", "+86 139-1234-5678"]) {
      expect(cards(await html(`/console?q=${encodeURIComponent(q)}`)), q).toEqual([wanted]);
    }
    expect(cards(await html(`/console?q=${wanted.slice(-8).toUpperCase()}`))).toEqual([wanted]);
    expect(cards(await html(`/console?q=${wanted}`))).toEqual([wanted]);
    expect(cards(await html("/console?q=13800000000"))).toEqual([]);
    // Part of a number is not a search: it would be a scan of everyone's number.
    expect(await html("/console?q=5678")).toContain("请输入完整的手机号");
  });

  it("pages through a long queue without repeating or skipping a card", async () => {
    const ids = [];
    for (let i = 0; i < 45; i++)
      ids.push(await anAlert(ctx, { receivedAt: new Date(clock.now().getTime() - i * 1000) }));
    const seen: string[] = [];
    let path: string | undefined = "/console";
    for (let pages = 0; path && pages < 5; pages++) {
      const page = await html(path);
      seen.push(...(cards(page) as string[]));
      // The next-page button, not the language switch (which keeps the current cursor).
      path = page
        .match(/class="button secondary" href="(\/console\?[^"]*cursor=[^"]+)"/)?.[1]
        ?.replace(/&amp;/g, "&");
    }
    expect(seen).toHaveLength(45);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it("lists what the post closed today, Beijing time, and not yesterday's", async () => {
    const yesterday = await anAlert(ctx);
    clock.set(new Date("2026-12-02T15:30:00Z")); // 23:30 the day before in Beijing
    await closeWithOutcome(ctx, yesterday, { outcome: "not_fraud" });
    clock.set(new Date("2026-12-02T16:30:00Z")); // 00:30 today in Beijing
    const today = await anAlert(ctx);
    await closeWithOutcome(ctx, today, { outcome: "dissuaded" });
    clock.set(new Date("2026-12-03T04:00:00Z"));

    const handled = (await html("/console")).split('id="handled"')[1] as string;
    expect(handled).toContain(`/console/alerts/${today}`);
    expect(handled).not.toContain(`/console/alerts/${yesterday}`);
    expect(handled).toContain("劝阻成功");
  });

  it("sends a transferred alert's officer back to the queue, where it no longer is", async () => {
    const id = await anAlert(ctx);
    await post(`/console/alerts/${id}/acknowledge`);
    const res = await post(`/console/alerts/${id}/outcome`, {
      outcome: "wrong_subject",
      transferToPostId: ctx.fixture.ids.ergong,
      amountProtected: "100",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console?transferred=1");
    const [row] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, id));
    expect(row?.postId).toBe(ctx.fixture.ids.ergong);
    expect(cards(await html("/console?transferred=1"))).toEqual([]);
  });

  it("serves the manifest and icons an installed console needs, under the same CSP", async () => {
    const manifest = await ctx.app.request("/console/manifest.webmanifest");
    expect(manifest.headers.get("content-type")).toBe("application/manifest+json");
    expect(manifest.headers.get("content-security-policy")).toContain("default-src 'self'");
    const body = (await manifest.json()) as { start_url: string; icons: { src: string; type: string }[] };
    expect(body.start_url).toBe("/console");
    for (const icon of body.icons) {
      const res = await ctx.app.request(icon.src);
      expect(res.status, icon.src).toBe(200);
      expect(res.headers.get("content-type")).toBe(icon.type);
      if (icon.type === "image/png") {
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect([...bytes.slice(1, 4)].map((b) => String.fromCharCode(b)).join("")).toBe("PNG");
      }
    }
    expect(await html("/console")).toContain('rel="manifest" href="/console/manifest.webmanifest"');
  });
});
