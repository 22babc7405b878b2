import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { alerts, auditLog, escalationPolicies } from "../../schema";
import { escalateOverdue } from "../../src/alerts/escalate";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { anAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { closeWithOutcome } from "../support/feedback";

/**
 * The supervisor view through the app, as a browser asks for it (session cookie), on whichever database this
 * project runs: overdue and escalated alerts by post, per-day figures for a date range, the CSV exports.
 */
describe("supervisor view", () => {
  let ctx: TestContext;
  let clock: ManualClock;
  // 12:00 in Beijing on 3 December 2026.
  const NOW = "2026-12-03T04:00:00Z";

  beforeEach(async () => {
    clock = new ManualClock(NOW);
    ctx = await createTestContext({ clock });
  });

  const cookieFor = async (username: string) => `${SESSION_COOKIE}=${await ctx.login(username)}`;

  async function get(cookie: string, path: string) {
    const res = await ctx.app.request(path, { headers: { cookie } });
    return { status: res.status, headers: res.headers, body: await res.text() };
  }

  /** What a person reads: the page's text without tags, attributes or the stylesheet. */
  const visibleText = (html: string) =>
    html
      .replace(/<(script|style|title)[^>]*>[\s\S]*?<\/\1>/g, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ");

  /** The post groups of the live list: heading → the alert links under it. */
  function groupsOf(html: string): Record<string, string[]> {
    const groups: Record<string, string[]> = {};
    for (const part of html.split('<section class="sup-group"').slice(1)) {
      const heading = /<h3[^>]*><span>([^<]+)<\/span>/.exec(part)?.[1] as string;
      groups[heading] = [...part.matchAll(/href="\/console\/alerts\/([^"]+)"/g)].map((m) => m[1] as string);
    }
    return groups;
  }

  const minutesAgo = (n: number) => new Date(clock.now().getTime() - n * 60_000);

  describe("overdue and escalated alerts", () => {
    it("lists them under their post's name, each with its missed deadline and a link to the alert", async () => {
      const { miaogong, ergong } = ctx.fixture.ids;
      // High risk: acknowledge within 5 minutes. 30 minutes ago, so missed since 11:35.
      const overdue = await anAlert(ctx, { postId: miaogong, receivedAt: minutesAgo(30) });
      const escalated = await anAlert(ctx, {
        postId: ergong,
        receivedAt: minutesAgo(20),
        riskLevel: "medium",
      });
      await ctx.deps.db
        .update(alerts)
        .set({ deadlineAt: minutesAgo(1) })
        .where(eq(alerts.id, escalated));
      await escalateOverdue(ctx.deps, 10);
      await ctx.deps.db
        .update(alerts)
        .set({ deadlineAt: minutesAgo(30) })
        .where(eq(alerts.id, overdue));
      const inTime = await anAlert(ctx, { postId: miaogong });
      const closed = await anAlert(ctx, { postId: miaogong, receivedAt: minutesAgo(40) });
      await closeWithOutcome(ctx, closed);

      const supervisor = await cookieFor("supervisor");
      for (const path of ["/console/supervisor", "/console/supervisor/fragments/live"]) {
        const page = await get(supervisor, path);
        expect(page.status, path).toBe(200);
        const groups = groupsOf(page.body);
        expect(groups).toEqual({ 庙工村警务室: [overdue], 二工村警务室: [escalated] });
        const text = visibleText(page.body);
        expect(text).toContain("签收超时，自 2026/12/3 11:30:00 起");
        expect(text).toContain("已升级 1 次，最近一次 2026/12/3 12:00:00");
        // The default policy has one step, repeated every ESCALATION_REMIND_MINUTES (10).
        expect(text).toContain("逐级通知已到最后一步（第 1/1 步）；2026/12/3 12:10:00 将再次通知");
        expect(text).toContain("所属警务室：庙工村警务室");
        expect(text).toMatch(/查看预警 编号[a-z0-9]{8}/);
        expect(text).toMatch(/139\*{4}\d{4}/);
        expect(page.body).not.toContain(inTime);
        // No raw ids or codes where a person reads.
        expect(text).not.toMatch(/pst_|alr_|acknowledge|escalat|undefined|NaN/);
      }

      const en = visibleText((await get(supervisor, "/console/supervisor?lang=en")).body);
      expect(en).toContain("Acknowledge deadline missed since 2026/12/3 11:30:00");
      expect(en).toContain("Escalations: 1, the last at 2026/12/3 12:00:00");
      expect(en).toContain("Escalation at its last step (1 of 1); paged again at 2026/12/3 12:10:00");
      expect(en).toContain("Post: 二工村警务室");
      expect(en).not.toMatch(/签收|超时|暂无/);
    });

    it("shows where an alert's escalation chain stands and when its next step is paged", async () => {
      await ctx.deps.db.insert(escalationPolicies).values({
        stationId: ctx.fixture.ids.station,
        riskLevel: "high",
        steps: [
          { targets: [{ kind: "on_duty" }], waitMinutes: 3 },
          { targets: [{ kind: "supervisors" }], waitMinutes: 5 },
        ],
        updatedBy: "off_admin",
      });
      await anAlert(ctx, { receivedAt: minutesAgo(6) }); // high: acknowledge within 5 minutes
      await escalateOverdue(ctx.deps, 10);

      const supervisor = await cookieFor("supervisor");
      const zh = visibleText((await get(supervisor, "/console/supervisor")).body);
      expect(zh).toContain("逐级通知第 1/2 步；2026/12/3 12:03:00 前仍无人处置，将通知下一步");
      const en = visibleText((await get(supervisor, "/console/supervisor?lang=en")).body);
      expect(en).toContain(
        "Escalation step 1 of 2; the next step is paged at 2026/12/3 12:03:00 unless someone acts",
      );
    });

    it("names each alert's post in the supervisor's queue, which spans the station", async () => {
      const { miaogong, ergong } = ctx.fixture.ids;
      await anAlert(ctx, { postId: miaogong });
      await anAlert(ctx, { postId: ergong });
      const queue = visibleText((await get(await cookieFor("supervisor"), "/console")).body);
      expect(queue).toContain("所属警务室：庙工村警务室");
      expect(queue).toContain("所属警务室：二工村警务室");
      // An officer's queue is their own post's: no need to say it on every card.
      const own = visibleText((await get(await cookieFor("miaogong"), "/console")).body);
      expect(own).not.toContain("所属警务室");
    });

    it("says there are none, not that there is nothing to handle", async () => {
      await anAlert(ctx, {}); // open, inside its deadline
      const page = await get(await cookieFor("admin"), "/console/supervisor");
      expect(page.status).toBe(200);
      expect(page.body).toContain("暂无超时或升级预警");
      expect(page.body).not.toContain("暂无待处置预警");
      const en = await get(await cookieFor("admin"), "/console/supervisor?lang=en");
      expect(en.body).toContain("No overdue or escalated alerts");
    });

    it("refreshes through the queue's mechanism: the fragment console.js polls", async () => {
      const page = await get(await cookieFor("supervisor"), "/console/supervisor");
      expect(page.body).toContain('id="queue" data-refresh="/console/supervisor/fragments/live"');
      expect(page.body).toContain('<script src="/console/assets/console.js"');
      expect(page.body).not.toMatch(/<script>|<script [^>]*>[^<]|style="/);
    });

    it("is the station's view: officers are refused", async () => {
      const officer = await cookieFor("miaogong");
      for (const path of [
        "/console/supervisor",
        "/console/supervisor/fragments/live",
        "/console/supervisor/export.csv?kind=alerts",
      ]) {
        const page = await get(officer, path);
        expect(page.status, path).toBe(403);
        expect(page.body, path).toContain("无权访问");
      }
      expect(await ctx.deps.db.select().from(auditLog).where(eq(auditLog.action, "report.exported"))).toEqual(
        [],
      );
    });
  });

  describe("figures per day", () => {
    /** 1 December: two alerts, one dissuaded (2,500 yuan), one pushed late; 3 December: one defrauded. */
    async function givenThreeDays() {
      const early = await anAlert(ctx, { receivedAt: new Date("2026-11-30T16:00:00Z") }); // 12-01 00:00
      await closeWithOutcome(ctx, early, { outcome: "dissuaded", amountProtected: 250_000 });
      const late = await anAlert(ctx, { receivedAt: new Date("2026-12-01T10:00:00Z") });
      await ctx.deps.db
        .update(alerts)
        .set({ pushedAt: new Date("2026-12-01T10:02:00Z") })
        .where(eq(alerts.id, late));
      const lost = await anAlert(ctx, { receivedAt: new Date("2026-12-03T01:00:00Z") });
      await closeWithOutcome(ctx, lost, {
        outcome: "already_defrauded",
        amountProtected: null,
        amountLost: 1_234_550,
      });
      await anAlert(ctx, { receivedAt: new Date("2026-11-30T15:59:59Z") }); // 11-30, outside the range
    }

    const row = (html: string, day: string) =>
      [
        ...(new RegExp(`<tr data-day="${day}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? "").matchAll(
          /<td>([^<]*)<\/td>/g,
        ),
      ].map((m) => m[1]);

    it("tables and charts the chosen Beijing days, days without alerts included", async () => {
      await givenThreeDays();
      const page = await get(
        await cookieFor("supervisor"),
        "/console/supervisor?from=2026-12-01&to=2026-12-03",
      );
      expect(page.status).toBe(200);
      expect(page.body).toContain("2026-12-01 至 2026-12-03，共 3 天");
      expect(row(page.body, "2026-12-01")).toEqual(["2", "1", "1", "2,500", "0"]);
      expect(row(page.body, "2026-12-02")).toEqual(["0", "0", "0", "0", "0"]);
      expect(row(page.body, "2026-12-03")).toEqual(["1", "1", "0", "0", "12,345.5"]);
      expect(row(page.body, "total")).toEqual(["3", "2", "1", "2,500", "12,345.5"]);
      // Two charts, drawn as SVG with a text alternative, and the inputs keep the range.
      expect(page.body.match(/<svg class="sup-chart"[^>]*role="img"/g)).toHaveLength(2);
      expect(page.body).toContain('name="from" value="2026-12-01"');
      expect(page.body).toContain('name="to" value="2026-12-03"');
    });

    it("defaults to the last seven days up to today", async () => {
      await givenThreeDays();
      const page = await get(await cookieFor("supervisor"), "/console/supervisor");
      expect(page.body).toContain('data-range="2026-11-27/2026-12-03"');
      expect(row(page.body, "2026-11-30")).toEqual(["1", "1", "0", "0", "0"]);
      expect(row(page.body, "total")).toEqual(["4", "3", "1", "2,500", "12,345.5"]);
    });

    it.each([
      [
        "a day that does not exist",
        "from=2026-02-30&to=2026-03-01",
        "from",
        "请按“年-月-日”填写日期",
        "Enter a date",
      ],
      ["not a date", "from=yesterday", "from", "请按“年-月-日”填写日期", "Enter a date"],
      [
        "the end before the start",
        "from=2026-12-02&to=2026-12-01",
        "to",
        "结束日期不能早于开始日期",
        "cannot be before",
      ],
      [
        "the end after today",
        "from=2026-12-01&to=2026-12-04",
        "to",
        "结束日期不能晚于今天",
        "cannot be after today",
      ],
      [
        "more than 366 days",
        "from=2025-01-01&to=2026-12-01",
        "from",
        "日期范围最长366天",
        "at most 366 days",
      ],
    ])(
      "refuses %s with the reason beside the field, in the page's language",
      async (_, query, field, zh, en) => {
        const cookie = await cookieFor("supervisor");
        const page = await get(cookie, `/console/supervisor?${query}`);
        expect(page.status).toBe(400);
        expect(page.body).toContain("日期范围有误");
        expect(page.body).toMatch(
          new RegExp(
            `name="${field}" value="[^"]*" aria-invalid="true" aria-describedby="sup-${field}-error"`,
          ),
        );
        expect(page.body).toMatch(new RegExp(`id="sup-${field}-error">${zh}`));
        expect(page.body).not.toContain("sup-chart");
        const english = await get(cookie, `/console/supervisor?${query}&lang=en`);
        expect(english.status).toBe(400);
        expect(english.body).toContain(en);
        // Typed input is kept.
        const typed = new URLSearchParams(query).get("from") as string;
        expect(page.body).toContain(`name="from" value="${typed}"`);
      },
    );
    it("shows what was typed back as text, never as markup", async () => {
      const hostile = '"><script>alert(1)</script>';
      const page = await get(
        await cookieFor("supervisor"),
        `/console/supervisor?from=${encodeURIComponent(hostile)}&to=2026-12-01`,
      );
      expect(page.status).toBe(400);
      expect(page.body).not.toContain("<script>alert(1)");
      expect(page.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    });
  });

  describe("CSV export", () => {
    const BOM = "\uFEFF";

    async function download(cookie: string, query: string) {
      const res = await ctx.app.request(`/console/supervisor/export.csv?${query}`, { headers: { cookie } });
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { res, bytes, text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes) };
    }

    it("exports the daily figures with a UTF-8 BOM and Chinese headers, English on request", async () => {
      const early = await anAlert(ctx, { receivedAt: new Date("2026-12-01T02:00:00Z") });
      await closeWithOutcome(ctx, early, { outcome: "dissuaded", amountProtected: 250_000 });
      const cookie = await cookieFor("supervisor");

      const zh = await download(cookie, "kind=daily&from=2026-12-01&to=2026-12-02");
      expect(zh.res.status).toBe(200);
      expect(zh.res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(zh.res.headers.get("content-disposition")).toBe(
        'attachment; filename="daily-figures-2026-12-01-2026-12-02.csv"',
      );
      expect([...zh.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(zh.text).toBe(
        `${BOM}日期,接收预警,1分钟内推送,劝阻成功,挽损金额（元）,被骗金额（元）\r\n` +
          "2026-12-01,1,1,1,2500,0\r\n2026-12-02,0,0,0,0,0\r\n合计,1,1,1,2500,0\r\n",
      );

      const en = await download(cookie, "kind=daily&from=2026-12-01&to=2026-12-01&lang=en");
      expect(en.text.split("\r\n")[0]).toBe(
        `${BOM}Day,Received,Pushed within 1 min,Dissuaded,Protected (yuan),Lost (yuan)`,
      );
    });

    it("exports the alerts with numbers masked, codes translated and posts by name", async () => {
      const dissuaded = await anAlert(ctx, {
        receivedAt: new Date("2026-12-02T01:30:00Z"),
        phone: "+8613812345678",
      });
      await closeWithOutcome(ctx, dissuaded, { outcome: "dissuaded", amountProtected: 250_000 });
      await anAlert(ctx, {
        receivedAt: new Date("2026-12-02T03:00:00Z"),
        postId: ctx.fixture.ids.ergong,
        riskLevel: "critical",
        phone: "+8613987654321",
      });
      const cookie = await cookieFor("admin");

      const zh = await download(cookie, "kind=alerts&from=2026-12-02&to=2026-12-02");
      expect(zh.res.status).toBe(200);
      const lines = zh.text.split("\r\n");
      expect(lines[0]).toBe(
        `${BOM}编号,接收时间,警务室,风险等级,预警类型,诈骗类型,当事人号码（脱敏）,地区,阶段,结果,推送用时（秒）,升级次数,挽损金额（元）,被骗金额（元）`,
      );
      expect(lines[1]).toMatch(
        /^[a-z0-9]{8},2026-12-02 09:30:00,庙工村警务室,高,涉诈来电,冒充客服,138\*{4}5678,[^,]+,已核实,劝阻成功,0,0,2500,$/,
      );
      expect(lines[2]).toMatch(
        /^[a-z0-9]{8},2026-12-02 11:00:00,二工村警务室,紧急,涉诈来电,冒充客服,139\*{4}4321,[^,]+,待签收,,0,0,,$/,
      );
      expect(lines).toHaveLength(4);
      expect(zh.text).not.toMatch(/13812345678|13987654321|alr_|pst_/);

      const en = await download(cookie, "kind=alerts&from=2026-12-02&to=2026-12-02&lang=en");
      const enLines = en.text.split("\r\n");
      expect(enLines[0]).toContain(
        "No.,Received at,Post,Risk,Warning type,Fraud type,Subject number (masked)",
      );
      expect(enLines[1]).toContain(",High,Fraud call,Fake customer service,138****5678,");
      expect(enLines[1]).toContain(",Verified,Dissuaded,");
    });

    it("records who exported which days in the audit log", async () => {
      await anAlert(ctx, { receivedAt: new Date("2026-12-02T01:30:00Z") });
      const cookie = await cookieFor("supervisor");
      await download(cookie, "kind=alerts&from=2026-12-01&to=2026-12-03");
      await download(cookie, "kind=daily&from=2026-12-02&to=2026-12-02");
      const entries = await ctx.deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "report.exported"), eq(auditLog.officerId, "off_supervisor")))
        .orderBy(auditLog.id);
      expect(entries.map((e) => [e.targetType, e.targetId, e.data, e.stationId])).toEqual([
        [
          "report",
          "alerts",
          { firstDay: "2026-12-01", lastDay: "2026-12-03", rows: 1 },
          ctx.fixture.ids.station,
        ],
        [
          "report",
          "daily",
          { firstDay: "2026-12-02", lastDay: "2026-12-02", rows: 1 },
          ctx.fixture.ids.station,
        ],
      ]);
    });

    it("sends an invalid range back to the page, which says what is wrong, and exports nothing", async () => {
      const cookie = await cookieFor("supervisor");
      const { res } = await download(cookie, "kind=alerts&from=2026-12-05&to=2026-12-01");
      expect(res.status).toBe(303);
      const location = res.headers.get("location") as string;
      expect(location).toBe("/console/supervisor?from=2026-12-05&to=2026-12-01#sup-range");
      const page = await get(cookie, location.split("#")[0] as string);
      expect(page.body).toContain("结束日期不能早于开始日期");
      expect(await ctx.deps.db.select().from(auditLog).where(eq(auditLog.action, "report.exported"))).toEqual(
        [],
      );
    });
  });
});
