import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, feedSources } from "../../schema";
import { createApp } from "../../src/http/app";
import { createLog } from "../../src/log";
import { expectRejectsTheWrongCaller, NOT_LOGGED_IN, tokenFor, type WrongCaller } from "../support/access";
import { type Problem, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

interface FeedSource {
  id: string;
  name: string;
  callbackUrl: string | null;
  disabledAt: string | null;
  createdAt: string;
}

const NOT_ADMINS: WrongCaller[] = [
  ...NOT_LOGGED_IN,
  { caller: "miaogong", status: 403, code: "FORBIDDEN" },
  { caller: "supervisor", status: 403, code: "FORBIDDEN" },
];

async function asAdmin(ctx: TestContext, method: string, path: string, body?: unknown) {
  return send(ctx, await tokenFor(ctx, "admin"), method, path, body);
}

async function createSource(ctx: TestContext, body: Record<string, unknown> = {}) {
  const res = await asAdmin(ctx, "POST", "/v1/feed-sources", { name: "反诈平台", ...body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { source: FeedSource; secret: string };
}

const aBatch = () => ({ warnings: [aWarning()] });

const snapshot = async (ctx: TestContext) => [
  await ctx.deps.db.select().from(feedSources).orderBy(feedSources.id),
  await ctx.deps.db.select().from(auditLog),
];

describe("POST /v1/feed-sources", () => {
  it("creates a source whose secret, shown once, signs warnings that are accepted", async () => {
    const ctx = await createTestContext();

    const { source, secret } = await createSource(ctx, { callbackUrl: "https://platform.example/feedback" });
    const res = await ctx.postWarnings(aBatch(), { secret, sourceId: source.id });

    expect(source).toMatchObject({
      name: "反诈平台",
      callbackUrl: "https://platform.example/feedback",
      disabledAt: null,
    });
    expect(source.id).toMatch(/^src_/);
    expect(res.status).toBe(202);
    const { results } = (await res.json()) as { results: { status: string }[] };
    expect(results.map((r) => r.status)).toEqual(["accepted"]);
    const [row] = await ctx.deps.db.select().from(feedSources).where(eq(feedSources.id, source.id));
    expect(row?.stationId).toBe(ctx.fixture.ids.station);
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("gives every source its own secret: one source's secret does not sign for another", async () => {
    const ctx = await createTestContext();
    const a = await createSource(ctx);
    const b = await createSource(ctx);

    const res = await ctx.postWarnings(aBatch(), { secret: a.secret, sourceId: b.source.id });

    expect(a.secret).not.toBe(b.secret);
    expect(res.status).toBe(401);
  });

  it.each([
    ["no name", {}, "name"],
    ["a blank name", { name: "  " }, "name"],
    ["a callback that is not a URL", { name: "x", callbackUrl: "platform.example/feedback" }, "callbackUrl"],
    ["a callback that is not http(s)", { name: "x", callbackUrl: "ftp://platform.example/f" }, "callbackUrl"],
  ])("refuses %s with 400 naming the field", async (_label, body, field) => {
    const ctx = await createTestContext();
    const before = await snapshot(ctx);

    const res = await asAdmin(ctx, "POST", "/v1/feed-sources", body);

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as Problem;
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors?.map((e) => e.path)).toContain(field);
    expect(await snapshot(ctx)).toEqual(before);
  });

  it("refuses a plain-http callback outside local mode, naming the field", async () => {
    const ctx = await createTestContext();
    const cloud = createApp({ ...ctx.deps, config: { ...ctx.deps.config, local: false } });
    const token = await tokenFor(ctx, "admin");

    const res = await cloud.request("/v1/feed-sources", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", callbackUrl: "http://platform.example/feedback" }),
    });

    expect(res.status).toBe(400);
    const problem = (await res.json()) as Problem;
    expect(problem.errors?.map((e) => e.path)).toEqual(["callbackUrl"]);
    expect(problem.errors?.[0]?.message).toContain("https");
  });

  it("accepts a plain-http callback in local mode (a platform on localhost)", async () => {
    const ctx = await createTestContext();
    const { source } = await createSource(ctx, { callbackUrl: "http://localhost:4000/feedback" });
    expect(source.callbackUrl).toBe("http://localhost:4000/feedback");
  });

  it("rejects the wrong caller and changes nothing", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: "/v1/feed-sources", body: { name: "x" } },
      NOT_ADMINS,
      () => snapshot(ctx),
    );
  });
});

