import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { alerts, posts } from "../../schema";
import { idArray } from "../db/id-array";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { routableRules } from "../organisation/jurisdiction";
import { dutyAt, recipientsOf } from "../organisation/on-duty";
import { numberKind } from "../privacy/phone";
import { openSubjectPhone } from "../privacy/subject";
import { transact } from "../queue/outbox";
import { queueSms } from "../sms/dispatch/queue-sms";
import { nextDeadline } from "./deadlines";
import { recordAlertEvents } from "./events";
import { queueOfficerNotices } from "./officer-notify";
import { chooseRoute, type Route } from "./routing";
import { victimWarningText } from "./sms-texts";

type PushDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "sms" | "config">;

export interface PushRequest {
  alertId: string;
  traceId?: string;
  /** The message's own logger (message id, trace id). */
  log: Log;
}

/**
 * 快推, the alert.push consumer: routes the alert to a post, queues the warning SMS to the subject and a
 * notice for each on-duty officer of that post (paged at once for critical and high, bundled per interval
 * for medium and low, see ./officer-notify.ts), and marks it pushed — all in one transaction, so a redelivered message finds the
 * alert already pushed and sends nothing again.
 */
export async function pushAlert(deps: PushDeps, alertId: string, log: Log, traceId?: string): Promise<void> {
  await pushAlerts(deps, [{ alertId, traceId, log }]);
}

/**
 * The same for every alert.push of a queue batch at once: one transaction and a fixed number of statements
 * for the whole batch instead of a dozen round trips per alert, which is what bounds push throughput (and so
 * receive-to-pushed latency under load). All or nothing: if any alert cannot be pushed (its station has no
 * duty desk), nothing is, and the batch runner retries the alerts one by one so only that one fails.
 */
