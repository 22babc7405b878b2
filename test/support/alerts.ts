import { expect } from "vitest";
import { alertEvents, alerts, type RiskLevel, type WarningType, warnings } from "../../schema";
import { nextDeadline } from "../../src/alerts/deadlines";
import { newId } from "../../src/ids";
import type { TestContext } from "./context";
import { aWarning } from "./fixture";

let subjects = 0;
/** A different subject each call: the same phone within a day would be linked into one case. */
export function aSubjectPhone(): string {
  subjects += 1;
  return `+86139${String(10_000_000 + (subjects % 90_000_000)).padStart(8, "0")}`;
}

/**
 * An alert that went through intake and push (routed to 庙工村 by default), with its SMS sent.
 * Overrides go to the warning (riskLevel, type, area, ...).
 */
export async function givenPushedAlert(
  ctx: TestContext,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const res = await ctx.postWarnings({
    warnings: [aWarning({ subject: { phone: aSubjectPhone(), name: "王某" }, ...overrides })],
  });
  const body = (await res.json()) as { results: { status: string; alertId?: string }[] };
  expect(body.results[0]?.status).toBe("accepted");
  await ctx.drain();
  return body.results[0]?.alertId as string;
}

/** A JSON request with the caller's bearer token (or none). */
export function send(
  ctx: TestContext,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return Promise.resolve(
    ctx.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
  );
}

export interface Problem {
  code: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

export interface AnAlert {
  /** `received`: stored by intake, not yet routed; `pushed`: routed to a post, the acknowledge clock running. */
  stage?: "received" | "pushed";
  riskLevel?: RiskLevel;
  type?: WarningType;
  /** The post it was routed to (pushed only); 庙工村 by default, as givenPushedAlert's area routes. */
  postId?: string;
  phone?: string;
  receivedAt?: Date;
}

/**
 * An alert as intake (and push) would have left it, written straight into the database: its warning, the
 * alert row and the timeline's pushed event, with the deadline the real policy gives. For tests about what
 * happens to an alert afterwards (officer actions, audit, reports), where going through HTTP and every queue
 * would only cost time. No SMS: tests about the push and its messages use givenPushedAlert, and intake and
 * push keep their own end-to-end tests.
 */
export async function anAlert(ctx: TestContext, options: AnAlert = {}): Promise<string> {
  const { deps, fixture } = ctx;
  const stage = options.stage ?? "pushed";
  const riskLevel = options.riskLevel ?? "high";
  const receivedAt = options.receivedAt ?? deps.clock.now();
  const phone = options.phone ?? aSubjectPhone();
  const warning = aWarning({ riskLevel });
  const alertId = newId("alert");
  const subject = {
    subjectPhoneEnc: deps.pii.encrypt(phone),
    subjectPhoneHash: deps.pii.hash(phone),
    subjectNameEnc: deps.pii.encrypt("王某"),
    areaCode: warning.area.code,
    areaAddress: warning.area.address,
    amountAtRisk: warning.amountAtRisk,
  };
  const postId = options.postId ?? fixture.ids.miaogong;
  const deadline =
    stage === "pushed"
      ? nextDeadline(deps.config.deadlines, {
          stage,
          riskLevel,
          receivedAt,
          contacted: false,
          visitOwedSince: null,
        })
      : null;
  await deps.db.insert(warnings).values({
    id: newId("warning"),
    sourceId: fixture.source.id,
    externalId: warning.externalId,
    alertId,
    type: options.type ?? "call",
    fraudType: "fake_customer_service",
    riskLevel,
    ...subject,
    indicators: warning.indicators,
    detectedAt: new Date(warning.detectedAt),
    receivedAt,
  });
  await deps.db.insert(alerts).values({
    id: alertId,
    stationId: fixture.ids.station,
    stage,
    type: options.type ?? "call",
    fraudType: "fake_customer_service",
    riskLevel,
    ...subject,
    receivedAt,
    ...(stage === "pushed"
      ? {
          postId,
          routedBy: "rul_miaogong_kw",
          pushedAt: receivedAt,
          deadlineKind: deadline?.kind ?? null,
          deadlineAt: deadline?.at ?? null,
          lastVictimWarningAt: receivedAt,
          lastVictimWarningRisk: riskLevel,
        }
      : {}),
  });
  if (stage === "pushed") {
    await deps.db.insert(alertEvents).values({
      alertId,
      kind: "pushed",
      at: receivedAt,
      officerId: null,
      data: { postId, routedBy: "rul_miaogong_kw", officersNotified: 1 },
    });
  }
  return alertId;
}
