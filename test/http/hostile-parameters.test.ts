import { beforeAll, describe, expect, it } from "vitest";
import { aCampaign, warmDatabase } from "../parcels/support";
import { tokenFor } from "../support/access";
import { givenPushedAlert, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { base64url } from "../support/hostile";
import { aPartner } from "../support/partners";

/**
 * Issue 10, item 9: hostile query and path parameters reached PostgreSQL and came back as 500s. Now every
 * parameter of every route is checked before the route runs (src/http/param-guard.ts) and cursors are
 * decoded strictly (src/pagination.ts): a 400 naming the parameter.
 */

beforeAll(warmDatabase);

type Problem = { code: string; errors?: { path: string }[] };

const short = (path: string) =>
  path.length > 80 ? `${path.slice(0, 60)}…(${path.length} characters)` : path;

async function expectNamed(res: Response, name: string) {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(problem.code).toBe("VALIDATION_FAILED");
  expect(problem.errors?.map((e) => e.path)).toContain(name);
}

async function get(ctx: TestContext, caller: string, path: string): Promise<Response> {
  return send(ctx, await tokenFor(ctx, caller), "GET", path);
}

describe("query parameters", () => {
  it.each(
    [
      ["/v1/alerts?postId=pst%00", "postId"],
      ["/v1/audit?action=reveal%00", "action"],
      ["/v1/audit?officerId=off_%00", "officerId"],
      ["/v1/audit?targetId=%00", "targetId"],
      ["/v1/audit?targetId=%ED%A0%80", "targetId"],
      ["/v1/audit?targetId=%FF", "targetId"],
      [`/v1/audit?action=${"x".repeat(5000)}`, "action"],
      ["/v1/reports/alerts?postId=%00", "postId"],
      ["/v1/sms/opt-outs?phone=138%00", "phone"],
      ["/v1/dev/outbox?alertId=alr_%00", "alertId"],
    ].map(([path, name]) => [short(path as string), path as string, name as string] as const),
  )("GET %s answers 400 naming the parameter", async (_label, path, name) => {
    const ctx = await createTestContext();
    await expectNamed(await get(ctx, "admin", path), name);
  });

  it("a NUL is refused before authentication too", async () => {
    const ctx = await createTestContext();
    await expectNamed(await ctx.app.request("/v1/audit?action=%00"), "action");
  });
});

describe("path parameters", () => {
  it.each(
    [
      ["PATCH", "/v1/posts/pst%00", { name: "新名字" }, "id"],
      ["DELETE", "/v1/jurisdiction-rules/rul%00", undefined, "id"],
      ["DELETE", "/v1/sms/opt-outs/%ED%A0%80", undefined, "id"],
      ["GET", "/v1/alerts/alr_%00", undefined, "id"],
      ["GET", `/v1/campaigns/cmp_${"x".repeat(2000)}`, undefined, "id"],
      ["POST", "/v1/partners/par_x/keys/key%00/revoke", undefined, "keyId"],
    ].map(
      ([method, path, body, name]) =>
        [
          `${method} ${short(path as string)}`,
          method as string,
          path as string,
          body,
          name as string,
        ] as const,
    ),
  )("%s answers 400 naming the parameter", async (_label, method, path, body, name) => {
    const ctx = await createTestContext();
    await expectNamed(await send(ctx, await tokenFor(ctx, "admin"), method, path, body), name);
  });

  it("the console's alert page refuses a NUL in the id instead of failing", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("miaogong");
    const res = await ctx.app.request("/console/alerts/alr_%00", {
      headers: { cookie: `af_session=${token}` },
    });
    expect(res.status).toBe(400);
  });
});

describe("cursors", () => {
  const cursors = [
    ["junk", "!!!"],
    ["an impossible date", base64url('{"d":"2026-02-30T00:00:00.000000Z","id":"alr_x"}')],
    ["year zero", base64url('{"d":"0000-01-01T00:00:00.000000Z","id":"alr_x"}')],
    ["a NUL in the id", base64url('{"d":null,"id":"alr_\\u0000"}')],
    ["a lone surrogate in the id", base64url('{"d":null,"id":"\\ud800"}')],
  ];
  it.each(cursors)("GET /v1/alerts with %s answers 400 naming cursor", async (_name, cursor) => {
    const ctx = await createTestContext();
    await expectNamed(await get(ctx, "supervisor", `/v1/alerts?cursor=${cursor}`), "cursor");
  });

  it.each([
    ["an impossible date", base64url('{"at":"2026-02-30T00:00:00Z","id":"x"}')],
    ["a date PostgreSQL cannot read", base64url('{"at":"+275760-09-13T00:00:00.000Z","id":"x"}')],
    ["a weekday for a date", base64url('{"at":"Tue","id":"x"}')],
    ["a NUL in the id", base64url('{"at":"2026-12-01T00:00:00Z","id":"\\u0000"}')],
  ])("GET /v1/sms/opt-outs with %s answers 400 naming cursor", async (_name, cursor) => {
    const ctx = await createTestContext();
    await expectNamed(await get(ctx, "admin", `/v1/sms/opt-outs?cursor=${cursor}`), "cursor");
  });

  it("a real cursor still pages", async () => {
    const ctx = await createTestContext();
    await givenPushedAlert(ctx);
    await givenPushedAlert(ctx);
    const first = (await (await get(ctx, "supervisor", "/v1/alerts?limit=1")).json()) as {
      nextCursor: string;
    };
    const res = await get(ctx, "supervisor", `/v1/alerts?limit=1&cursor=${first.nextCursor}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { alerts: unknown[] }).alerts).toHaveLength(1);
  });
});

describe("PATCH with an empty body", () => {
  it.each([
    ["a post", "/v1/posts/pst_ergong", "name"],
    ["a partner", "/v1/partners/par_patch", "(body)"],
    ["a feed source", "/v1/feed-sources/src_platform", "(body)"],
    ["a campaign", "/v1/campaigns/cmp_patch", "(body)"],
  ])(
    "PATCH %s with {}, an empty or no body answers 400, never 500 or a silent no-op",
    async (_name, path, field) => {
      const ctx = await createTestContext();
      await aPartner(ctx, { id: "par_patch" });
      await aCampaign(ctx, { id: "cmp_patch" });
      const token = await tokenFor(ctx, "admin");
      const bodies: [string, RequestInit, string | undefined][] = [
        ["{}", { body: "{}", headers: { "content-type": "application/json" } }, field],
        ["no body", {}, field],
        ["an empty JSON body", { body: "", headers: { "content-type": "application/json" } }, undefined],
      ];
      for (const [label, init, named] of bodies) {
        const res = await ctx.app.request(path, {
          method: "PATCH",
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        });
        const text = await res.text();
        expect(res.status, `${label}: ${text}`).toBe(400);
        expect(res.headers.get("content-type"), label).toContain("application/problem+json");
        if (named)
          expect(
            (JSON.parse(text) as Problem).errors?.map((e) => e.path),
            label,
          ).toContain(named);
      }
    },
  );
});
