import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import { auditLog } from "../../schema";
import { assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { decodeCursor, encodeCursor } from "../pagination";

/**
 * Who saw or did what. Written in the same transaction as the action it records, so an action without its
 * audit entry cannot commit. The table refuses UPDATE and DELETE (migration 0002).
 */
export type AuditTarget =
  | "alert"
  | "officer"
  | "post"
  | "roster_override"
  | "escalation_policy"
  | "jurisdiction_rule"
  | "feed_source"
  | "partner"
  | "campaign"
  /** A signature allow-listed for reminder templates (the target id is the station; the signature in data). */
  | "template_signature"
  /** An export of a report (the kind is the target id; the range in data). */
  | "report";

export interface AuditEntry {
  stationId: string;
  officerId: string | null;
  action: string;
  targetType: AuditTarget;
  targetId: string;
  reason?: string | null;
  /** Ids and labels only: never a phone number, a password or a token. */
  data?: Record<string, unknown>;
  at: Date;
}

export async function writeAudit(tx: Executor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({ ...entry, reason: entry.reason ?? null, data: entry.data ?? null });
}

/**
 * The audit writer of one kind of thing admins manage (partners, campaigns, feed sources, ...): the entry
 * names the admin, their station and now. Ids and labels only in `data`: never a secret.
 */
export function auditFor(targetType: AuditTarget) {
  return (
    tx: Executor,
    deps: Pick<Deps, "clock">,
    principal: Principal,
    action: string,
    targetId: string,
    data?: Record<string, unknown>,
  ) =>
    writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action,
      targetType,
      targetId,
      data,
      at: deps.clock.now(),
    });
}

export interface AuditQuery {
  limit: number;
  cursor?: string;
  action?: string;
  officerId?: string;
  targetType?: string;
  targetId?: string;
  /** Entries at or after this instant. */
  from?: Date;
  /** Entries before this instant. */
  to?: Date;
}

/** Newest first, for supervisors and admins of the station; officers read their alerts' timelines instead. */
export async function listAudit(deps: Pick<Deps, "db">, principal: Principal, query: AuditQuery) {
  assertSupervisorOrAdmin(principal, "the audit log is for supervisors and admins");
  const filters: SQL[] = [eq(auditLog.stationId, principal.stationId)];
  if (query.action) filters.push(eq(auditLog.action, query.action));
  if (query.officerId) filters.push(eq(auditLog.officerId, query.officerId));
  if (query.targetType) filters.push(eq(auditLog.targetType, query.targetType));
  if (query.targetId) filters.push(eq(auditLog.targetId, query.targetId));
  if (query.from) filters.push(gte(auditLog.at, query.from));
  if (query.to) filters.push(lt(auditLog.at, query.to));
  if (query.cursor) {
    const { id } = decodeCursor(query.cursor, (v) =>
      typeof v === "object" && v !== null && Number.isSafeInteger((v as { id?: unknown }).id)
        ? (v as { id: number })
        : undefined,
    );
    filters.push(lt(auditLog.id, id));
  }
  const rows = await deps.db
    .select()
    .from(auditLog)
    .where(and(...filters))
    .orderBy(desc(auditLog.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      officerId: r.officerId,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      reason: r.reason,
      data: r.data,
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ id: last.id }) : null,
  };
}
