import { eq } from "drizzle-orm";
import { partners } from "../../schema";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { authenticatePartner } from "../partners/authenticate";
import { verifySignature } from "../signature";

export interface WebhookCredentials {
  /** `Authorization: Bearer <partner API key>`, if sent. */
  apiKey?: string;
  /** `X-Signature: t=…,v1=…` over the raw body, if sent. */
  signature?: string;
  rawBody: string;
}

/**
 * Webhooks a partner's systems call (delivery receipts, replies from phones) accept either credential:
 * the partner's API key, which its servers already hold, or an X-Signature made with the partner's webhook
 * secret (partners.webhookSecretEnc) — the form SMS gateways' callback settings usually offer, and the same
 * scheme our feed intake uses. Unknown partner, disabled partner, wrong key, bad signature: one 401.
 */
export async function authenticatePartnerWebhook(
  deps: Pick<Deps, "db" | "pii" | "clock" | "config">,
  partnerId: string,
  credentials: WebhookCredentials,
): Promise<{ partnerId: string; stationId: string; channel: string }> {
  if (credentials.apiKey) {
    const partner = await authenticatePartner(deps, credentials.apiKey);
    // Another partner's key for this path: 404 as for a partner that does not exist (requirePartner does too).
    if (partner && partner.partnerId !== partnerId) throw new AppError("NOT_FOUND", "no such partner");
    if (!partner) throw new AppError("UNAUTHENTICATED", "unknown API key or signature");
    return { partnerId: partner.partnerId, stationId: partner.stationId, channel: partner.channel };
  }
  const [partner] = await deps.db.select().from(partners).where(eq(partners.id, partnerId));
  const usable =
    partner?.webhookSecretEnc &&
    !partner.disabledAt &&
    !(partner.demo && deps.config.NODE_ENV === "production");
  if (!partner || !usable) throw new AppError("UNAUTHENTICATED", "unknown API key or signature");
  const check = verifySignature(
    credentials.signature,
    deps.pii.decrypt(partner.webhookSecretEnc as string),
    credentials.rawBody,
    deps.clock.now(),
    deps.config.FEED_SIGNATURE_TOLERANCE_SECONDS,
  );
  if (!check.ok) throw new AppError("BAD_SIGNATURE", check.reason);
  return { partnerId: partner.id, stationId: partner.stationId, channel: partner.channel };
}

/** Our own SMS provider forwarding replies: signed with SMS_INBOUND_SECRET. */
export function authenticateProviderWebhook(
  deps: Pick<Deps, "clock" | "config">,
  signature: string | undefined,
  rawBody: string,
): void {
  const secret = deps.config.SMS_INBOUND_SECRET;
  if (!secret) throw new AppError("UNAUTHENTICATED", "send X-Partner-Id with the partner's credentials");
  const check = verifySignature(
    signature,
    secret,
    rawBody,
    deps.clock.now(),
    deps.config.FEED_SIGNATURE_TOLERANCE_SECONDS,
  );
  if (!check.ok) throw new AppError("BAD_SIGNATURE", check.reason);
}
