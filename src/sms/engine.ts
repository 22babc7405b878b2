import { setTimeout as sleep } from "node:timers/promises";
import { eq } from "drizzle-orm";
import pLimit, { type LimitFunction } from "p-limit";
import { partners } from "../../schema";
import { Coalescer } from "../db/coalesce";
import type { Deps } from "../deps";
import type { SmsChannel } from "./channel";
import { addWithin, quotaKey } from "./daily";
import { type Lane, type RateDecision, RateLimiter, type RateScope } from "./limiter";
import { HttpSmsChannel } from "./partner-http-channel";
import { forChannel } from "./settings";
import { type SmsApi, SmsApiSchema } from "./sms-api";

export type EngineDeps = Pick<Deps, "db" | "pii" | "sms" | "config">;

export interface PartnerSms {
  id: string;
  stationId: string;
  channel: "partner_http" | "sns" | "attach";
  partsPerSecond: number;
  dailyQuota: number;
  smsApi: SmsApi | undefined;
  /** Why smsApi could not be used, when the partner sends through its own API. */
  smsApiProblem: string | undefined;
  disabled: boolean;
}

/** A bulk SMS would wait longer than allowed for its rate slot; put it back on the queue for that long. */
export class RateDeferred extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate slot more than the allowed wait away (about ${Math.round(retryAfterMs)} ms)`);
    this.name = "RateDeferred";
  }
}

/** A channel this process cannot send on (misconfigured partner API, a channel of another deployment). */
export class ChannelUnavailable extends Error {
  override name = "ChannelUnavailable";
}

const CACHE_MS = 30_000;

/** Channel name of a partner's own gateway; police SMS and partners we send for use the configured channel. */
export const partnerChannelName = (partnerId: string) => `partner:${partnerId}`;

/**
 * The per-process half of the SMS engine: which channel a message goes out on, the rate scopes it must
 * respect, the shared limiter, and the in-process bounds (p-limit per channel and lane, one token pump per
 * bulk scope set). State that must hold across processes lives in PostgreSQL; nothing here needs to be
 * shared for limits to hold — a second process only competes for the same rows.
 */
export class SmsEngine {
  readonly limiter: RateLimiter;
  private readonly channels = new Map<string, { channel: SmsChannel; at: number }>();
  private readonly partnerRows = new Map<string, { row: PartnerSms | undefined; at: number }>();
  private readonly inFlight = new Map<string, LimitFunction>();
  private readonly pumps = new Map<string, BulkPump>();
  private readonly urgentTakers = new Map<string, Coalescer<number, RateDecision>>();
  readonly quotas: QuotaLeases;

  constructor(private readonly deps: EngineDeps) {
    this.limiter = new RateLimiter(deps.db);
    this.quotas = new QuotaLeases(deps.db);
  }

  channelNameFor(partner: { id: string; channel: string } | undefined): string {
    return partner?.channel === "partner_http" ? partnerChannelName(partner.id) : this.deps.sms.name;
  }

  /** The channel a message goes out on. Adding a gateway adds a case where channels are built, not here. */
  async channel(name: string): Promise<SmsChannel> {
    if (name === this.deps.sms.name) return this.deps.sms;
    const cached = this.channels.get(name);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.channel;
    if (!name.startsWith("partner:")) {
      throw new ChannelUnavailable(`channel ${name} is not configured in this deployment`);
    }
    const partner = await this.partner(name.slice("partner:".length));
    if (!partner?.smsApi) {
      throw new ChannelUnavailable(`${name}: ${partner?.smsApiProblem ?? "no such partner"}`);
    }
    const channel = new HttpSmsChannel(name, partner.smsApi, { decrypt: (s) => this.deps.pii.decrypt(s) });
    this.channels.set(name, { channel, at: Date.now() });
    return channel;
  }

  /** A partner's SMS settings, cached briefly: admins' changes apply within half a minute. */
  async partner(id: string): Promise<PartnerSms | undefined> {
    const cached = this.partnerRows.get(id);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.row;
    const [row] = await this.deps.db.select().from(partners).where(eq(partners.id, id));
    let value: PartnerSms | undefined;
    if (row) {
      const parsed = row.smsApi ? SmsApiSchema.safeParse(row.smsApi) : undefined;
      value = {
        id: row.id,
        stationId: row.stationId,
        channel: row.channel,
        partsPerSecond: row.partsPerSecond,
        dailyQuota: row.dailyQuota,
        smsApi: parsed?.success ? parsed.data : undefined,
        smsApiProblem: !row.smsApi
          ? "partner has no smsApi configured"
          : parsed && !parsed.success
            ? `smsApi is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`
            : undefined,
        disabled: Boolean(row.disabledAt),
      };
    }
    this.partnerRows.set(id, { row: value, at: Date.now() });
    return value;
  }

  /** The scopes a send takes tokens from: the channel's provider rate, and the partner's rate for reminders. */
  scopes(channelName: string, partner: PartnerSms | undefined): RateScope[] {
    const { config } = this.deps;
    // The limiter bounds when sends are decided; the provider counts when they arrive, each a little later,
    // by an amount that varies with load. Arrivals can bunch up by rate × that spread, so it is kept out of
    // the burst: the provider never sees more than rate + burst in a second while the spread stays within
    // SMS_SEND_JITTER_MS.
    const withinJitter = (burst: number, rate: number) =>
      Math.max(1, burst - Math.ceil((rate * config.SMS_SEND_JITTER_MS) / 1000));
    const scopes: RateScope[] = [];
    const ownApi = channelName.startsWith("partner:") ? partner?.smsApi : undefined;
    const rate = ownApi?.partsPerSecond ?? forChannel(config.SMS_GLOBAL_PARTS_PER_SECOND, channelName);
    if (rate && rate > 0) {
      const burst = withinJitter(
        forChannel(config.SMS_GLOBAL_BURST, channelName) ?? defaultBurst(rate),
        rate,
      );
      scopes.push({
        key: `ch:${channelName}`,
        partsPerSecond: rate,
        burst,
        urgentReserve: Math.floor(burst * config.SMS_URGENT_RESERVE_SHARE),
      });
    }
    if (partner && partner.partsPerSecond > 0) {
      scopes.push({
        key: `par:${partner.id}`,
        partsPerSecond: partner.partsPerSecond,
        burst: withinJitter(defaultBurst(partner.partsPerSecond), partner.partsPerSecond),
        urgentReserve: 0,
      });
    }
    return scopes;
  }

  /** Messages the provider accepts per number per day on this channel. */
  perNumberCap(channelName: string, partner: PartnerSms | undefined): number {
    const ownApi = channelName.startsWith("partner:") ? partner?.smsApi : undefined;
    return (
      ownApi?.perNumberDailyCap ?? forChannel(this.deps.config.SMS_PER_NUMBER_DAILY_CAP, channelName) ?? 50
    );
  }

  /**
   * Runs one provider call within this process's in-flight bound, at a moment the shared limiter allows.
   * The in-flight slot is taken before the tokens, so a granted slot is used at once rather than after a
   * local queue (which would bunch sends up beyond the burst). Urgent and bulk have separate bounds:
   * bulk filling its slots never makes a warning wait in this process either.
   */
  async dispatch<T>(
    channelName: string,
    lane: Lane,
    scopes: RateScope[],
    parts: number,
    send: () => Promise<T>,
  ): Promise<T> {
    const key = `${channelName}|${lane}`;
    let limit = this.inFlight.get(key);
    if (!limit) {
      limit = pLimit(this.deps.config.SMS_MAX_IN_FLIGHT);
      this.inFlight.set(key, limit);
    }
    return limit(async () => {
      if (lane === "urgent") {
        const decision = await this.urgentTaker(scopes).add(parts);
        // Only a provider's long Retry-After puts urgent this far out. Sleeping through it would outlast the
        // send lease, and a redelivered job could then send the same SMS: go back to the queue instead.
        if (decision.waitMs > this.deps.config.SMS_RATE_MAX_WAIT_MS) throw new RateDeferred(decision.waitMs);
        if (decision.waitMs > 0) await sleep(decision.waitMs);
      } else if (scopes.length > 0) {
        await this.pump(scopes).acquire(parts, this.deps.config.SMS_RATE_MAX_WAIT_MS);
      }
      return send();
    });
  }

  /** The provider said to slow down: every process backs off this channel for that long. */
  async penalize(channelName: string, partner: PartnerSms | undefined, ms: number): Promise<void> {
    const scope = this.scopes(channelName, partner).find((s) => s.key === `ch:${channelName}`);
    if (scope) await this.limiter.penalize(scope, ms);
  }

  /**
   * Urgent sends of one scope set take their tokens together: one decision for the SMS waiting at that
   * moment, each sent at the slot it names. A decision per SMS made hundreds of takers a second queue for the
   * channel's row, each holding a pool connection meanwhile, and pushes waited for connections behind them
   * (bench:intake, receive-to-pushed). A batch stays within a quarter of the burst, so it never arrives as
   * more at once than one SMS would be allowed.
   */
  private urgentTaker(scopes: RateScope[]): Coalescer<number, RateDecision> {
    const key = scopeSetKey(scopes);
    let taker = this.urgentTakers.get(key);
    if (!taker) {
      const maxBatch = Math.max(1, Math.floor(Math.min(...scopes.map((s) => s.burst)) / 4));
      taker = new Coalescer(async (parts) => {
        const decision = await this.limiter.take(
          scopes,
          parts.reduce((a, b) => a + b, 0),
          "urgent",
        );
        return parts.map(() => decision);
      }, maxBatch);
      this.urgentTakers.set(key, taker);
    }
    return taker;
  }

  private pump(scopes: RateScope[]): BulkPump {
    const key = scopeSetKey(scopes);
    let pump = this.pumps.get(key);
    if (!pump) {
      pump = new BulkPump(this.limiter, scopes);
      this.pumps.set(key, pump);
    }
    return pump;
  }
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

  constructor(private readonly db: EngineDeps["db"]) {}

  /** Takes `parts` of the partner's quota for `day`: the parts now counted in the database, or undefined. */
  async take(
    partner: PartnerSms,
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
    partner: PartnerSms,
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
  giveBack(partner: PartnerSms, day: string, parts: number): void {
    const lease = this.leases.get(partner.id);
    if (lease?.day === day) lease.remaining += parts;
    else this.leases.set(partner.id, { day, remaining: parts });
  }
}

const scopeSetKey = (scopes: RateScope[]) =>
  scopes.map((s) => `${s.key}@${s.partsPerSecond}/${s.burst}`).join("|");

/** A fifth of a second's worth, at least one part (two parts for a long Chinese SMS fit from idle anyway). */
function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 5));
}

interface Waiter {
  parts: number;
  deadline: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Bulk senders of one scope set in this process wait here in order, and one loop takes tokens for several
 * of them at once ("tokens taken in batches"). Without it, every waiting sender would ask the database
 * again each time a slot might be free, all at the same moment; with it, a process asks about once per
 * batch, and the database sees a handful of takers however many SMS are waiting.
 */
class BulkPump {
  private readonly waiting: Waiter[] = [];
  private running = false;
  /**
   * The most parts one decision takes: a quarter of what bulk may take at once. A batch as large as the
   * whole tolerance would only conform once the scope is completely idle, which other takers never let
   * happen; smaller batches keep sends spread out too.
   */
  private readonly maxBatch: number;
  /** Seconds per part at the slowest scope, to estimate how long the queue ahead takes. */
  private readonly slowest: number;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly scopes: RateScope[],
  ) {
    const tolerance = Math.min(...scopes.map((s) => Math.max(1, s.burst - s.urgentReserve)));
    this.maxBatch = Math.max(1, Math.floor(tolerance / 4));
    this.slowest = Math.max(...scopes.map((s) => 1 / s.partsPerSecond));
  }

  acquire(parts: number, maxWaitMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ parts, deadline: Date.now() + maxWaitMs, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch: Waiter[] = [];
        let sum = 0;
        while (this.waiting.length > 0) {
          const next = this.waiting[0] as Waiter;
          if (batch.length > 0 && sum + next.parts > this.maxBatch) break;
          batch.push(this.waiting.shift() as Waiter);
          sum += next.parts;
        }
        let decision: Awaited<ReturnType<RateLimiter["take"]>>;
        try {
          decision = await this.limiter.take(this.scopes, sum, "bulk");
        } catch (error) {
          for (const w of batch) w.reject(error as Error);
          continue;
        }
        if (decision.granted) {
          if (decision.waitMs > 0) await sleep(decision.waitMs);
          for (const w of batch) w.resolve();
          continue;
        }
        this.waiting.unshift(...batch);
        this.deferHopeless(decision.waitMs);
        await sleep(Math.max(1, decision.waitMs));
      }
    } finally {
      this.running = false;
    }
  }

  /** Waiters whose slot is, by estimate, beyond their deadline go back to the queue now, not later. */
  private deferHopeless(waitMs: number): void {
    const now = Date.now();
    let ahead = 0;
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i] as Waiter;
      const estimate = waitMs + ahead * this.slowest * 1000;
      if (now + estimate > w.deadline) {
        this.waiting.splice(i, 1);
        w.reject(new RateDeferred(estimate));
        continue;
      }
      ahead += w.parts;
      i++;
    }
  }
}

const engines = new WeakMap<object, SmsEngine>();

/** One engine per database handle: per process in production, per test in the tests. */
export function smsEngine(deps: EngineDeps): SmsEngine {
  let engine = engines.get(deps.db);
  if (!engine) {
    engine = new SmsEngine(deps);
    engines.set(deps.db, engine);
  }
  return engine;
}
