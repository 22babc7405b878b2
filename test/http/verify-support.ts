import { count, eq } from "drizzle-orm";
import { expect } from "vitest";
import { type alertEvents, alerts, type contactAttempts, type feedbackEvents } from "../../schema";
import { type Caller, OUTSIDERS_OF_MIAOGONG_ALERT, tokenFor, type WrongCaller } from "../support/access";
import { type AnAlert, anAlert, type Problem, send } from "../support/alerts";
import type { TestContext } from "../support/context";

/** What the officer action tests (alerts-verify, alerts-outcome) share: the callers, the calls and the reads. */
export interface View {
  id: string;
  stage: string;
  postId: string;
  version: number;
  acknowledgedBy: string | null;
  verifiedBy: string | null;
  outcome: string | null;
  outcomeNote: string | null;
  amountProtected: number | null;
  amountLost: number | null;
  visitRequired: boolean;
  deadline: { kind: string; at: string } | null;
  subject: { phone: string };
  timeline: {
    kind: string;
    at: string;
    officer: { id: string; name: string } | null;
    data: Record<string, unknown>;
  }[];
  contactAttempts: { channel: string; reached: boolean; note: string | null; officer: { id: string } }[];
}

/** Alert actions are for its post's officers and the station's supervisors; admins are refused. */
export const WRONG_CALLERS: WrongCaller[] = [
  ...OUTSIDERS_OF_MIAOGONG_ALERT,
  { caller: "admin", status: 403, code: "FORBIDDEN" },
];

export async function act(ctx: TestContext, caller: Caller, alertId: string, action: string, body?: unknown) {
  return send(ctx, await tokenFor(ctx, caller), "POST", `/v1/alerts/${alertId}/${action}`, body);
}

export async function ok(res: Response): Promise<View> {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body as View;
}

export async function problem(res: Response, status: number): Promise<Problem> {
  const body = (await res.json()) as Problem;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return body;
}

export const alertRow = async (ctx: TestContext, id: string) =>
  (await ctx.deps.db.select().from(alerts).where(eq(alerts.id, id)))[0];

export async function rowCount(
  ctx: TestContext,
  table: typeof feedbackEvents | typeof contactAttempts | typeof alertEvents,
  alertId: string,
) {
  const [row] = await ctx.deps.db.select({ n: count() }).from(table).where(eq(table.alertId, alertId));
  return row?.n ?? 0;
}

export async function acknowledged(ctx: TestContext, overrides: AnAlert = {}, caller = "miaogong") {
  const id = await anAlert(ctx, overrides);
  await ok(await act(ctx, caller, id, "acknowledge"));
  return id;
}