describe("GET /v1/feed-sources", () => {
  it("lists the station's sources by name, without any secret", async () => {
    const ctx = await createTestContext();
    const { secret } = await createSource(ctx, { name: "B platform" });
    await send(ctx, await tokenFor(ctx, "otheradmin"), "POST", "/v1/feed-sources", { name: "Elsewhere" });

    const res = await asAdmin(ctx, "GET", "/v1/feed-sources");

    expect(res.status).toBe(200);
    const text = await res.text();
    const { feedSources: list } = JSON.parse(text) as { feedSources: FeedSource[] };
    expect(list.map((s) => s.name)).toEqual(["B platform", "Test platform"]);
    expect(Object.keys(list[0] ?? {}).sort()).toEqual([
      "callbackUrl",
      "createdAt",
      "disabledAt",
      "id",
      "name",
    ]);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(ctx.fixture.source.secret);
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(ctx, { method: "GET", path: "/v1/feed-sources" }, NOT_ADMINS);
  });
});

describe("PATCH /v1/feed-sources/{id}", () => {
  it("renames a source and sets, then clears, its callback URL", async () => {
    const ctx = await createTestContext();
    const path = `/v1/feed-sources/${ctx.fixture.source.id}`;

    const set = await asAdmin(ctx, "PATCH", path, {
      name: "省反诈平台",
      callbackUrl: "https://platform.example/cb",
    });
    const cleared = await asAdmin(ctx, "PATCH", path, { callbackUrl: null });

    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({
      name: "省反诈平台",
      callbackUrl: "https://platform.example/cb",
    });
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toMatchObject({ name: "省反诈平台", callbackUrl: null });
    const [row] = await ctx.deps.db
      .select()
      .from(feedSources)
      .where(eq(feedSources.id, ctx.fixture.source.id));
    expect(row?.callbackUrl).toBeNull();
  });

  it.each([
    ["a blank name", { name: "" }, "name"],
    ["a callback that is not a URL", { callbackUrl: "not a url" }, "callbackUrl"],
    ["a callback that is a number", { callbackUrl: 42 }, "callbackUrl"],
  ])("refuses %s with 400 naming the field", async (_label, body, field) => {
    const ctx = await createTestContext();
    const before = await snapshot(ctx);

    const res = await asAdmin(ctx, "PATCH", `/v1/feed-sources/${ctx.fixture.source.id}`, body);

    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toContain(field);
    expect(await snapshot(ctx)).toEqual(before);
  });

  it("rejects the wrong caller; another station's admin gets 404, as if the source did not exist", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "PATCH", path: `/v1/feed-sources/${ctx.fixture.source.id}`, body: { name: "taken" } },
      [...NOT_ADMINS, { caller: "otheradmin", status: 404, code: "NOT_FOUND" }],
      () => snapshot(ctx),
    );
  });
});

describe("POST /v1/feed-sources/{id}/rotate-secret", () => {
  it("issues a new secret once: the old one is refused at once, the new one accepted", async () => {
    const ctx = await createTestContext();
    const { source, secret: oldSecret } = await createSource(ctx);

    const res = await asAdmin(ctx, "POST", `/v1/feed-sources/${source.id}/rotate-secret`);
    const { secret: newSecret } = (await res.json()) as { secret: string };
    const withOld = await ctx.postWarnings(aBatch(), { secret: oldSecret, sourceId: source.id });
    const withNew = await ctx.postWarnings(aBatch(), { secret: newSecret, sourceId: source.id });

    expect(res.status).toBe(200);
    expect(newSecret).not.toBe(oldSecret);
    expect(withOld.status).toBe(401);
    expect(((await withOld.json()) as Problem).code).toBe("BAD_SIGNATURE");
    expect(withNew.status).toBe(202);
  });

  it("rejects the wrong caller, and another station's admin gets 404", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: `/v1/feed-sources/${ctx.fixture.source.id}/rotate-secret` },
      [...NOT_ADMINS, { caller: "otheradmin", status: 404, code: "NOT_FOUND" }],
      () => snapshot(ctx),
    );
    expect((await ctx.postWarnings(aBatch())).status).toBe(202);
  });

  it("answers 400 naming the id when it is not a feed source id", async () => {
    const ctx = await createTestContext();
    const res = await asAdmin(ctx, "POST", "/v1/feed-sources/par_123/rotate-secret");
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toEqual(["id"]);
  });
});

