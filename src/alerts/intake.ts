import { and, eq, inArray } from "drizzle-orm";
import type { z } from "zod";
import { alertEvents, alerts, warnings } from "../../schema";
import { transact } from "../db/transaction";
import type { Deps } from "../deps";
import type { FieldError } from "../errors";
import { newId } from "../ids";
import { normalizePhone } from "../privacy/phone";
import {
  type CaseFacts,
  findOpenAlerts,
  joinWarning,
  lockSubjects,
  type OpenAlert,
  riskRank,
  tightenedDeadline,
} from "./repeats";
import { type WarningInput, WarningInputSchema } from "./warning-input";

export type IntakeResult =
  /** `linked`: the warning joined an alert the subject already had (open, or opened by this batch). */
  | { index: number; status: "accepted"; alertId: string; linked?: true }
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
  /** A fresh id until the transaction decides which alert the warning belongs to. */
  alertId: string;
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.join(".") || "(root)", message: issue.message }));
}

/**
 * 快接: validates each warning on its own, then stores the good ones with their push jobs in one
 * transaction. Duplicates (same source and externalId, earlier or in this batch) get the existing alert.
 * A warning for a subject who already has an open alert received within REPEAT_LINK_HOURS joins that alert
 * (one case per person), as do several new warnings for one subject in the same batch.
 */
export async function ingestWarnings(
  deps: Pick<Deps, "db" | "queue" | "pii" | "clock" | "config">,
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
    // Sealed before the transaction: the subject hashes decide which locks to take, and crypto need not hold them.
    const sealed = candidates.map((c) => ({
      c,
      phoneEnc: deps.pii.encrypt(c.phone),
      phoneHash: deps.pii.hash(c.phone),
      nameEnc: c.input.subject.name ? deps.pii.encrypt(c.input.subject.name) : null,
    }));
    type Sealed = (typeof sealed)[number];
    const factsOf = ({ c }: Sealed): CaseFacts => ({
      type: c.input.type,
      riskLevel: c.input.riskLevel,
      amountAtRisk: c.input.amountAtRisk ?? null,
    });

    const outcome = await transact(deps, async (tx, publish) => {
      const subjects = [...new Set(sealed.map((s) => s.phoneHash))];
      await lockSubjects(tx, subjects);
      const since = new Date(receivedAt.getTime() - deps.config.REPEAT_LINK_HOURS * 3600_000);
      const open = await findOpenAlerts(tx, source.stationId, subjects, since);
      // One case per subject: their open alert, else the alert their first warning in this batch opens.
      const caseOf = new Map<string, string>();
      for (const s of sealed) {
        s.c.alertId = open.get(s.phoneHash)?.id ?? caseOf.get(s.phoneHash) ?? s.c.alertId;
        caseOf.set(s.phoneHash, s.c.alertId);
      }

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

      // Group the stored warnings by the case they belong to: new alerts (opened by their first warning here)
      // and existing open alerts. Every other warning of a case is linked to it.
      const opened = new Map<string, { first: Sealed; facts: CaseFacts }>();
      const joined = new Map<string, { alert: OpenAlert; facts: CaseFacts }>();
      const links: { s: Sealed; raisedFrom: string | null; stage: OpenAlert["stage"] }[] = [];
      for (const s of fresh) {
        const existing = open.get(s.phoneHash);
        const entry = existing
          ? (joined.get(existing.id) ?? { alert: existing, facts: existing })
          : opened.get(s.c.alertId);
        if (!entry) {
          opened.set(s.c.alertId, { first: s, facts: factsOf(s) });
          continue;
        }
        const before = entry.facts.riskLevel;
        entry.facts = joinWarning(entry.facts, factsOf(s));
        const raisedFrom = entry.facts.riskLevel !== before ? before : null;
        if (existing) joined.set(existing.id, entry as { alert: OpenAlert; facts: CaseFacts });
        links.push({ s, raisedFrom, stage: existing?.stage ?? "received" });
      }

      if (opened.size > 0) {
        await tx.insert(alerts).values(
          [...opened.entries()].map(
            ([
              alertId,
              {
                first: { c, phoneEnc, phoneHash, nameEnc },
                facts,
              },
            ]) => ({
              id: alertId,
              stationId: source.stationId,
              type: facts.type,
              fraudType: c.input.fraudType,
              riskLevel: facts.riskLevel,
              subjectPhoneEnc: phoneEnc,
              subjectPhoneHash: phoneHash,
              subjectNameEnc: nameEnc,
              areaCode: c.input.area?.code ?? null,
              areaAddress: c.input.area?.address ?? null,
              amountAtRisk: facts.amountAtRisk,
              receivedAt,
            }),
          ),
        );
        publish(
          ...[...opened.keys()].map((alertId) => ({
            queue: "alert-push" as const,
            message: { type: "alert.push" as const, v: 1 as const, alertId, traceId },
          })),
        );
      }
      for (const { alert, facts } of joined.values()) {
        const rose = riskRank(facts.riskLevel) > riskRank(alert.riskLevel);
        if (!rose && facts.amountAtRisk === alert.amountAtRisk) continue;
        const deadlineAt = rose
          ? tightenedDeadline(deps.config.deadlines, alert, facts.riskLevel, receivedAt)
          : null;
        await tx
          .update(alerts)
          .set({ ...facts, ...(deadlineAt ? { deadlineAt } : {}) })
          .where(eq(alerts.id, alert.id));
      }
      if (links.length > 0) {
        await tx.insert(alertEvents).values(
          links.map(({ s, raisedFrom }) => ({
            alertId: s.c.alertId,
            kind: "warning_linked",
            at: receivedAt,
            data: {
              warningId: s.c.warningId,
              sourceId: source.id,
              externalId: s.c.input.externalId,
              type: s.c.input.type,
              riskLevel: s.c.input.riskLevel,
              ...(raisedFrom ? { raisedFrom } : {}),
            },
          })),
        );
        // A subject already warned may be warned again; the consumer applies the quiet window. An alert not
        // yet pushed needs nothing: its push warns with the (possibly raised) type.
        publish(
          ...links
            .filter(({ stage }) => stage !== "received")
            .map(({ s }) => ({
              queue: "alert-push" as const,
              message: {
                type: "alert.rewarn" as const,
                v: 1 as const,
                alertId: s.c.alertId,
                warningId: s.c.warningId,
                traceId,
              },
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
        linked: new Set(links.map(({ s }) => s.c.input.externalId)),
        existing: new Map(existing.map((r) => [r.externalId, r.alertId])),
      };
    });

    for (const c of candidates) {
      const existingAlertId = outcome.existing.get(c.input.externalId);
      if (!outcome.fresh.has(c.input.externalId)) {
        results[c.index] = { index: c.index, status: "duplicate", alertId: existingAlertId ?? c.alertId };
      } else if (outcome.linked.has(c.input.externalId)) {
        results[c.index] = { index: c.index, status: "accepted", alertId: c.alertId, linked: true };
      } else {
        results[c.index] = { index: c.index, status: "accepted", alertId: c.alertId };
      }
    }
  }
  for (const { index, of } of repeats) {
    const first = results[of.index];
    const alertId = first && "alertId" in first ? first.alertId : of.alertId;
    results[index] = { index, status: "duplicate", alertId };
  }
  return results;
}
