import type { Db } from "../../db/client";
import { addWithin, quotaKey } from "./daily-usage";

/** A partner's quota use at which a warning is logged (and shown by GET /v1/sms/quotas). */
export const QUOTA_WARN_SHARE = 0.8;

/** What a quota lease needs of the partner a reminder is sent for. */
export interface QuotaPartner {
  id: string;
  dailyQuota: number;
}

/**
 * A partner's daily quota, taken from `daily_usage` in chunks. Every reminder of a partner counts against
 * the same row, and a row can take only so many updates a second (each waits for the one before it to
 * commit): per-SMS counting made that row the engine's bottleneck. So each process takes a chunk of parts
 * at once — a thousandth of the quota, at most 100 — and counts locally until it is spent. The quota still
 * holds across processes (the chunks are taken with the same conditional UPSERT); the price is that up to
 * a chunk per process is counted before it is sent, so the quota shows a little more use than went out,
 * and a process that stops leaves at most its chunk unused. Small quotas (under 1,000) are counted per SMS.
 */
export class QuotaLeases {
  private readonly leases = new Map<string, { day: string; remaining: number }>();
  /**
   * The chunk being taken for a partner, if any. Senders that find the lease spent while it is taken wait
   * for it instead of each taking a chunk of their own: dozens of sends run at once, and each would count a
   * whole chunk against the quota that the next one then overwrote.
   */
  private readonly refills = new Map<string, Promise<unknown>>();

  constructor(private readonly db: Db) {}

  /** Takes `parts` of the partner's quota for `day`: the parts now counted in the database, or undefined. */
  async take(
    partner: QuotaPartner,
    day: string,
    parts: number,
  ): Promise<{ used: number | undefined } | undefined> {
    for (;;) {
      const lease = this.leases.get(partner.id);
      if (lease?.day === day && lease.remaining >= parts) {
        lease.remaining -= parts;
        return { used: undefined };
      }
      const inFlight = this.refills.get(partner.id);
      if (!inFlight) break;
      await inFlight;
    }
    const refill = this.refill(partner, day, parts);
    this.refills.set(
      partner.id,
      refill.catch(() => undefined),
    );
    try {
      return await refill;
    } finally {
      this.refills.delete(partner.id);
    }
  }

  private async refill(
    partner: QuotaPartner,
    day: string,
    parts: number,
  ): Promise<{ used: number | undefined } | undefined> {
    const chunk = Math.min(100, Math.max(1, Math.floor(partner.dailyQuota / 1000)));
    const key = quotaKey(partner.id);
    if (chunk > parts) {
      const used = await addWithin(this.db, key, day, chunk, partner.dailyQuota);
      if (used !== undefined) {
        this.leases.set(partner.id, { day, remaining: chunk - parts });
        return { used };
      }
    }
    // Near the end of the quota (or counting per SMS): exactly what this SMS needs, or nothing.
    const used = await addWithin(this.db, key, day, parts, partner.dailyQuota);
    return used === undefined ? undefined : { used };
  }

  /** An SMS that took quota did not go out: its parts go back to this process's lease. */
  giveBack(partner: QuotaPartner, day: string, parts: number): void {
    const lease = this.leases.get(partner.id);
    if (lease?.day === day) lease.remaining += parts;
    else this.leases.set(partner.id, { day, remaining: parts });
  }
}
