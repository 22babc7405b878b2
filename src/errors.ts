import type { $ZodError } from "zod/v4/core";

/**
 * One error type for everything a caller can be told about. The HTTP layer maps codes to statuses in one
 * place (src/http/problem.ts); anything that is not an AppError is a bug and is answered with a plain 500.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  BAD_SIGNATURE: 401,
  FORBIDDEN: 403,
  /** The officer's password was set by an admin; POST /v1/auth/password first. */
  PASSWORD_CHANGE_REQUIRED: 403,
  /** A partner forwarded an opt-out for a number it has not texted (src/opt-outs/inbound.ts); nothing was recorded. */
  NOT_YOUR_RECIPIENT: 403,
  NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404,
  CONFLICT: 409,
  /** The alert's stage does not allow the action (src/alerts/workflow.ts); nothing was changed. */
  INVALID_TRANSITION: 409,
  /** The personal data asked for was deleted after its retention period (PII_RETENTION_DAYS). */
  PERSONAL_DATA_PURGED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** The Idempotency-Key was used before with a different request body; nothing was done. */
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  /** A momentary condition (a lock not granted in time); retrying shortly will work. */
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldError {
  path: string;
  message: string;
}

/**
 * The one mapping from a zod error to field errors: each issue's path joined with dots, under `prefix` when
 * the value validated sits inside a larger body; `whole` names an issue about the value itself (no path):
 * "(body)" for a request body, "(root)" or "(event)" for one item of a batch.
 */
export function zodFieldErrors(
  error: $ZodError,
  { prefix = "", whole = "(body)" }: { prefix?: string; whole?: string } = {},
): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || whole,
    message: issue.message,
  }));
}

/** Field errors on one line ("PORT: expected a number; HOST: ..."), for a message that is not problem+json. */
export function describeZodError(error: $ZodError): string {
  return zodFieldErrors(error, { whole: "" })
    .map((e) => `${e.path}: ${e.message}`)
    .join("; ");
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    /** For RATE_LIMITED: seconds until trying again makes sense; sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "AppError";
  }
}
