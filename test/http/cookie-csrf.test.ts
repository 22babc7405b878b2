import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, feedSources, officers, sessions } from "../../schema";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { csrfToken } from "../../src/console/csrf";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

/**
 * The console's session cookie rides on any request the browser sends to us, including one a page of
 * another site (or of this host at another port: same-site, so SameSite=Strict lets it through) starts
 * with a form. The JSON API must not change anything on that cookie's word (issue 10, item 6).
 */
describe("the session cookie on the JSON API", () => {
  let ctx: TestContext;
  let token: string;

  beforeEach(async () => {
    ctx = await createTestContext();
    token = await ctx.login("admin");
  });

  /** What a hostile page's `<form method=post>` makes the browser send: form body, foreign Origin, our cookie. */
  const crossSiteForm = (
    path: string,
    fields: Record<string, string> = {},
    origin = "http://localhost:8080",
  ) =>
    ctx.app.request(path, {
      method: "POST",
      headers: {
        cookie: `${SESSION_COOKIE}=${token}`,
        origin,
        "sec-fetch-site": "same-site",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(fields).toString(),
    });

  const state = async () => ({
    officers: await ctx.deps.db.select().from(officers).orderBy(officers.id),
    sources: await ctx.deps.db.select().from(feedSources).orderBy(feedSources.id),
    audit: await ctx.deps.db.select().from(auditLog),
  });

  it("refuses a cross-site form post that would disable an officer or rotate a feed secret", async () => {
    const before = await state();

    const disable = await crossSiteForm("/v1/officers/off_ergong/disable");
    const rotate = await crossSiteForm(`/v1/feed-sources/${ctx.fixture.source.id}/rotate-secret`);

    for (const res of [disable, rotate]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(await state()).toEqual(before);
    // The feed still signs with the secret it had.
    expect((await ctx.postWarnings({ warnings: [aWarning()] })).status).toBe(202);
  });

  it("refuses the cookie for changes even with a JSON body from this origin: changes need the bearer token", async () => {
    const before = await state();

    const res = await ctx.app.request("/v1/officers/off_ergong/disable", {
      method: "POST",
      headers: { cookie: `${SESSION_COOKIE}=${token}`, "content-type": "application/json" },
      body: "{}",
    });

    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string; detail: string }).detail).toMatch(/Bearer/);
    expect(await state()).toEqual(before);
  });

  it("still lets the bearer token change things, and the cookie read them", async () => {
    const read = await ctx.app.request("/v1/officers", { headers: { cookie: `${SESSION_COOKIE}=${token}` } });
    expect(read.status).toBe(200);

    const res = await ctx.app.request("/v1/officers/off_ergong/disable", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });

    expect(res.status).toBe(200);
    const [ergong] = await ctx.deps.db.select().from(officers).where(eq(officers.id, "off_ergong"));
    expect(ergong?.disabledAt).not.toBeNull();
  });

  it("refuses a body that is not JSON on a JSON route, even with the bearer token", async () => {
    const before = await state();

    for (const [type, body] of [
      ["application/x-www-form-urlencoded", "reason=x"],
      [
        "multipart/form-data; boundary=b",
        '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n',
      ],
      ["text/plain", "{}"],
    ] as const) {
      const res = await ctx.app.request(`/v1/feed-sources/${ctx.fixture.source.id}/rotate-secret`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": type },
        body,
      });
      expect(res.status, type).toBe(415);
      expect(((await res.json()) as { code: string }).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
    expect(await state()).toEqual(before);
  });

  it("logs out on the cookie from this origin, but not on a cross-site form", async () => {
    const forged = await ctx.app.request("/v1/auth/logout", {
      method: "POST",
      headers: {
        cookie: `${SESSION_COOKIE}=${token}`,
        origin: "http://localhost:8080",
        "sec-fetch-site": "same-site",
      },
    });
    expect(forged.status).toBe(401);
    expect(await ctx.deps.db.select().from(sessions).where(eq(sessions.officerId, "off_admin"))).toHaveLength(
      1,
    );

    const own = await ctx.app.request("/v1/auth/logout", {
      method: "POST",
      headers: {
        cookie: `${SESSION_COOKIE}=${token}`,
        origin: "http://localhost",
        "sec-fetch-site": "same-origin",
      },
    });
    expect(own.status).toBe(204);
    expect(await ctx.deps.db.select().from(sessions).where(eq(sessions.officerId, "off_admin"))).toHaveLength(
      0,
    );
  });

  it("leaves the console's own forms working on the cookie", async () => {
    const officer = await ctx.login("miaogong");
    const res = await ctx.app.request("/console/logout", {
      method: "POST",
      headers: {
        cookie: `${SESSION_COOKIE}=${officer}`,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: csrfToken(officer) }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/login");
  });

  it("documents it: no change in /openapi.json lists the cookie as enough, reading does", async () => {
    const doc = (await (await ctx.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    const schemes = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.security ?? []).flatMap((s) => Object.keys(s));

    expect(schemes("/v1/officers", "get")).toEqual(["bearer", "session"]);
    expect(schemes("/v1/officers/{id}/disable", "post")).toEqual(["bearer"]);
    expect(schemes("/v1/feed-sources/{id}/rotate-secret", "post")).toEqual(["bearer"]);
    expect(schemes("/v1/auth/logout", "post")).toEqual(["bearer", "session"]);
  });
});
