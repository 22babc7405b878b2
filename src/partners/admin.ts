import { randomBytes } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import { partnerApiKeys, partners } from "../../schema";
import { auditFor } from "../audit/log";
import { assertAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import { stationLookup } from "../db/station-scope";
import type { Deps } from "../deps";
import { AppError, zodFieldErrors } from "../errors";
import { newId } from "../ids";
import { SmsApiSchema } from "../sms/channels/http-gateway-api";
import { hashApiKey, KEY_ID_LENGTH, keyIdOf, newApiKey } from "./keys";

export const PARTNER_CHANNELS = ["partner_http", "sns", "attach"] as const;
export type PartnerChannel = (typeof PARTNER_CHANNELS)[number];

type PartnerRow = typeof partners.$inferSelect;
type AdminDeps = Pick<Deps, "db" | "clock" | "pii">;

export interface PartnerSettings {
  name?: string;
  channel?: PartnerChannel;
  partsPerSecond?: number;
  dailyQuota?: number;
  /** How to call the partner's SMS API (src/sms/channels/http-gateway-api.ts); required for `partner_http`. */
  smsApi?: Record<string, unknown> | null;
}

/** Partner administration is the admin's job, for partners of the admin's own station. */
const ADMIN_REFUSAL = "only admins manage partners";

/** Fields of an SMS API's `auth` that are secrets: stored sealed as `<name>Enc`, never returned. */
const SECRET_FIELDS = ["token", "value", "secret"] as const;

/** Seals secrets given in clear, so the database and its backups never hold a partner's gateway credentials. */
function sealSmsApi(deps: Pick<Deps, "pii">, api: Record<string, unknown>): Record<string, unknown> {
  const auth = api.auth;
  if (typeof auth !== "object" || auth === null) return api;
  const sealed: Record<string, unknown> = { ...(auth as Record<string, unknown>) };
  for (const field of SECRET_FIELDS) {
    const clear = sealed[field];
    if (typeof clear === "string") {
      sealed[`${field}Enc`] = deps.pii.encrypt(clear);
      delete sealed[field];
    }
  }
  return { ...api, auth: sealed };
}

/** What an admin sees of an SMS API: everything but the secrets, which show as set. */
function redactSmsApi(api: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!api || typeof api.auth !== "object" || api.auth === null) return api;
  const auth: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(api.auth as Record<string, unknown>)) {
    auth[k] = k.endsWith("Enc") ? "(set)" : v;
  }
  return { ...api, auth };
}

export function partnerView(p: PartnerRow) {
  return {
    id: p.id,
    name: p.name,
    channel: p.channel,
    partsPerSecond: p.partsPerSecond,
    dailyQuota: p.dailyQuota,
    smsApi: redactSmsApi(p.smsApi ?? null),
    webhookSecretSet: Boolean(p.webhookSecretEnc),
    disabledAt: p.disabledAt?.toISOString() ?? null,
    createdAt: p.createdAt.toISOString(),
  };
}

const audit = auditFor("partner");

function checkChannel(channel: PartnerChannel, smsApi: Record<string, unknown> | null | undefined) {
  if (channel === "partner_http" && !smsApi) {
    throw new AppError("VALIDATION_FAILED", "the partner is not valid", [
      { path: "smsApi", message: "required for channel partner_http: how to call the partner's SMS API" },
    ]);
  }
}

/** Seals the secrets, then checks the SMS API as the engine will read it, so a bad one fails here, not at send. */
function sealedSmsApi(deps: Pick<Deps, "pii">, api: Record<string, unknown>): Record<string, unknown> {
  const sealed = sealSmsApi(deps, api);
  const parsed = SmsApiSchema.safeParse(sealed);
  if (!parsed.success) {
    throw new AppError(
      "VALIDATION_FAILED",
      "the partner's SMS API is not valid",
      zodFieldErrors(parsed.error, { prefix: "smsApi" }),
    );
  }
  return sealed;
}

const secret = () => randomBytes(32).toString("base64url");

/**
 * A new partner with its first API key and webhook secret, both returned this once: only the key's digest
 * and the sealed secret are stored.
 */
export async function createPartner(
  deps: AdminDeps,
  principal: Principal,
  input: Required<Pick<PartnerSettings, "name" | "channel">> & PartnerSettings,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  checkChannel(input.channel, input.smsApi);
  const id = newId("partner");
  const apiKey = newApiKey();
  const webhookSecret = secret();
  const row = await deps.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(partners)
      .values({
        id,
        stationId: principal.stationId,
        name: input.name,
        channel: input.channel,
        ...(input.partsPerSecond !== undefined ? { partsPerSecond: input.partsPerSecond } : {}),
        ...(input.dailyQuota !== undefined ? { dailyQuota: input.dailyQuota } : {}),
        smsApi: input.smsApi ? sealedSmsApi(deps, input.smsApi) : null,
        webhookSecretEnc: deps.pii.encrypt(webhookSecret),
      })
      .returning();
    const keyHash = hashApiKey(apiKey);
    await tx.insert(partnerApiKeys).values({ keyHash, partnerId: id });
    await audit(tx, deps, principal, "partner.create", id, {
      channel: input.channel,
      keyId: keyIdOf(keyHash),
    });
    return created as PartnerRow;
  });
  return { partner: partnerView(row), apiKey, keyId: keyIdOf(hashApiKey(apiKey)), webhookSecret };
}

/** A partner of the caller's station, or 404. */
export const partnerOf = stationLookup(partners, "no such partner at this station");

