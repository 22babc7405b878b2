import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { officers } from "../../schema";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning, FIXTURE_PASSWORD } from "../support/fixture";

type Problem = {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: { path: string }[];
};

/** Settings production refuses to start without; the test database is already open, so these are never used. */
const PRODUCTION_ENV = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://unused@127.0.0.1:1/unused",
  PII_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  PII_HASH_KEY: Buffer.alloc(32, 2).toString("base64"),
};

function postLogin(ctx: TestContext, body: unknown) {
  return ctx.app.request("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function getAlert(ctx: TestContext, alertId: string, token?: string, header?: string) {
  const authorization = header ?? (token ? `Bearer ${token}` : undefined);
  return ctx.app.request(`/v1/alerts/${alertId}`, { headers: authorization ? { authorization } : {} });
}

/** Everything in a problem body except the per-request id. */
function withoutRequestId({ requestId: _requestId, ...rest }: Problem & { requestId?: string }) {
  return rest;
}

async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as Problem;
  expect(body).toMatchObject({ status, code });
  return body;
}

/** An alert for subject 138 0013 8000 at Miaogong, pushed. */
async function pushedAlert(ctx: TestContext): Promise<string> {
  const res = await ctx.postWarnings({
    warnings: [
      aWarning({
        subject: { phone: "+86 138 0013 8000", name: "王某" },
        area: { code: "652301105201", address: "三工镇庙工村七组" },
      }),
    ],
  });
  const alertId = ((await res.json()) as { results: { alertId: string }[] }).results[0]?.alertId as string;
  await ctx.drain();
  return alertId;
}

describe("POST /v1/auth/login", () => {
  it("answers 200 with a bearer token that expires after SESSION_TTL_HOURS", async () => {
    const clock = new ManualClock("2026-11-28T02:00:00Z");
    const ctx = await createTestContext({ clock, env: { SESSION_TTL_HOURS: "8" } });

    const res = await postLogin(ctx, { username: "miaogong", password: FIXTURE_PASSWORD });

    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; expiresAt: string };
    expect(body.token).toMatch(/^[\w-]{32,}$/);
    expect(body.expiresAt).toBe("2026-11-28T10:00:00.000Z");
  });

  it("answers wrong password and unknown user with the same 401 problem", async () => {
    const ctx = await createTestContext();

    const wrongPassword = await expectProblem(
      await postLogin(ctx, { username: "miaogong", password: "not the password" }),
      401,
      "UNAUTHENTICATED",
    );
    const unknownUser = await expectProblem(
      await postLogin(ctx, { username: "nobody", password: FIXTURE_PASSWORD }),
      401,
      "UNAUTHENTICATED",
    );

    expect(withoutRequestId(unknownUser)).toEqual(withoutRequestId(wrongPassword));
  });

  describe.each([
    ["no fields", {}, ["username", "password"]],
    ["no password", { username: "miaogong" }, ["password"]],
    ["no username", { password: FIXTURE_PASSWORD }, ["username"]],
    ["empty strings", { username: "", password: "" }, ["username", "password"]],
    ["a number for a username", { username: 42, password: FIXTURE_PASSWORD }, ["username"]],
  ])("with %s", (_name, body, fields) => {
    it("answers 400 problem+json naming each wrong field", async () => {
      const ctx = await createTestContext();

      const problem = await expectProblem(await postLogin(ctx, body), 400, "VALIDATION_FAILED");

      expect(problem.errors?.map((e) => e.path).sort()).toEqual([...fields].sort());
    });
  });

  it("answers malformed JSON with 400 problem+json, not 500", async () => {
    const ctx = await createTestContext();

    const problem = await expectProblem(
      await postLogin(ctx, '{"username": "miaogong",'),
      400,
      "MALFORMED_JSON",
    );

    expect(problem.detail).toBeTruthy();
  });

  it("refuses a disabled officer with the same 401 as a wrong password", async () => {
    const ctx = await createTestContext();
    await ctx.deps.db
      .update(officers)
      .set({ disabledAt: new Date() })
      .where(eq(officers.username, "miaogong"));

    await expectProblem(
      await postLogin(ctx, { username: "miaogong", password: FIXTURE_PASSWORD }),
      401,
      "UNAUTHENTICATED",
    );
  });

  it("refuses a demo officer when NODE_ENV=production, and admits other officers", async () => {
    const ctx = await createTestContext({ env: PRODUCTION_ENV });
    await ctx.deps.db.update(officers).set({ demo: true }).where(eq(officers.username, "miaogong"));

    await expectProblem(
      await postLogin(ctx, { username: "miaogong", password: FIXTURE_PASSWORD }),
      401,
      "UNAUTHENTICATED",
    );
    expect((await postLogin(ctx, { username: "ergong", password: FIXTURE_PASSWORD })).status).toBe(200);
  });

  it("admits a demo officer outside production", async () => {
    const ctx = await createTestContext();
    await ctx.deps.db.update(officers).set({ demo: true }).where(eq(officers.username, "miaogong"));

    expect((await postLogin(ctx, { username: "miaogong", password: FIXTURE_PASSWORD })).status).toBe(200);
  });
});

