import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alerts, officers, posts } from "../../schema";
import type { startLocalRuntime } from "../../src/local/runtime";
import type { DemoCredentials } from "../../src/local/seed";
import { launchBrowser } from "../support/browser";
import { TEST_DB } from "../support/db";
import { type DemoStation, expectAccessible, startDemoStation } from "../support/demo-station";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");
const NEW_POST = "头屯河村警务室";
const NEW_AREA = "652301105299";
const NEW_PHONE = "13999004455";
const NEW_PASSWORD = "my own long password 2026";

/**
 * An admin sets up a post from nothing in a real browser, against the whole local runtime (API, workers):
 * the post, a jurisdiction rule for a new area (tried out first), an officer at the post put on duty and on
 * its roster. Then a warning for that area is posted as the demo feed does: it reaches the new officer's
 * console queue (after the forced password change at first login) and the officer's phone (the local SMS
 * outbox). Every admin page is then shown at 360 and 1280 px, in Chinese and English, checked with axe and
 * for sideways scrolling, and screenshotted into test/artifacts/admin-*.png.
 */
describe(`admin console in a browser (${TEST_DB})`, () => {
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
  let credentials: DemoCredentials;
  let browser: Browser;
  let station: DemoStation;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    station = await startDemoStation("adminorg");
    ({ runtime, credentials } = station);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage: true });

  async function logIn(page: Page, username: string, password: string, lang = "zh") {
    await page.goto(`${runtime.baseUrl}/console/login?lang=${lang}`);
    await page.fill("input[name=username]", username);
    await page.fill("input[name=password]", password);
    await page.click("form[action='/console/login'] button");
  }
  const adminPassword = () => credentials.officers.find((o) => o.username === "admin")?.password as string;

  /** Nothing wider than the screen, and every control at least 44 px tall. */
  async function expectUsable(page: Page) {
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as {
        innerWidth: number;
        document: { documentElement: { scrollWidth: number } };
      };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow, page.url()).toBeLessThanOrEqual(0);
    const small = await page.$$eval(
      "main a, main button, main select, main input:not([type=hidden]):not([type=checkbox])",
      (els) =>
        els
          .filter((el) => (el as unknown as { offsetParent: unknown }).offsetParent && !el.closest("p, li"))
          .map((el) => ({
            text: (el.textContent ?? el.getAttribute("name"))?.trim().slice(0, 20),
            h: el.getBoundingClientRect().height,
          }))
          .filter((c) => c.h < 43.5),
    );
    expect(small, page.url()).toEqual([]);
  }

  it("sets up a post, rule, officer and roster; a warning for the area reaches the new officer's console and phone", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await logIn(page, "admin", adminPassword());
    await page.waitForURL(`${runtime.baseUrl}/console`);

    // The admin entry in the console's menu, then the landing page's sections.
    await page.click("header nav a[href='/console/admin']");
    await page.waitForURL(/\/console\/admin$/);
    await page.click("ul.adm-sections a[href='/console/admin/posts']");

    // A post, and the same name again: refused beside the field.
    await page.fill("#new-post-name", NEW_POST);
    await page.click("#new-post button[type=submit]");
    await page.waitForURL(/posts\?saved=1/);
    await page.fill("#new-post-name", NEW_POST);
    await page.click("#new-post button[type=submit]");
    await expect(page.locator("#new-post-name-error").textContent()).resolves.toBe("本所已有同名警务室");
    await shot(page, "posts-name-taken-1280-zh");
    const [post] = await runtime.deps.db.select().from(posts).where(eq(posts.name, NEW_POST));
    expect(post).toBeDefined();
    const postId = post?.id as string;

    // A rule for the new area, tried before and after.
    await page.click("nav.adm-sub a[href='/console/admin/rules']");
    await page.fill("#try-code", NEW_AREA);
    await page.click("#try button[type=submit]");
    await expect(page.locator("#try-answer").textContent()).resolves.toContain("所值班室兜底");
    await page.selectOption("#rule-kind", "area_prefix");
    await page.fill("#rule-pattern", NEW_AREA);
    await page.selectOption("#rule-post", postId);
    await page.click("#new-rule button[type=submit]");
    await page.waitForURL(/rules\?saved=1/);
    await page.fill("#try-code", NEW_AREA);
    await page.click("#try button[type=submit]");
    await expect(page.locator("#try-answer").textContent()).resolves.toBe(
      `将分派至 ${NEW_POST}：匹配规则“地区代码前缀：${NEW_AREA}”。`,
    );
    await shot(page, "rules-tried-1280-zh");

    // The officer: created at the post with a phone; the initial password is shown this once.
    await page.click("nav.adm-sub a[href='/console/admin/officers']");
    await page.fill("#new-username", "wang.qiang");
    await page.fill("#new-displayName", "王强");
    await page.selectOption("#new-role", "officer");
    await page.selectOption("#new-postId", postId);
    await page.fill("#new-phone", NEW_PHONE);
    await page.click("#new-officer button[type=submit]");
    const initialPassword = ((await page.locator("[data-secret]").textContent()) ?? "").trim();
    expect(initialPassword).toMatch(/^[\w-]{24}$/);
    await expect(page.locator("tr[data-officer='wang.qiang']").textContent()).resolves.toContain(
      "139****4455",
    );
    await shot(page, "officer-created-1280-zh");

    // Off duty and back on from the officer's page.
    await page.click("tr[data-officer='wang.qiang'] a");
    await page.click("form[action$='/duty'] button");
    await page.waitForURL(/saved=1/);
    await expect(page.locator("#duty-h + p").textContent()).resolves.toContain("不在岗");
    await page.click("form[action$='/duty'] button");
    await page.waitForURL(/saved=1/);
    await expect(page.locator("#duty-h + p").textContent()).resolves.toBe("当前：在岗");
    const [row] = await runtime.deps.db.select().from(officers).where(eq(officers.username, "wang.qiang"));
    expect(row?.onDuty).toBe(true);

    // The roster: every day around the clock, with the new officer.
    await page.goto(`${runtime.baseUrl}/console/admin/rosters/${postId}`);
    await page.selectOption("#day_0", "all");
    await page.fill("#start_0", "00:00");
    await page.fill("#end_0", "24:00");
    await page.locator(`input[name=officers_0][value='${row?.id}']`).check();
    await page.click("#roster button[type=submit]");
    await page.waitForURL(/saved=1/);
    await expect(page.locator("main").textContent()).resolves.toMatch(/现在通知谁：\s*王强（排班）/);
    expect(await page.locator("fieldset.adm-shift").count()).toBe(8);
    await shot(page, "roster-saved-1280-zh");
    await context.close();

    // A warning for the new area, posted as the feed does: routed to the new post.
    const res = await station.postWarnings([
      {
        externalId: `E2E-ADMIN-${Date.now()}`,
        type: "call",
        fraudType: "fake_customer_service",
        riskLevel: "high",
        subject: { phone: "+8613800990011", name: "赵某" },
        area: { code: NEW_AREA, address: "三工镇头屯河村一组" },
        detectedAt: new Date().toISOString(),
        indicators: [{ kind: "phone", value: "+8617012345678" }],
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
    const [alert] = await runtime.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
    expect(alert?.postId).toBe(postId);

    // The officer's phone: the notification in the local SMS outbox, to the new number.
    await expect
      .poll(
        async () => {
          const outbox = await fetch(
            `${runtime.baseUrl}/v1/dev/outbox?alertId=${alertId}&purpose=officer_notification`,
          );
          const { messages } = (await outbox.json()) as { messages: { to: string; body: string }[] };
          return messages.map((m) => m.to);
        },
        { timeout: 30_000 },
      )
      .toEqual(["139****4455"]);

    // The officer's console: first login forces their own password, then the queue shows the alert.
    const officerContext = await browser.newContext({ viewport: { width: 360, height: 800 } });
    const officerPage = await officerContext.newPage();
    await logIn(officerPage, "wang.qiang", initialPassword);
    await officerPage.waitForURL(/\/console\/password$/);
    await officerPage.fill("input[name=currentPassword]", initialPassword);
    await officerPage.fill("input[name=newPassword]", NEW_PASSWORD);
    await officerPage.click("form[action='/console/password'] button");
    await officerPage.waitForURL(`${runtime.baseUrl}/console`);
    await officerPage.locator(`[data-alert-id="${alertId}"]`).waitFor();
    await shot(officerPage, "new-officer-queue-360-zh");
    await officerContext.close();
  }, 240_000);

  const PAGES = [
    "",
    "/officers",
    "/officers/:officer",
    "/posts",
    "/rules",
    "/rosters",
    "/rosters/:post",
    "/escalation",
    "/audit",
  ];

  describe.each([
    { width: 360, lang: "zh" },
    { width: 1280, lang: "zh" },
    { width: 360, lang: "en" },
    { width: 1280, lang: "en" },
  ])("every admin page at $width px in $lang", ({ width, lang }) => {
    it("is usable, accessible and in the page's language", async () => {
      const [post] = await runtime.deps.db.select().from(posts).where(eq(posts.name, "庙工村警务室"));
      const [officer] = await runtime.deps.db
        .select()
        .from(officers)
        .where(eq(officers.username, "officer.miaogong"));
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      await logIn(page, "admin", adminPassword(), lang);
      await page.waitForURL(`${runtime.baseUrl}/console`);
      for (const path of PAGES) {
        const url = `${runtime.baseUrl}/console/admin${path.replace(":officer", officer?.id ?? "").replace(":post", post?.id ?? "")}`;
        const response = await page.goto(url);
        expect(response?.status(), url).toBe(200);
        expect(await page.getAttribute("html", "lang")).toBe(lang === "zh" ? "zh-CN" : "en");
        await expectUsable(page);
        await expectAccessible(page);
        const name = path.replace(/\/:\w+/, "-detail").replace(/^\//, "") || "home";
        await shot(page, `${name.replace(/\//g, "-")}-${width}-${lang}`);
      }
      await context.close();
    }, 180_000);
  });
});
