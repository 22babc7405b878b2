import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, officers, sessions } from "../../schema";
import { createApp } from "../../src/http/app";
import { createLog } from "../../src/log";
import { expectRejectsTheWrongCaller, NOT_LOGGED_IN, tokenFor, type WrongCaller } from "../support/access";
import { type Problem, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";

interface Officer {
  id: string;
  username: string;
  role: string;
  postId: string | null;
  phone: string | null;
  disabledAt: string | null;
}

const NOT_ADMINS: WrongCaller[] = [
  ...NOT_LOGGED_IN,
  { caller: "miaogong", status: 403, code: "FORBIDDEN" },
  { caller: "supervisor", status: 403, code: "FORBIDDEN" },
];

async function asAdmin(ctx: TestContext, method: string, path: string, body?: unknown) {
  return send(ctx, await tokenFor(ctx, "admin"), method, path, body);
}

function loginAs(ctx: TestContext, username: string, password: string) {
  return ctx.app.request("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
}

const newOfficer = (ctx: TestContext, overrides: Record<string, unknown> = {}) => ({
  username: "zhang.wei",
  displayName: "张伟",
  role: "officer",
  postId: ctx.fixture.ids.miaogong,
  phone: "139 9900 3003",
  ...overrides,
});

const auditOf = (ctx: TestContext, targetId: string) =>
  ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, targetId));

const snapshot = async (ctx: TestContext) => [
  await ctx.deps.db.select().from(officers).orderBy(officers.id),
  await ctx.deps.db.select().from(auditLog),
];

describe("POST /v1/officers", () => {
  it("creates an officer at the admin's station who can log in with the password given", async () => {
    const ctx = await createTestContext();

    const res = await asAdmin(
      ctx,
      "POST",
      "/v1/officers",
      newOfficer(ctx, { password: "a long enough secret" }),
    );

    expect(res.status).toBe(201);
    const body = (await res.json()) as { officer: Officer; initialPassword?: string };
    expect(body.initialPassword).toBeUndefined();
    expect(body.officer).toMatchObject({
      username: "zhang.wei",
      role: "officer",
      postId: ctx.fixture.ids.miaogong,
      phone: "139****3003",
      disabledAt: null,
    });
    expect(JSON.stringify(body)).not.toMatch(/scrypt|passwordHash|a long enough secret/);
    expect((await loginAs(ctx, "zhang.wei", "a long enough secret")).status).toBe(200);
    const [row] = await ctx.deps.db.select().from(officers).where(eq(officers.id, body.officer.id));
    expect(row?.stationId).toBe(ctx.fixture.ids.station);
    const audit = await auditOf(ctx, body.officer.id);
    expect(audit).toEqual([expect.objectContaining({ action: "officer.created", officerId: "off_admin" })]);
    expect(JSON.stringify(audit)).not.toContain("a long enough secret");
  });

  it("generates a password when none is given and shows it this once", async () => {
    const ctx = await createTestContext();

    const res = await asAdmin(ctx, "POST", "/v1/officers", newOfficer(ctx));

    const { officer, initialPassword } = (await res.json()) as { officer: Officer; initialPassword: string };
    expect(initialPassword).toMatch(/^[\w-]{24}$/);
    expect((await loginAs(ctx, "zhang.wei", initialPassword)).status).toBe(200);
    const listed = await (await asAdmin(ctx, "GET", "/v1/officers")).text();
    expect(listed).not.toContain(initialPassword);
    expect(JSON.stringify(await auditOf(ctx, officer.id))).not.toContain(initialPassword);
  });

  describe.each([
    ["a username with capitals and symbols", { username: "Zhang!" }, 400, "username"],
    ["an unknown role", { role: "chief" }, 400, "role"],
    ["an officer without a post", { postId: undefined }, 400, "postId"],
    ["a post of another station", { postId: "pst_other_duty" }, 400, "postId"],
    ["a phone that is not a number", { phone: "12345" }, 400, "phone"],
    ["a password under 12 characters", { password: "short" }, 400, "password"],
    ["a username already in use", { username: "miaogong" }, 409, "username"],
  ])("rejects %s", (_name, overrides, status, path) => {
    it(`with ${status} naming ${path}, creating nothing`, async () => {
      const ctx = await createTestContext();
      await tokenFor(ctx, "admin");
      const before = await snapshot(ctx);

      const res = await asAdmin(ctx, "POST", "/v1/officers", newOfficer(ctx, overrides));

      expect(res.status).toBe(status);
      const body = (await res.json()) as Problem;
      expect(body.errors?.map((e) => e.path)).toEqual([path]);
      expect(await snapshot(ctx)).toEqual(before);
    });
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: "/v1/officers", body: newOfficer(ctx) },
      NOT_ADMINS,
      () => snapshot(ctx),
    );
  });
});

