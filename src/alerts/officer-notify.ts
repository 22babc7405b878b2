import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { alerts, officerNotices, officers, type RiskLevel } from "../../schema";
import type { Tx } from "../db/client";
import { idArray } from "../db/id-array";
import { jsonRows } from "../db/json-rows";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { stillPaged } from "../organisation/on-duty";
import { type Publish, transact } from "../queue/outbox";
import { queueEachSms } from "../sms/dispatch/queue-sms";
import { recordAlertEvents } from "./events";
import { officerNotificationText, officerSummaryText } from "./sms-texts";

/**
 * Urgency decides the page. An alert for an officer becomes a notice, and an `officer.notify` message
 * flushes the officer's notices:
 * - critical and high: one SMS per alert, at once, whatever was sent to the officer before;
 * - medium and low: bundled into at most one SMS per OFFICER_NOTIFY_INTERVAL_SECONDS, but never held past
 *   the earliest acknowledge deadline among them, so a burst is one summary instead of one SMS per alert.
 * A notice whose alert was acknowledged, closed or transferred before it went out is dropped: marked on its
 * row and on the alert's timeline (`officer_notice_dropped` with the reason), never sent.
 */

export type DropReason = "acknowledged" | "closed" | "transferred";

/** Risk levels paged at once; the rest are bundled. */
export function isUrgent(riskLevel: RiskLevel): boolean {
  return riskLevel === "critical" || riskLevel === "high";
}

/** Seconds until an officer last notified at `lastNotifiedAt` may be sent another SMS (0: now). */
export function secondsUntilDue(lastNotifiedAt: Date | null, now: Date, intervalSeconds: number): number {
  if (!lastNotifiedAt) return 0;
  const dueAt = lastNotifiedAt.getTime() + intervalSeconds * 1000;
  return Math.max(0, Math.ceil((dueAt - now.getTime()) / 1000));
}

/**
 * Seconds a bundled notice may wait: until the officer's interval allows, but never past its acknowledge
 * deadline (rounded down, so the flush runs before it rather than just after).
 */
export function bundleDelaySeconds(wait: number, deadlineAt: Date | null, now: Date): number {
  if (!deadlineAt) return wait;
  return Math.min(wait, Math.max(0, Math.floor((deadlineAt.getTime() - now.getTime()) / 1000)));
}

/** Why a notice is no longer worth sending, or null while its alert still waits for this officer's post. */
export function dropReason(
  alert: { stage: string; postId: string | null },
  notice: { postId: string | null },
): DropReason | null {
  // Checked first: an alert moved to another post and acknowledged there was, for this officer, transferred.
  if (notice.postId && alert.postId !== notice.postId) return "transferred";
  if (alert.stage === "acknowledged") return "acknowledged";
  if (alert.stage === "verified" || alert.stage === "fed_back") return "closed";
  return null;
}

/**
 * Called in the transaction that gives officers alerts (push): records a notice each and schedules a
 * flush: at once for critical and high, when the officer's interval allows (or the deadline comes) for the
 * rest. Every notice gets its own flush message, so a lost message cannot strand notices: the next alert's
 * message carries them too. Takes several alerts so a batch of pushes writes its notices in one statement.
 */
export async function queueOfficerNotices(
  deps: Pick<Deps, "config">,
  tx: Tx,
  publish: Publish,
  input: {
    alerts: {
      alertId: string;
      /** The post the alert was routed to: if it leaves that post before the notice goes out, it is dropped. */
      postId: string;
      riskLevel: RiskLevel;
      /** The acknowledge deadline; a bundled notice is flushed by then. */
      deadlineAt: Date | null;
      officers: { id: string; lastNotifiedAt: Date | null }[];
      traceId?: string;
    }[];
    now: Date;
  },
): Promise<void> {
  const notices = input.alerts.flatMap((a) => a.officers.map((o) => ({ ...a, officer: o })));
  if (notices.length === 0) return;
  await tx.execute(
    sql`insert into officer_notices (officer_id, alert_id, post_id, created_at)
        select officer_id, alert_id, post_id, ${input.now.toISOString()}::timestamptz
        from ${jsonRows(
          notices.map((n) => ({ officer_id: n.officer.id, alert_id: n.alertId, post_id: n.postId })),
          sql`officer_id text, alert_id text, post_id text`,
        )}
        on conflict do nothing`,
  );
  const interval = deps.config.OFFICER_NOTIFY_INTERVAL_SECONDS;
  publish(
    ...notices.map((n) => ({
      queue: "officer-notify" as const,
      message: {
        type: "officer.notify" as const,
        v: 1 as const,
        officerId: n.officer.id,
        traceId: n.traceId,
      },
      delaySeconds: isUrgent(n.riskLevel)
        ? 0
        : bundleDelaySeconds(
            secondsUntilDue(n.officer.lastNotifiedAt, input.now, interval),
            n.deadlineAt,
            input.now,
          ),
    })),
  );
}