describe("POST /v1/feed-sources/{id}/disable and /enable", () => {
  it("refuses a disabled source's warnings with 401 problem+json; enabling restores it", async () => {
    const ctx = await createTestContext();
    const path = `/v1/feed-sources/${ctx.fixture.source.id}`;

    const disable = await asAdmin(ctx, "POST", `${path}/disable`);
    const refused = await ctx.postWarnings(aBatch());
    const enable = await asAdmin(ctx, "POST", `${path}/enable`);
    const accepted = await ctx.postWarnings(aBatch());

    expect(disable.status).toBe(200);
    expect(((await disable.json()) as FeedSource).disabledAt).not.toBeNull();
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(((await refused.json()) as Problem).code).toBe("BAD_SIGNATURE");
    expect(enable.status).toBe(200);
    expect(((await enable.json()) as FeedSource).disabledAt).toBeNull();
    expect(accepted.status).toBe(202);
  });

  it.each(["disable", "enable"])("rejects the wrong caller on /%s", async (action) => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: `/v1/feed-sources/${ctx.fixture.source.id}/${action}` },
      [...NOT_ADMINS, { caller: "otheradmin", status: 404, code: "NOT_FOUND" }],
      () => snapshot(ctx),
    );
  });
});

describe("audit", () => {
  it("records every change by the admin, with no secret in it", async () => {
    const ctx = await createTestContext();
    const { source, secret } = await createSource(ctx, { callbackUrl: "https://platform.example/cb" });
    const path = `/v1/feed-sources/${source.id}`;
    await asAdmin(ctx, "PATCH", path, { name: "renamed" });
    const rotated = await asAdmin(ctx, "POST", `${path}/rotate-secret`);
    const { secret: newSecret } = (await rotated.json()) as { secret: string };
    await asAdmin(ctx, "POST", `${path}/disable`);
    await asAdmin(ctx, "POST", `${path}/disable`);
    await asAdmin(ctx, "POST", `${path}/enable`);

    const entries = await ctx.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, source.id))
      .orderBy(auditLog.id);

    expect(entries.map((e) => [e.action, e.officerId, e.targetType, e.stationId])).toEqual([
      ["feed_source.create", "off_admin", "feed_source", "stn_sangong"],
      ["feed_source.configure", "off_admin", "feed_source", "stn_sangong"],
      ["feed_source.secret_rotate", "off_admin", "feed_source", "stn_sangong"],
      ["feed_source.disable", "off_admin", "feed_source", "stn_sangong"],
      ["feed_source.enable", "off_admin", "feed_source", "stn_sangong"],
    ]);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(newSecret);
  });
});

describe("secrets", () => {
  it("never reach the logs, not even the one-time ones", async () => {
    const ctx = await createTestContext();
    const lines: string[] = [];
    const app = createApp({
      ...ctx.deps,
      log: createLog("trace", { write: (line: string) => lines.push(line) }),
    });
    const token = await tokenFor(ctx, "admin");
    const call = (path: string, body?: unknown) =>
      app.request(path, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const created = (await (await call("/v1/feed-sources", { name: "x" })).json()) as {
      source: FeedSource;
      secret: string;
    };
    const rotated = (await (await call(`/v1/feed-sources/${created.source.id}/rotate-secret`)).json()) as {
      secret: string;
    };

    const log = lines.join("");
    expect(log).toContain("feed source created");
    expect(log).toContain("feed source secret rotated");
    expect(log).not.toContain(created.secret);
    expect(log).not.toContain(rotated.secret);
  });
});

describe("/openapi.json", () => {
  it("documents the feed-source routes", async () => {
    const ctx = await createTestContext();
    const doc = (await (await ctx.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        "get /v1/feed-sources",
        "post /v1/feed-sources",
        "patch /v1/feed-sources/{id}",
        "post /v1/feed-sources/{id}/rotate-secret",
        "post /v1/feed-sources/{id}/disable",
        "post /v1/feed-sources/{id}/enable",
      ]),
    );
  });
});
