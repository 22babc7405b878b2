import { eq } from "drizzle-orm";
import { partners } from "../../schema";
import { nextShanghaiMidnight, shanghaiDate } from "../calendar";
import type { Deps } from "../deps";
import { quotaKey, usageOn } from "../sms/counters/daily-usage";
import { QUOTA_WARN_SHARE } from "../sms/counters/quota-leases";

export type QuotaState = "ok" | "warning" | "exhausted";

/**
 * Today's SMS use of each partner of a station against its daily quota (parts, Asia/Shanghai day):
 * `warning` from 80%, `exhausted` when bulk is being held back. Resets by itself at the next day.
 */
export async function partnerQuotas(deps: Pick<Deps, "db" | "clock">, stationId: string) {
  const now = deps.clock.now();
  const day = shanghaiDate(now);
  const rows = await deps.db
    .select({
      id: partners.id,
      name: partners.name,
      quota: partners.dailyQuota,
      pps: partners.partsPerSecond,
    })
    .from(partners)
    .where(eq(partners.stationId, stationId))
    .orderBy(partners.id);
  const usage = await usageOn(
    deps.db,
    rows.map((r) => quotaKey(r.id)),
    day,
  );
  return {
    day,
    resetsAt: nextShanghaiMidnight(now).toISOString(),
    partners: rows.map((r) => {
      const used = usage.get(quotaKey(r.id)) ?? 0;
      return {
        partnerId: r.id,
        name: r.name,
        partsPerSecond: r.pps,
        dailyQuota: r.quota,
        usedParts: used,
        state: quotaState(used, r.quota),
      };
    }),
  };
}

export function quotaState(used: number, quota: number): QuotaState {
  // Exhausted once the next one-part SMS would not fit: that is when bulk starts being held.
  if (used + 1 > quota) return "exhausted";
  return used >= quota * QUOTA_WARN_SHARE ? "warning" : "ok";
}