describe("GET /v1/alerts/{id}", () => {
  it("shows an officer of the alert's post the alert with a masked subject, its timeline and its SMS", async () => {
    const ctx = await createTestContext();
    const alertId = await pushedAlert(ctx);
    const token = await ctx.login("miaogong");

    const res = await getAlert(ctx, alertId, token);

    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of [
      "13800138000",
      "+8613800138000",
      "王某",
      ctx.fixture.phones.miaogong,
      "13999001001",
    ]) {
      expect(text).not.toContain(secret);
    }
    const view = JSON.parse(text) as {
      id: string;
      stage: string;
      postId: string;
      subject: { phone: string; name: string };
      receivedAt: string;
      pushedAt: string;
      messages: {
        purpose: string;
        to: string;
        status: string;
        segments: number;
        history: { status: string }[];
      }[];
    };
    expect(view).toMatchObject({
      id: alertId,
      stage: "pushed",
      postId: "pst_miaogong",
      subject: { phone: "138****8000", name: "王*" },
    });
    expect(Date.parse(view.receivedAt)).not.toBeNaN();
    expect(Date.parse(view.pushedAt)).toBeGreaterThanOrEqual(Date.parse(view.receivedAt));
    const byPurpose = Object.fromEntries(view.messages.map((m) => [m.purpose, m]));
    expect(view.messages).toHaveLength(2);
    expect(byPurpose.victim_warning).toMatchObject({ to: "138****8000", status: "submitted" });
    expect(byPurpose.officer_notification).toMatchObject({ to: "139****1001", status: "submitted" });
    expect(byPurpose.victim_warning?.history.map((h) => h.status)).toEqual(["queued", "submitted"]);
    expect(byPurpose.victim_warning?.segments).toBeGreaterThan(0);
  });

  it("shows a not-yet-pushed alert with no pushedAt and no SMS", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({ warnings: [aWarning()] });
    const alertId = ((await res.json()) as { results: { alertId: string }[] }).results[0]?.alertId as string;
    const token = await ctx.login("supervisor");

    const view = (await (await getAlert(ctx, alertId, token)).json()) as {
      stage: string;
      pushedAt: unknown;
      messages: unknown[];
    };

    expect(view).toMatchObject({ stage: "received", pushedAt: null, messages: [] });
  });

  it("shows the alert to a supervisor of the station", async () => {
    const ctx = await createTestContext();
    const alertId = await pushedAlert(ctx);

    const res = await getAlert(ctx, alertId, await ctx.login("supervisor"));

    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe(alertId);
  });

  it.each([
    ["an officer of another post", "ergong"],
    ["the station's duty desk officer", "duty"],
    ["a supervisor of another station", "other"],
  ])("answers %s 404, exactly as for an alert that does not exist", async (_name, username) => {
    const ctx = await createTestContext();
    const alertId = await pushedAlert(ctx);
    const token = await ctx.login(username);

    const hidden = await expectProblem(await getAlert(ctx, alertId, token), 404, "ALERT_NOT_FOUND");
    const missing = await expectProblem(
      await getAlert(ctx, "alr_00000000000000000000000000", token),
      404,
      "ALERT_NOT_FOUND",
    );

    expect(withoutRequestId(hidden)).toEqual(withoutRequestId(missing));
  });

  it.each([
    ["no Authorization header", undefined],
    ["a token nobody was given", "Bearer not-a-real-token-at-all"],
    ["a scheme other than Bearer", "Basic bWlhb2dvbmc6cGFzcw=="],
    ["an empty bearer", "Bearer "],
  ])("answers 401 problem+json to %s", async (_name, header) => {
    const ctx = await createTestContext();
    const alertId = await pushedAlert(ctx);

    await expectProblem(await getAlert(ctx, alertId, undefined, header), 401, "UNAUTHENTICATED");
  });

  it("accepts a session until SESSION_TTL_HOURS have passed and answers 401 after", async () => {
    const clock = new ManualClock(new Date());
    const ctx = await createTestContext({ clock, env: { SESSION_TTL_HOURS: "2" } });
    const alertId = await pushedAlert(ctx);
    const token = await ctx.login("miaogong");

    clock.advance(2 * 3600_000 - 1000);
    expect((await getAlert(ctx, alertId, token)).status).toBe(200);

    clock.advance(1000);
    await expectProblem(await getAlert(ctx, alertId, token), 401, "UNAUTHENTICATED");
  });

  it("ends the sessions of an officer who is disabled", async () => {
    const ctx = await createTestContext();
    const alertId = await pushedAlert(ctx);
    const token = await ctx.login("miaogong");
    expect((await getAlert(ctx, alertId, token)).status).toBe(200);

    await ctx.deps.db
      .update(officers)
      .set({ disabledAt: new Date() })
      .where(eq(officers.username, "miaogong"));

    await expectProblem(await getAlert(ctx, alertId, token), 401, "UNAUTHENTICATED");
  });

  it("answers 400 naming the id for something that is not an alert id", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("supervisor");

    const problem = await expectProblem(await getAlert(ctx, "wrn_123", token), 400, "VALIDATION_FAILED");

    expect(problem.errors?.map((e) => e.path)).toEqual(["id"]);
  });
});
