import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alerts, auditLog } from "../../schema";
import type { startLocalRuntime } from "../../src/local/runtime";
import type { DemoCredentials } from "../../src/local/seed";
import { launchBrowser } from "../support/browser";
import { TEST_DB } from "../support/db";
import { type DemoStation, expectAccessible, startDemoStation } from "../support/demo-station";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");

/**
 * An officer's whole round in a real browser, on a phone (360 px) and a desk (1280 px), in Chinese and
 * English: filter and search the queue, open the card, acknowledge, reveal and find the call link, log
 * attempts, record an outcome that opens a visit, log the visit, transfer; offline notice; axe on each page.
 */
describe(`officer flow in a browser (${TEST_DB})`, () => {
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
  let credentials: DemoCredentials;
  let browser: Browser;
  let station: DemoStation;

  beforeAll(async () => {
    station = await startDemoStation("officer");
    ({ runtime, credentials } = station);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  async function postWarning(phone: string) {
    const res = await station.postWarnings([
      {
        externalId: `E2E-OFF-${Date.now()}-${Math.random()}`,
        type: "funds",
        fraudType: "impersonating_police",
        riskLevel: "high",
        subject: { phone, name: "李某" },
        area: { code: "652301", address: "三工镇庙工村三组" },
        detectedAt: new Date().toISOString(),
        amountAtRisk: 1_250_000,
        indicators: [{ kind: "account", value: "6222 0000 1111 2222" }],
      },
    ]);
    expect(res.status).toBe(202);
    const alertId = ((await res.json()) as { results: { alertId: string }[] }).results[0]?.alertId as string;
    await expect
      .poll(
        async () => (await runtime.deps.db.select().from(alerts).where(eq(alerts.id, alertId)))[0]?.stage,
        {
          timeout: 30_000,
        },
      )
      .toBe("pushed");
    return alertId;
  }

  /** Every phone number on the page stays on one line, and every control is at least 44 px tall. */
  async function expectReadableOnThisWidth(page: Page) {
    const broken = await page.$$eval(".phone", (els) =>
      els
        .filter(
          (el) => (el as unknown as { offsetParent: unknown }).offsetParent && el.getClientRects().length > 1,
        )
        .map((el) => el.textContent),
    );
    expect(broken).toEqual([]);
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as {
        innerWidth: number;
        document: { documentElement: { scrollWidth: number } };
      };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    const small = await page.$$eval("main a, main button, main select, header a, header button", (els) =>
      els
        .filter(
          (el) =>
            (el as unknown as { offsetParent: unknown }).offsetParent &&
            !el.closest(".facts, .timeline, .plain, p, .chip"),
        )
        .map((el) => ({ text: el.textContent?.trim().slice(0, 20), h: el.getBoundingClientRect().height }))
        .filter((c) => c.h < 43.5),
    );
    expect(small).toEqual([]);
  }

  /** Opens the collapsed filter and search panel (a tap on its summary; set directly so a re-render cannot undo it). */
  async function openFilters(page: Page) {
    await page.locator("details.filters summary").click();
    await page.locator("details.filters").evaluate((details) => {
      (details as unknown as { open: boolean }).open = true;
    });
  }

  let n = 0;
  describe.each([
    { width: 360, lang: "zh" as const },
    { width: 360, lang: "en" as const },
    { width: 1280, lang: "zh" as const },
    { width: 1280, lang: "en" as const },
  ])("at $width px in $lang", ({ width, lang }) => {
    it("filters, finds, opens, reveals, calls, logs attempts, visits and transfers", async () => {
      n += 1;
      const national = `1390011${String(width).padStart(4, "0").slice(-2)}${n}${n}`;
      const alertId = await postWarning(`+86${national}`);
      const shot = (name: string) =>
        page.screenshot({ path: join(ARTIFACTS, `officer-${name}-${width}-${lang}.png`), fullPage: true });
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      const me = credentials.officers.find((o) => o.username === "officer.miaogong");
      await page.goto(`${runtime.baseUrl}/console/login?lang=${lang}`);
      await page.fill("input[name=username]", "officer.miaogong");
      await page.fill("input[name=password]", me?.password as string);
      await page.click("form[action='/console/login'] button");
      await page.waitForURL(`${runtime.baseUrl}/console`);

      // Filter: only unacknowledged, high risk.
      await openFilters(page);
      await page.locator("input[name=unack]").check();
      await page.locator("select[name=risk]").selectOption("high");
      await page.locator("details.filters button[type=submit]").click();
      await page.waitForURL(/unack=1/);
      await page.locator(`[data-alert-id="${alertId}"]`).waitFor();
      await expectReadableOnThisWidth(page);
      await expectAccessible(page);
      await shot("queue-filtered");

      // Search by the whole number, spaced as people type it: exactly this card.
      await page.goto(`${runtime.baseUrl}/console`);
      await openFilters(page);
      await page.fill(
        "input[name=q]",
        `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}`,
      );
      await page.locator("details.filters button[type=submit]").click();
      await page.waitForURL(/q=/);
      expect(
        await page
          .locator("[data-alert-id]")
          .evaluateAll((els) => els.map((e) => e.getAttribute("data-alert-id"))),
      ).toEqual([alertId]);
      await shot("queue-search");

      // The whole card opens the alert.
      const card = page.locator(`[data-alert-id="${alertId}"] a.cardlink`);
      expect((await card.boundingBox())?.height).toBeGreaterThanOrEqual(44);
      await card.click();
      await page.waitForURL(new RegExp(`/console/alerts/${alertId}$`));
      await expectAccessible(page);
      await shot("alert-pushed");
      await page.locator("form[action$='/acknowledge'] button").click();
      await page.waitForURL(/saved=acknowledged/);

      // Reveal: the call link, kept on reload without a second audit entry.
      await page.locator("form[action$='/reveal'] button").click();
      await page.waitForURL(/revealed=1/);
      const tel = page.locator(`a[href="tel:+86${national}"]`);
      await expect(tel.isVisible()).resolves.toBe(true);
      await page.reload();
      await expect(tel.isVisible()).resolves.toBe(true);
      const audits = await runtime.deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.targetId, alertId), eq(auditLog.action, "alert.subject_phone_revealed")));
      expect(audits).toHaveLength(1);

      // A missed call on a high-risk alert: a visit is owed, and the page says which deadline now runs.
      await page.selectOption("#attempt-channel", "phone");
      await page.selectOption("#attempt-reached", "false");
      await page.fill("#attempt-note", "两次未接");
      await page.locator("form[action$='/attempts'] button").click();
      await page.waitForURL(/saved=attempt/);
      await expect(page.locator(".flash.ok").textContent()).resolves.toMatch(
        lang === "zh" ? /走访时限/ : /Visit by/,
      );
      await expect(tel.isVisible()).resolves.toBe(true);
      if (width === 1280) {
        // The attempt form is as tall as what it holds: no stretched gap beside the outcome form.
        const gap = await page.locator("#attempt").evaluate((form) => {
          const button = form.querySelector("button[type=submit]") as typeof form;
          return form.getBoundingClientRect().bottom - button.getBoundingClientRect().bottom;
        });
        expect(gap).toBeLessThan(40);
      }

      // Outcome: nothing chosen at first; the amount field appears only with the outcome that needs it.
      expect(await page.locator("#outcome-outcome").inputValue()).toBe("");
      await expect(page.locator("#outcome-amountLost").isVisible()).resolves.toBe(false);
      await page.selectOption("#outcome-outcome", "already_defrauded");
      await expect(page.locator("#outcome-amountLost").isVisible()).resolves.toBe(true);
      await page.selectOption("#outcome-outcome", "unreachable");
      await page.locator("form[action$='/outcome'] button").click();
      await page.waitForURL(/saved=outcome/);

      // The visit: met the person at the door.
      await page.selectOption("#attempt-channel", "visit");
      await page.selectOption("#attempt-reached", "true");
      await page.fill("#attempt-note", "上门见到本人，系外地户籍");
      await page.locator("form[action$='/attempts'] button").click();
      await page.waitForURL(/saved=attempt/);
      await expect(page.locator("#attempts").locator("..").textContent()).resolves.toContain("上门见到本人");
      await expectReadableOnThisWidth(page);
      await expectAccessible(page);
      await shot("alert-visited");

      // Not this district: transfer, and back to the queue that says so.
      await page.selectOption("#outcome-outcome", "wrong_subject");
      await page.selectOption("#outcome-transfer", { index: 1 });
      await page.locator("form[action$='/outcome'] button").click();
      await page.waitForURL(/transferred=1/);
      await expect(page.locator(".flash.ok").isVisible()).resolves.toBe(true);
      await expect(page.locator(`[data-alert-id="${alertId}"]`).count()).resolves.toBe(0);

      // The network goes: the page says so at once.
      await context.setOffline(true);
      await expect.poll(() => page.locator("#offline").isVisible()).toBe(true);
      await expect(page.locator("#offline").textContent()).resolves.toMatch(
        lang === "zh" ? /网络已断开/ : /offline/,
      );
      await shot("queue-offline");
      await context.setOffline(false);
      await context.close();
    }, 120_000);
  });
});
