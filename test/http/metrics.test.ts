import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { feedbackEvents } from "../../schema";
import { loadConfig } from "../../src/config";
import { createMetrics, metricsApp } from "../../src/http/metrics";
import { anAlert, givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { givenVerifiedAlert } from "../support/feedback";
import { aWarning } from "../support/fixture";

const TOKEN = "m".repeat(40);
const MINUTE = 60_000;

async function scrape(ctx: TestContext, token = TOKEN) {
  const res = await ctx.app.request("/metrics", { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one series in the exposition text, or undefined when it is not there. */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  it("are not served on the API without METRICS_TOKEN, and refuse a wrong token", async () => {
    const open = await createTestContext();
    expect((await open.app.request("/metrics")).status).toBe(404);

    const guarded = await createTestContext({ env: { METRICS_TOKEN: TOKEN } });
    expect((await guarded.app.request("/metrics")).status).toBe(401);
    expect((await scrape(guarded, "x".repeat(40))).status).toBe(401);
  });

  it("count open and overdue alerts, SMS by lane and status, feedback owed and given up", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock, env: { METRICS_TOKEN: TOKEN } });
    await givenPushedAlert(ctx, { riskLevel: "critical" });
    await anAlert(ctx, { riskLevel: "high" });
    await anAlert(ctx, { riskLevel: "high" });
    const { alertId } = await givenVerifiedAlert(ctx);
    await ctx.drain();
    const dead = await ctx.deps.db
      .update(feedbackEvents)
      .set({ status: "dead", attempts: 9 })
      .where(eq(feedbackEvents.alertId, alertId))
      .returning();
    expect(dead).toHaveLength(1);
    clock.advance(6 * MINUTE); // past the high alerts' 5-minute acknowledge deadline

    const { status, type, text } = await scrape(ctx);
    expect(status).toBe(200);
    expect(type).toContain("text/plain");
    expect(value(text, 'antifraud_alerts_open{stage="pushed",risk_level="high"}')).toBe(2);
    expect(value(text, 'antifraud_alerts_overdue{stage="pushed",risk_level="high"}')).toBe(2);
    expect(value(text, 'antifraud_alerts_open{stage="pushed",risk_level="critical"}')).toBe(1);
    expect(value(text, 'antifraud_sms_messages_24h{lane="urgent",status="submitted"}')).toBeGreaterThan(0);
    expect(value(text, 'antifraud_feedback_events{state="dead"}')).toBe(1);
    expect(value(text, "antifraud_metrics_database_up")).toBe(1);
    expect(text).toContain("antifraud_process_resident_memory_bytes");
    // Nothing personal: no phone number in any label (values are counts, sizes and durations).
    const labels = text.match(/\{[^}]*\}/g) ?? [];
    expect(labels.length).toBeGreaterThan(10);
    expect(labels.join("\n")).not.toMatch(/1[3-9]\d{9}|\+86/);
  });

  it("time requests by route pattern, never by raw path", async () => {
    const ctx = await createTestContext({ env: { METRICS_TOKEN: TOKEN } });
    await ctx.app.request("/healthz");
    await ctx.app.request("/v1/alerts/alt_nothere");
    const { text } = await scrape(ctx);
    expect(
      value(
        text,
        'antifraud_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}',
      ),
    ).toBe(1);
    expect(text).toContain('route="/v1/alerts/:id"');
    expect(text).not.toContain("alt_nothere");
  });

  it("show the queue backlog the workers have not taken yet", async () => {
    const ctx = await createTestContext({ env: { METRICS_TOKEN: TOKEN } });
    // Posted but not drained: the push jobs wait in the alert-push queue.
    await ctx.postWarnings({ warnings: [aWarning()] });
    const { text } = await scrape(ctx);
    expect(value(text, 'antifraud_queue_jobs{queue="alert-push",state="ready"}')).toBe(1);
    expect(value(text, 'antifraud_queue_oldest_ready_seconds{queue="alert-push"}')).toBeGreaterThanOrEqual(0);
  });

  it("serve the loopback listener without a token, and refuse to bind it elsewhere", async () => {
    const ctx = await createTestContext();
    const res = await metricsApp(createMetrics(ctx.deps)).request("/metrics");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("antifraud_alerts_open");
    expect(() => loadConfig({ NODE_ENV: "test", METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0" })).toThrow(
      /METRICS_HOST/,
    );
  });
});
