import { describe, expect, it } from "vitest";
import { chooseRoute, type RoutingRule } from "../../src/alerts/routing";

const DUTY = "pst_duty";

let counter = 0;
function aRule(overrides: Partial<RoutingRule> & Pick<RoutingRule, "kind" | "pattern">): RoutingRule {
  counter += 1;
  return { id: `rul_${String(counter).padStart(3, "0")}`, postId: `pst_${counter}`, ...overrides };
}

describe("chooseRoute", () => {
  it("routes by an area code prefix", () => {
    const rule = aRule({ kind: "area_prefix", pattern: "652301105201", postId: "pst_miaogong" });

    const route = chooseRoute([rule], DUTY, { code: "652301105201007", address: null });

    expect(route).toEqual({ postId: "pst_miaogong", routedBy: rule.id });
  });

  it("routes by an address keyword when no area code rule matches", () => {
    const code = aRule({ kind: "area_prefix", pattern: "652301105202", postId: "pst_ergong" });
    const keyword = aRule({ kind: "address_keyword", pattern: "庙工村", postId: "pst_miaogong" });

    const route = chooseRoute([code, keyword], DUTY, { code: "652301", address: "三工镇庙工村七组" });

    expect(route).toEqual({ postId: "pst_miaogong", routedBy: keyword.id });
  });

  it("prefers a matching area code over a matching address keyword", () => {
    const keyword = aRule({ kind: "address_keyword", pattern: "三工镇庙工村七组", postId: "pst_miaogong" });
    const code = aRule({ kind: "area_prefix", pattern: "6523", postId: "pst_ergong" });

    const route = chooseRoute([keyword, code], DUTY, { code: "652301105202", address: "三工镇庙工村七组" });

    expect(route).toEqual({ postId: "pst_ergong", routedBy: code.id });
  });

  it("lets the longest area code prefix win whatever the rule order", () => {
    const township = aRule({ kind: "area_prefix", pattern: "652301105", postId: "pst_township" });
    const village = aRule({ kind: "area_prefix", pattern: "652301105201", postId: "pst_village" });
    const county = aRule({ kind: "area_prefix", pattern: "6523", postId: "pst_county" });
    const area = { code: "652301105201007" };

    for (const rules of [
      [township, village, county],
      [county, village, township],
      [village, county, township],
    ]) {
      expect(chooseRoute(rules, DUTY, area)).toEqual({ postId: "pst_village", routedBy: village.id });
    }
  });

  it("lets the longest address keyword win", () => {
    const town = aRule({ kind: "address_keyword", pattern: "三工镇", postId: "pst_town" });
    const village = aRule({ kind: "address_keyword", pattern: "二工村", postId: "pst_ergong" });
    const group = aRule({ kind: "address_keyword", pattern: "二工村三组", postId: "pst_group" });

    const route = chooseRoute([town, group, village], DUTY, { address: "三工镇二工村三组12号" });

    expect(route).toEqual({ postId: "pst_group", routedBy: group.id });
  });

  it("breaks a tie between equally long matches by rule id, so the answer is stable", () => {
    const b = aRule({ id: "rul_b", kind: "address_keyword", pattern: "庙工村", postId: "pst_b" });
    const c = aRule({ id: "rul_c", kind: "address_keyword", pattern: "三工镇", postId: "pst_c" });

    expect(chooseRoute([b, c], DUTY, { address: "三工镇庙工村" })).toEqual({
      postId: "pst_b",
      routedBy: "rul_b",
    });
    expect(chooseRoute([c, b], DUTY, { address: "三工镇庙工村" })).toEqual({
      postId: "pst_b",
      routedBy: "rul_b",
    });
  });

  it.each([
    ["no area at all", {}],
    ["null code and address", { code: null, address: null }],
    ["empty code and address", { code: "", address: "" }],
    ["a code no rule covers", { code: "110101", address: null }],
    ["an address no keyword appears in", { code: null, address: "乌鲁木齐市天山区" }],
  ])("falls back to the duty desk for %s", (_name, area) => {
    const rules = [
      aRule({ kind: "area_prefix", pattern: "652301105201", postId: "pst_miaogong" }),
      aRule({ kind: "address_keyword", pattern: "庙工村", postId: "pst_miaogong" }),
    ];

    expect(chooseRoute(rules, DUTY, area)).toEqual({ postId: DUTY, routedBy: "duty_desk" });
  });

  it("falls back to the duty desk when there are no rules", () => {
    expect(chooseRoute([], DUTY, { code: "652301105201", address: "庙工村" })).toEqual({
      postId: DUTY,
      routedBy: "duty_desk",
    });
  });

  it("matches an area code only as a prefix, not anywhere in the code", () => {
    const rule = aRule({ kind: "area_prefix", pattern: "105201", postId: "pst_miaogong" });

    expect(chooseRoute([rule], DUTY, { code: "652301105201" }).postId).toBe(DUTY);
  });

  it("does not treat a keyword rule as a code rule or the other way round", () => {
    const keywordLooksLikeCode = aRule({ kind: "address_keyword", pattern: "652301", postId: "pst_kw" });
    const codeLooksLikeKeyword = aRule({ kind: "area_prefix", pattern: "庙工村", postId: "pst_code" });

    expect(chooseRoute([keywordLooksLikeCode, codeLooksLikeKeyword], DUTY, { code: "652301" }).postId).toBe(
      DUTY,
    );
    expect(
      chooseRoute([keywordLooksLikeCode, codeLooksLikeKeyword], DUTY, { address: "庙工村" }).postId,
    ).toBe(DUTY);
  });

  it("does not reorder the caller's rules", () => {
    const rules = [
      aRule({ kind: "area_prefix", pattern: "65", postId: "pst_short" }),
      aRule({ kind: "area_prefix", pattern: "652301", postId: "pst_long" }),
    ];
    const before = rules.map((r) => r.id);

    chooseRoute(rules, DUTY, { code: "652301105201" });

    expect(rules.map((r) => r.id)).toEqual(before);
  });
});
