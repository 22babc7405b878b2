import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
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

export function zodFieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "(body)",
    message: issue.message,
  }));
}

/** The one mapping from errors to responses. Unknown errors are logged with their stack and leak nothing. */
export function handleError(error: Error, c: Context, log: Log) {
  if (error instanceof AppError) {
    if (error.retryAfterSeconds !== undefined) c.header("Retry-After", String(error.retryAfterSeconds));
    return problem(c, ERROR_STATUS[error.code], error.code, error.message, error.errors);
  }
  log.error({ err: error, requestId: c.get("requestId"), path: c.req.path }, "unhandled error");
  return problem(c, 500, "INTERNAL", "internal error");
}
