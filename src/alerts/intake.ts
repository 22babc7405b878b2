import { and, eq, inArray, sql } from "drizzle-orm";
import pLimit, { type LimitFunction } from "p-limit";
import { alerts, warnings } from "../../schema";
import { queryRows } from "../db/client";
import { jsonRows } from "../db/json-rows";
import type { Deps } from "../deps";
import { type FieldError, zodFieldErrors } from "../errors";
import { newId } from "../ids";
import { normalizePhone } from "../privacy/phone";
import { transact } from "../queue/outbox";
import { unstorableText } from "../text";
import { outsideWindow } from "../time-window";
import { recordAlertEvents } from "./events";
import { isUrgent, pageRaisedAlerts } from "./officer-notify";
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
  const now = deps.clock.now();

  items.forEach((item, index) => {
    const parsed = WarningInputSchema.safeParse(item);
    if (!parsed.success) {
      results[index] = {
        index,
        status: "rejected",
        errors: zodFieldErrors(parsed.error, { whole: "(root)" }),
      };
      return;
    }
    // Only this warning is refused: text PostgreSQL cannot store would otherwise fail the whole batch's insert.
    const unstorable = unstorableText(parsed.data);
    if (unstorable.length > 0) {
      results[index] = { index, status: "rejected", errors: unstorable };
      return;
    }
    const phone = normalizePhone(parsed.data.subject.phone);
    const errors: FieldError[] = [];
    if (!phone) errors.push({ path: "subject.phone", message: "not a valid phone number" });
    const detectedAt = outsideWindow(new Date(parsed.data.detectedAt), now, {
      maxAgeDays: deps.config.INPUT_MAX_AGE_DAYS,
      maxFutureSeconds: deps.config.WARNING_MAX_FUTURE_SECONDS,
    });
    if (detectedAt) errors.push({ path: "detectedAt", message: detectedAt });
    if (!phone || errors.length > 0) {
      results[index] = { index, status: "rejected", errors };
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

    const outcome = await intakeSlot(deps.db)(() =>
      transact(deps, async (tx, publish) => {
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
        // The rows travel as one JSON parameter (see jsonRows): one statement text for every batch size, and
        // none of the per-value work a 16-column, 1,000-row VALUES list costs the query builder and the driver.
        const inserted = await queryRows<{ external_id: string }>(
          tx,
          sql`insert into warnings (id, source_id, external_id, alert_id, type, fraud_type, risk_level,
                                  subject_phone_enc, subject_phone_hash, subject_name_enc, area_code, area_address,
                                  indicators, amount_at_risk, detected_at, received_at)
            select id, ${source.id}, external_id, alert_id, type, fraud_type, risk_level,
                   subject_phone_enc, subject_phone_hash, subject_name_enc, area_code, area_address,
                   indicators, amount_at_risk, detected_at, ${receivedAt.toISOString()}::timestamptz
            from ${jsonRows(
              sealed.map(({ c, phoneEnc, phoneHash, nameEnc }) => ({
                id: c.warningId,
                external_id: c.input.externalId,
                alert_id: c.alertId,
                type: c.input.type,
                fraud_type: c.input.fraudType,
                risk_level: c.input.riskLevel,
                subject_phone_enc: phoneEnc,
                subject_phone_hash: phoneHash,
                subject_name_enc: nameEnc,
                area_code: c.input.area?.code ?? null,
                area_address: c.input.area?.address ?? null,
                indicators: c.input.indicators,
                amount_at_risk: c.input.amountAtRisk ?? null,
                detected_at: new Date(c.input.detectedAt).toISOString(),
              })),
              sql`id text, external_id text, alert_id text, type text, fraud_type text, risk_level text,
                  subject_phone_enc text, subject_phone_hash text, subject_name_enc text, area_code text,
                  area_address text, indicators jsonb, amount_at_risk bigint, detected_at timestamptz`,
            )}
            on conflict (source_id, external_id) do nothing
            returning external_id`,
        ).then((rows) => rows.map((r) => ({ externalId: r.external_id })));
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
          await tx.execute(
            sql`insert into alerts (id, station_id, type, fraud_type, risk_level, subject_phone_enc,
                                  subject_phone_hash, subject_name_enc, area_code, area_address, amount_at_risk,
                                  received_at)
              select id, ${source.stationId}, type, fraud_type, risk_level, subject_phone_enc, subject_phone_hash,
                     subject_name_enc, area_code, area_address, amount_at_risk,
                     ${receivedAt.toISOString()}::timestamptz
              from ${jsonRows(
                [...opened.entries()].map(([alertId, { first, facts }]) => ({
                  id: alertId,
                  type: facts.type,
                  fraud_type: first.c.input.fraudType,
                  risk_level: facts.riskLevel,
                  subject_phone_enc: first.phoneEnc,
                  subject_phone_hash: first.phoneHash,
                  subject_name_enc: first.nameEnc,
                  area_code: first.c.input.area?.code ?? null,
                  area_address: first.c.input.area?.address ?? null,
                  amount_at_risk: facts.amountAtRisk,
                })),
                sql`id text, type text, fraud_type text, risk_level text, subject_phone_enc text,
                    subject_phone_hash text, subject_name_enc text, area_code text, area_address text,
                    amount_at_risk bigint`,
              )}`,
          );
          publish(
            ...[...opened.keys()].map((alertId) => ({
              queue: "alert-push" as const,
              message: { type: "alert.push" as const, v: 1 as const, alertId, traceId },
            })),
          );
        }
        const raisedToUrgent: string[] = [];
        for (const { alert, facts } of joined.values()) {
          const rose = riskRank(facts.riskLevel) > riskRank(alert.riskLevel);
          if (rose && isUrgent(facts.riskLevel)) raisedToUrgent.push(alert.id);
          // Written even when its facts stay as they were: an officer's step that is waiting for this
          // alert's lock to close it must see that the row changed (src/alerts/officer-step.ts), or it
          // would write the feedback without this warning.
          const deadlineAt = rose
            ? tightenedDeadline(deps.config.deadlines, alert, facts.riskLevel, receivedAt)
            : null;
          await tx
            .update(alerts)
            .set({ ...facts, ...(deadlineAt ? { deadlineAt } : {}) })
            .where(eq(alerts.id, alert.id));
        }
        await pageRaisedAlerts(tx, publish, raisedToUrgent, traceId);
        if (links.length > 0) {
          await recordAlertEvents(
            tx,
            links.map(({ s, raisedFrom }) => ({
              alertId: s.c.alertId,
              kind: "warning_linked" as const,
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
      }),
    );

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

/**
 * Intake transactions run a few at a time per database (per process). More of them in flight would hold pool
 * connections, which the push and SMS workers need, while they wait for the CPU or for a large batch's lock on
 * all subjects (see lockSubjects). Queued here, in memory, a burst of feed requests no longer starves the
 * pipeline behind it.
 */
const INTAKE_TRANSACTIONS_IN_FLIGHT = 4;
const intakeSlots = new WeakMap<object, LimitFunction>();
function intakeSlot(db: object): LimitFunction {
  let slot = intakeSlots.get(db);
  if (!slot) {
    slot = pLimit(INTAKE_TRANSACTIONS_IN_FLIGHT);
    intakeSlots.set(db, slot);
  }
  return slot;
}
