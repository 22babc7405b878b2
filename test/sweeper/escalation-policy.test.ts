import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, auditLog, officers, smsMessages } from "../../schema";
import { acknowledgeAlert } from "../../src/alerts/verify";
import { principalOf, tokenFor } from "../support/access";
import { anAlert, type Problem, send } from "../support/alerts";
import type { TestContext } from "../support/context";
import { alertRow } from "../support/feedback";
import { escalationSms, MINUTE, SUPERVISOR_PHONE, setup, toDeadline } from "./support";

/**
 * Escalation policies as data (src/organisation/escalation-policies.ts) and the chain the sweeper runs from
 * them (src/alerts/escalate.ts): each step pages its targets, waits its own time, and acknowledging stops it.
 */
const THREE_STEPS = {
  steps: [
    { targets: [{ kind: "on_duty" }], waitMinutes: 2 },
    { targets: [{ kind: "supervisors" }], waitMinutes: 5 },
    { targets: [{ kind: "officer", officerId: "off_ergong" }, { kind: "duty_desk" }], waitMinutes: 10 },
  ],
};

async function call(ctx: TestContext, caller: string, method: string, path: string, body?: unknown) {
  const res = await send(ctx, await tokenFor(ctx, caller), method, path, body);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function withPolicy(ctx: TestContext, level: string, policy: unknown = THREE_STEPS) {
  const put = await call(ctx, "admin", "PUT", `/v1/escalation-policies/${level}`, policy);
  expect(put.status).toBe(200);
  return put.body;
}

/** Who each escalation SMS of the alert went to, in order, by name of the fixture's phones. */
async function pagedSoFar(ctx: TestContext, alertId: string) {
  const names = new Map([
    [ctx.deps.pii.hash(ctx.fixture.phones.miaogong), "miaogong"],
    [ctx.deps.pii.hash(ctx.fixture.phones.ergong), "ergong"],
    [ctx.deps.pii.hash(ctx.fixture.phones.duty), "duty"],
    [ctx.deps.pii.hash(SUPERVISOR_PHONE), "supervisor"],
  ]);
  const rows = await ctx.deps.db
    .select({ hash: smsMessages.recipientHash, key: smsMessages.idempotencyKey })
    .from(smsMessages)
    .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "escalation_notice")))
    .orderBy(asc(smsMessages.id));
  const byRound = new Map<string, string[]>();
  for (const r of rows) {
    const round = (r.key ?? "").split(":")[2] as string; // purpose:alertId:escN:recipient
    byRound.set(round, [...(byRound.get(round) ?? []), names.get(r.hash ?? "") ?? "?"].sort());
  }
  return [...byRound.values()];
}

async function steps(ctx: TestContext, alertId: string) {
  const rows = await ctx.deps.db
    .select({ data: alertEvents.data })
    .from(alertEvents)
    .where(and(eq(alertEvents.alertId, alertId), eq(alertEvents.kind, "escalated")))
    .orderBy(asc(alertEvents.id));
  return rows.map((r) => {
    const d = r.data as { step: number; steps: number; reminder: boolean; targets: string[] };
    return `${d.step}/${d.steps}${d.reminder ? " again" : ""}: ${d.targets.join("+")}`;
  });
}

