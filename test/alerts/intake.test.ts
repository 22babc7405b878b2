import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, jobs, warnings } from "../../schema";
import { createTestContext } from "../support/context";
import { aWarning } from "../support/fixture";

type Results = {
  results: { index: number; status: string; alertId?: string; errors?: { path: string }[] }[];
};

async function countRows(ctx: Awaited<ReturnType<typeof createTestContext>>) {
  const [w] = await ctx.deps.db.select({ n: count() }).from(warnings);
  const [a] = await ctx.deps.db.select({ n: count() }).from(alerts);
  const [j] = await ctx.deps.db.select({ n: count() }).from(jobs);
  return { warnings: w?.n, alerts: a?.n, jobs: j?.n };
}

describe("POST /v1/feeds/{sourceId}/warnings", () => {
  it("accepts a signed warning, stores it with its push job, and answers 202 with the alert id", async () => {
    const ctx = await createTestContext();

    const res = await ctx.postWarnings({ warnings: [aWarning()] });

    expect(res.status).toBe(202);
    const body = (await res.json()) as Results;
    expect(body.results).toEqual([{ index: 0, status: "accepted", alertId: expect.stringMatching(/^alr_/) }]);
    const alertId = body.results[0]?.alertId as string;
    const [alert] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
    expect(alert?.stage).toBe("received");
    expect(await countRows(ctx)).toEqual({ warnings: 1, alerts: 1, jobs: 1 });
  });

  it("stores the subject phone encrypted, never in clear", async () => {
    const ctx = await createTestContext();
    await ctx.postWarnings({ warnings: [aWarning({ subject: { phone: "13800138000" } })] });

    const [row] = await ctx.deps.db.select().from(warnings);
    expect(JSON.stringify(row)).not.toContain("13800138000");
    expect(ctx.deps.pii.decrypt(row?.subjectPhoneEnc as string)).toBe("+8613800138000");
  });

  it("treats different spellings of one number as the same subject", async () => {
    const ctx = await createTestContext();
    const spellings = ["138 0013 8000", "+86-138-0013-8000", "008613800138000", "+8613800138000"];

    await ctx.postWarnings({ warnings: spellings.map((phone) => aWarning({ subject: { phone } })) });

    const rows = await ctx.deps.db.select({ hash: warnings.subjectPhoneHash }).from(warnings);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(1);
  });

  it("reports a repeated externalId as a duplicate of the first alert, across and within batches", async () => {
    const ctx = await createTestContext();
    const first = aWarning();
    const firstRes = (await (await ctx.postWarnings({ warnings: [first] })).json()) as Results;
    const alertId = firstRes.results[0]?.alertId;

    // Another subject: a second warning for the first subject would join the first alert (test/alerts/repeats.test.ts).
    const fresh = aWarning({ subject: { phone: "+86 139 0013 9000" } });
    const res = await ctx.postWarnings({ warnings: [first, fresh, fresh] });
    const body = (await res.json()) as Results;

    expect(body.results.map((r) => r.status)).toEqual(["duplicate", "accepted", "duplicate"]);
    expect(body.results[0]?.alertId).toBe(alertId);
    expect(body.results[2]?.alertId).toBe(body.results[1]?.alertId);
    expect(await countRows(ctx)).toEqual({ warnings: 2, alerts: 2, jobs: 2 });
  });

  it("accepts the good warnings of a batch and rejects the bad ones with the fields that are wrong", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({
      warnings: [
        aWarning(),
        aWarning({ subject: { phone: "12345" } }),
        aWarning({ riskLevel: "apocalyptic", detectedAt: "yesterday" }),
        { externalId: "YJ-missing" },
        aWarning({ subject: { phone: "+86 139 0013 9000" } }),
      ],
    });

    expect(res.status).toBe(202);
    const { results } = (await res.json()) as Results;
    expect(results.map((r) => r.status)).toEqual([
      "accepted",
      "rejected",
      "rejected",
      "rejected",
      "accepted",
    ]);
    expect(results[1]?.errors?.map((e) => e.path)).toEqual(["subject.phone"]);
    expect(results[2]?.errors?.map((e) => e.path).sort()).toEqual(["detectedAt", "riskLevel"]);
    expect(results[3]?.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(["type", "riskLevel", "subject", "detectedAt"]),
    );
    expect(await countRows(ctx)).toEqual({ warnings: 2, alerts: 2, jobs: 2 });
  });

  it("ignores fields it does not know", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({
      warnings: [aWarning({ platformScore: 97, extra: { a: 1 } })],
      meta: 1,
    });
    expect(((await res.json()) as Results).results[0]?.status).toBe("accepted");
  });

  describe.each([
    ["an empty batch", { warnings: [] }, 400, "VALIDATION_FAILED"],
    ["a batch over 1,000", { warnings: Array.from({ length: 1001 }, () => ({})) }, 400, "VALIDATION_FAILED"],
    ["no warnings array", { alerts: [aWarning()] }, 400, "VALIDATION_FAILED"],
    ["a JSON array body", [aWarning()], 400, "VALIDATION_FAILED"],
    ["malformed JSON", '{"warnings": [', 400, "MALFORMED_JSON"],
  ])("rejects %s", (_name, body, status, code) => {
    it(`with ${status} ${code} and stores nothing`, async () => {
      const ctx = await createTestContext();
      const res = await ctx.postWarnings(body);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as { code: string }).code).toBe(code);
      expect(await countRows(ctx)).toEqual({ warnings: 0, alerts: 0, jobs: 0 });
    });
  });

  it("rejects only the warning with a NUL character, naming its field, not the batch and not with a 500", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({
      warnings: [
        aWarning({ area: { address: "庙工村\u0000七组" } }),
        aWarning({ subject: { phone: "+86 139 0013 9000" } }),
      ],
    });
    expect(res.status).toBe(202);
    const { results } = (await res.json()) as Results;
    expect(results.map((r) => r.status)).toEqual(["rejected", "accepted"]);
    expect(results[0]?.errors?.map((e) => e.path)).toEqual(["area.address"]);
    expect(await countRows(ctx)).toEqual({ warnings: 1, alerts: 1, jobs: 1 });
  });

  it("rejects a body over 1 MiB with 413", async () => {
    const ctx = await createTestContext();
    const big = { warnings: [aWarning({ padding: "x".repeat(1024 * 1024) })] };
    const res = await ctx.postWarnings(big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("rejects a non-JSON content type with 415", async () => {
    const ctx = await createTestContext();
    const res = await ctx.app.request(`/v1/feeds/${ctx.fixture.source.id}/warnings`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hello",
    });
    expect(res.status).toBe(415);
  });

  describe("authentication", () => {
    // A fixed clock: the signature window is judged against it, not against when the test happens to run.
    const fixed = new Date("2026-11-28T02:00:00Z");
    const clock = { now: () => fixed };
    const now = Math.floor(fixed.getTime() / 1000);
    it.each([
      ["a wrong secret", { secret: "not-the-secret" }],
      ["an unknown source", { sourceId: "src_nobody" }],
      ["a timestamp 6 minutes old", { at: now - 360 }],
      ["a timestamp 6 minutes ahead", { at: now + 360 }],
    ])("answers 401 problem+json for %s and stores nothing", async (_name, opts) => {
      const ctx = await createTestContext({ clock });
      const res = await ctx.postWarnings({ warnings: [aWarning()] }, opts);
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(await countRows(ctx)).toEqual({ warnings: 0, alerts: 0, jobs: 0 });
    });

    it("answers 401 when the signature header is missing", async () => {
      const ctx = await createTestContext();
      const res = await ctx.app.request(`/v1/feeds/${ctx.fixture.source.id}/warnings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ warnings: [aWarning()] }),
      });
      expect(res.status).toBe(401);
    });

    it("accepts a timestamp 4 minutes old", async () => {
      const ctx = await createTestContext({ clock });
      const res = await ctx.postWarnings({ warnings: [aWarning()] }, { at: now - 240 });
      expect(res.status).toBe(202);
    });
  });
});
