import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { partnerCallbacks, partners } from "../../schema";
import { writeAudit } from "../audit/log";
import { assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import { queryRows } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import type { PartnerPrincipal } from "../partners/authenticate";
import { transact } from "../queue/outbox";
import { streamEnd } from "./stream";

type SettingsDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "config">;

export interface CallbackView {
  url: string;
  /** active: events are POSTed as they come; dead: it kept failing, events wait in order until re-driven. */
  status: "active" | "dead";
  /** Events written but not yet acknowledged by the receiver. */
  pendingEvents: number;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  deadAt: string | null;
}

const newSecret = () => randomBytes(32).toString("base64url");

/**
 * Status changes carry waybill numbers and delivery outcomes, so the receiver must be https; plain http only in
 * local mode, where the integrator's receiver usually runs on localhost. The same rule as feed callbacks.
 */
function checkUrl(deps: Pick<Deps, "config">, url: string) {
  let protocol = "";
  try {
    protocol = new URL(url).protocol;
  } catch {}
  const allowed = deps.config.local ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(protocol)) {
    throw new AppError("VALIDATION_FAILED", "the callback is not valid", [
      { path: "url", message: deps.config.local ? "must be an http or https URL" : "must be an https URL" },
    ]);
  }
}

/** Partner actions are audited at the partner's station, with no officer: the partner did it with its key. */
const auditPartner = (
  tx: Parameters<typeof writeAudit>[0],
  partner: PartnerPrincipal,
  action: string,
  at: Date,
  data: Record<string, unknown>,
) =>
  writeAudit(tx, {
    stationId: partner.stationId,
    officerId: null,
    action,
    targetType: "partner",
    targetId: partner.partnerId,
    data: { ...data, keyMode: partner.mode },
    at,
  });

/**
 * Sets (or moves) the partner's status callback. The signing secret is made the first time and when asked to
 * rotate, and shown only then; moving the URL keeps it. A new callback starts after the events already written
 * (they remain pullable); a moved one keeps its place, and a dead one becomes active again from where it stopped.
 */
export async function setCallback(
  deps: SettingsDeps,
  partner: PartnerPrincipal,
  input: { url: string; rotateSecret?: boolean },
): Promise<{ callback: CallbackView; secret?: string }> {
  checkUrl(deps, input.url);
  const now = deps.clock.now();
  const result = await transact(deps, async (tx, publish) => {
    const [existing] = await tx
      .select()
      .from(partnerCallbacks)
      .where(eq(partnerCallbacks.partnerId, partner.partnerId))
      .for("update");
    const secret = !existing || input.rotateSecret ? newSecret() : undefined;
    if (existing) {
      await tx
        .update(partnerCallbacks)
        .set({
          url: input.url,
          ...(secret ? { secretEnc: deps.pii.encrypt(secret) } : {}),
          status: "active",
          attempts: 0,
          failingSince: null,
          nextAttemptAt: null,
          deadAt: null,
          lastError: null,
          updatedAt: now,
        })
        .where(eq(partnerCallbacks.partnerId, partner.partnerId));
    } else {
      const end = await streamEnd(tx, partner.partnerId);
      await tx.insert(partnerCallbacks).values({
        partnerId: partner.partnerId,
        url: input.url,
        secretEnc: deps.pii.encrypt(secret as string),
        cursorTxid: end.txid,
        cursorId: end.id,
        createdAt: now,
        updatedAt: now,
      });
    }
    await auditPartner(tx, partner, existing ? "partner.callback_changed" : "partner.callback_set", now, {
      secretRotated: Boolean(existing && secret),
      wasDead: existing?.status === "dead",
    });
    publish({
      queue: "partner-callbacks",
      message: { type: "partner-callbacks.deliver", v: 1, partnerId: partner.partnerId },
    });
    return secret;
  });
  const callback = await getCallback(deps, partner.partnerId);
  if (!callback) throw new Error("the callback just written is missing");
  return { callback, ...(result ? { secret: result } : {}) };
}

/** Removes the callback: events are then only pulled. */
export async function clearCallback(deps: SettingsDeps, partner: PartnerPrincipal): Promise<void> {
  const now = deps.clock.now();
  await transact(deps, async (tx) => {
    const removed = await tx
      .delete(partnerCallbacks)
      .where(eq(partnerCallbacks.partnerId, partner.partnerId))
      .returning({ url: partnerCallbacks.url });
    if (removed.length === 0) throw new AppError("NOT_FOUND", "no callback is set");
    await auditPartner(tx, partner, "partner.callback_removed", now, {});
  });
}