describe("escalation policies: the chain", () => {
  it("pages each step in turn after its own wait, then repeats the last, all on the timeline", async () => {
    const { ctx, clock, sweep } = await setup();
    await withPolicy(ctx, "high");
    const alertId = await anAlert(ctx, { riskLevel: "high" });

    await toDeadline(ctx, clock, alertId, 1);
    expect(await sweep()).toMatchObject({ escalated: 1 });
    clock.advance(2 * MINUTE);
    expect(await sweep()).toMatchObject({ escalated: 0 });
    clock.advance(1);
    expect(await sweep()).toMatchObject({ escalated: 1 });
    clock.advance(5 * MINUTE + 1);
    expect(await sweep()).toMatchObject({ escalated: 1 });
    clock.advance(10 * MINUTE + 1);
    expect(await sweep()).toMatchObject({ reminded: 1 });

    expect(await pagedSoFar(ctx, alertId)).toEqual([
      ["miaogong"],
      ["supervisor"],
      ["duty", "ergong"],
      ["duty", "ergong"],
    ]);
    expect(await steps(ctx, alertId)).toEqual([
      "1/3: on_duty",
      "2/3: supervisors",
      "3/3: officer+duty_desk",
      "3/3 again: officer+duty_desk",
    ]);
    const bodies = (await escalationSms(ctx, alertId)).map((m) => m.body);
    expect(bodies[0]).toContain("未按时签收，已升为紧急");
    expect(bodies[1]).toContain("仍未签收，已逐级上报（第2级）");
    expect(bodies.at(-1)).toContain("仍未签收（第4次通知）");
    // The chain follows high's policy though the first step raised the alert to critical.
    expect(await alertRow(ctx, alertId)).toMatchObject({
      riskLevel: "critical",
      escalationStep: 3,
      escalationLevel: "high",
    });
  });

  it("stops when the alert is acknowledged; missing the next deadline begins a new chain", async () => {
    const { ctx, clock, sweep } = await setup();
    await withPolicy(ctx, "critical");
    // Critical: acknowledge within 1 minute, first contact within 5.
    const alertId = await anAlert(ctx, { riskLevel: "critical" });
    await toDeadline(ctx, clock, alertId, 1);
    await sweep();

    await acknowledgeAlert(ctx.deps, principalOf(ctx), alertId);
    clock.advance(3 * MINUTE); // past when step 2 was due
    expect(await sweep()).toMatchObject({ escalated: 0, reminded: 0 });
    expect(await pagedSoFar(ctx, alertId)).toEqual([["miaogong"]]);
    expect(await alertRow(ctx, alertId)).toMatchObject({ deadlineKind: "contact", escalationStep: 0 });

    await toDeadline(ctx, clock, alertId, 1);
    expect(await sweep()).toMatchObject({ escalated: 1 });
    expect(await steps(ctx, alertId)).toEqual(["1/3: on_duty", "1/3: on_duty"]);
  });

  it("keeps each level to its own policy: a level without one follows the default", async () => {
    const { ctx, clock, sweep } = await setup();
    await withPolicy(ctx, "high");
    const alertId = await anAlert(ctx, { riskLevel: "low" });
    await toDeadline(ctx, clock, alertId, 1);
    await sweep();
    expect(await steps(ctx, alertId)).toEqual(["1/1: on_duty+supervisors"]);
    expect(await pagedSoFar(ctx, alertId)).toEqual([["miaogong", "supervisor"]]);
  });

  it("pages the supervisors when a step finds nobody to page", async () => {
    const { ctx, clock, sweep } = await setup();
    await withPolicy(ctx, "high", {
      steps: [{ targets: [{ kind: "officer", officerId: "off_ergong" }], waitMinutes: 5 }],
    });
    // Named in the policy, then disabled.
    await ctx.deps.db.update(officers).set({ disabledAt: clock.now() }).where(eq(officers.id, "off_ergong"));
    const alertId = await anAlert(ctx, { riskLevel: "high" });
    await toDeadline(ctx, clock, alertId, 1);
    await sweep();
    expect(await pagedSoFar(ctx, alertId)).toEqual([["supervisor"]]);
  });

  it("goes on with the new steps when the admin changes the policy mid-chain", async () => {
    const { ctx, clock, sweep } = await setup();
    await withPolicy(ctx, "high");
    const alertId = await anAlert(ctx, { riskLevel: "high" });
    await toDeadline(ctx, clock, alertId, 1);
    await sweep();
    await withPolicy(ctx, "high", {
      steps: [
        { targets: [{ kind: "on_duty" }], waitMinutes: 2 },
        { targets: [{ kind: "duty_desk" }], waitMinutes: 30 },
      ],
    });
    clock.advance(2 * MINUTE + 1);
    await sweep();
    expect(await pagedSoFar(ctx, alertId)).toEqual([["miaogong"], ["duty"]]);
  });
});

