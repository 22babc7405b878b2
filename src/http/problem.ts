import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "../db/unavailable";
import { AppError, ERROR_STATUS, type ErrorCode, type FieldError } from "../errors";
import { idPattern } from "../ids";
import type { Log } from "../log";

/** Codes beyond AppError's: an HTTP error from the framework, and the 500 that leaks nothing. */
const PROBLEM_CODES = [...(Object.keys(ERROR_STATUS) as ErrorCode[]), "HTTP_ERROR", "INTERNAL"] as const;

export const FieldErrorSchema = z
  .object({
    path: z.string().openapi({ description: "The field, dotted (warnings.0.subject.phone), or (body)" }),
    message: z.string(),
    code: z.string().optional().openapi({
      description:
        "Why, as a code, where the rule has one (a template's: signature_not_allowed, phone_landline, ...)",
    }),
    values: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .openapi({ description: "What the rule found or expected, for a client wording the code itself" }),
  })
  .openapi("FieldError");

/** What `problem` answers, for the API document: every error response refers to it. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://antifraud-alerts.local/problems/validation-failed" }),
    title: z.string().openapi({ description: "The code again" }),
    status: z.number().int(),
    code: z.enum(PROBLEM_CODES),
    detail: z.string(),
    errors: z
      .array(FieldErrorSchema)
      .optional()
      .openapi({ description: "VALIDATION_FAILED and NOT_YOUR_RECIPIENT: each field at fault" }),
    requestId: z
      .string()
      .regex(idPattern("request"))
      .openapi({ description: "The request's id in our logs" }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details (application/problem+json)" });

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
