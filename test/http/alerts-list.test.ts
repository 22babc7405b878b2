import { describe, expect, it } from "vitest";
import { expectRejectsTheWrongCaller, NOT_LOGGED_IN, tokenFor } from "../support/access";
import { aSubjectPhone, type Problem, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

interface Item {
  id: string;
  stage: string;
  riskLevel: string;
  postId: string;
  subject: { phone: string; name: string | null };
  deadline: { kind: string; at: string } | null;
  overdue: boolean;
}
interface Page {
  alerts: Item[];
  nextCursor: string | null;
}

const ERGONG = { code: "652301", address: "三工镇二工村三组" };

/** Posts one warning per override in one batch, pushes them all, and returns the alert ids in order. */
async function givenAlerts(ctx: TestContext, overrides: Record<string, unknown>[]): Promise<string[]> {
  const res = await ctx.postWarnings({
    warnings: overrides.map((o) => aWarning({ subject: { phone: aSubjectPhone(), name: "李某某" }, ...o })),
  });
  const { results } = (await res.json()) as { results: { alertId: string }[] };
  await ctx.drain();
  return results.map((r) => r.alertId);
}

async function list(ctx: TestContext, caller: string, query = ""): Promise<Page> {
  const res = await send(ctx, await tokenFor(ctx, caller), "GET", `/v1/alerts${query}`);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body as Page;
}

async function post(ctx: TestContext, caller: string, path: string, body?: unknown) {
  const res = await send(ctx, await tokenFor(ctx, caller), "POST", path, body);
  expect(res.status, await res.clone().text()).toBe(200);
}

describe("GET /v1/alerts", () => {
  it("lists an officer's own post's alerts, nearest deadline first, closed ones last, subjects masked", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    const [low, critical, medium, high, , done] = await givenAlerts(ctx, [
      { riskLevel: "low" },
      { riskLevel: "critical", type: "funds" },
      { riskLevel: "medium" },
      { riskLevel: "high" },
      { riskLevel: "critical", area: ERGONG },
      { riskLevel: "critical" },
    ]);
    await post(ctx, "miaogong", `/v1/alerts/${done}/acknowledge`);
    await post(ctx, "miaogong", `/v1/alerts/${done}/outcome`, { outcome: "not_fraud" });

    const page = await list(ctx, "miaogong");

    expect(page.alerts.map((a) => a.id)).toEqual([critical, high, medium, low, done]);
    expect(page.alerts.map((a) => a.deadline?.kind ?? null)).toEqual([
      "acknowledge",
      "acknowledge",
      "acknowledge",
      "acknowledge",
      null,
    ]);
    for (const a of page.alerts) {
      expect(a.subject.phone).toMatch(/^139\*{4}\d{4}$/);
      expect(a.subject.name).toBe("李**");
    }
    expect(JSON.stringify(page)).not.toMatch(/139\d{8}/);
    expect(page.nextCursor).toBeNull();
  });

  it("shows a supervisor the whole station and nothing of another station", async () => {
    const ctx = await createTestContext();
    const ids = await givenAlerts(ctx, [{}, { area: ERGONG }, { area: { address: "无名地址" } }]);

    const station = await list(ctx, "supervisor");
    const elsewhere = await list(ctx, "other");
    const ergong = await list(ctx, "ergong");

    expect(station.alerts.map((a) => a.id).sort()).toEqual([...ids].sort());
    expect(elsewhere.alerts).toEqual([]);
    expect(ergong.alerts.map((a) => a.id)).toEqual([ids[1]]);
  });

  it("gives an officer nothing of another post even when asked for it", async () => {
    const ctx = await createTestContext();
    await givenAlerts(ctx, [{ area: ERGONG }]);

    const page = await list(ctx, "miaogong", `?postId=${ctx.fixture.ids.ergong}`);

    expect(page.alerts).toEqual([]);
  });

  it("filters by stage, risk level, post, overdue and date range", async () => {
    const clock = new ManualClock("2026-11-28T02:00:00Z");
    const ctx = await createTestContext({ clock });
    const [early] = await givenAlerts(ctx, [{ riskLevel: "high" }]);
    clock.advanceMinutes(60);
    const [critical, medium, ergong] = await givenAlerts(ctx, [
      { riskLevel: "critical", type: "funds" },
      { riskLevel: "medium" },
      { riskLevel: "medium", area: ERGONG },
    ]);
    await post(ctx, "miaogong", `/v1/alerts/${medium}/acknowledge`);
    clock.advanceMinutes(2); // past the critical alert's 1-minute acknowledge deadline, not the others'
    const ids = async (q: string) => (await list(ctx, "supervisor", q)).alerts.map((a) => a.id).sort();

    expect(await ids("?stage=acknowledged")).toEqual([medium]);
    expect(await ids("?riskLevel=medium")).toEqual([medium, ergong].sort());
    expect(await ids(`?postId=${ctx.fixture.ids.ergong}`)).toEqual([ergong]);
    expect(await ids("?overdue=true")).toEqual([early, critical].sort());
    expect(await ids("?from=2026-11-28T02:30:00Z")).toEqual([critical, medium, ergong].sort());
    expect(await ids("?to=2026-11-28T10:30:00%2B08:00")).toEqual([early]);
    expect(await ids("?riskLevel=medium&stage=pushed")).toEqual([ergong]);
  });

  it("pages through every alert exactly once, in deadline order, with an opaque cursor", async () => {
    const ctx = await createTestContext();
    const levels = ["low", "critical", "high", "medium", "high", "critical", "low"];
    const created = await givenAlerts(
      ctx,
      levels.map((riskLevel) => ({ riskLevel })),
    );
    const [closed] = created;
    await post(ctx, "miaogong", `/v1/alerts/${closed}/acknowledge`);
    await post(ctx, "miaogong", `/v1/alerts/${closed}/outcome`, { outcome: "duplicate" });
    const all = (await list(ctx, "miaogong", "?limit=100")).alerts.map((a) => a.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(ctx, "miaogong", `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.alerts.length).toBeLessThanOrEqual(2);
      seen.push(...page.alerts.map((a) => a.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);

    expect(all).toHaveLength(created.length);
    expect(seen).toEqual(all);
    expect(all.at(-1)).toBe(closed);
  });

  describe.each([
    ["a limit of 0", "?limit=0", "limit"],
    ["a limit over 100", "?limit=101", "limit"],
    ["an unknown stage", "?stage=done", "stage"],
    ["an unknown risk level", "?riskLevel=extreme", "riskLevel"],
    ["overdue other than true/false", "?overdue=yes", "overdue"],
    ["a date that is not ISO 8601", "?from=yesterday", "from"],
    ["a cursor it did not issue", "?cursor=bm90LWEtY3Vyc29y", "cursor"],
    [
      "a cursor with a forged time",
      `?cursor=${Buffer.from('{"d":"1","id":"x"}').toString("base64url")}`,
      "cursor",
    ],
  ])("rejects %s", (_name, query, path) => {
    it(`with 400 VALIDATION_FAILED naming ${path}`, async () => {
      const ctx = await createTestContext();

      const res = await send(ctx, await tokenFor(ctx, "supervisor"), "GET", `/v1/alerts${query}`);

      expect(res.status).toBe(400);
      const body = (await res.json()) as Problem;
      expect(body.code).toBe("VALIDATION_FAILED");
      expect(body.errors?.map((e) => e.path)).toEqual([path]);
    });
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(ctx, { method: "GET", path: "/v1/alerts" }, NOT_LOGGED_IN);
  });
});
