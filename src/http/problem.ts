import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "../db/unavailable";
import { AppError, ERROR_STATUS, type FieldError } from "../errors";
import type { Log } from "../log";

/** RFC 9457 problem details, always with the request id so a support call can find the log lines. */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  errors?: FieldError[],
) {
  return c.body(
    JSON.stringify({
      type: `https://antifraud-alerts.local/problems/${code.toLowerCase().replaceAll("_", "-")}`,
      title: code,
      status,
      code,
      detail,
      ...(errors ? { errors } : {}),
      requestId: c.get("requestId"),
    }),
    status,
    { "content-type": "application/problem+json" },
  );
}

/** Seconds a caller is asked to wait when the database is unreachable: long enough not to hammer it. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The one mapping from errors to responses. Unknown errors are logged with their stack and leak nothing.
 * A database that cannot be reached is not a bug: every route answers 503 with Retry-After (nothing was
 * stored, the transaction never committed), so a feed or partner retries the same request later.
 */
export function handleError(error: Error, c: Context, log: Log) {
  if (error instanceof AppError) {
    if (error.retryAfterSeconds !== undefined) c.header("Retry-After", String(error.retryAfterSeconds));
    return problem(c, ERROR_STATUS[error.code], error.code, error.message, error.errors);
  }
  if (isDatabaseUnavailable(error)) {
    // No stack: the cause is outside this process, and an outage would otherwise flood the log with them.
    log.warn(
      { requestId: c.get("requestId"), path: c.req.path, reason: describe(error) },
      "database unavailable",
    );
    c.header("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
    return problem(
      c,
      503,
      "UNAVAILABLE",
      "the database is unavailable; nothing was stored, try again shortly",
    );
  }
  log.error({ err: error, requestId: c.get("requestId"), path: c.req.path }, "unhandled error");
  return problem(c, 500, "INTERNAL", "internal error");
}

/** The innermost cause's code or message, for a one-line log of an outage. */
function describe(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const { code, message } = (current ?? {}) as { code?: unknown; message?: unknown };
  return [code, message]
    .filter((v) => typeof v === "string" && v)
    .join(": ")
    .slice(0, 200);
}
