import { count } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { alerts, parcelEvents, posts, warnings } from "../../schema";
import { aCampaign, anEvent, parcelContext, postEvents, warmDatabase } from "../parcels/support";
import { send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";
import { aPartner } from "../support/partners";

/**
 * Issue 10, item 1: text PostgreSQL cannot store (a lone UTF-16 surrogate from a `\ud800` escape, a NUL)
 * used to fail a whole batch's insert with a 500, on every retry. Now only the item carrying it is rejected,
 * naming the field, and every other JSON route answers 400 naming the field.
 */

beforeAll(warmDatabase);

type Results = { results: { index: number; status: string; errors?: { path: string }[] }[] };

/** JSON.stringify writes a lone surrogate as the `\ud800` escape, exactly what a broken feed sends. */
const LONE = "庙工村\ud800七组";

async function rowCount(ctx: TestContext, table: typeof warnings | typeof alerts | typeof parcelEvents) {
  const [row] = await ctx.deps.db.select({ n: count() }).from(table);
  return row?.n;
}

describe("a signed warning batch with one item PostgreSQL cannot store", () => {
  it.each([
    ["a lone surrogate in the address", { area: { code: "652301", address: LONE } }, "area.address"],
    [
      "a lone surrogate in an indicator",
      { indicators: [{ kind: "phone", value: "\udc00" }] },
      "indicators.0.value",
    ],
    [
      "a lone surrogate in the name",
      { subject: { phone: "+86 139 0013 9001", name: "\ud83d" } },
      "subject.name",
    ],
    ["a NUL in the address", { area: { address: "庙工村\u0000七组" } }, "area.address"],
  ])("rejects only the item with %s, naming the field, and stores the rest", async (_name, bad, field) => {
    const ctx = await createTestContext();
    const body = {
      warnings: [
        aWarning({ subject: { phone: "+86 139 0013 9002" } }),
        aWarning(bad),
        aWarning({ subject: { phone: "+86 139 0013 9003" } }),
      ],
    };
    expect(JSON.stringify(body)).toMatch(/\\u(d800|dc00|d83d|0000)/);

    const res = await ctx.postWarnings(body);

    expect(res.status).toBe(202);
    const { results } = (await res.json()) as Results;
    expect(results.map((r) => r.status)).toEqual(["accepted", "rejected", "accepted"]);
    expect(results[1]?.errors?.map((e) => e.path)).toEqual([field]);
    expect(await rowCount(ctx, warnings)).toBe(2);
    expect(await rowCount(ctx, alerts)).toBe(2);
  });

  it("rejects text outside the items for the whole batch, naming the field", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({ warnings: [aWarning()], batch: "\ud800" });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { code: string; errors: { path: string }[] };
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors.map((e) => e.path)).toEqual(["batch"]);
    expect(await rowCount(ctx, warnings)).toBe(0);
  });
});

describe("a parcel event batch with one item PostgreSQL cannot store", () => {
  it.each([
    ["a lone surrogate in the pickup point", { pickupPoint: "驿站\ud800" }, "pickupPoint"],
    ["a NUL in the pickup point", { pickupPoint: "驿站\u0000" }, "pickupPoint"],
  ])("rejects only the event with %s, naming the field", async (_name, bad, field) => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx);

    const res = await postEvents(ctx, partner, {
      events: [
        anEvent({ recipientPhone: "13800138001" }),
        anEvent(bad),
        anEvent({ recipientPhone: "13800138002" }),
      ],
    });

    expect(res.status).toBe(200);
    const { results } = (await res.json()) as Results;
    expect(results.map((r) => r.status)).toEqual(["scheduled", "rejected", "scheduled"]);
    expect(results[1]?.errors?.map((e) => e.path)).toEqual([field]);
    expect(await rowCount(ctx, parcelEvents)).toBe(2);
  });

  it("answers a single bad event as its rejected result, not a 500", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    const res = await postEvents(ctx, partner, { events: [anEvent({ pickupPoint: "\udfff" })] });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as Results;
    expect(results[0]).toMatchObject({ status: "rejected", errors: [{ path: "pickupPoint" }] });
    expect(await rowCount(ctx, parcelEvents)).toBe(0);
  });
});

describe("every other JSON route that stores text", () => {
  it.each([
    ["POST", "/v1/posts", { name: "庙工\ud800" }, "name"],
    ["PATCH", "/v1/posts/pst_ergong", { name: "二工\udc00村" }, "name"],
    ["POST", "/v1/officers", { username: "new.one", displayName: "\ud800", role: "officer" }, "displayName"],
    ["POST", "/v1/feed-sources", { name: "平台\ud800" }, "name"],
    ["POST", "/v1/jurisdiction-rules/test", { area: { address: "\ud800" } }, "area.address"],
  ])("%s %s answers 400 naming the field and changes nothing", async (method, path, body, field) => {
    const ctx = await createTestContext();
    const token = await ctx.login("admin");
    const before = await ctx.deps.db.select().from(posts);

    const res = await send(ctx, token, method, path, body);

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { code: string; errors: { path: string }[] };
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors.map((e) => e.path)).toEqual([field]);
    expect(await ctx.deps.db.select().from(posts)).toEqual(before);
  });

  it("an alert's attempt note with a lone surrogate answers 400 naming note", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("admin");
    const res = await send(ctx, token, "POST", "/v1/alerts/alr_nonexistent/attempts", {
      channel: "phone",
      reached: false,
      note: "\ud800",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "note",
    ]);
  });
});
