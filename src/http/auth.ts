import { createMiddleware } from "hono/factory";
import { authenticate } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import type { AppEnv } from "./env";

/** Resolves `Authorization: Bearer <token>` to the officer behind it, or answers 401. */
export const requireOfficer = (deps: Pick<Deps, "db" | "clock">) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const token = header.match(/^Bearer\s+(\S+)$/i)?.[1];
    const principal = token ? await authenticate(deps, token) : undefined;
    if (!principal) throw new AppError("UNAUTHENTICATED", "log in and send Authorization: Bearer <token>");
    c.set("principal", principal);
    await next();
  });
