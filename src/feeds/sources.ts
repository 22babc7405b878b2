import { eq } from "drizzle-orm";
import { feedSources } from "../../schema";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { verifySignature } from "./signature";

/**
 * Resolves a feed source and checks the request's signature. Unknown source, disabled source, demo source
 * in production and a bad signature all answer the same 401, so a prober learns nothing about which ids exist.
 */
export async function authenticateFeed(
  deps: Pick<Deps, "db" | "pii" | "clock" | "config">,
  sourceId: string,
  signatureHeader: string | undefined,
  rawBody: string,
): Promise<{ id: string; stationId: string }> {
  const [source] = await deps.db.select().from(feedSources).where(eq(feedSources.id, sourceId));
  const usable = source && !source.disabledAt && !(source.demo && deps.config.NODE_ENV === "production");
  if (!usable) throw new AppError("BAD_SIGNATURE", "unknown feed source or bad signature");
  const check = verifySignature(
    signatureHeader,
    deps.pii.decrypt(source.secretEnc),
    rawBody,
    deps.clock.now(),
    deps.config.FEED_SIGNATURE_TOLERANCE_SECONDS,
  );
  if (!check.ok) throw new AppError("BAD_SIGNATURE", check.reason);
  return { id: source.id, stationId: source.stationId };
}
