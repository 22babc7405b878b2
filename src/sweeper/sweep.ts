import { escalateOverdue } from "../alerts/escalate";
import { redriveLostPushes, redriveOfficerNotices } from "../alerts/redrive";
import type { Deps } from "../deps";
import { createMissingFeedback } from "../feedback/create";
import { redriveStalledFeedback } from "../feedback/redrive-stalled";
import type { Log } from "../log";
import {
  deleteExpiredRows,
  purgeClosedAlerts,
  purgeFinishedSms,
  purgeParcelEvents,
} from "../privacy/retention";
import { redriveQueuedSms } from "../sms/dispatch/redrive";
import { expireStaleSms } from "../sms/receipts/expiry";

type SweepDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "config" | "sms">;

/** Batches per kind of work in one run; what is left waits for the next tick, which keeps a run bounded. */
const MAX_ROUNDS = 10;

export interface SweepReport {
  escalated: number;
  reminded: number;
  pushesRedriven: number;
  feedbackCreated: number;
  feedbackRedriven: number;
  /** Submitted SMS with no receipt after SMS_RECEIPT_TIMEOUT_HOURS (src/sms/receipts/expiry.ts). */
  smsExpired: number;
  /** Queued SMS whose send job was lost, re-published (src/sms/dispatch/redrive.ts). */
  smsRedriven: number;
  /** Officers whose pending notices' flush was lost, re-published (src/alerts/redrive.ts). */
  officerNoticesRedriven: number;
  /** Records whose personal fields the retention purge cleared (src/privacy/retention.ts). */
  alertsPurged: number;
  smsPurged: number;
  parcelEventsPurged: number;
  /** Expired sessions, idempotency keys, reservations, counters and throttles deleted. */
  expiredRowsDeleted: number;
}

type Counts = Partial<SweepReport>;

interface Round {
  /** One bounded batch of the work, counted under the report's keys. */
  run: (deps: SweepDeps, limit: number) => Promise<Counts>;
  /** Rows per batch: SWEEP_BATCH_SIZE, or PII_PURGE_BATCH_SIZE for the retention purges. */
  batch: "sweep" | "purge";
  /** One batch per run, for work whose rows a batch does not change (a second batch would find the same). */
  once?: boolean;
}

const counted =
  (key: keyof SweepReport, step: (deps: SweepDeps, limit: number) => Promise<number>) =>
  async (deps: SweepDeps, limit: number): Promise<Counts> => ({ [key]: await step(deps, limit) });

/** The rounds of a sweep, in order; each belongs to the room whose rows it works on. */
const ROUNDS: Round[] = [
  // Alerts: missed deadlines (src/alerts/escalate.ts), lost pushes and notice flushes (src/alerts/redrive.ts).
  { run: escalateOverdue, batch: "sweep" },
  { run: counted("pushesRedriven", redriveLostPushes), batch: "sweep" },
  // Feedback: events an outcome left uncreated (src/feedback/create.ts), deliveries whose message was lost.
  { run: counted("feedbackCreated", createMissingFeedback), batch: "sweep" },
  { run: counted("feedbackRedriven", redriveStalledFeedback), batch: "sweep" },
  // SMS: submits with no receipt, queued messages whose send job was lost.
  { run: counted("smsExpired", expireStaleSms), batch: "sweep" },
  { run: counted("smsRedriven", redriveQueuedSms), batch: "sweep" },
  // Alerts again: officers' notice flushes whose message was lost (src/alerts/redrive.ts).
  { run: counted("officerNoticesRedriven", redriveOfficerNotices), batch: "sweep", once: true },
  // Privacy: the retention purges (src/privacy/retention.ts).
  { run: counted("alertsPurged", purgeClosedAlerts), batch: "purge" },
  { run: counted("smsPurged", purgeFinishedSms), batch: "purge" },
  { run: counted("parcelEventsPurged", purgeParcelEvents), batch: "purge" },
  { run: counted("expiredRowsDeleted", deleteExpiredRows), batch: "purge" },
];

/**
 * The scheduled sweeper (sweep.run): nothing waits silently past its deadline, and nothing a crash or a
 * lost message left behind stays stuck. The work itself belongs to the rooms above; this only runs it.
 * Each kind of work takes its rows with FOR UPDATE SKIP LOCKED inside the transaction that handles them,
 * and re-checks the condition that selected them, so two sweeps at once split the rows between them and a
 * second run finds nothing left to do. A round repeats while it fills its batch, up to MAX_ROUNDS.
 */
export async function runSweep(deps: SweepDeps, log: Log): Promise<SweepReport> {
  const report: SweepReport = {
    escalated: 0,
    reminded: 0,
    pushesRedriven: 0,
    feedbackCreated: 0,
    feedbackRedriven: 0,
    smsExpired: 0,
    smsRedriven: 0,
    officerNoticesRedriven: 0,
    alertsPurged: 0,
    smsPurged: 0,
    parcelEventsPurged: 0,
    expiredRowsDeleted: 0,
  };
  for (const round of ROUNDS) {
    const limit = round.batch === "purge" ? deps.config.PII_PURGE_BATCH_SIZE : deps.config.SWEEP_BATCH_SIZE;
    for (let i = 0; i < (round.once ? 1 : MAX_ROUNDS); i++) {
      const counts = await round.run(deps, limit);
      let done = 0;
      for (const [key, n] of Object.entries(counts) as [keyof SweepReport, number][]) {
        report[key] += n;
        done += n;
      }
      if (done < limit) break;
    }
  }
  const total = Object.values(report).reduce((a, b) => a + b, 0);
  if (total > 0) log.info(report, "sweep done");
  else log.debug("sweep found nothing to do");
  return report;
}
