import { and, asc, eq } from "drizzle-orm";
import { stations, templateSignatures } from "../../schema";
import { auditFor } from "../audit/log";
import { assertAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import { SMS_SIGNATURE_PATTERN } from "../config";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";

/**
 * Which signatures a station's reminder templates may start with: the station's own (the one `npm run setup`
 * stored, else the server's SMS_SIGNATURE) and those its admin allow-listed. A courier's signature
 * (【中通快递】) on a police reminder is refused by the carrier or misleads the reader, so nothing else passes.
 */
export interface StationSignatures {
  own: string;
  allowed: string[];
}

const ADMIN_REFUSAL = "only admins manage template signatures";
const audit = auditFor("template_signature");

export async function stationSignatures(
  executor: Executor,
  deps: Pick<Deps, "config">,
  stationId: string,
): Promise<StationSignatures> {
  const [station] = await executor
    .select({ signature: stations.smsSignature })
    .from(stations)
    .where(eq(stations.id, stationId));
  const rows = await executor
    .select({ signature: templateSignatures.signature })
    .from(templateSignatures)
    .where(eq(templateSignatures.stationId, stationId))
    .orderBy(asc(templateSignatures.createdAt), asc(templateSignatures.signature));
  return { own: station?.signature ?? deps.config.SMS_SIGNATURE, allowed: rows.map((r) => r.signature) };
}

export async function listTemplateSignatures(deps: Pick<Deps, "db" | "config">, principal: Principal) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return stationSignatures(deps.db, deps, principal.stationId);
}

function checkSignature(signature: string, own: string) {
  if (!SMS_SIGNATURE_PATTERN.test(signature)) {
    throw new AppError("VALIDATION_FAILED", "not a valid signature", [
      { path: "signature", message: "must look like 【昌吉公安】: 2 to 12 characters in 【】" },
    ]);
  }
  if (signature === own) {
    throw new AppError("VALIDATION_FAILED", "the station's own signature is always allowed", [
      { path: "signature", message: "is the station's own signature, always allowed" },
    ]);
  }
}

/** Adding one already there is harmless (and writes no second audit entry). */
export async function addTemplateSignature(
  deps: Pick<Deps, "db" | "clock" | "config">,
  principal: Principal,
  signature: string,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const trimmed = signature.trim();
  return deps.db.transaction(async (tx) => {
    checkSignature(trimmed, (await stationSignatures(tx, deps, principal.stationId)).own);
    const inserted = await tx
      .insert(templateSignatures)
      .values({ stationId: principal.stationId, signature: trimmed, createdBy: principal.officerId })
      .onConflictDoNothing()
      .returning();
    if (inserted.length > 0) {
      await audit(tx, deps, principal, "template_signature.add", principal.stationId, { signature: trimmed });
    }
    return stationSignatures(tx, deps, principal.stationId);
  });
}

/** New templates with it are refused from now on; templates already stored keep sending. */
export async function removeTemplateSignature(
  deps: Pick<Deps, "db" | "clock" | "config">,
  principal: Principal,
  signature: string,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const removed = await tx
      .delete(templateSignatures)
      .where(
        and(
          eq(templateSignatures.stationId, principal.stationId),
          eq(templateSignatures.signature, signature),
        ),
      )
      .returning();
    if (removed.length === 0) throw new AppError("NOT_FOUND", "no such allowed signature at this station");
    await audit(tx, deps, principal, "template_signature.remove", principal.stationId, { signature });
    return stationSignatures(tx, deps, principal.stationId);
  });
}
