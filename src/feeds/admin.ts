import { randomBytes } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { feedSources } from "../../schema";
import { auditFor } from "../audit/log";
import { assertAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import { stationLookup } from "../db/station-scope";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { newId } from "../ids";

type FeedSourceRow = typeof feedSources.$inferSelect;
type AdminDeps = Pick<Deps, "db" | "clock" | "pii" | "config">;

export interface FeedSourceSettings {
  name?: string;
  /** Where feedback on the source's warnings is POSTed; null clears it (feedback is then pulled). */
  callbackUrl?: string | null;
}

/** Feed sources are the admin's job, for sources of the admin's own station. */
const ADMIN_REFUSAL = "only admins manage feed sources";

/** What an admin sees of a source: never its secret, which is shown once, when created or rotated. */
export function feedSourceView(s: FeedSourceRow) {
  return {
    id: s.id,
    name: s.name,
    callbackUrl: s.callbackUrl,
    disabledAt: s.disabledAt?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
  };
}

/**
 * The callback receives feedback on real cases, so it must be https; plain http is allowed only in local
 * mode, where the platform under test usually runs on localhost.
 */
function checkCallbackUrl(deps: Pick<Deps, "config">, url: string | null | undefined) {
  if (url === null || url === undefined) return;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = "";
  }
  const allowed = deps.config.local ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(protocol)) {
    throw new AppError("VALIDATION_FAILED", "the feed source is not valid", [
      {
        path: "callbackUrl",
        message: deps.config.local ? "must be an http or https URL" : "must be an https URL",
      },
    ]);
  }
}

const audit = auditFor("feed_source");

const newSecret = () => randomBytes(32).toString("base64url");

const sourceOf = stationLookup(feedSources, "no such feed source at this station");

export async function listFeedSources(deps: Pick<Deps, "db">, principal: Principal) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const rows = await deps.db
    .select()
    .from(feedSources)
    .where(eq(feedSources.stationId, principal.stationId))
    .orderBy(asc(feedSources.name), asc(feedSources.id));
  return rows.map(feedSourceView);
}

/** A new source and its signing secret, returned this once: only the sealed secret is stored. */
export async function createFeedSource(
  deps: AdminDeps,
  principal: Principal,
  input: { name: string; callbackUrl?: string | null },
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  checkCallbackUrl(deps, input.callbackUrl);
  const id = newId("feedSource");
  const secret = newSecret();
  const row = await deps.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(feedSources)
      .values({
        id,
        stationId: principal.stationId,
        name: input.name,
        secretEnc: deps.pii.encrypt(secret),
        callbackUrl: input.callbackUrl ?? null,
      })
      .returning();
    await audit(tx, deps, principal, "feed_source.create", id, {
      callbackUrlSet: Boolean(input.callbackUrl),
    });
    return created as FeedSourceRow;
  });
  return { source: feedSourceView(row), secret };
}

/** Name and callback URL; only what is given changes. */
export async function configureFeedSource(
  deps: AdminDeps,
  principal: Principal,
  sourceId: string,
  input: FeedSourceSettings,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  checkCallbackUrl(deps, input.callbackUrl);
  const changed = (["name", "callbackUrl"] as const).filter((k) => input[k] !== undefined);
  return deps.db.transaction(async (tx) => {
    const current = await sourceOf(tx, principal, sourceId);
    if (changed.length === 0) return feedSourceView(current);
    const [row] = await tx
      .update(feedSources)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.callbackUrl !== undefined ? { callbackUrl: input.callbackUrl } : {}),
      })
      .where(eq(feedSources.id, sourceId))
      .returning();
    await audit(tx, deps, principal, "feed_source.configure", sourceId, { changed });
    return feedSourceView(row as FeedSourceRow);
  });
}

/**
 * A new secret, returned this once. The old one stops verifying with the next request: the source must
 * switch at once (its own header may carry both signatures while it deploys).
 */
export async function rotateFeedSourceSecret(deps: AdminDeps, principal: Principal, sourceId: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const secret = newSecret();
  await deps.db.transaction(async (tx) => {
    await sourceOf(tx, principal, sourceId);
    await tx
      .update(feedSources)
      .set({ secretEnc: deps.pii.encrypt(secret) })
      .where(eq(feedSources.id, sourceId));
    await audit(tx, deps, principal, "feed_source.secret_rotate", sourceId);
  });
  return { sourceId, secret };
}

/** A disabled source's warnings are refused at once; its alerts and history stay. Enabling again restores it. */
export async function setFeedSourceDisabled(
  deps: AdminDeps,
  principal: Principal,
  sourceId: string,
  disabled: boolean,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const current = await sourceOf(tx, principal, sourceId);
    if (Boolean(current.disabledAt) === disabled) return feedSourceView(current);
    const [row] = await tx
      .update(feedSources)
      .set({ disabledAt: disabled ? deps.clock.now() : null })
      .where(eq(feedSources.id, sourceId))
      .returning();
    await audit(tx, deps, principal, disabled ? "feed_source.disable" : "feed_source.enable", sourceId);
    return feedSourceView(row as FeedSourceRow);
  });
}