describe("escalation policies: the API", () => {
  it("shows every level, the default where none was written, to supervisors", async () => {
    const { ctx } = await setup({ ESCALATION_REMIND_MINUTES: "15" });
    await withPolicy(ctx, "critical");
    const { status, body } = await call(ctx, "supervisor", "GET", "/v1/escalation-policies");
    expect(status).toBe(200);
    expect(
      body.policies.map((p: { riskLevel: string; default: boolean }) => [p.riskLevel, p.default]),
    ).toEqual([
      ["critical", false],
      ["high", true],
      ["medium", true],
      ["low", true],
    ]);
    expect(body.policies[0]).toMatchObject({ steps: THREE_STEPS.steps, updatedBy: "off_admin" });
    expect(body.policies[1].steps).toEqual([
      { targets: [{ kind: "on_duty" }, { kind: "supervisors" }], waitMinutes: 15 },
    ]);
  });

  it("lets only admins change a policy, audits each change, and resets to the default", async () => {
    const { ctx } = await setup();
    expect((await call(ctx, "miaogong", "GET", "/v1/escalation-policies")).status).toBe(403);
    expect((await call(ctx, "supervisor", "PUT", "/v1/escalation-policies/high", THREE_STEPS)).status).toBe(
      403,
    );

    await withPolicy(ctx, "high");
    expect((await call(ctx, "admin", "DELETE", "/v1/escalation-policies/high")).status).toBe(204);
    const { body } = await call(ctx, "admin", "GET", "/v1/escalation-policies");
    expect(body.policies[1]).toMatchObject({ riskLevel: "high", default: true });

    const audit = await ctx.deps.db.select().from(auditLog).orderBy(asc(auditLog.id));
    expect(audit.map((a) => `${a.action} ${a.targetType}:${a.targetId} by ${a.officerId}`)).toEqual([
      "escalation_policy.replaced escalation_policy:high by off_admin",
      "escalation_policy.reset escalation_policy:high by off_admin",
    ]);
  });

  it.each([
    [{ steps: [] }, "steps"],
    [{ steps: [{ targets: [{ kind: "on_duty" }], waitMinutes: 0 }] }, "steps.0.waitMinutes"],
    [{ steps: [{ targets: [], waitMinutes: 5 }] }, "steps.0.targets"],
    [{ steps: [{ targets: [{ kind: "officer" }], waitMinutes: 5 }] }, "steps.0.targets.0.officerId"],
    [{ steps: [{ targets: [{ kind: "pager" }], waitMinutes: 5 }] }, "steps.0.targets.0.kind"],
    [
      { steps: [{ targets: [{ kind: "officer", officerId: "off_other" }], waitMinutes: 5 }] },
      "steps.0.targets.0.officerId",
    ],
    // The fixture's supervisor has no phone: a step naming them could page nobody.
    [
      { steps: [{ targets: [{ kind: "officer", officerId: "off_supervisor" }], waitMinutes: 5 }] },
      "steps.0.targets.0.officerId",
    ],
  ])("refuses %j naming %s, and writes nothing", async (policy, path) => {
    const ctx = (await setup()).ctx;
    await ctx.deps.db.update(officers).set({ phoneEnc: null }).where(eq(officers.id, "off_supervisor"));
    const { status, body } = await call(ctx, "admin", "PUT", "/v1/escalation-policies/high", policy);
    expect(status).toBe(400);
    expect((body as Problem).errors?.map((e) => e.path)).toContain(path);
    expect(await ctx.deps.db.select().from(auditLog)).toEqual([]);
  });

  it("refuses an unknown risk level with a 400 naming it", async () => {
    const { ctx } = await setup();
    const { status, body } = await call(ctx, "admin", "PUT", "/v1/escalation-policies/urgent", THREE_STEPS);
    expect(status).toBe(400);
    expect((body as Problem).errors?.map((e) => e.path)).toContain("riskLevel");
  });
});
