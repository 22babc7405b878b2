import type { Context } from "hono";
import { AppError } from "../errors";

/** Reads a JSON body as text (signatures need the raw bytes) and parses it, with a clear 4xx for each way it can be wrong. */
export async function readJsonBody(c: Context): Promise<{ raw: string; value: unknown }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "send Content-Type: application/json");
  }
  const raw = await c.req.text();
  try {
    return { raw, value: JSON.parse(raw) };
  } catch {
    throw new AppError("MALFORMED_JSON", "request body is not valid JSON");
  }
}
