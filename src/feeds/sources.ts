import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { feedSources } from "../../schema";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import type { Log } from "../log";
import { verifySignature } from "../signature";

/**
 * Resolves a feed source and checks the request's signature. Unknown source, disabled source, demo source
 * in production and every kind of bad signature answer the same 401 with the same text, so a prober learns
 * nothing about which ids exist; the reason goes to the log instead. An unknown source is checked against a
 * throwaway secret so that it costs the same HMAC as a known one.
 */
export async function authenticateFeed(
  deps: Pick<Deps, "db" | "pii" | "clock" | "config">,
  sourceId: string,
  signatureHeader: string | undefined,
  rawBody: string,
  log?: Log,
): Promise<{ id: string; stationId: string }> {
  const [source] = await deps.db.select().from(feedSources).where(eq(feedSources.id, sourceId));
  const usable = source && !source.disabledAt && !(source.demo && deps.config.NODE_ENV === "production");
  const check = verifySignature(
    signatureHeader,
    usable ? deps.pii.decrypt(source.secretEnc) : UNKNOWN_SOURCE_SECRET,
    rawBody,
    deps.clock.now(),
    deps.config.FEED_SIGNATURE_TOLERANCE_SECONDS,
  );
  if (!usable || !check.ok) {
    const reason = !source ? "unknown source" : !usable ? "source not usable" : check.ok ? "" : check.reason;
    log?.info({ sourceId: source?.id, reason }, "feed request refused");
    throw new AppError("BAD_SIGNATURE", "unknown feed source or bad signature");
  }
  return { id: source.id, stationId: source.stationId };
}

const UNKNOWN_SOURCE_SECRET = randomBytes(32).toString("hex");
