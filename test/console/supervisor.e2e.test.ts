import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, partnerCallbacks } from "../../schema";
import { addDays, shanghaiDate } from "../../src/calendar";
import type { startLocalRuntime } from "../../src/local/runtime";
import type { DemoCredentials } from "../../src/local/seed";
import { launchBrowser } from "../support/browser";
import { TEST_DB } from "../support/db";
import { type DemoStation, expectAccessible, startDemoStation } from "../support/demo-station";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");

/** What each language's page says, so one flow runs in both. */
const WORDS = {
  zh: {
    escalated: /已升级 1 次/,
    post: "庙工村警务室",
    otherPost: "二工村警务室",
    from: "开始日期",
    to: "结束日期（含当天）",
    show: "查看",
    order: "结束日期不能早于开始日期",
    exportAlerts: "导出预警明细（CSV）",
    header: "编号,接收时间,警务室,风险等级",
    open: /查看预警 编号/,
    total: "合计",
  },
  en: {
    escalated: /Escalations: 1/,
    post: "庙工村警务室",
    otherPost: "二工村警务室",
    from: "From",
    to: "To (inclusive)",
    show: "Show",
    order: "The end date cannot be before the start date",
    exportAlerts: "Export alerts (CSV)",
    header: "No.,Received at,Post,Risk",
    open: /Open alert no\. /,
    total: "Total",
  },
} as const;

/**
 * The supervisor's flow in a real browser against the whole local runtime (API, workers, sweeper): an alert
 * missing its deadline appears on the open page under its post without a reload, a tap opens it, a date range
 * is charted (and a wrong one explained), and the alerts export downloads — at 360 and 1280 px, in Chinese
 * and English. The critical acknowledge deadline is 3 seconds and the sweeper runs every second, so the
 * escalation is the real one.
 */
