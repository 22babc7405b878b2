import { describe, expect, it } from "vitest";
import { csvCell } from "../../src/reports/csv";
import { type Problem, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext } from "../support/context";
import { givenSeededStation, NOW, RANGE, report } from "./support";

/**
 * How the report is asked for and answered: as CSV, by whom, with what input, and how the OpenAPI document
 * describes it. The figures themselves are checked in alerts-report.test.ts.
 */

describe("GET /v1/reports/alerts", () => {
  describe("as CSV", () => {
    it("answers one figure per row under a section,key,value header, as an attachment", async () => {
      const ctx = await givenSeededStation();

      const res = await report(ctx, "supervisor", RANGE, "text/csv");

      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe(
        'attachment; filename="alerts-report-2026-11-27-2026-11-28.csv"',
      );
      expect([...new Uint8Array(await res.clone().arrayBuffer()).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = await res.text();
      expect(text.endsWith("\r\n")).toBe(true);
      const lines = text.trimEnd().split("\r\n");
      expect(lines[0]).toBe("section,key,value");
      for (const line of lines.slice(1)) expect(line.split(",")).toHaveLength(3);
      expect(lines).toEqual(
        expect.arrayContaining([
          "report,total,5",
          "report,post_id,",
          "stage,fed_back,2",
          "risk_level,high,2",
          "outcome,none,2",
          "time_to_push,median_seconds,30",
          "time_to_acknowledge,p90_seconds,1020",
          "deadline_acknowledge,rate,0.6",
          "deadline_feedback,missed,0",
          "deadline_visit,met,1",
          "amounts,protected_fen,700000",
          "amounts,lost_fen,300000",
        ]),
      );
    });

    it.each([
      ["plain", "plain"],
      ["with, comma", '"with, comma"'],
      ['say "hi"', '"say ""hi"""'],
      ["two\nlines", '"two\nlines"'],
      ["=SUM(A1)", "'=SUM(A1)"],
      ["-1+1", "'-1+1"],
    ])("escapes the cell %j as %j", (value, cell) => {
      expect(csvCell(value)).toBe(cell);
    });

    it("writes numbers, including negative ones, and missing values as they are", () => {
      expect([csvCell(-3), csvCell(0.25), csvCell(null)]).toEqual(["-3", "0.25", ""]);
    });
  });

  describe("access", () => {
    it("answers 401 without a session", async () => {
      const ctx = await createTestContext();
      const res = await send(ctx, undefined, "GET", "/v1/reports/alerts");
      expect(res.status).toBe(401);
    });

    it("answers 403 when an officer asks for another post", async () => {
      const ctx = await givenSeededStation();

      const res = await report(ctx, "miaogong", `${RANGE}&postId=pst_ergong`);

      expect(res.status).toBe(403);
      expect(((await res.json()) as Problem).code).toBe("FORBIDDEN");
    });

    it("answers 404 when a supervisor asks for a post of another station", async () => {
      const ctx = await givenSeededStation();

      const res = await report(ctx, "supervisor", `${RANGE}&postId=${ctx.fixture.ids.otherDesk}`);

      expect(res.status).toBe(404);
    });

    it("never counts another station's alerts", async () => {
      const ctx = await givenSeededStation();

      const body = (await (await report(ctx, "other", RANGE)).json()) as { total: number };

      expect(body.total).toBe(1);
    });
  });

  describe.each([
    ["from that is not a date", "?from=yesterday", "from"],
    ["to that is not a calendar day", "?to=2026-02-30", "to"],
    ["a date-time without an offset", "?from=2026-11-27T10:00:00", "from"],
    ["to before from", "?from=2026-11-28&to=2026-11-27", "to"],
    ["to equal to from", "?from=2026-11-28&to=2026-11-28", "to"],
    ["a range over 366 days", "?from=2025-01-01&to=2026-11-28", "to"],
  ])("with %s", (_name, query, field) => {
    it(`answers 400 problem+json naming ${field}`, async () => {
      const ctx = await createTestContext({ clock: new ManualClock(NOW) });

      const res = await report(ctx, "supervisor", query);

      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await res.json()) as Problem;
      expect(problem.code).toBe("VALIDATION_FAILED");
      expect(problem.errors?.map((e) => e.path)).toEqual([field]);
    });
  });

  it("is described in the OpenAPI document", async () => {
    const ctx = await createTestContext();
    const doc = (await (await ctx.app.request("/openapi.json")).json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    const content = doc.paths["/v1/reports/alerts"]?.get?.responses["200"]?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(["application/json", "text/csv"]);
  });
});
