import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import {
  ALERT_STAGES,
  CONTACT_CHANNELS,
  DEADLINE_KINDS,
  FRAUD_TYPES,
  OUTCOMES,
  officers,
  RISK_LEVELS,
  SMS_PURPOSES,
  SMS_STATUSES,
  WARNING_TYPES,
} from "../../schema";
import { escalateOverdue } from "../../src/alerts/escalate";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { csrfToken } from "../../src/console/csrf";
import { i18n, type Lang } from "../../src/console/i18n";
import { labels } from "../../src/console/labels";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { closeWithOutcome } from "../support/feedback";

/**
 * Every officer page in every state it has, in Chinese and in English, read as a person reads it: the text
 * and the accessible names, without markup. A raw enum value (`victim_warning`, `impersonating_police`,
 * `delivered`), a dictionary key (`revealNumber`), an unfilled `{n}` or an English sentence on a Chinese
 * page fails the test, naming the page and the word.
 */
const ENUM_VALUES: string[] = [
  ...WARNING_TYPES,
  ...RISK_LEVELS,
  ...FRAUD_TYPES,
  ...ALERT_STAGES,
  ...OUTCOMES,
  ...DEADLINE_KINDS,
  ...CONTACT_CHANNELS,
  ...SMS_PURPOSES,
  ...SMS_STATUSES,
  ...Object.keys(labels.zh.event),
  ...Object.keys(labels.zh.indicator),
];
const KEYS: string[] = Object.keys(i18n("zh").t);
const RAW_LABEL = new RegExp(`\\b(${Object.keys(labels.zh.indicator).join("|")}): |\\d\\.\\d+ min\\b`, "g");

function readable(html: string): string {
  const title = html.match(/<title>([^<]*)<\/title>/)?.[1] ?? "";
  const names = [...html.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]);
  const body = html
    .replace(/<head>[\s\S]*?<\/head>/, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
  return [title, ...names, body].join(" ").replace(/\s+/g, " ");
}

/** Words that would mean a label or a translation is missing, for a page in `lang`. */
function untranslated(html: string, lang: Lang): string[] {
  const text = readable(html);
  const found = new Set<string>();
  for (const m of text.matchAll(/undefined|\[object Object\]|Invalid Date|NaN|\{\w+\}/g)) found.add(m[0]);
  const words: string[] = text.match(/\b[A-Za-z][A-Za-z_]*\b/g) ?? [];
  for (const word of words) {
    // An enum value with an underscore or a camelCase key is never an English word either.
    if (word.includes("_") || (KEYS.includes(word) && /[A-Z]/.test(word))) found.add(word);
    // On a Chinese page no lower-case Latin word belongs: no enum value, no key, no English sentence.
    if (lang === "zh" && /^[a-z]/.test(word)) found.add(word);
  }
  if (lang === "zh") for (const v of ENUM_VALUES) if (words.includes(v)) found.add(v);
  // `phone: +86…`, `0.1 min`: raw labels and units the pages used to print.
  for (const m of text.matchAll(RAW_LABEL)) found.add(m[0]);
  return [...found];
}

