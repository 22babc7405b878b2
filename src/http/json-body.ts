import type { Context } from "hono";
import { AppError } from "../errors";

/** Reads a JSON body as text (signatures need the raw bytes) and parses it, with a clear 4xx for each way it can be wrong. */
export async function readJsonBody(c: Context): Promise<{ raw: string; value: unknown }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "send Content-Type: application/json");
  }
  const raw = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError("MALFORMED_JSON", "request body is not valid JSON");
  }
  // PostgreSQL cannot store NUL in text: refuse it here as bad input instead of failing at the insert.
  if ((raw.includes("\\u0000") || raw.includes("\0")) && containsNul(value)) {
    throw new AppError("VALIDATION_FAILED", "strings must not contain NUL (\\u0000) characters", [
      { path: "(body)", message: "contains a NUL character" },
    ]);
  }
  return { raw, value };
}

function containsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\0");
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === "object") {
    return Object.entries(value).some(([k, v]) => k.includes("\0") || containsNul(v));
  }
  return false;
}
