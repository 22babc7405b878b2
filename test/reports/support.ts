import { alertEvents, alerts, contactAttempts } from "../../schema";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/**
 * The report tests' station: a few alerts with known stage times around a fixed "now", so each figure of
 * GET /v1/reports/alerts can be checked against a hand calculation.
 */

/** Now: 2026-11-28 10:00 in Asia/Shanghai. */
export const NOW = "2026-11-28T02:00:00Z";
/** 2026-11-27 10:00 in Asia/Shanghai: most of the seeded alerts arrive then. */
export const T0 = Date.parse("2026-11-27T02:00:00Z");
/** from=2026-11-27 and to=2026-11-28 are Shanghai midnights: [T0 - 10 h, T0 + 14 h). */
export const FROM = T0 - 10 * 3600_000;
export const TO = T0 + 14 * 3600_000;
export const at = (ms: number) => new Date(ms);
const after = (base: number, seconds: number) => at(base + seconds * 1000);

let seq = 0;
/**
 * An alert row with its stage times set directly, so every figure can be worked out by hand. Only the row, to
 * insert as the test likes (test/support/alerts.ts's anAlert writes a whole pushed alert instead).
 */
export function anAlert(
  ctx: TestContext,
  fields: Partial<typeof alerts.$inferInsert> & { receivedAt: Date },
) {
  seq += 1;
  return {
    id: `alr_report_${String(seq).padStart(3, "0")}`,
    stationId: ctx.fixture.ids.station,
    postId: ctx.fixture.ids.miaogong,
    stage: "received" as const,
    type: "call" as const,
    fraudType: "fake_customer_service" as const,
    riskLevel: "high" as const,
    subjectPhoneEnc: ctx.deps.pii.encrypt("+8613800138000"),
    subjectPhoneHash: ctx.deps.pii.hash("+8613800138000"),
    ...fields,
  };
}

/**
 * Five alerts in the range and three just outside it. Per alert: seconds from receipt to push / acknowledge /
 * first contact / verified / fed back.
 *   A1 庙工 critical funds  T0       10 / 40 / 180 (and 1200) / 1800 / 1860  dissuaded, 5,000 yuan protected
 *   A2 庙工 high call       T0       20 / 600 / 1200 / 7200 / -               already_defrauded, 3,000 yuan lost
 *   A3 二工 medium sms      T0+1h    30 / 1200 / - / - / -                     acknowledged
 *   A4 值班 low url         T0+2h    40 / - / - / - / -                        pushed
 *   A5 庙工 high app        from     50 / 120 / 600 / 3600 / 3660            aware_no_loss, 2,000 yuan protected
 * A2 also owed a visit from 1200 s (unreachable at first) and made it 60 minutes later.
 */
async function seedReportData(ctx: TestContext) {
  const { ids } = ctx.fixture;
  const a1 = anAlert(ctx, {
    receivedAt: at(T0),
    riskLevel: "critical",
    type: "funds",
    stage: "fed_back",
    pushedAt: after(T0, 10),
    acknowledgedAt: after(T0, 40),
    verifiedAt: after(T0, 1800),
    fedBackAt: after(T0, 1860),
    outcome: "dissuaded",
    amountProtected: 500_000,
  });
  const a2 = anAlert(ctx, {
    receivedAt: at(T0),
    stage: "verified",
    pushedAt: after(T0, 20),
    acknowledgedAt: after(T0, 600),
    verifiedAt: after(T0, 7200),
    outcome: "already_defrauded",
    amountLost: 300_000,
  });
  const t3 = T0 + 3600_000;
  const a3 = anAlert(ctx, {
    receivedAt: at(t3),
    postId: ids.ergong,
    riskLevel: "medium",
    type: "sms",
    stage: "acknowledged",
    pushedAt: after(t3, 30),
    acknowledgedAt: after(t3, 1200),
  });
  const t4 = T0 + 7200_000;
  const a4 = anAlert(ctx, {
    receivedAt: at(t4),
    postId: ids.dutyDesk,
    riskLevel: "low",
    type: "url",
    stage: "pushed",
    pushedAt: after(t4, 40),
  });
  const a5 = anAlert(ctx, {
    receivedAt: at(FROM),
    type: "app",
    stage: "fed_back",
    pushedAt: after(FROM, 50),
    acknowledgedAt: after(FROM, 120),
    verifiedAt: after(FROM, 3600),
    fedBackAt: after(FROM, 3660),
    outcome: "aware_no_loss",
    amountProtected: 200_000,
  });
  const outside = [
    anAlert(ctx, { receivedAt: at(FROM - 1000), stage: "fed_back", amountProtected: 9_999_999 }),
    anAlert(ctx, { receivedAt: at(TO), pushedAt: at(TO + 1000) }),
    anAlert(ctx, { receivedAt: at(T0), stationId: ids.otherStation, postId: ids.otherDesk, amountLost: 1 }),
  ];
  await ctx.deps.db.insert(alerts).values([a1, a2, a3, a4, a5, ...outside]);
  const attempt = (alertId: string, officerId: string, atTime: Date) => ({
    id: `att_${alertId}_${atTime.getTime()}`,
    alertId,
    officerId,
    channel: "phone" as const,
    reached: true,
    at: atTime,
  });
  await ctx.deps.db
    .insert(contactAttempts)
    .values([
      attempt(a1.id, "off_miaogong", after(T0, 180)),
      attempt(a1.id, "off_miaogong", after(T0, 1200)),
      attempt(a2.id, "off_miaogong", after(T0, 1200)),
      attempt(a5.id, "off_miaogong", after(FROM, 600)),
    ]);
  await ctx.deps.db.insert(alertEvents).values([
    visitOpened(a2.id, after(T0, 1200)),
    {
      alertId: a2.id,
      kind: "attempt_logged",
      data: { channel: "visit", visitDone: true },
      at: after(T0, 4800),
    },
  ]);
}

/** The timeline entry that makes a visit owed: an outcome of unreachable. */
export function visitOpened(alertId: string, atTime: Date) {
  return {
    alertId,
    kind: "outcome_recorded",
    data: { outcome: "unreachable", visitOpened: true },
    at: atTime,
  };
}

/** A fresh context at NOW whose station holds the alerts seedReportData describes. */
export async function givenSeededStation() {
  const ctx = await createTestContext({ clock: new ManualClock(NOW) });
  await seedReportData(ctx);
  return ctx;
}

/** GET /v1/reports/alerts as `user`, with the query string given (and an Accept header if given). */
export async function report(ctx: TestContext, user: string, query: string, accept?: string) {
  const token = await ctx.login(user);
  return ctx.app.request(`/v1/reports/alerts${query}`, {
    headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) },
  });
}

export const RANGE = "?from=2026-11-27&to=2026-11-28";
