import { and, eq, inArray } from "drizzle-orm";
import type { z } from "zod";
import { alerts, warnings } from "../../schema";
import { transact } from "../db/transaction";
import type { Deps } from "../deps";
import type { FieldError } from "../errors";
import { newId } from "../ids";
import { normalizePhone } from "../privacy/phone";
import { type WarningInput, WarningInputSchema } from "./warning-input";

export type IntakeResult =
  | { index: number; status: "accepted"; alertId: string }
  | { index: number; status: "duplicate"; alertId: string }
  | { index: number; status: "rejected"; errors: FieldError[] };

export interface FeedSourceRef {
  id: string;
  stationId: string;
}

interface Candidate {
  index: number;
  input: WarningInput;
  phone: string;
  warningId: string;
  alertId: string;
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.join(".") || "(root)", message: issue.message }));
}

/**
 * 快接: validates each warning on its own, then stores the good ones with their push jobs in one
 * transaction. Duplicates (same source and externalId, earlier or in this batch) get the existing alert.
 */
export async function ingestWarnings(
  deps: Pick<Deps, "db" | "queue" | "pii" | "clock">,
  source: FeedSourceRef,
  items: unknown[],
  traceId?: string,
): Promise<IntakeResult[]> {
  const results: IntakeResult[] = new Array(items.length);
  const firstByExternalId = new Map<string, Candidate>();
  const repeats: { index: number; of: Candidate }[] = [];

  items.forEach((item, index) => {
    const parsed = WarningInputSchema.safeParse(item);
    if (!parsed.success) {
      results[index] = { index, status: "rejected", errors: fieldErrors(parsed.error) };
      return;
    }
    const phone = normalizePhone(parsed.data.subject.phone);
    if (!phone) {
      results[index] = {
        index,
        status: "rejected",
        errors: [{ path: "subject.phone", message: "not a valid phone number" }],
      };
      return;
    }
    const earlier = firstByExternalId.get(parsed.data.externalId);
    if (earlier) {
      repeats.push({ index, of: earlier });
      return;
    }
    firstByExternalId.set(parsed.data.externalId, {
      index,
      input: parsed.data,
      phone,
      warningId: newId("warning"),
      alertId: newId("alert"),
    });
  });

  const candidates = [...firstByExternalId.values()];
  if (candidates.length > 0) {
    const receivedAt = deps.clock.now();
    const alertIdByExternalId = await transact(deps, async (tx, publish) => {
      const sealed = candidates.map((c) => ({
        c,
        phoneEnc: deps.pii.encrypt(c.phone),
        phoneHash: deps.pii.hash(c.phone),
        nameEnc: c.input.subject.name ? deps.pii.encrypt(c.input.subject.name) : null,
      }));
      // ON CONFLICT makes concurrent batches with the same externalId safe: one inserts, the other waits and skips.
      const inserted = await tx
        .insert(warnings)
        .values(
          sealed.map(({ c, phoneEnc, phoneHash, nameEnc }) => ({
            id: c.warningId,
            sourceId: source.id,
            externalId: c.input.externalId,
            alertId: c.alertId,
            type: c.input.type,
            fraudType: c.input.fraudType,
            riskLevel: c.input.riskLevel,
            subjectPhoneEnc: phoneEnc,
            subjectPhoneHash: phoneHash,
            subjectNameEnc: nameEnc,
            areaCode: c.input.area?.code ?? null,
            areaAddress: c.input.area?.address ?? null,
            indicators: c.input.indicators,
            amountAtRisk: c.input.amountAtRisk ?? null,
            detectedAt: new Date(c.input.detectedAt),
            receivedAt,
          })),
        )
        .onConflictDoNothing({ target: [warnings.sourceId, warnings.externalId] })
        .returning({ externalId: warnings.externalId });
      const insertedIds = new Set(inserted.map((r) => r.externalId));
      const fresh = sealed.filter(({ c }) => insertedIds.has(c.input.externalId));
      if (fresh.length > 0) {
        await tx.insert(alerts).values(
          fresh.map(({ c, phoneEnc, phoneHash, nameEnc }) => ({
            id: c.alertId,
            stationId: source.stationId,
            type: c.input.type,
            fraudType: c.input.fraudType,
            riskLevel: c.input.riskLevel,
            subjectPhoneEnc: phoneEnc,
            subjectPhoneHash: phoneHash,
            subjectNameEnc: nameEnc,
            areaCode: c.input.area?.code ?? null,
            areaAddress: c.input.area?.address ?? null,
            amountAtRisk: c.input.amountAtRisk ?? null,
            receivedAt,
          })),
        );
        publish(
          ...fresh.map(({ c }) => ({
            queue: "alert-push" as const,
            message: { type: "alert.push" as const, v: 1 as const, alertId: c.alertId, traceId },
          })),
        );
      }
      const existingIds = candidates
        .filter((c) => !insertedIds.has(c.input.externalId))
        .map((c) => c.input.externalId);
      const existing =
        existingIds.length === 0
          ? []
          : await tx
              .select({ externalId: warnings.externalId, alertId: warnings.alertId })
              .from(warnings)
              .where(and(eq(warnings.sourceId, source.id), inArray(warnings.externalId, existingIds)));
      return {
        fresh: insertedIds,
        existing: new Map(existing.map((r) => [r.externalId, r.alertId])),
      };
    });

    for (const c of candidates) {
      const existingAlertId = alertIdByExternalId.existing.get(c.input.externalId);
      results[c.index] = alertIdByExternalId.fresh.has(c.input.externalId)
        ? { index: c.index, status: "accepted", alertId: c.alertId }
        : { index: c.index, status: "duplicate", alertId: existingAlertId ?? c.alertId };
    }
  }
  for (const { index, of } of repeats) {
    const first = results[of.index];
    const alertId = first && "alertId" in first ? first.alertId : of.alertId;
    results[index] = { index, status: "duplicate", alertId };
  }
  return results;
}
