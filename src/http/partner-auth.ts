import { createMiddleware } from "hono/factory";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { authenticatePartner } from "../partners/authenticate";
import { bearerToken } from "./auth";
import type { AppEnv } from "./env";

/**
 * For routes under `/v1/partners/:partnerId/...` that partners call with `Authorization: Bearer <apiKey>`.
 * No key or a key that does not authenticate: 401. A valid key for another partner than the path names: 404,
 * the same answer as for a partner id that does not exist, so one partner cannot learn that others exist.
 */
export const requirePartner = (deps: Pick<Deps, "db" | "config">) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const apiKey = bearerToken(c.req.header("authorization"));
    const partner = apiKey ? await authenticatePartner(deps, apiKey) : undefined;
    if (!partner) throw new AppError("UNAUTHENTICATED", "send Authorization: Bearer <partner API key>");
    if (c.req.param("partnerId") !== partner.partnerId) {
      throw new AppError("NOT_FOUND", "no such partner");
    }
    c.set("partner", partner);
    await next();
  });
