import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../support/browser";
import { TEST_DB } from "../support/db";
import { type DemoStation, startDemoStation } from "../support/demo-station";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");

/**
 * /docs in Debian's Chromium against the whole local runtime: the reference renders from /openapi.json under the
 * console's Content-Security-Policy (no violation, nothing fetched from elsewhere), lists operations by audience,
 * and "Try it out" with a partner's API key reaches this server and shows its answer.
 */
describe(`API reference at /docs in a browser (${TEST_DB})`, () => {
  let browser: Browser;
  let station: DemoStation;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    station = await startDemoStation("docs");
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
  });

  /** A page that records CSP violations, console errors and every request that leaves for another origin. */
  async function openDocs(width: number, hash = "") {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const problems: string[] = [];
    const base = station.runtime.baseUrl;
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("request", (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith("data:")) problems.push(`request: ${r.url()}`);
    });
    await page.addInitScript(
      'document.addEventListener("securitypolicyviolation", (e) => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));',
    );
    const res = await page.goto(`${base}/docs${hash}`);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.locator(".swagger-ui .info .title").waitFor({ timeout: 30_000 });
    return { page, problems };
  }

  async function opSummaries(page: Page, tagName: string) {
    const section = page.locator(`.opblock-tag-section:has(h3[data-tag="${tagName}"])`);
    await section.locator("h3").click();
    return section.locator(".opblock-summary-path").allInnerTexts();
  }

  it("renders the reference by audience under the console's CSP, fetching nothing from elsewhere", async () => {
    const { page, problems } = await openDocs(1280);
    const tags = await page
      .locator("h3.opblock-tag")
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-tag") ?? ""));
    const audiences = [...new Set(tags.map((t) => t.split(" · ")[0]?.trim()))];
    expect(audiences.slice(0, 4), tags.join(" | ")).toEqual(["Feeds", "Partners", "Officers", "Admins"]);
    expect((await page.locator(".swagger-ui .info").textContent()) ?? "").toContain(
      "X-Signature: t=<unix seconds>",
    );
    await page.screenshot({ path: join(ARTIFACTS, "docs-1280.png") });
    const paths = await opSummaries(page, "Partners · Message events");
    expect(paths.map((p) => p.replace(/\u200b/g, ""))).toContain("/v1/partners/{partnerId}/message-events");
    await page.screenshot({ path: join(ARTIFACTS, "docs-partners-1280.png") });
    // An operation opened: its request example, and its errors' problem+json examples.
    const op = page.locator("#operations-Partners_·_Message_events-setMessageCallback");
    await op.locator(".opblock-summary").click();
    await op.locator(".responses-table").first().waitFor();
    const text = (await op.textContent()) ?? "";
    expect(text).toContain("https://courier.example/af-callbacks");
    expect(text).toContain("VALIDATION_FAILED");
    await op.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "docs-operation-1280.png"), fullPage: false });
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it("tries a partner's call against this server with its API key and shows the answer", async () => {
    const { page, problems } = await openDocs(
      1280,
      "#/Partners%20%C2%B7%20Message%20events/pullMessageEvents",
    );
    const { id, apiKey } = station.credentials.partner;
    await page.locator(".auth-wrapper .authorize").click();
    const dialog = page.locator(".dialog-ux");
    // The partner key's own form: its button, not whichever scheme's comes first in the dialog.
    const bearer = dialog.locator(".auth-container").filter({ has: page.getByLabel("auth-bearer-value") });
    await bearer.getByLabel("auth-bearer-value").fill(apiKey);
    await bearer.getByRole("button", { name: "Apply credentials" }).click();
    await dialog.locator(".btn-done").first().click();

    const op = page.locator("#operations-Partners_·_Message_events-pullMessageEvents");
    await op.getByRole("button", { name: "Try it out" }).click();
    await op.locator('input[placeholder="partnerId"]').fill(id);
    await op.getByRole("button", { name: "Execute" }).click();
    const status = op.locator(".live-responses-table tr.response td.response-col_status").first();
    await status.waitFor({ timeout: 20_000 });
    expect(((await status.textContent()) ?? "").trim()).toBe("200");
    expect((await op.locator(".live-responses-table .microlight").first().textContent()) ?? "").toContain(
      "nextCursor",
    );
    await op.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "docs-try-it-1280.png") });
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it("is usable on a phone", async () => {
    const { page, problems } = await openDocs(360);
    await page.screenshot({ path: join(ARTIFACTS, "docs-360.png") });
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
