import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, auditLog } from "../../schema";
import { expectRejectsTheWrongCaller, NOT_LOGGED_IN, tokenFor, type WrongCaller } from "../support/access";
import { aSubjectPhone, type Problem, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

async function asAdmin(ctx: TestContext, method: string, path: string, body?: unknown) {
  const res = await send(ctx, await tokenFor(ctx, "admin"), method, path, body);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Posts a warning for the area and pushes it; returns the post its alert went to. */
async function routedTo(ctx: TestContext, area: { code?: string; address?: string }): Promise<string | null> {
  const res = await ctx.postWarnings({ warnings: [aWarning({ subject: { phone: aSubjectPhone() }, area })] });
  const { results } = (await res.json()) as { results: { alertId: string }[] };
  await ctx.drain();
  const [alert] = await ctx.deps.db
    .select()
    .from(alerts)
    .where(eq(alerts.id, results[0]?.alertId as string));
  return alert?.postId ?? null;
}

describe("posts and jurisdiction rules", () => {
  it("lets an admin add a post and route an area to it; the next warning from there goes to it", async () => {
    const ctx = await createTestContext();
    const post = await asAdmin(ctx, "POST", "/v1/posts", { name: "头屯河村警务室" });
    expect(post.status).toBe(201);
    const postId = post.body.id as string;

    const rule = await asAdmin(ctx, "POST", "/v1/jurisdiction-rules", {
      kind: "area_prefix",
      pattern: "6523011052",
      postId,
    });

    expect(rule.status).toBe(201);
    const tried = await asAdmin(ctx, "POST", "/v1/jurisdiction-rules/test", {
      area: { code: "652301105203" },
    });
    expect(tried.body).toEqual({ postId, postName: "头屯河村警务室", routedBy: rule.body.id });
    expect(await routedTo(ctx, { code: "652301105203" })).toBe(postId);
    // The fixture's 庙工 rule is longer: it still wins for its own village.
    expect(await routedTo(ctx, { code: "652301105201" })).toBe(ctx.fixture.ids.miaogong);
    const listed = await asAdmin(ctx, "GET", "/v1/jurisdiction-rules");
    expect(listed.body.rules).toContainEqual(expect.objectContaining({ id: rule.body.id, postId }));
    const audit = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.officerId, "off_admin"));
    expect(audit.map((a) => a.action)).toEqual(["post.created", "jurisdiction_rule.created"]);
  });

  it("sends a village back to the duty desk once its rule is deleted", async () => {
    const ctx = await createTestContext();
    expect(await routedTo(ctx, { address: "三工镇二工村三组" })).toBe(ctx.fixture.ids.ergong);

    const deleted = await asAdmin(ctx, "DELETE", "/v1/jurisdiction-rules/rul_ergong_kw");

    expect(deleted.status).toBe(204);
    expect(await routedTo(ctx, { address: "三工镇二工村三组" })).toBe(ctx.fixture.ids.dutyDesk);
    const tried = await asAdmin(ctx, "POST", "/v1/jurisdiction-rules/test", { area: { address: "二工村" } });
    expect(tried.body).toMatchObject({ postId: ctx.fixture.ids.dutyDesk, routedBy: "duty_desk" });
    expect((await asAdmin(ctx, "DELETE", "/v1/jurisdiction-rules/rul_ergong_kw")).status).toBe(404);
  });

  it("renames a post, and lists the station's posts only", async () => {
    const ctx = await createTestContext();

    const renamed = await asAdmin(ctx, "PATCH", `/v1/posts/${ctx.fixture.ids.ergong}`, {
      name: "二工村警务工作室",
    });

    expect(renamed.body).toMatchObject({ id: ctx.fixture.ids.ergong, name: "二工村警务工作室" });
    const { body } = await asAdmin(ctx, "GET", "/v1/posts");
    const ids = (body.posts as { id: string }[]).map((p) => p.id);
    expect(ids).toContain(ctx.fixture.ids.ergong);
    expect(ids).not.toContain(ctx.fixture.ids.otherDesk);
    expect(
      (await asAdmin(ctx, "PATCH", `/v1/posts/${ctx.fixture.ids.otherDesk}`, { name: "x y" })).status,
    ).toBe(404);
  });

  it("refuses a second post of the same name, created or renamed, and writes nothing", async () => {
    const ctx = await createTestContext();
    const before = await asAdmin(ctx, "GET", "/v1/posts");

    const created = await asAdmin(ctx, "POST", "/v1/posts", { name: "二工村警务室" });
    const renamed = await asAdmin(ctx, "PATCH", `/v1/posts/${ctx.fixture.ids.miaogong}`, {
      name: "二工村警务室",
    });

    for (const res of [created, renamed]) {
      expect(res.status).toBe(409);
      expect((res.body as Problem).errors?.map((e) => e.path)).toEqual(["name"]);
    }
    expect(await asAdmin(ctx, "GET", "/v1/posts")).toEqual(before);
    // Renaming a post to its own name is no conflict; another station may use the name.
    const same = await asAdmin(ctx, "PATCH", `/v1/posts/${ctx.fixture.ids.ergong}`, { name: "二工村警务室" });
    expect(same.status).toBe(200);
    const audited = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.action, "post.created"));
    expect(audited).toEqual([]);
  });

  it.each([
    ["an area prefix with letters", { kind: "area_prefix", pattern: "6523AB" }, 400, "pattern"],
    ["a one-character keyword", { kind: "address_keyword", pattern: "村" }, 400, "pattern"],
    ["an unknown kind", { kind: "gps", pattern: "652301" }, 400, "kind"],
    ["a post of another station", { postId: "pst_other_duty" }, 400, "postId"],
    ["a pattern already routed", { kind: "address_keyword", pattern: "庙工村" }, 409, "pattern"],
  ])(
    "refuses a rule with %s, naming the field, and routes as before",
    async (_name, override, status, field) => {
      const ctx = await createTestContext();
      const before = await asAdmin(ctx, "GET", "/v1/jurisdiction-rules");

      const res = await asAdmin(ctx, "POST", "/v1/jurisdiction-rules", {
        kind: "area_prefix",
        pattern: "652301105209",
        postId: ctx.fixture.ids.ergong,
        ...override,
      });

      expect(res.status).toBe(status);
      expect((res.body as Problem).errors?.map((e) => e.path)).toEqual([field]);
      expect(await asAdmin(ctx, "GET", "/v1/jurisdiction-rules")).toEqual(before);
    },
  );

  it("is for admins to change and supervisors to read", async () => {
    const ctx = await createTestContext();
    const notAdmins: WrongCaller[] = [
      ...NOT_LOGGED_IN,
      { caller: "miaogong", status: 403, code: "FORBIDDEN" },
      { caller: "supervisor", status: 403, code: "FORBIDDEN" },
    ];
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: "/v1/posts", body: { name: "新警务室" } },
      notAdmins,
    );
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "DELETE", path: "/v1/jurisdiction-rules/rul_ergong_kw" },
      [...notAdmins, { caller: "otheradmin", status: 404, code: "NOT_FOUND" }],
    );
    await expectRejectsTheWrongCaller(ctx, { method: "GET", path: "/v1/jurisdiction-rules" }, [
      ...NOT_LOGGED_IN,
      { caller: "miaogong", status: 403, code: "FORBIDDEN" },
    ]);
    const supervisor = await send(ctx, await tokenFor(ctx, "supervisor"), "GET", "/v1/jurisdiction-rules");
    expect(supervisor.status).toBe(200);
  });
});
