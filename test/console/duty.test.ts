import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, officers } from "../../schema";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { csrfToken } from "../../src/console/csrf";
import { tokenFor } from "../support/access";
import { send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/** The officer's on/off-duty form on the queue page: post, redirect, the queue with a flash message. */
async function markDuty(ctx: TestContext, cookie: string, onDuty: "on" | "off", csrf?: string) {
  const res = await ctx.app.request("/console/duty", {
    method: "POST",
    headers: { cookie, origin: "http://localhost", "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      _csrf: csrf ?? csrfToken(cookie.split("=")[1] as string),
      onDuty,
    }).toString(),
  });
  return { status: res.status, location: res.headers.get("location") };
}

const html = async (ctx: TestContext, cookie: string, path: string) =>
  (await ctx.app.request(path, { headers: { cookie } })).text();

describe("marking oneself on or off duty in the console", () => {
  it("shows the switch in Chinese, marks off duty and back on with a message, audited", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    const cookie = `${SESSION_COOKIE}=${await ctx.login("miaogong")}`;
    // Another officer at the post, so miaogong is not the only one on duty.
    await ctx.deps.db.update(officers).set({ postId: "pst_miaogong" }).where(eq(officers.id, "off_ergong"));

    const queue = await html(ctx, cookie, "/console");
    expect(queue).toContain("您当前在岗，会收到预警短信。");
    expect(queue).toContain('action="/console/duty"');
    expect(queue).toContain("标记离岗");

    expect(await markDuty(ctx, cookie, "off")).toEqual({ status: 303, location: "/console?duty=off" });
    const after = await html(ctx, cookie, "/console?duty=off");
    expect(after).toContain("已标记离岗");
    expect(after).toContain("您当前不在岗，不会收到预警短信。");
    expect(await html(ctx, cookie, "/console?duty=off&lang=en")).toContain("Mark myself on duty");

    expect(await markDuty(ctx, cookie, "on")).toEqual({ status: 303, location: "/console?duty=on" });
    const audit = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.officerId, "off_miaogong"));
    expect(audit.map((a) => a.action)).toEqual(["officer.marked_off_duty", "officer.marked_on_duty"]);
  });

  it("refuses to take the only officer on duty off the post, and says why", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    const cookie = `${SESSION_COOKIE}=${await ctx.login("miaogong")}`;

    expect(await markDuty(ctx, cookie, "off")).toEqual({ status: 303, location: "/console?duty=alone" });

    expect(await html(ctx, cookie, "/console?duty=alone")).toContain("您是本岗位当前唯一在岗的民警");
    const res = await send(ctx, await tokenFor(ctx, "supervisor"), "GET", "/v1/posts/pst_miaogong/on-duty");
    expect(((await res.json()) as { officers: unknown[] }).officers).toEqual([
      expect.objectContaining({ officerId: "off_miaogong" }),
    ]);
  });

  it("refuses a form without the CSRF token and changes nothing", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    const cookie = `${SESSION_COOKIE}=${await ctx.login("miaogong")}`;
    await ctx.deps.db.update(officers).set({ postId: "pst_miaogong" }).where(eq(officers.id, "off_ergong"));

    expect((await markDuty(ctx, cookie, "off", "forged")).status).toBe(403);

    const [me] = await ctx.deps.db.select().from(officers).where(eq(officers.id, "off_miaogong"));
    expect(me?.onDuty).toBe(true);
  });
});
