import { createMiddleware } from "hono/factory";
import { AppError } from "../errors";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * Every body the JSON API takes is JSON. Without this, a route whose body is optional read a form-encoded
 * or text body as "no body" and acted on it — the shape of a cross-site form post (issue 10, item 6). A
 * request without a body (no Content-Type, nothing to read) is still fine: many actions need none.
 */
export const jsonBodiesOnly = createMiddleware(async (c, next) => {
  if (UNSAFE_METHODS.has(c.req.method)) {
    const type = c.req.header("content-type");
    const length = c.req.header("content-length");
    const hasBody =
      (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    if (type === undefined ? hasBody : !JSON_TYPE.test(type)) {
      throw new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        "send the body as JSON, with Content-Type: application/json",
      );
    }
  }
  await next();
});
