import { expect } from "vitest";
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
