import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { partnerApiKeys, partners } from "../../schema";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import type { AppEnv } from "../http/env";
import { hashApiKey } from "./keys";

/** The partner a request authenticated as: what partner-facing use cases are scoped by. */
export interface PartnerPrincipal {
  partnerId: string;
  stationId: string;
  channel: "partner_http" | "sns" | "attach";
  partsPerSecond: number;
  dailyQuota: number;
}

/**
 * Resolves an API key to its partner. Unknown, revoked and disabled keys (and demo partners in production)
 * are all the same undefined, so a caller learns nothing about which keys once existed.
 */
export async function authenticatePartner(
  deps: Pick<Deps, "db" | "config">,
  apiKey: string,
): Promise<PartnerPrincipal | undefined> {
  const [row] = await deps.db
    .select({
      partnerId: partners.id,
      stationId: partners.stationId,
      channel: partners.channel,
      partsPerSecond: partners.partsPerSecond,
      dailyQuota: partners.dailyQuota,
      demo: partners.demo,
    })
    .from(partnerApiKeys)
    .innerJoin(partners, eq(partners.id, partnerApiKeys.partnerId))
    .where(
      and(
        eq(partnerApiKeys.keyHash, hashApiKey(apiKey)),
        isNull(partnerApiKeys.revokedAt),
        isNull(partners.disabledAt),
      ),
    );
  if (!row || (row.demo && deps.config.NODE_ENV === "production")) return undefined;
  const { demo: _demo, ...principal } = row;
  return principal;
}

export function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

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
