import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alerts, feedSources } from "../../schema";
import type { startLocalRuntime } from "../../src/local/runtime";
import type { DemoCredentials } from "../../src/local/seed";
import { launchBrowser } from "../support/browser";
import { TEST_DB } from "../support/db";
import { type DemoStation, expectAccessible, startDemoStation } from "../support/demo-station";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");

/**
 * The console in a real browser against the whole local runtime (API, workers and database), as an officer
 * uses it: on PGlite under a temporary data directory, and in the PostgreSQL projects on an empty database
 * of its own that the runtime migrates and seeds, as `npm start` with DATABASE_URL does.
 */
describe(`officer console in a browser (${TEST_DB})`, () => {
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
  let credentials: DemoCredentials;
  let browser: Browser;
  let receiver: Server;
  let station: DemoStation;
  const callbacks: { eventId: string; outcome: string }[] = [];

  beforeAll(async () => {
    station = await startDemoStation("console");
    ({ runtime, credentials } = station);
    // The platform's callback receiver, so "feedback sent" is something we can watch arrive.
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        callbacks.push(JSON.parse(body));
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const port = (receiver.address() as { port: number }).port;
    await runtime.deps.db
      .update(feedSources)
      .set({ callbackUrl: `http://127.0.0.1:${port}/callbacks` })
      .where(eq(feedSources.id, credentials.feedSource.id));
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const officer = (username: string) => {
    const found = credentials.officers.find((o) => o.username === username);
    if (!found) throw new Error(`no demo officer ${username}`);
    return found;
  };

  // Each test's subject is a different person: warnings for one subject join one open case.
  let subjects = 0;
  async function postWarning(overrides: Record<string, unknown>) {
    subjects += 1;
    const res = await station.postWarnings([
      {
        externalId: `E2E-${Date.now()}-${Math.random()}`,
        type: "call",
        fraudType: "fake_customer_service",
        riskLevel: "high",
        subject: { phone: `138 0013 ${String(8000 + subjects)}`, name: "王某" },
        area: { code: "652301", address: "三工镇庙工村七组" },
        detectedAt: new Date().toISOString(),
        amountAtRisk: 500000,
        ...overrides,
      },
    ]);
    expect(res.status).toBe(202);
    const json = (await res.json()) as { results: { alertId: string }[] };
    return json.results[0]?.alertId as string;
  }

  async function logIn(page: Page, username: string) {
    await page.goto(`${runtime.baseUrl}/console/login`);
    await page.getByLabel("用户名").fill(username);
    await page.getByLabel("密码").fill(officer(username).password);
    await page.getByRole("button", { name: "登录" }).click();
    await page.waitForURL(`${runtime.baseUrl}/console`);
  }

  it("takes an officer from a pushed warning to dissuaded, with the feedback sent", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    await logIn(page, "officer.miaogong");

    // The warning arrives while the queue is open: it appears without a reload.
    const alertId = await postWarning({});
    const row = page.locator(`[data-alert-id="${alertId}"]`);
    await row.waitFor({ timeout: 15_000 });
    await expect(row.textContent()).resolves.toMatch(/138\*{4}80\d\d/);
    await page.screenshot({ path: join(ARTIFACTS, "console-queue-360.png"), fullPage: true });
    await expectAccessible(page);

    await row.getByRole("link").click();
    await page.getByRole("button", { name: "签收" }).click();
    await page.waitForURL(/saved=/);

    await page.getByLabel("方式").selectOption("phone");
    await page.locator("select[name=reached]").selectOption("false");
    await page.locator("form[action$='/attempts'] button").click();
    await page.waitForURL(/saved=/);

    await page.locator("select[name=outcome]").selectOption("dissuaded");
    await page.getByLabel("挽损金额（元）").fill("5000");
    await page.locator("form[action$='/outcome'] button").click();
    await page.waitForURL(/saved=/);
    await page.screenshot({ path: join(ARTIFACTS, "console-alert-360.png"), fullPage: true });
    await expectAccessible(page);

    // The callback reaches the platform and the alert shows it was fed back.
    await expect.poll(() => callbacks.map((c) => c.outcome), { timeout: 15_000 }).toContain("dissuaded");
    await expect
      .poll(
        async () => {
          const [alert] = await runtime.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
          return alert?.stage;
        },
        { timeout: 15_000 },
      )
      .toBe("fed_back");
    const [alert] = await runtime.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
    expect(alert?.amountProtected).toBe(500000);
    await context.close();
  }, 120_000);

  it("rings, vibrates and counts in the tab title when a new alert reaches the open queue", async () => {
    // One unacknowledged alert is waiting when the page opens, so the count has a number to replace. It and
    // earlier tests' warnings settle first: the only alert arriving during the test is the one it posts.
    await postWarning({ area: { address: "三工镇庙工村六组" } });
    await expect
      .poll(
        async () => (await runtime.deps.db.select().from(alerts).where(eq(alerts.stage, "received"))).length,
        {
          timeout: 30_000,
        },
      )
      .toBe(0);
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    // navigator.vibrate stubbed to record its calls: headless Chromium has nothing to vibrate.
    await context.addInitScript({
      content:
        "window.__vibrations = []; Object.defineProperty(navigator, 'vibrate', { configurable: true, value: function (p) { window.__vibrations.push(p); return true; } });",
    });
    const page = await context.newPage();
    const vibrations = () =>
      page.evaluate(() => (globalThis as unknown as { __vibrations: unknown[] }).__vibrations.length);
    const body = (name: string) => page.locator("body").getAttribute(`data-${name}`);
    await logIn(page, "officer.miaogong");
    const before = Number((await page.title()).match(/^\((\d+)\) /)?.[1] ?? 0);
    expect(before).toBeGreaterThan(0);
    expect(await page.title()).toBe(`(${before}) 待处置预警 · 反诈预警处置`);

    // This browser lets audio start without a tap, so the hint that asks for one stays hidden.
    expect(await body("sound")).toBe("on");
    await expect(page.locator("#sound-arm").isVisible()).resolves.toBe(false);

    // Alerts already there on first load ring nothing; a new one rings once and adds to the count.
    const alertId = await postWarning({ area: { address: "三工镇庙工村五组" } });
    await page.locator(`[data-alert-id="${alertId}"]`).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.title()).toBe(`(${before + 1}) 待处置预警 · 反诈预警处置`);
    await expect.poll(() => body("new-alerts")).toBe("1");
    expect(await vibrations()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, "console-queue-new-alert-360.png"), fullPage: true });

    // Acknowledged, it leaves the count; a page opened with alerts already in it rings nothing on refresh.
    await page.goto(`${runtime.baseUrl}/console/alerts/${alertId}`);
    await page.getByRole("button", { name: "签收" }).click();
    await page.waitForURL(/saved=/);
    await page.goto(`${runtime.baseUrl}/console?lang=en`);
    expect(await page.title()).toBe(`(${before}) My queue · Anti-fraud alerts`);
    await page.waitForTimeout(6_000);
    expect(await body("new-alerts")).toBeNull();
    expect(await vibrations()).toBe(0);
    await context.close();
  }, 120_000);

  it("asks for a tap when the browser blocks audio, and arms the bell with it", async () => {
    // A phone's browser: no sound before the person has touched the page.
    const strict = await launchBrowser(["--autoplay-policy=document-user-activation-required"]);
    try {
      const context = await strict.newContext({ viewport: { width: 360, height: 780 } });
      await logIn(await context.newPage(), "officer.miaogong");
      // A fresh tab: the login click would otherwise count as the tap.
      const page = await context.newPage();
      await page.goto(`${runtime.baseUrl}/console`);
      const hint = page.locator("#sound-arm");
      await expect.poll(() => page.locator("body").getAttribute("data-sound")).toBe("blocked");
      await expect(hint.textContent()).resolves.toContain("提示音未开启");
      await expect(hint.isVisible()).resolves.toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "console-queue-sound-hint-360.png"), fullPage: true });
      await expectAccessible(page);
      await hint.click();
      await expect.poll(() => page.locator("body").getAttribute("data-sound")).toBe("on");
      await expect(hint.isVisible()).resolves.toBe(false);
    } finally {
      await strict.close();
    }
  }, 60_000);

  it("does not show one post's alert to an officer of another post", async () => {
    const alertId = await postWarning({ area: { address: "三工镇庙工村一组" } });
    // Routed and pushed first: before that no post's officer sees it, and "not shown" would prove nothing.
    await expect
      .poll(
        async () => {
          const [alert] = await runtime.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
          return alert?.stage;
        },
        { timeout: 30_000 },
      )
      .toBe("pushed");
    // The control: its own post's officer sees it, in the queue and on its page.
    const own = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const ownPage = await own.newPage();
    await logIn(ownPage, "officer.miaogong");
    await ownPage.locator(`[data-alert-id="${alertId}"]`).waitFor({ timeout: 15_000 });
    expect((await ownPage.goto(`${runtime.baseUrl}/console/alerts/${alertId}`))?.status()).toBe(200);
    await own.close();

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await logIn(page, "officer.ergong");
    await expect(page.locator(`[data-alert-id="${alertId}"]`).count()).resolves.toBe(0);
    const res = await page.goto(`${runtime.baseUrl}/console/alerts/${alertId}`);
    expect(res?.status()).toBe(404);
    await context.close();
  });

  it("shows a warning field containing markup as text", async () => {
    const alertId = await postWarning({ area: { address: "<script>window.pwned=1</script>庙工村" } });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await logIn(page, "officer.miaogong");
    await page.goto(`${runtime.baseUrl}/console/alerts/${alertId}`);
    await expect(page.locator("main").textContent()).resolves.toContain("<script>window.pwned=1</script>");
    await expect(
      page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned),
    ).resolves.toBeUndefined();
    await page.screenshot({ path: join(ARTIFACTS, "console-alert-1280.png"), fullPage: true });
    await context.close();
  });

  it("gives supervisors the station view, keyboard-usable and accessible at 1280 px", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await logIn(page, "supervisor");
    await page.goto(`${runtime.baseUrl}/console/supervisor`);
    await expect(page.locator("[data-figure=received]").textContent()).resolves.toMatch(/^\d+$/);
    await page.keyboard.press("Tab");
    await expect(
      page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document
            .activeElement?.textContent,
      ),
    ).resolves.toBe("跳到正文");
    await expectAccessible(page);
    await page.screenshot({ path: join(ARTIFACTS, "console-supervisor-1280.png"), fullPage: true });
    await context.close();
  });

  it("makes an officer whose password an admin reset choose their own before the queue opens", async () => {
    const api = (path: string, token: string) =>
      fetch(`${runtime.baseUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    const adminLogin = await fetch(`${runtime.baseUrl}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: officer("admin").password }),
    });
    const { token: admin } = (await adminLogin.json()) as { token: string };
    const listed = await fetch(`${runtime.baseUrl}/v1/officers`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const { officers } = (await listed.json()) as { officers: { id: string; username: string }[] };
    const duty = officers.find((o) => o.username === "officer.duty") as { id: string };
    const { password } = (await (await api(`/v1/officers/${duty.id}/reset-password`, admin)).json()) as {
      password: string;
    };
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const page = await context.newPage();

    await page.goto(`${runtime.baseUrl}/console/login`);
    await page.getByLabel("用户名").fill("officer.duty");
    await page.getByLabel("密码").fill(password);
    await page.getByRole("button", { name: "登录" }).click();
    await page.waitForURL(`${runtime.baseUrl}/console/password`);
    await expectAccessible(page);
    // Asking for the queue directly does not get around it.
    await page.goto(`${runtime.baseUrl}/console`);
    await page.waitForURL(`${runtime.baseUrl}/console/password`);
    await page.getByLabel("当前密码").fill(password);
    await page.getByLabel("新密码").fill("duty officer's own 2026");
    await page.getByRole("button", { name: "修改密码" }).click();

    await page.waitForURL(`${runtime.baseUrl}/console`);
    expect(await page.getByRole("heading", { level: 2 }).first().textContent()).toBe("待处置预警");
    const relogin = await fetch(`${runtime.baseUrl}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "officer.duty", password: "duty officer's own 2026" }),
    });
    expect(((await relogin.json()) as { passwordChangeRequired: boolean }).passwordChangeRequired).toBe(
      false,
    );
    await context.close();
  });

  it("refuses a form post without the CSRF token", async () => {
    const alertId = await postWarning({});
    const login = await fetch(`${runtime.baseUrl}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "officer.miaogong", password: officer("officer.miaogong").password }),
    });
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`${runtime.baseUrl}/console/alerts/${alertId}/acknowledge`, {
      method: "POST",
      headers: {
        cookie: `af_session=${token}`,
        "content-type": "application/x-www-form-urlencoded",
        origin: runtime.baseUrl,
      },
      body: "expectedVersion=1",
      redirect: "manual",
    });
    expect(res.status).toBe(403);
  });
});
