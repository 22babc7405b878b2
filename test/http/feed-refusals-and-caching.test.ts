import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { feedSources } from "../../schema";
import { signPayload } from "../../src/signature";
import { warmDatabase } from "../parcels/support";
import { tokenFor } from "../support/access";
import { givenPushedAlert, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

/**
 * Issue 10, item 13: a prober must not tell an unknown feed source from a known one by the answer, and
 * responses with personal data must not be kept by a browser or proxy cache.
 */

beforeAll(warmDatabase);

/** The answer without its request id: status, headers that matter and the problem's fields. */
async function answer(res: Response) {
  const { requestId, ...problem } = (await res.json()) as Record<string, unknown>;
  expect(requestId).toMatch(/^req_/);
  return { status: res.status, type: res.headers.get("content-type"), problem };
}

describe("feed refusals", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ warnings: [aWarning()] });
  const post = (ctx: TestContext, sourceId: string, signature?: string) =>
    ctx.app.request(`/v1/feeds/${sourceId}/warnings`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(signature ? { "x-signature": signature } : {}) },
      body,
    });

  it("answers an unknown source exactly as every kind of bad signature, apart from the request id", async () => {
    const ctx = await createTestContext();
    const secret = ctx.fixture.source.secret;
    const known = ctx.fixture.source.id;
    const unknown = await answer(await post(ctx, "src_nobody", signPayload(secret, body, now())));
    expect(unknown.status).toBe(401);
    const others = {
      "wrong secret": await post(ctx, known, signPayload("not-the-secret", body, now())),
      "no signature": await post(ctx, known),
      "malformed signature": await post(ctx, known, "t=abc"),
      "stale timestamp": await post(ctx, known, signPayload(secret, body, now() - 3600)),
      "unknown source, no signature": await post(ctx, "src_nobody"),
    };
    for (const [name, res] of Object.entries(others)) expect(await answer(res), name).toEqual(unknown);

    await ctx.deps.db.update(feedSources).set({ disabledAt: new Date() }).where(eq(feedSources.id, known));
    expect(await answer(await post(ctx, known, signPayload(secret, body, now()))), "disabled").toEqual(
      unknown,
    );
  });

  it("answers the feedback pull the same way for an unknown source and a bad signature", async () => {
    const ctx = await createTestContext();
    const pull = (sourceId: string, signature: string) =>
      ctx.app.request(`/v1/feeds/${sourceId}/feedback`, { headers: { "x-signature": signature } });
    const unknown = await answer(await pull("src_nobody", signPayload(ctx.fixture.source.secret, "", now())));
    const badSignature = await answer(await pull(ctx.fixture.source.id, signPayload("wrong", "", now())));
    expect(badSignature).toEqual(unknown);
  });
});

describe("Cache-Control: no-store on personal data", () => {
  it("is sent with an alert view, the alert list, a revealed number and the console's alert page", async () => {
    const ctx = await createTestContext();
    const alertId = await givenPushedAlert(ctx);
    const token = (await tokenFor(ctx, "miaogong")) as string;
    const responses = {
      "alert view": await send(ctx, token, "GET", `/v1/alerts/${alertId}`),
      "alert list": await send(ctx, token, "GET", "/v1/alerts"),
      "reveal phone": await send(ctx, token, "POST", `/v1/alerts/${alertId}/reveal-phone`, {
        reason: "回访核实",
      }),
      "console alert page": await ctx.app.request(`/console/alerts/${alertId}`, {
        headers: { cookie: `af_session=${token}` },
      }),
      "console queue": await ctx.app.request("/console", { headers: { cookie: `af_session=${token}` } }),
      "a refusal": await send(ctx, undefined, "GET", `/v1/alerts/${alertId}`),
    };
    for (const [name, res] of Object.entries(responses)) {
      expect(res.status, name).toBeLessThan(500);
      expect(res.headers.get("cache-control"), name).toBe("no-store");
    }
  });

  it("leaves the console's stylesheet cacheable", async () => {
    const ctx = await createTestContext();
    const res = await ctx.app.request("/console/assets/console.css");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
  });
});
