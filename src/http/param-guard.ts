import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { AppError, type FieldError } from "../errors";
import { isStorableText, unstorableMessage } from "../text";
import { endpointOf } from "./endpoint";
import type { AppEnv } from "./env";

/**
 * No identifier, filter or cursor of ours comes near this; free-text parameters (a removal reason) are
 * bounded tighter by their own schemas. It stops a multi-kilobyte value before it reaches a query.
 */
export const MAX_PARAMETER_LENGTH = 1000;

/**
 * Every query and path parameter of every route, before authentication and validation: percent-encoding
 * that decodes to UTF-8, no NUL, at most MAX_PARAMETER_LENGTH characters. A failure is a 400 naming the
 * parameter; route schemas then judge the meaning. Without this, a `%00` in an id reached PostgreSQL and
 * came back as a 500.
 */
export const parameterGuard = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const errors = [...queryErrors(c.req.url), ...pathErrors(c)];
    if (errors.length > 0) throw new AppError("VALIDATION_FAILED", "a parameter is not valid", errors);
    await next();
  });

function queryErrors(url: string): FieldError[] {
  const start = url.indexOf("?");
  if (start < 0) return [];
  const end = url.indexOf("#", start);
  const query = url.slice(start + 1, end < 0 ? undefined : end);
  const errors: FieldError[] = [];
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? "" : pair.slice(eq + 1);
    const name = decode(rawName);
    const label = name !== undefined && isStorableText(name) ? name.slice(0, 100) : "(query)";
    if (name === undefined || label === "(query)") {
      errors.push({ path: "(query)", message: "a parameter name is not valid percent-encoded text" });
      continue;
    }
    const problem = valueProblem(decode(rawValue));
    if (problem) errors.push({ path: label, message: problem });
  }
  return errors;
}

function pathErrors(c: Context): FieldError[] {
  const endpoint = endpointOf(c);
  if (!endpoint) return [];
  const pattern = endpoint.path.split("/");
  const pathname = new URL(c.req.url).pathname.split("/");
  const errors: FieldError[] = [];
  pattern.forEach((part, i) => {
    if (!part.startsWith(":")) return;
    const name = part.slice(1).replace(/[{?].*$/, "");
    const problem = valueProblem(decode(pathname[i] ?? ""));
    if (problem) errors.push({ path: name, message: problem });
  });
  return errors;
}

function valueProblem(value: string | undefined): string | undefined {
  if (value === undefined) return "not valid percent-encoded UTF-8";
  if (!isStorableText(value)) return unstorableMessage(value);
  if (value.length > MAX_PARAMETER_LENGTH) return `longer than ${MAX_PARAMETER_LENGTH} characters`;
  return undefined;
}

/** Query strings encode spaces as "+"; path segments never carry one that means anything else to us. */
function decode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}
