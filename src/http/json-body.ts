import type { Context } from "hono";
import { AppError } from "../errors";
import { checkJson, type ParsedJsonBody, parsedJsonBody } from "./body-guard";

/**
 * A JSON body as raw text (signatures need the raw bytes) and its parsed value. The app-wide body guard
 * (src/http/body-guard.ts) has already bounded its size and depth and refused text PostgreSQL cannot store.
 */
export async function readJsonBody(c: Context): Promise<ParsedJsonBody> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "send Content-Type: application/json");
  }
  return parsedJsonBody(c) ?? checkJson(await c.req.text());
}