export async function pushAlerts(deps: PushDeps, requests: PushRequest[]): Promise<void> {
  if (requests.length === 0) return;
  await transact(deps, async (tx, publish) => {
    // Locked in id order, so two batches that share an alert (a redelivery) cannot deadlock.
    const ids = [...new Set(requests.map((r) => r.alertId))].sort();
    const rows = await tx
      .select()
      .from(alerts)
      .where(inArray(alerts.id, ids))
      .orderBy(asc(alerts.id))
      .for("update");
    const byId = new Map(rows.map((a) => [a.id, a]));
    const toPush: { alert: (typeof rows)[number]; request: PushRequest }[] = [];
    const seen = new Set<string>();
    for (const request of requests) {
      const alert = byId.get(request.alertId);
      if (!alert) {
        request.log.warn({ alertId: request.alertId }, "push for an unknown alert; dropping");
      } else if (alert.stage !== "received" || seen.has(alert.id)) {
        request.log.debug({ alertId: alert.id, stage: alert.stage }, "alert already pushed");
      } else {
        toPush.push({ alert, request });
      }
      seen.add(request.alertId);
    }
    if (toPush.length === 0) return;

    const stationIds = [...new Set(toPush.map((p) => p.alert.stationId))];
    const [rules, dutyDesks] = await Promise.all([
      // Rules of disabled posts route nothing new (src/organisation/jurisdiction.ts).
      routableRules(tx, stationIds),
      tx
        .select({ id: posts.id, stationId: posts.stationId })
        .from(posts)
        .where(and(inArray(posts.stationId, stationIds), eq(posts.isDutyDesk, true))),
    ]);
    const routes = new Map<string, Route>();
    for (const { alert } of toPush) {
      const dutyDesk = dutyDesks.find((d) => d.stationId === alert.stationId);
      if (!dutyDesk) throw new Error(`station ${alert.stationId} has no duty desk to route to`);
      const stationRules = rules.filter((r) => r.stationId === alert.stationId);
      routes.set(
        alert.id,
        chooseRoute(stationRules, dutyDesk.id, { code: alert.areaCode, address: alert.areaAddress }),
      );
    }

    const postIds = [...new Set([...routes.values()].map((r) => r.postId))];
    const now = deps.clock.now();
    // Those on duty at the post now by its roster, or its fallback when nobody is (src/organisation/on-duty.ts).
    const onDuty = await dutyAt(tx, postIds, now, { reachable: true });
    const officersAt = (postId: string) =>
      recipientsOf(onDuty, postId).map((o) => ({ id: o.id, lastNotifiedAt: o.lastNotifiedAt }));

    const pushed = toPush.map(({ alert, request }) => {
      const route = routes.get(alert.id) as Route;
      const deadline = nextDeadline(deps.config.deadlines, {
        stage: "pushed",
        riskLevel: alert.riskLevel,
        receivedAt: alert.receivedAt,
        contacted: false,
        visitOwedSince: null,
      });
      const phone = openSubjectPhone(deps.pii, alert);
      return {
        alert,
        request,
        route,
        deadline,
        officers: officersAt(route.postId),
        phone,
        kind: numberKind(phone),
      };
    });
    // Only a mainland mobile can be texted (see isMainlandMobile); the alert still goes to the post's officers,
    // and its timeline says why the subject got no SMS, so that they call or visit instead.
    const warned = pushed.filter((p) => p.kind === "mobile");
    const unwarned = pushed.filter((p) => p.kind !== "mobile");

    // Independent writes, sent together: the driver pipelines them on the transaction's connection.
    await Promise.all([
      queueSms(
        deps,
        tx,
        publish,
        warned.map(({ alert, request, phone }) => ({
          purpose: "victim_warning" as const,
          lane: "urgent" as const,
          to: phone,
          body: victimWarningText(deps.config.SMS_SIGNATURE, alert.type),
          alertId: alert.id,
          dedupeKey: alert.id,
          traceId: request.traceId,
        })),
      ),
      queueOfficerNotices(deps, tx, publish, {
        alerts: pushed.map((p) => ({
          alertId: p.alert.id,
          postId: p.route.postId,
          riskLevel: p.alert.riskLevel,
          deadlineAt: p.deadline?.at ?? null,
          officers: p.officers,
          traceId: p.request.traceId,
        })),
        now,
      }),
      // One UPDATE for the batch; the risk level the subject was warned at is the alert's, read under the lock.
      tx.execute(
        sql`update alerts as a
            set stage = 'pushed', post_id = v.post_id, routed_by = v.routed_by, pushed_at = v.pushed_at,
                deadline_kind = v.deadline_kind, deadline_at = v.deadline_at,
                last_victim_warning_at = case when v.warned then v.pushed_at end,
                last_victim_warning_risk = case when v.warned then a.risk_level end
            from jsonb_to_recordset(${JSON.stringify(
              pushed.map((p) => ({
                id: p.alert.id,
                post_id: p.route.postId,
                routed_by: p.route.routedBy,
                pushed_at: now.toISOString(),
                deadline_kind: p.deadline?.kind ?? null,
                deadline_at: p.deadline?.at.toISOString() ?? null,
                warned: p.kind === "mobile",
              })),
            )}::jsonb) as v(id text, post_id text, routed_by text, pushed_at timestamptz,
                            deadline_kind text, deadline_at timestamptz, warned boolean)
            where a.id = v.id and a.id = any(${idArray(pushed.map((p) => p.alert.id))})`,
      ),
      recordAlertEvents(tx, [
        ...pushed.map((p) => ({
          alertId: p.alert.id,
          kind: "pushed" as const,
          at: now,
          officerId: null,
          data: { postId: p.route.postId, routedBy: p.route.routedBy, officersNotified: p.officers.length },
        })),
        ...unwarned.map((p) => ({
          alertId: p.alert.id,
          kind: "victim_warning_skipped" as const,
          at: now,
          officerId: null,
          data: { reason: "not_mobile", numberKind: p.kind },
        })),
      ]),
    ]);
    for (const { alert, request, route, officers: notified, kind } of pushed) {
      request.log.info(
        {
          alertId: alert.id,
          postId: route.postId,
          routedBy: route.routedBy,
          officers: notified.length,
          ...(kind === "mobile" ? {} : { victimSms: "not_mobile", numberKind: kind }),
        },
        "alert pushed",
      );
    }
  });
}