/**
 * A warning joined pending alerts and raised them to critical or high (intake, in the transaction that holds
 * them): their officers' notices, perhaps waiting in a bundle, are flushed now, as a new alert's would be.
 */
export async function pageRaisedAlerts(tx: Tx, publish: Publish, alertIds: string[], traceId?: string) {
  if (alertIds.length === 0) return;
  const waiting = await tx
    .selectDistinct({ officerId: officerNotices.officerId })
    .from(officerNotices)
    .where(
      and(
        inArray(officerNotices.alertId, alertIds),
        isNull(officerNotices.messageId),
        isNull(officerNotices.droppedAt),
      ),
    );
  publish(
    ...waiting.map((w) => ({
      queue: "officer-notify" as const,
      message: { type: "officer.notify" as const, v: 1 as const, officerId: w.officerId, traceId },
    })),
  );
}

const pendingFor = (officerId: string) =>
  and(
    eq(officerNotices.officerId, officerId),
    isNull(officerNotices.messageId),
    isNull(officerNotices.droppedAt),
  );

/**
 * The officer.notify consumer. Lock order: the alerts first (FOR SHARE, in id order), then the officer row
 * (FOR UPDATE) — the order push takes them in (it locks its alerts, then its notice insert takes a key-share
 * lock on the officer), so the two cannot deadlock. Holding the alerts means an acknowledge, outcome or
 * transfer of one of them either committed before (and the notice is dropped here) or waits for this flush
 * to commit: never a notice sent for an alert already acknowledged. The officer lock makes flushes for one
 * officer run one at a time; a flush marks what it sent with the SMS id, so a redelivered or duplicate
 * message finds nothing pending and sends nothing. Bundled notices not yet due are scheduled again.
 */
