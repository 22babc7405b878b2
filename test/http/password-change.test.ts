import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog } from "../../schema";
import { type Problem, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";

const NEW_PASSWORD = "my own secret, 2026";

async function loginAs(ctx: TestContext, username: string, password: string) {
  const res = await ctx.app.request("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { token: string; passwordChangeRequired: boolean },
  };
}

/** An officer an admin has just given a password (created here with one the admin chose). */
async function officerWithAdminPassword(ctx: TestContext) {
  const admin = await ctx.login("admin");
  const res = await send(ctx, admin, "POST", "/v1/officers", {
    username: "li.na",
    displayName: "李娜",
    role: "officer",
    postId: ctx.fixture.ids.miaogong,
    password: "chosen by the admin",
  });
  expect(res.status).toBe(201);
  const { officer } = (await res.json()) as { officer: { id: string } };
  return { id: officer.id, username: "li.na", password: "chosen by the admin" };
}

function changePassword(ctx: TestContext, token: string, body: Record<string, string>) {
  return send(ctx, token, "POST", "/v1/auth/password", body);
}

describe("an officer whose password an admin set", () => {
  it("can do nothing but choose their own; then the same session works", async () => {
    const ctx = await createTestContext();
    const officer = await officerWithAdminPassword(ctx);

    const first = await loginAs(ctx, officer.username, officer.password);
    expect(first.status).toBe(200);
    expect(first.body.passwordChangeRequired).toBe(true);
    const { token } = first.body;
    const refused = await send(ctx, token, "GET", "/v1/alerts");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(((await refused.json()) as Problem).code).toBe("PASSWORD_CHANGE_REQUIRED");

    const changed = await changePassword(ctx, token, {
      currentPassword: officer.password,
      newPassword: NEW_PASSWORD,
    });

    expect(changed.status).toBe(204);
    expect((await send(ctx, token, "GET", "/v1/alerts")).status).toBe(200);
    expect((await loginAs(ctx, officer.username, officer.password)).status).toBe(401);
    const again = await loginAs(ctx, officer.username, NEW_PASSWORD);
    expect(again).toMatchObject({ status: 200, body: { passwordChangeRequired: false } });
    const audit = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, officer.id));
    expect(audit.map((a) => [a.action, a.officerId])).toEqual([
      ["officer.created", "off_admin"],
      ["officer.password_changed", officer.id],
    ]);
    expect(JSON.stringify(audit)).not.toContain(NEW_PASSWORD);
  });

  it("must choose again after an admin resets it", async () => {
    const ctx = await createTestContext();
    const admin = await ctx.login("admin");
    const reset = await send(ctx, admin, "POST", "/v1/officers/off_ergong/reset-password");
    const { password } = (await reset.json()) as { password: string };

    const { body } = await loginAs(ctx, "ergong", password);

    expect(body.passwordChangeRequired).toBe(true);
    expect((await send(ctx, body.token, "GET", "/v1/alerts")).status).toBe(403);
  });

  it.each([
    ["a new password under 12 characters", { newPassword: "short" }, 400, "newPassword"],
    ["the same password again", { newPassword: "chosen by the admin" }, 400, "newPassword"],
    ["a new password containing the username", { newPassword: "li.na forever 2026" }, 400, "newPassword"],
    ["a wrong current password", { currentPassword: "not the password" }, 403, "currentPassword"],
  ])("refuses %s, naming the field, and changes nothing", async (_name, override, status, field) => {
    const ctx = await createTestContext();
    const officer = await officerWithAdminPassword(ctx);
    const { token } = (await loginAs(ctx, officer.username, officer.password)).body;

    const res = await changePassword(ctx, token, {
      currentPassword: officer.password,
      newPassword: NEW_PASSWORD,
      ...override,
    });

    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toEqual([field]);
    expect((await loginAs(ctx, officer.username, officer.password)).body.passwordChangeRequired).toBe(true);
  });

  it("counts wrong current passwords as failed logins", async () => {
    const ctx = await createTestContext({ env: { LOGIN_MAX_FAILURES: "3" } });
    const officer = await officerWithAdminPassword(ctx);
    const { token } = (await loginAs(ctx, officer.username, officer.password)).body;

    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await changePassword(ctx, token, {
        currentPassword: `guess ${i}`,
        newPassword: NEW_PASSWORD,
      });
      statuses.push(res.status);
    }

    expect(statuses).toEqual([403, 403, 403, 429]);
  });
});

describe("POST /v1/auth/password", () => {
  it("lets any officer change their own; their other sessions end, this one goes on", async () => {
    const ctx = await createTestContext();
    const here = await ctx.login("miaogong");
    const elsewhere = await ctx.login("miaogong");

    const res = await changePassword(ctx, here, {
      currentPassword: ctx.fixture.password,
      newPassword: NEW_PASSWORD,
    });

    expect(res.status).toBe(204);
    expect((await send(ctx, here, "GET", "/v1/alerts")).status).toBe(200);
    expect((await send(ctx, elsewhere, "GET", "/v1/alerts")).status).toBe(401);
  });

  it("answers 401 without a session", async () => {
    const ctx = await createTestContext();
    const res = await ctx.app.request("/v1/auth/password", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ currentPassword: "x", newPassword: NEW_PASSWORD }),
    });
    expect(res.status).toBe(401);
  });
});