describe("GET /v1/officers", () => {
  it("lists the admin's station with phones masked and no password hashes", async () => {
    const ctx = await createTestContext();

    const res = await asAdmin(ctx, "GET", "/v1/officers");

    expect(res.status).toBe(200);
    const { officers: list } = (await res.json()) as { officers: Officer[] };
    expect(list.map((o) => o.username)).toEqual(["admin", "duty", "ergong", "miaogong", "supervisor"]);
    expect(list.find((o) => o.username === "miaogong")?.phone).toBe("139****1001");
    const raw = JSON.stringify(list);
    expect(raw).not.toMatch(/scrypt|password/i);
    expect(raw).not.toContain("13999001001");
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(ctx, { method: "GET", path: "/v1/officers" }, NOT_ADMINS);
  });
});

describe("POST /v1/officers/{id}/disable", () => {
  it("ends the officer's sessions at once and refuses their logins", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("ergong");

    const res = await asAdmin(ctx, "POST", "/v1/officers/off_ergong/disable");

    expect(res.status).toBe(200);
    expect(((await res.json()) as Officer).disabledAt).not.toBeNull();
    expect((await send(ctx, token, "GET", "/v1/alerts")).status).toBe(401);
    expect(await ctx.deps.db.select().from(sessions).where(eq(sessions.officerId, "off_ergong"))).toEqual([]);
    expect((await loginAs(ctx, "ergong", ctx.fixture.password)).status).toBe(401);
    expect(await auditOf(ctx, "off_ergong")).toEqual([
      expect.objectContaining({ action: "officer.disabled", officerId: "off_admin" }),
    ]);
  });

  it("keeps the first time when disabled twice", async () => {
    const ctx = await createTestContext();
    const first = (await (await asAdmin(ctx, "POST", "/v1/officers/off_ergong/disable")).json()) as Officer;

    const again = await asAdmin(ctx, "POST", "/v1/officers/off_ergong/disable");

    expect(again.status).toBe(200);
    expect(((await again.json()) as Officer).disabledAt).toBe(first.disabledAt);
    expect(await auditOf(ctx, "off_ergong")).toHaveLength(1);
  });

  it("refuses to let an admin lock themselves out", async () => {
    const ctx = await createTestContext();
    const res = await asAdmin(ctx, "POST", "/v1/officers/off_admin/disable");
    expect(res.status).toBe(409);
    expect((await loginAs(ctx, "admin", ctx.fixture.password)).status).toBe(200);
  });

  it("rejects the wrong caller, including an admin of another station", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: "/v1/officers/off_ergong/disable" },
      [...NOT_ADMINS, { caller: "otheradmin", status: 404, code: "NOT_FOUND" }],
      () => snapshot(ctx),
    );
  });
});

describe("POST /v1/officers/{id}/reset-password", () => {
  it("returns a new password once; the old one and the officer's sessions stop working", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("ergong");

    const res = await asAdmin(ctx, "POST", "/v1/officers/off_ergong/reset-password");

    expect(res.status).toBe(200);
    const { password } = (await res.json()) as { password: string };
    expect(password).toMatch(/^[\w-]{24}$/);
    expect((await send(ctx, token, "GET", "/v1/alerts")).status).toBe(401);
    expect((await loginAs(ctx, "ergong", ctx.fixture.password)).status).toBe(401);
    expect((await loginAs(ctx, "ergong", password)).status).toBe(200);
    const audit = await auditOf(ctx, "off_ergong");
    expect(audit).toEqual([
      expect.objectContaining({ action: "officer.password_reset", officerId: "off_admin" }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it("rejects the wrong caller, including an admin of another station", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: "/v1/officers/off_ergong/reset-password" },
      [...NOT_ADMINS, { caller: "otheradmin", status: 404, code: "NOT_FOUND" }],
      () => snapshot(ctx),
    );
  });
});

describe("passwords", () => {
  it("never reach the logs, not even the one-time ones", async () => {
    const ctx = await createTestContext();
    const lines: string[] = [];
    const app = createApp({
      ...ctx.deps,
      log: createLog("trace", { write: (line: string) => lines.push(line) }),
    });
    const call = (path: string, body?: unknown, token?: string) =>
      app.request(path, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const { token } = (await (
      await call("/v1/auth/login", { username: "admin", password: ctx.fixture.password })
    ).json()) as {
      token: string;
    };

    await call("/v1/auth/login", { username: "admin", password: "a-wrong-guess-123" });
    const created = (await (await call("/v1/officers", newOfficer(ctx), token)).json()) as {
      initialPassword: string;
    };
    const given = await call(
      "/v1/officers",
      newOfficer(ctx, { username: "li.na", password: "chosen password 42" }),
      token,
    );
    const reset = (await (await call("/v1/officers/off_ergong/reset-password", undefined, token)).json()) as {
      password: string;
    };

    expect(given.status).toBe(201);
    const log = lines.join("");
    expect(log).toContain("officer created");
    for (const secret of [
      ctx.fixture.password,
      "a-wrong-guess-123",
      created.initialPassword,
      "chosen password 42",
      reset.password,
      token,
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});