export async function getCallback(
  deps: Pick<Deps, "db">,
  partnerId: string,
): Promise<CallbackView | undefined> {
  const [row] = await queryRows<{
    url: string;
    status: "active" | "dead";
    attempts: number;
    last_error: string | null;
    next_attempt_at: string | Date | null;
    dead_at: string | Date | null;
    pending: string | number;
  }>(
    deps.db,
    sql`select c.url, c.status, c.attempts, c.last_error, c.next_attempt_at, c.dead_at,
          (select count(*) from partner_message_events e where e.partner_id = c.partner_id
             and (e.txid, e.id) > (c.cursor_txid, c.cursor_id)) as pending
        from partner_callbacks c where c.partner_id = ${partnerId}`,
  );
  if (!row) return undefined;
  const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
  return {
    url: row.url,
    status: row.status,
    pendingEvents: Number(row.pending),
    attempts: Number(row.attempts),
    lastError: row.last_error,
    nextAttemptAt: iso(row.next_attempt_at),
    deadAt: iso(row.dead_at),
  };
}

/**
 * Re-drives a dead callback: active again, a fresh retry window, due now, from the first event the receiver
 * has not acknowledged, in order. By the partner (it fixed its receiver) or by the station's supervisors and
 * admins; audited either way. A callback that is not dead is a 409; none at all, or another station's, a 404.
 */
export async function redriveCallback(
  deps: SettingsDeps,
  by: { partner: PartnerPrincipal } | { officer: Principal; partnerId: string },
  reason?: string,
): Promise<CallbackView> {
  const partnerId = "partner" in by ? by.partner.partnerId : by.partnerId;
  if ("officer" in by)
    assertSupervisorOrAdmin(by.officer, "re-driving callbacks is for supervisors and admins");
  const now = deps.clock.now();
  await transact(deps, async (tx, publish) => {
    const [row] = await tx
      .select({
        status: partnerCallbacks.status,
        stationId: partners.stationId,
        lastError: partnerCallbacks.lastError,
      })
      .from(partnerCallbacks)
      .innerJoin(partners, eq(partners.id, partnerCallbacks.partnerId))
      .where(eq(partnerCallbacks.partnerId, partnerId));
    const stationId = "partner" in by ? by.partner.stationId : by.officer.stationId;
    if (!row || row.stationId !== stationId) throw new AppError("NOT_FOUND", "no callback is set");
    const [reset] = await tx
      .update(partnerCallbacks)
      .set({
        status: "active",
        attempts: 0,
        failingSince: null,
        nextAttemptAt: now,
        leaseUntil: null,
        deadAt: null,
        updatedAt: now,
      })
      .where(and(eq(partnerCallbacks.partnerId, partnerId), eq(partnerCallbacks.status, "dead")))
      .returning({ partnerId: partnerCallbacks.partnerId });
    if (!reset)
      throw new AppError("CONFLICT", `only a dead callback can be re-driven; this one is ${row.status}`);
    await writeAudit(tx, {
      stationId,
      officerId: "officer" in by ? by.officer.officerId : null,
      action: "partner.callback_redriven",
      targetType: "partner",
      targetId: partnerId,
      reason: reason ?? null,
      data: { previousError: row.lastError },
      at: now,
    });
    publish({ queue: "partner-callbacks", message: { type: "partner-callbacks.deliver", v: 1, partnerId } });
  });
  return (await getCallback(deps, partnerId)) as CallbackView;
}

export interface DeadCallback {
  partnerId: string;
  partnerName: string;
  url: string;
  pendingEvents: number;
  attempts: number;
  lastError: string | null;
  deadAt: string | null;
}

/** The station's dead callbacks, for supervisors and admins: ids, URL, counts and the error, no personal data. */
export async function listDeadCallbacks(deps: Pick<Deps, "db">, officer: Principal): Promise<DeadCallback[]> {
  assertSupervisorOrAdmin(officer, "dead-lettered callbacks are for supervisors and admins");
  const rows = await queryRows<{ partner_id: string; name: string }>(
    deps.db,
    sql`select c.partner_id, p.name from partner_callbacks c join partners p on p.id = c.partner_id
        where c.status = 'dead' and p.station_id = ${officer.stationId} order by c.dead_at desc`,
  );
  const out: DeadCallback[] = [];
  for (const r of rows) {
    const view = await getCallback(deps, r.partner_id);
    if (view)
      out.push({
        partnerId: r.partner_id,
        partnerName: r.name,
        url: view.url,
        pendingEvents: view.pendingEvents,
        attempts: view.attempts,
        lastError: view.lastError,
        deadAt: view.deadAt,
      });
  }
  return out;
}
