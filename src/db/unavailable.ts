/**
 * Whether an error means "the database cannot be reached right now" rather than "this request is wrong" or
 * "our code is wrong". Such a request changed nothing (its transaction never committed), so the caller may
 * simply try again: the HTTP layer answers 503 with Retry-After, which feeds and partners retry, instead of a
 * 500, which they treat as a bug in their request.
 *
 * Recognised by the errors each driver raises, wherever they sit in the chain drizzle wraps them in
 * (DrizzleQueryError.cause) or Node bundles them (AggregateError from trying ::1 and 127.0.0.1):
 * - the network: connection refused, reset, timed out, host or name not found;
 * - postgres.js: CONNECTION_CLOSED / _ENDED / _DESTROYED, CONNECT_TIMEOUT;
 * - PostgreSQL: SQLSTATE class 08 (connection exception), 53300 too many connections, 57P01-57P03 (the
 *   server is shutting down, crashed, or not yet accepting connections);
 * - PGlite: the embedded database was closed (the process is stopping).
 */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);
const DRIVER_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);
const SQLSTATES = new Set(["53300", "57P01", "57P02", "57P03"]);
const PGLITE_CLOSED = /^PGlite is clos(ed|ing)\b/;

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (!current || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const { code, message, cause, errors } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === "string") {
      if (NETWORK_CODES.has(code) || DRIVER_CODES.has(code) || SQLSTATES.has(code)) return true;
      if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (typeof message === "string" && PGLITE_CLOSED.test(message)) return true;
    pending.push(cause);
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return false;
}