describe("every officer page in the page's language", () => {
  let ctx: TestContext;
  let clock: ManualClock;
  let cookie: string;
  let csrf: string;

  beforeEach(async () => {
    clock = new ManualClock(new Date());
    ctx = await createTestContext({ clock });
    // Names as a station writes them: the fixture's Latin usernames would read as untranslated words.
    for (const [id, name] of [
      ["off_miaogong", "庙工村民警1"],
      ["off_supervisor", "所长"],
    ]) {
      await ctx.deps.db
        .update(officers)
        .set({ displayName: name })
        .where(eq(officers.id, id as string));
    }
    const token = await ctx.login("miaogong");
    cookie = `${SESSION_COOKIE}=${token}`;
    csrf = csrfToken(token);
  });

  const get = async (path: string, who = cookie) => {
    const res = await ctx.app.request(path, { headers: who ? { cookie: who } : {} });
    return { status: res.status, location: res.headers.get("location"), html: await res.text() };
  };
  const post = async (path: string, form: Record<string, string>, who = cookie) => {
    const res = await ctx.app.request(path, {
      method: "POST",
      headers: {
        cookie: who,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
    });
    return { status: res.status, location: res.headers.get("location"), html: await res.text() };
  };
  const withLang = (path: string, lang: Lang) => `${path}${path.includes("?") ? "&" : "?"}lang=${lang}`;

  /** Renders `path` (or runs `render`) in both languages; each must be fully translated and say `expect`. */
  async function inBoth(
    name: string,
    render: (lang: Lang) => Promise<{ status: number; html: string }>,
    says: Record<Lang, string[]> = { zh: [], en: [] },
  ) {
    for (const lang of ["zh", "en"] as const) {
      const { status, html } = await render(lang);
      expect(status, `${name} (${lang}): ${html.slice(0, 200)}`).toBeLessThan(500);
      expect(untranslated(html, lang), `${name} (${lang})`).toEqual([]);
      for (const text of says[lang]) expect(readable(html), `${name} (${lang}) says ${text}`).toContain(text);
    }
  }

  it("catches a raw value, a key, a placeholder and English on a Chinese page", () => {
    // The check itself must be able to fail, or every test below proves nothing.
    expect(untranslated("<p>victim_warning → 139****5678: delivered (1)</p>", "zh")).toEqual(
      expect.arrayContaining(["victim_warning", "delivered"]),
    );
    expect(untranslated("<p>登记结果 · 庙工村民警1 · dissuaded</p>", "zh")).toEqual(["dissuaded"]);
    expect(untranslated("<p>phone: +8617098765432</p>", "en")).toEqual(["phone: "]);
    expect(untranslated("<p>剩余 0.1 min</p>", "zh")).toEqual(expect.arrayContaining(["0.1 min"]));
    expect(untranslated("<p>the outcome is not valid</p>", "zh").length).toBeGreaterThan(0);
    expect(untranslated("<p>revealNumber</p>", "en")).toEqual(["revealNumber"]);
    expect(untranslated("<p>共 {n} 条</p>", "en")).toEqual(["{n}"]);
    expect(untranslated("<p>Fraud type: Impersonating police</p>", "en")).toEqual([]);
  });

  it("login, password and message pages", async () => {
    await inBoth("login", (l) => get(withLang("/console/login", l), ""), {
      zh: ["用户名"],
      en: ["Username"],
    });
    await inBoth(
      "failed login",
      (l) => post(withLang("/console/login", l), { username: "x", password: "y" }, ""),
      {
        zh: ["用户名或密码错误"],
        en: ["Wrong username or password"],
      },
    );
    await inBoth("password", (l) => get(withLang("/console/password", l)));
    await inBoth(
      "password too short",
      (l) => post(withLang("/console/password", l), { currentPassword: "x", newPassword: "short" }),
      { zh: ["新密码至少12位"], en: ["at least 12 characters"] },
    );
    await inBoth("no such alert", (l) => get(withLang("/console/alerts/alr_nothing", l)), {
      zh: ["未找到该预警"],
      en: ["No such alert"],
    });
    await inBoth("csrf refused", async (l) => {
      const res = await post(withLang("/console/duty", l), { _csrf: "forged", onDuty: "off" });
      expect(res.status).toBe(403);
      return res;
    });
    await ctx.deps.db
      .update(officers)
      .set({ passwordChangeRequired: true })
      .where(eq(officers.id, "off_miaogong"));
    await inBoth("password required", (l) => get(withLang("/console/password", l)), {
      zh: ["您的密码由管理员设置"],
      en: ["set by an admin"],
    });
  });

  it("the queue: empty, full, filtered, searched, paged, handled today, duty notices", async () => {
    await inBoth("empty queue", (l) => get(withLang("/console", l)), {
      zh: ["暂无待处置预警"],
      en: ["Nothing"],
    });
    const first = await givenPushedAlert(ctx, {
      fraudType: "impersonating_police",
      subject: { phone: "+8613912345678" },
    });
    for (let i = 0; i < 21; i++) await givenPushedAlert(ctx, { riskLevel: i % 2 ? "medium" : "critical" });
    const closed = await givenPushedAlert(ctx);
    await closeWithOutcome(ctx, closed, { outcome: "dissuaded", amountProtected: 300_000 });
    await post(`/console/alerts/${first}/acknowledge`, {});

    await inBoth("queue", (l) => get(withLang("/console", l)), {
      zh: [
        "冒充公检法",
        "签收人 庙工村民警",
        "签收时限",
        "分钟",
        "50,000 元",
        "今日已处理",
        "劝阻成功",
        "下一页",
      ],
      en: [
        "Impersonating police",
        "Held by",
        "Acknowledge by",
        "min",
        "50,000 yuan",
        "Handled today",
        "Next page",
      ],
    });
    const page1 = await get("/console");
    const next = page1.html.match(/href="(\/console\?cursor=[^"]+)"/)?.[1]?.replace(/&amp;/g, "&") as string;
    await inBoth("second page", (l) => get(withLang(next, l)), { zh: ["回到第一页"], en: ["first page"] });
    for (const filter of ["mine=1", "unack=1", "overdue=1", "risk=critical", "risk=low"]) {
      await inBoth(`filter ${filter}`, (l) => get(withLang(`/console?${filter}`, l)));
      await inBoth(`fragment ${filter}`, (l) => get(withLang(`/console/fragments/queue?${filter}`, l)));
    }
    await inBoth("search by phone", (l) => get(withLang("/console?q=139%201234%205678", l)), {
      zh: ["查找结果", "139****5678"],
      en: ["Results", "139****5678"],
    });
    await inBoth("search by code", (l) => get(withLang(`/console?q=${first.slice(-8).toUpperCase()}`, l)));
    await inBoth("search nothing found", (l) => get(withLang("/console?q=13800000000", l)), {
      zh: ["没有符合条件的预警"],
      en: ["No alerts match"],
    });
    await inBoth("search not understood", (l) => get(withLang("/console?q=hello", l)), {
      zh: ["请输入完整的手机号"],
      en: ["Enter a full mobile number"],
    });
    for (const duty of ["on", "off", "alone"])
      await inBoth(`duty ${duty}`, (l) => get(withLang(`/console?duty=${duty}`, l)));
    await inBoth("transferred notice", (l) => get(withLang("/console?transferred=1", l)), {
      zh: ["已移交"],
      en: ["Transferred"],
    });
  });

  it("the alert page through every stage, with its forms' errors", async () => {
    const id = await givenPushedAlert(ctx, { fraudType: "romance_investment", riskLevel: "critical" });
    const alert =
      (q = "") =>
      (l: Lang) =>
        get(withLang(`/console/alerts/${id}${q}`, l));
    await inBoth("pushed", alert(), {
      zh: ["网恋交友/投资理财", "预警短信", "涉诈电话", "签收时限", "签收后改为联系时限", "尚未签收"],
      en: ["Romance or investment scam", "Warning SMS", "Fraud phone number", "Acknowledge by"],
    });
    const acked = await post(`/console/alerts/${id}/acknowledge`, {});
    expect(acked.status).toBe(303);
    await inBoth("acknowledged, deadline changed", (l) => get(withLang(acked.location as string, l)), {
      zh: ["已签收", "时限已变为：联系时限", "签收人"],
      en: ["The deadline is now: First contact by"],
    });
    await post(`/console/alerts/${id}/reveal`, { reason: "核实" });
    await inBoth("revealed", alert("?revealed=1"), { zh: ["完整号码显示至"], en: ["shows until"] });

    // Errors next to their fields, what was typed kept, in the page's language.
    await inBoth(
      "attempt with errors",
      (l) => post(withLang(`/console/alerts/${id}/attempts`, l), { note: "无人接听" }),
      {
        zh: ["请选择联系方式", "请选择是否联系上", "无人接听"],
        en: ["Choose how you made contact", "无人接听"],
      },
    );
    await inBoth(
      "outcome not chosen",
      (l) => post(withLang(`/console/alerts/${id}/outcome`, l), { note: "说已转账" }),
      {
        zh: ["请选择处置结果", "说已转账"],
        en: ["Choose an outcome"],
      },
    );
    await inBoth(
      "defrauded without amount",
      (l) =>
        post(withLang(`/console/alerts/${id}/outcome`, l), { outcome: "already_defrauded", amountLost: "" }),
      { zh: ["必须填写被骗金额"], en: ["needs the amount lost"] },
    );
    await inBoth(
      "amount not a number",
      (l) =>
        post(withLang(`/console/alerts/${id}/outcome`, l), { outcome: "dissuaded", amountProtected: "五千" }),
      { zh: ["请输入金额（元）"], en: ["Enter an amount in yuan"] },
    );
    await inBoth(
      "transfer without post",
      (l) => post(withLang(`/console/alerts/${id}/outcome`, l), { outcome: "wrong_subject" }),
      {
        zh: ["必须选择接收的警务室"],
        en: ["needs the post"],
      },
    );

    await post(`/console/alerts/${id}/attempts`, {
      channel: "phone",
      reached: "false",
      note: "两次无人接听",
    });
    await inBoth("visit owed", alert(), {
      zh: ["两次无人接听", "未联系上", "走访时限", "需上门走访", "电话"],
      en: ["Not reached", "Visit by"],
    });
    await post(`/console/alerts/${id}/outcome`, { outcome: "refused_or_denied" });
    clock.advanceMinutes(45);
    await escalateOverdue(ctx.deps, 100);
    await inBoth("escalated", alert(), {
      zh: ["超时升级", "已过", "第 1/1 步：通知在岗民警、所领导"],
      en: ["Escalated", "missed", "step 1 of 1: paged officers on duty, supervisors"],
    });
    await post(`/console/alerts/${id}/outcome`, { outcome: "already_defrauded", amountLost: "1200.50" });
    await inBoth("verified", alert("?saved=outcome&deadline=none"), {
      zh: ["已被骗", "1,200.5", "已办结", "时限已结束"],
      en: ["Already defrauded", "closed"],
    });

    const other = await givenPushedAlert(ctx);
    await post(`/console/alerts/${other}/acknowledge`, {});
    const moved = await post(`/console/alerts/${other}/outcome`, {
      outcome: "wrong_subject",
      transferToPostId: ctx.fixture.ids.ergong,
    });
    expect(moved.location).toBe("/console?transferred=1");
    const supervisor = `${SESSION_COOKIE}=${await ctx.login("supervisor")}`;
    await inBoth(
      "transferred, seen by the supervisor",
      (l) => get(withLang(`/console/alerts/${other}`, l), supervisor),
      {
        zh: ["移交至 二工村警务室", "待签收"],
        en: ["to 二工村警务室"],
      },
    );
  });
});