describe(`supervisor console in a browser (${TEST_DB})`, () => {
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
  let credentials: DemoCredentials;
  let browser: Browser;
  let station: DemoStation;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    station = await startDemoStation("supervisor", {
      DEADLINES_JSON: JSON.stringify({ critical: { acknowledgeMinutes: 0.05 } }),
      SWEEP_INTERVAL_SECONDS: "1",
    });
    ({ runtime, credentials } = station);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  let subjects = 0;
  async function postWarning(address: string) {
    subjects += 1;
    const phone = `+86138002${String(10_000 + subjects).slice(-5)}`.slice(0, 14);
    const res = await station.postWarnings([
      {
        externalId: `E2E-SUP-${Date.now()}-${subjects}`,
        type: "funds",
        fraudType: "impersonating_police",
        riskLevel: "critical",
        subject: { phone, name: "李某" },
        area: { code: "652301", address },
        detectedAt: new Date().toISOString(),
        amountAtRisk: 2_000_000,
      },
    ]);
    expect(res.status).toBe(202);
    const json = (await res.json()) as { results: { alertId: string }[] };
    return { alertId: json.results[0]?.alertId as string, phone };
  }

  async function logIn(page: Page) {
    const supervisor = credentials.officers.find((o) => o.username === "supervisor");
    await page.goto(`${runtime.baseUrl}/console/login`);
    await page.getByLabel("用户名").fill("supervisor");
    await page.getByLabel("密码").fill(supervisor?.password as string);
    await page.getByRole("button", { name: "登录" }).click();
    await page.waitForURL(`${runtime.baseUrl}/console`);
  }

  /** The supervisor page, logged in, in a phone's or a desk's window and the given language. */
  async function supervisorPage(width: number, lang: "zh" | "en") {
    const context = await browser.newContext({
      viewport: { width, height: width === 360 ? 780 : 900 },
      locale: lang === "zh" ? "zh-CN" : "en-US",
    });
    const page = await context.newPage();
    await logIn(page);
    await page.goto(`${runtime.baseUrl}/console/supervisor?lang=${lang}`);
    return { context, page };
  }

  it.each([
    [360, "zh"],
    [1280, "zh"],
    [360, "en"],
    [1280, "en"],
  ] as const)(
    "takes a supervisor at %i px (%s) from a late alert to its page, a date range and an export",
    async (width, lang) => {
      const words = WORDS[lang];
      const shot = (name: string) =>
        page.screenshot({ path: join(ARTIFACTS, `supervisor-${name}-${width}-${lang}.png`), fullPage: true });
      const { context, page } = await supervisorPage(width, lang);

      // Two critical alerts come in while the page is open and miss their 3-second acknowledge deadline; the
      // sweeper escalates them, and the page shows them under their posts without being reloaded.
      const late = await postWarning("三工镇庙工村七组");
      const other = await postWarning("三工镇二工村三组");
      const card = page.locator(`#queue [data-alert-id="${late.alertId}"]`);
      await card.waitFor({ timeout: 30_000 });
      await page.locator(`#queue [data-alert-id="${other.alertId}"]`).waitFor({ timeout: 30_000 });
      await expect.poll(() => card.textContent(), { timeout: 15_000 }).toMatch(words.escalated);
      const group = page.locator("#queue section.sup-group", {
        has: page.locator(`[data-alert-id="${late.alertId}"]`),
      });
      await expect(group.locator("h3").textContent()).resolves.toContain(words.post);
      const otherGroup = page.locator("#queue section.sup-group", {
        has: page.locator(`[data-alert-id="${other.alertId}"]`),
      });
      await expect(otherGroup.locator("h3").textContent()).resolves.toContain(words.otherPost);
      const text = (await card.textContent()) as string;
      expect(text).toMatch(words.open);
      expect(text).toContain(`${late.phone.slice(3, 6)}****${late.phone.slice(-4)}`);
      expect(text).not.toContain(late.phone.slice(3));
      // The whole card is the link, at least 44 px tall.
      const box = await card.locator("a").boundingBox();
      expect(box?.height).toBeGreaterThanOrEqual(44);
      await shot("live");
      await page
        .locator("#queue")
        .screenshot({ path: join(ARTIFACTS, `supervisor-live-section-${width}-${lang}.png`) });
      await expectAccessible(page);

      // Drill down: the card opens the alert's page.
      await card.locator("a").click();
      await page.waitForURL(`${runtime.baseUrl}/console/alerts/${late.alertId}`);
      await shot("drill-down");
      await page.goBack();

      // A date range: the last three days, charted and tabled.
      const today = shanghaiDate(new Date());
      await page.getByLabel(words.from, { exact: true }).fill(addDays(today, -2));
      await page.getByLabel(words.to, { exact: true }).fill(today);
      await page.getByRole("button", { name: words.show, exact: true }).click();
      await page.waitForURL(/from=.*&to=/);
      await expect(page.locator(`tr[data-day="${today}"] td`).first().textContent()).resolves.toMatch(
        /^[1-9]\d*$/,
      );
      await expect(page.locator('tr[data-day="total"] th').textContent()).resolves.toBe(words.total);
      await expect(page.locator("svg.sup-chart").count()).resolves.toBe(2);
      await shot("range");
      await page
        .locator("#sup-range")
        .screenshot({ path: join(ARTIFACTS, `supervisor-range-section-${width}-${lang}.png`) });
      await expectAccessible(page);

      // The export of that range downloads, in the page's language, with the BOM and numbers masked.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: words.exportAlerts }).click(),
      ]);
      const bytes = readFileSync((await download.path()) as string);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const csv = bytes.toString("utf8");
      expect(csv.slice(1)).toMatch(new RegExp(`^${words.header.replace(/\./g, "\\.")}`));
      expect(csv).toContain(`${late.phone.slice(3, 6)}****${late.phone.slice(-4)}`);
      expect(csv).not.toContain(late.phone.slice(3));

      // A wrong range is explained beside the field, in the page's language, with what was typed kept.
      await page.getByLabel(words.from, { exact: true }).fill(today);
      await page.getByLabel(words.to, { exact: true }).fill(addDays(today, -1));
      await page.getByRole("button", { name: words.show, exact: true }).click();
      await page.waitForURL(/from=.*&to=/);
      await expect(page.locator("#sup-to-error").textContent()).resolves.toBe(words.order);
      await expect(page.getByLabel(words.from, { exact: true }).inputValue()).resolves.toBe(today);
      await shot("range-error");
      await page
        .locator("#sup-range")
        .screenshot({ path: join(ARTIFACTS, `supervisor-range-error-section-${width}-${lang}.png`) });
      await expectAccessible(page);
      await context.close();
    },
  );

  it.each([
    [360, "zh", "重新推送 演示快递公司（驿站） 的状态回调", "无中断的状态回调"],
    [1280, "zh", "重新推送 演示快递公司（驿站） 的状态回调", "无中断的状态回调"],
    [360, "en", "Re-drive the status callback of 演示快递公司（驿站）", "No stopped status callbacks"],
    [1280, "en", "Re-drive the status callback of 演示快递公司（驿站）", "No stopped status callbacks"],
  ] as const)(
    "re-drives a partner's stopped status callback at %i px (%s)",
    async (width, lang, button, none) => {
      // The demo courier's receiver kept failing until its callback was given up.
      await runtime.deps.db
        .insert(partnerCallbacks)
        .values({
          partnerId: credentials.partner.id,
          url: "https://courier.example.cn/sms-status",
          secretEnc: runtime.deps.pii.encrypt("callback-secret"),
          status: "dead",
          attempts: 12,
          lastError: "HTTP 503",
          deadAt: new Date(),
        })
        .onConflictDoUpdate({
          target: partnerCallbacks.partnerId,
          set: { status: "dead", lastError: "HTTP 503", deadAt: new Date() },
        });
      const { context, page } = await supervisorPage(width, lang);
      const section = page.locator("#dead-callbacks");
      await expect(section.textContent()).resolves.toContain("HTTP 503");
      await section.screenshot({ path: join(ARTIFACTS, `supervisor-dead-callbacks-${width}-${lang}.png`) });
      await expectAccessible(page);

      await page.getByRole("button", { name: button }).click();
      await page.waitForURL(/\/console\/supervisor#dead-callbacks$/);
      await expect(page.locator("#dead-callbacks").textContent()).resolves.toContain(none);
      await context.close();
    },
  );

  it("records every export in the audit log with who and which days", async () => {
    const entries = await runtime.deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "report.exported"), eq(auditLog.targetId, "alerts")));
    const today = shanghaiDate(new Date());
    expect(entries).toHaveLength(4);
    for (const entry of entries) {
      expect(entry.officerId).toMatch(/^off_/);
      expect(entry.data).toMatchObject({ firstDay: addDays(today, -2), lastDay: today });
    }
  });
});
