import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devOutbox } from "../../schema";
import { addDays, shanghaiDate } from "../../src/calendar";
import type { DemoCredentials } from "../../src/local/seed";
import { launchBrowser } from "../support/browser";
import { TEST_DB } from "../support/db";
import { type DemoStation, expectAccessible, startDemoStation } from "../support/demo-station";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");

const REFUSED = "【中通快递】防盗提醒：快递丢失理赔请拨打0994-1234567咨询。拒收请回复R";
const ACCEPTED = "【昌吉公安】防盗提醒：二工村驿站取件请本人核对后领取，面单撕毁后再丢弃。拒收请回复R";

/**
 * An admin sets up the courier + SMS side of a station in a real browser against the whole local runtime:
 * a partner with an API key, a campaign for 二工村 whose first template (a courier's signature and a call-back
 * number) is refused with the reasons in Chinese as the admin types and again on submit, then accepted; a
 * parcel event posted with that key gets the reminder SMS. Then every page at 360 and 1280 px, in Chinese
 * and English, with axe and no sideways scrolling.
 */
describe(`admin pages for partners and campaigns in a browser (${TEST_DB})`, () => {
  let station: DemoStation;
  let credentials: DemoCredentials;
  let browser: Browser;

  beforeAll(async () => {
    // Reminders may go at any hour here, so the SMS is sent while the test watches, whatever the time of day.
    station = await startDemoStation("adminpartners", { REMINDER_HOURS: "00:00-24:00" });
    ({ credentials } = station);
    browser = await launchBrowser();
    await mkdir(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  const base = () => station.runtime.baseUrl;

  async function adminPage(width: number, lang: "zh" | "en" = "zh"): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const admin = credentials.officers.find((o) => o.role === "admin");
    await page.goto(`${base()}/console/login?lang=${lang}`);
    await page.fill("input[name=username]", admin?.username as string);
    await page.fill("input[name=password]", admin?.password as string);
    await page.click("form[action='/console/login'] button");
    await page.waitForURL(`${base()}/console`);
    return page;
  }

  async function expectFitsWidth(page: Page) {
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as {
        innerWidth: number;
        document: { documentElement: { scrollWidth: number } };
      };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage: true });

  it("sets up a partner and a campaign whose template is refused, then accepted, and a parcel gets the reminder", async () => {
    const page = await adminPage(360);

    // A partner, its API key shown once.
    await page.goto(`${base()}/console/admin/partners`);
    await page.fill("#new-name", "中通快递二工村驿站");
    await page.selectOption("#new-channel", "sns");
    await page.fill("#new-pps", "5");
    await page.fill("#new-quota", "3000");
    await page.locator("form[action='/console/admin/partners'] button[type=submit]").click();
    await page.waitForURL(/\/console\/admin\/partners\/par_.*done=apDonePartnerCreated/);
    const secrets = await page.locator("code.ap-secret").allTextContents();
    const partnerId = secrets[0] as string;
    const apiKey = secrets[1] as string;
    expect(partnerId).toMatch(/^par_/);
    expect(apiKey).toMatch(/^pk_/);
    await expect(page.locator(".ap-quota").textContent()).resolves.toContain("0 / 3000 条");
    await expectAccessible(page);
    await expectFitsWidth(page);
    await shot(page, "partner-created-360-zh");

    // A test key for the partner's integration environment: shown once, then marked as a test key.
    await page.getByRole("button", { name: "新建测试密钥" }).click();
    await page.waitForURL(/done=apDoneTestKeyCreated/);
    await expect(page.locator("code.ap-secret").nth(1).textContent()).resolves.toMatch(/^pk_test_/);
    await expect(page.locator("#partner-keys ~ ul .ap-test").textContent()).resolves.toBe("测试");
    await expectAccessible(page);
    await expectFitsWidth(page);
    await shot(page, "partner-test-key-360-zh");

    // A campaign for 二工村, above the demo's standing campaign.
    const today = shanghaiDate(new Date());
    await page.goto(`${base()}/console/admin/campaigns`);
    await page.fill("#new-name", "二工村驿站防盗提醒");
    await page.fill("#new-areas", "652301105202");
    await page.fill("#new-starts", today);
    await page.fill("#new-ends", addDays(today, 30));
    await page.fill("#new-priority", "20");
    await page.locator("form[action='/console/admin/campaigns'] button[type=submit]").click();
    await page.waitForURL(/\/console\/admin\/campaigns\/cmp_.*done=apDoneCampaignCreated/);
    await expect(page.locator(".ap-warn").first().textContent()).resolves.toContain("没有可用模板");

    // The template as first typed: the reasons appear while typing, in Chinese.
    await page.locator("#ap-template-body").pressSequentially(REFUSED, { delay: 5 });
    const live = page.locator("#ap-template-check li[data-code=phone_landline]");
    await live.waitFor();
    await expect(live.textContent()).resolves.toContain("“0994-1234567”是带区号的座机号码");
    await expect(
      page.locator("#ap-template-check li[data-code=signature_not_allowed]").textContent(),
    ).resolves.toContain("【中通快递】 不是本所的短信签名");
    await expectAccessible(page);
    await shot(page, "template-live-refused-360-zh");

    // Submitted anyway: refused by the server, the text kept, the same reasons beside it.
    await page.locator("#ap-template-form button[type=submit]").click();
    await page.waitForLoadState();
    await expect(page.locator("#ap-template-body").inputValue()).resolves.toBe(REFUSED);
    await expect(page.locator("#ap-template-check").textContent()).resolves.toContain("带区号的座机号码");
    await shot(page, "template-refused-360-zh");

    // Corrected: the check says it may be saved, and it is.
    await page.fill("#ap-template-body", "");
    await page.locator("#ap-template-body").pressSequentially(ACCEPTED, { delay: 5 });
    await page.locator("#ap-template-check.ok").waitFor();
    await expect(page.locator("#ap-template-check").textContent()).resolves.toContain("符合规则");
    await page.locator("#ap-template-form button[type=submit]").click();
    await page.waitForURL(/done=apDoneTemplateAdded/);
    await expect(page.locator(".ap-body").first().textContent()).resolves.toBe(ACCEPTED);
    await expectAccessible(page);
    await expectFitsWidth(page);
    await shot(page, "campaign-accepted-360-zh");

    // The partner posts a parcel for 二工村 with its new key: the reminder is this template.
    const res = await fetch(`${base()}/v1/partners/${partnerId}/parcel-events`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        events: [
          {
            waybillNo: `ZTO${Date.now()}`,
            kind: "arrived_at_pickup_point",
            recipientPhone: "13800138123",
            area: { code: "652301105202" },
            occurredAt: new Date().toISOString(),
            pickupPoint: "二工村驿站",
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const result = ((await res.json()) as { results: { status: string }[] }).results[0];
    expect(result?.status).toBe("scheduled");
    await expect
      .poll(
        async () =>
          (
            await station.runtime.deps.db
              .select({ body: devOutbox.body })
              .from(devOutbox)
              .where(eq(devOutbox.purpose, "parcel_reminder"))
          ).map((o) => o.body),
        { timeout: 30_000 },
      )
      .toEqual([ACCEPTED]);
    await page.context().close();
  });

  it.each([
    { width: 360, lang: "zh" as const },
    { width: 1280, lang: "zh" as const },
    { width: 1280, lang: "en" as const },
    { width: 360, lang: "en" as const },
  ])("shows every page usable at $width px in $lang", async ({ width, lang }) => {
    const page = await adminPage(width, lang);
    const pages: [string, string][] = [
      ["feeds", "/console/admin/feeds"],
      ["partners", "/console/admin/partners"],
      ["partner", `/console/admin/partners/${credentials.partner.id}`],
      ["campaigns", "/console/admin/campaigns"],
      ["opt-outs", "/console/admin/opt-outs"],
    ];
    for (const [name, path] of pages) {
      await page.goto(`${base()}${path}`);
      await expectAccessible(page);
      await expectFitsWidth(page);
      if (lang === "en") {
        await expect(page.locator("main h2").first().textContent()).resolves.not.toMatch(
          /^[\u4e00-\u9fff]+$/,
        );
      }
      await shot(page, `${name}-${width}-${lang}`);
    }
    // A test key for the demo courier: shown once, then listed as a test key, in the page's language.
    await page.goto(`${base()}/console/admin/partners/${credentials.partner.id}`);
    await page.getByRole("button", { name: lang === "zh" ? "新建测试密钥" : "New test key" }).click();
    await page.waitForURL(/done=apDoneTestKeyCreated/);
    await expect(page.locator(".ap-test").last().textContent()).resolves.toBe(
      lang === "zh" ? "测试" : "Test",
    );
    await expectAccessible(page);
    await expectFitsWidth(page);
    await shot(page, `partner-test-key-${width}-${lang}`);

    // The demo's campaigns: anti-fraud and anti-theft; one open with its templates.
    await page.goto(`${base()}/console/admin/campaigns`);
    await expect(page.locator(".ap-list").textContent()).resolves.toContain("防盗");
    await page.locator(".ap-list h3 a", { hasText: "防盗" }).first().click();
    await page.waitForURL(/\/console\/admin\/campaigns\/cmp_/);
    await expectAccessible(page);
    await expectFitsWidth(page);
    await shot(page, `campaign-${width}-${lang}`);
    if (lang === "en") {
      // The live check speaks the page's language.
      await page.locator("#ap-template-body").pressSequentially(REFUSED, { delay: 5 });
      const landline = page.locator("#ap-template-check li[data-code=phone_landline]");
      await landline.waitFor();
      await expect(landline.textContent()).resolves.toContain("is a landline number with its area code");
      await shot(page, `template-live-refused-${width}-en`);
    }
    // A secret shown once: a rotated feed secret, then gone on reload.
    if (width === 1280 && lang === "zh") {
      await page.goto(`${base()}/console/admin/feeds`);
      await page.locator(`form[action$='/rotate'] button`).first().click();
      await page.waitForURL(/done=apDoneFeedRotated/);
      await expect(page.locator("code.ap-secret").count()).resolves.toBe(2);
      await shot(page, "feed-rotated-1280-zh");
      await page.reload();
      await expect(page.locator("code.ap-secret").count()).resolves.toBe(0);
      // Opt-outs: one recorded, found, its removal refused without a reason.
      await page.goto(`${base()}/console/admin/opt-outs`);
      await page.fill("#optout-phone", "139 0013 9000");
      await page.fill("#optout-reason", "本人到所要求不再接收");
      await page.locator("form[method=post][action='/console/admin/opt-outs'] button[type=submit]").click();
      await page.waitForURL(/done=apDoneOptOutAdded/);
      await page.fill("#optout-search", "13900139000");
      await page.locator("form[method=get] button").click();
      await expect(page.locator(".ap-list h3").first().textContent()).resolves.toBe("139****9000");
      await shot(page, "opt-outs-found-1280-zh");
    }
    await page.context().close();
  });
});