export async function notifyOfficer(
  deps: Pick<Deps, "db" | "queue" | "pii" | "clock" | "sms" | "config">,
  message: { officerId: string; traceId?: string },
  log: Log,
): Promise<void> {
  const { officerId } = message;
  await transact(deps, async (tx, publish) => {
    const candidates = await tx
      .select({ alertId: officerNotices.alertId })
      .from(officerNotices)
      .where(pendingFor(officerId));
    if (candidates.length === 0) {
      log.debug({ officerId }, "nothing pending for the officer");
      return;
    }
    const locked = await tx
      .select({
        id: alerts.id,
        stage: alerts.stage,
        postId: alerts.postId,
        type: alerts.type,
        riskLevel: alerts.riskLevel,
        areaAddress: alerts.areaAddress,
        deadlineAt: alerts.deadlineAt,
      })
      .from(alerts)
      .where(
        inArray(
          alerts.id,
          candidates.map((c) => c.alertId),
        ),
      )
      .orderBy(asc(alerts.id))
      .for("share");
    const [officer] = await tx
      .select({
        phoneEnc: officers.phoneEnc,
        disabledAt: officers.disabledAt,
        lastNotifiedAt: officers.lastNotifiedAt,
      })
      .from(officers)
      .where(eq(officers.id, officerId))
      // NO KEY UPDATE, not UPDATE: flushes for one officer still run one at a time, but pushes inserting this
      // officer's notices (a foreign key check takes KEY SHARE on the officer) do not queue behind a flush.
      .for("no key update");
    if (!officer) {
      log.warn({ officerId }, "notification for an unknown officer; dropping");
      return;
    }
    // Read again under the officer lock: a flush that ran meanwhile may have sent some. Notices made since
    // the first read are left to the flush message their push published.
    const byId = new Map(locked.map((a) => [a.id, a]));
    const pending = await tx
      .select({ alertId: officerNotices.alertId, postId: officerNotices.postId })
      .from(officerNotices)
      .where(and(pendingFor(officerId), inArray(officerNotices.alertId, [...byId.keys()])))
      .orderBy(asc(officerNotices.createdAt), asc(officerNotices.alertId));
    const now = deps.clock.now();
    const open: (typeof locked)[number][] = [];
    const dropped: { alertId: string; reason: DropReason }[] = [];
    for (const notice of pending) {
      const alert = byId.get(notice.alertId) as (typeof locked)[number];
      const reason = dropReason(alert, notice);
      if (reason) dropped.push({ alertId: alert.id, reason });
      else open.push(alert);
    }
    await dropNotices(tx, officerId, dropped, now);
    if (dropped.length > 0) log.info({ officerId, dropped }, "officer notices dropped");
    if (open.length === 0) return;
    // Off duty (src/organisation/on-duty.ts) or disabled since the alert came: no SMS now; the notices wait.
    const onDuty = await stillPaged(tx, [officerId], now);
    if (!officer.phoneEnc || !onDuty.has(officerId) || officer.disabledAt) {
      log.info({ officerId, pending: open.length }, "officer not reachable now; notices kept");
      return;
    }

    const groups = open.filter((a) => isUrgent(a.riskLevel)).map((a) => [a]);
    const bundled = open.filter((a) => !isUrgent(a.riskLevel));
    if (bundled.length > 0) {
      const interval = deps.config.OFFICER_NOTIFY_INTERVAL_SECONDS;
      const wait = secondsUntilDue(officer.lastNotifiedAt, now, interval);
      const deadlines = bundled.flatMap((a) => (a.deadlineAt ? [a.deadlineAt.getTime()] : []));
      const earliest = deadlines.length > 0 ? new Date(Math.min(...deadlines)) : null;
      const delay = bundleDelaySeconds(wait, earliest, now);
      if (delay === 0) {
        groups.push(bundled);
      } else {
        publish({
          queue: "officer-notify",
          message: { type: "officer.notify", v: 1, officerId, traceId: message.traceId },
          delaySeconds: delay,
        });
        log.debug({ officerId, bundled: bundled.length, delay }, "bundled notices wait for the interval");
      }
    }
    if (groups.length === 0) return;

    const to = deps.pii.decrypt(officer.phoneEnc);
    const signature = deps.config.SMS_SIGNATURE;
    // Every SMS of the flush in one insert and every notice marked in one update: a burst of critical alerts
    // at one post is a page each, and a statement per page made the flush the push's slowest neighbour.
    const smsIds = await queueEachSms(
      deps,
      tx,
      publish,
      groups.map((group) => {
        const first = group[0] as (typeof group)[number];
        const single = group.length === 1;
        return {
          purpose: "officer_notification" as const,
          lane: "urgent" as const,
          to,
          body: single
            ? officerNotificationText(signature, first, deps.config.BASE_URL)
            : officerSummaryText(
                signature,
                group.map((a) => a.riskLevel),
              ),
          // A summary covers several alerts, so it belongs to none of them; the notices point to it instead.
          alertId: single ? first.id : undefined,
          dedupeKey: `${officerId}:${first.id}`,
        };
      }),
      message.traceId,
    );
    const marks = groups.flatMap((group, i) => {
      const smsId = smsIds[i];
      // The notices are marked in the same transaction as their SMS is created, so this cannot happen.
      if (!smsId)
        throw new Error(`officer ${officerId}: notice SMS already exists but its notices are pending`);
      return group.map((a) => ({ alertId: a.id, smsId }));
    });
    await tx.execute(sql`
      update officer_notices n set message_id = m."smsId"
      from jsonb_to_recordset(${JSON.stringify(marks)}::jsonb) as m("alertId" text, "smsId" text)
      where n.officer_id = ${officerId} and n.alert_id = m."alertId"
        and n.alert_id = any(${idArray(marks.map((m) => m.alertId))})`);
    await tx.update(officers).set({ lastNotifiedAt: now }).where(eq(officers.id, officerId));
    log.info({ officerId, sms: groups.length, alerts: groups.flat().length }, "officer notified");
  });
}

/** Marks notices dropped and says so on each alert's timeline, with whose notice it was and why. */
async function dropNotices(
  tx: Tx,
  officerId: string,
  dropped: { alertId: string; reason: DropReason }[],
  now: Date,
): Promise<void> {
  if (dropped.length === 0) return;
  for (const reason of new Set(dropped.map((d) => d.reason))) {
    await tx
      .update(officerNotices)
      .set({ droppedAt: now, dropReason: reason })
      .where(
        and(
          eq(officerNotices.officerId, officerId),
          inArray(
            officerNotices.alertId,
            dropped.filter((d) => d.reason === reason).map((d) => d.alertId),
          ),
        ),
      );
  }
  await recordAlertEvents(
    tx,
    dropped.map((d) => ({
      alertId: d.alertId,
      kind: "officer_notice_dropped" as const,
      at: now,
      officerId: null,
      data: { officerId, reason: d.reason },
    })),
  );
}