export async function listPartners(deps: Pick<Deps, "db">, principal: Principal) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const rows = await deps.db
    .select()
    .from(partners)
    .where(eq(partners.stationId, principal.stationId))
    .orderBy(asc(partners.name), asc(partners.id));
  return rows.map(partnerView);
}

export async function getPartner(deps: Pick<Deps, "db">, principal: Principal, partnerId: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return partnerView(await partnerOf(deps.db, principal, partnerId));
}

/** Channel, limits and SMS API; only what is given changes. The engine reads limits per send, so they apply at once. */
export async function configurePartner(
  deps: AdminDeps,
  principal: Principal,
  partnerId: string,
  input: PartnerSettings,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const current = await partnerOf(tx, principal, partnerId);
    const channel = input.channel ?? current.channel;
    const smsApi = input.smsApi === undefined ? current.smsApi : input.smsApi;
    checkChannel(channel, smsApi);
    const [row] = await tx
      .update(partners)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        channel,
        ...(input.partsPerSecond !== undefined ? { partsPerSecond: input.partsPerSecond } : {}),
        ...(input.dailyQuota !== undefined ? { dailyQuota: input.dailyQuota } : {}),
        ...(input.smsApi !== undefined
          ? { smsApi: input.smsApi ? sealedSmsApi(deps, input.smsApi) : null }
          : {}),
      })
      .where(eq(partners.id, partnerId))
      .returning();
    await audit(tx, deps, principal, "partner.configure", partnerId, {
      changed: Object.keys(input).filter((k) => input[k as keyof PartnerSettings] !== undefined),
    });
    return partnerView(row as PartnerRow);
  });
}

/** A disabled partner's keys stop working at once; its history stays. Enabling again restores them. */
export async function setPartnerDisabled(
  deps: AdminDeps,
  principal: Principal,
  partnerId: string,
  disabled: boolean,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const current = await partnerOf(tx, principal, partnerId);
    if (Boolean(current.disabledAt) === disabled) return partnerView(current);
    const [row] = await tx
      .update(partners)
      .set({ disabledAt: disabled ? deps.clock.now() : null })
      .where(eq(partners.id, partnerId))
      .returning();
    await audit(tx, deps, principal, disabled ? "partner.disable" : "partner.enable", partnerId);
    return partnerView(row as PartnerRow);
  });
}

/**
 * Rotation: a new key beside the existing ones (the partner deploys it, then the old one is revoked).
 * The key is returned this once.
 */
/** A key is `live` unless asked for `test` (decided like live, sends nothing, counts toward nothing live). */
export async function createPartnerKey(
  deps: AdminDeps,
  principal: Principal,
  partnerId: string,
  mode: "live" | "test" = "live",
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const apiKey = newApiKey(mode);
  const keyHash = hashApiKey(apiKey);
  const [row] = await deps.db.transaction(async (tx) => {
    await partnerOf(tx, principal, partnerId);
    const inserted = await tx.insert(partnerApiKeys).values({ keyHash, partnerId, mode }).returning();
    await audit(tx, deps, principal, "partner.key_create", partnerId, { keyId: keyIdOf(keyHash), mode });
    return inserted;
  });
  return {
    keyId: keyIdOf(keyHash),
    apiKey,
    mode,
    createdAt: (row as { createdAt: Date }).createdAt.toISOString(),
  };
}

function keyView(k: typeof partnerApiKeys.$inferSelect) {
  return {
    keyId: keyIdOf(k.keyHash),
    mode: k.mode,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export async function listPartnerKeys(deps: Pick<Deps, "db">, principal: Principal, partnerId: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  await partnerOf(deps.db, principal, partnerId);
  const rows = await deps.db
    .select()
    .from(partnerApiKeys)
    .where(eq(partnerApiKeys.partnerId, partnerId))
    .orderBy(asc(partnerApiKeys.createdAt));
  return rows.map(keyView);
}

/** Revoked keys answer 401 from the next request on. Revoking twice is harmless. */
export async function revokePartnerKey(
  deps: AdminDeps,
  principal: Principal,
  partnerId: string,
  keyId: string,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    await partnerOf(tx, principal, partnerId);
    const keys = await tx.select().from(partnerApiKeys).where(eq(partnerApiKeys.partnerId, partnerId));
    const key = keyId.length === KEY_ID_LENGTH ? keys.find((k) => keyIdOf(k.keyHash) === keyId) : undefined;
    if (!key) throw new AppError("NOT_FOUND", "no such key for this partner");
    if (key.revokedAt) return keyView(key);
    const [row] = await tx
      .update(partnerApiKeys)
      .set({ revokedAt: deps.clock.now() })
      .where(and(eq(partnerApiKeys.keyHash, key.keyHash), isNull(partnerApiKeys.revokedAt)))
      .returning();
    await audit(tx, deps, principal, "partner.key_revoke", partnerId, { keyId });
    return keyView(row ?? key);
  });
}

/** A new webhook secret for the partner's delivery-receipt and inbound-SMS webhooks, returned this once. */
export async function rotateWebhookSecret(deps: AdminDeps, principal: Principal, partnerId: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const webhookSecret = secret();
  await deps.db.transaction(async (tx) => {
    await partnerOf(tx, principal, partnerId);
    await tx
      .update(partners)
      .set({ webhookSecretEnc: deps.pii.encrypt(webhookSecret) })
      .where(eq(partners.id, partnerId));
    await audit(tx, deps, principal, "partner.webhook_secret_rotate", partnerId);
  });
  return { partnerId, webhookSecret };
}
