import { and, eq, isNull } from "drizzle-orm";
import { partnerApiKeys, partners } from "../../schema";
import type { Deps } from "../deps";
import { hashApiKey } from "./keys";

/** The partner a request authenticated as: what partner-facing use cases are scoped by. */
export interface PartnerPrincipal {
  partnerId: string;
  stationId: string;
  channel: "partner_http" | "sns" | "attach";
  partsPerSecond: number;
  dailyQuota: number;
  /** The key's mode: a test key's requests are decided like live ones but send nothing (schema/organisation.ts). */
  mode: "live" | "test";
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
      mode: partnerApiKeys.mode,
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
