import { eq } from "drizzle-orm";
import { partners } from "../../../schema";
import type { Deps } from "../../deps";
import { describeZodError } from "../../errors";
import { partnerChannelName, type SmsChannel } from "../channels/channel";
import { type SmsApi, SmsApiSchema } from "../channels/http-gateway-api";
import { HttpSmsChannel } from "../channels/http-gateway-channel";
import { forChannel } from "../channels/per-channel";
import { QuotaLeases } from "../counters/quota-leases";
import { type Lane, RateLimiter, type RateScope } from "../rate/limiter";
import { channelScopeKey, rateScopes } from "../rate/scopes";
import { Throttle } from "../rate/throttle";

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

/** A channel this process cannot send on (misconfigured partner API, a channel of another deployment). */
export class ChannelUnavailable extends Error {
  override name = "ChannelUnavailable";
}

const CACHE_MS = 30_000;

/**
 * The per-process half of the SMS engine: which channel a message goes out on, the rate scopes it must
 * respect, the shared limiter, and the in-process bounds (p-limit per channel and lane, one token pump per
 * bulk scope set; src/sms/rate/throttle.ts). State that must hold across processes lives in PostgreSQL;
 * nothing here needs to be shared for limits to hold — a second process only competes for the same rows.
 */
export class SmsEngine {
  readonly limiter: RateLimiter;
  private readonly throttle: Throttle;
  private readonly channels = new Map<string, { channel: SmsChannel; at: number }>();
  private readonly partnerRows = new Map<string, { row: PartnerSms | undefined; at: number }>();
  readonly quotas: QuotaLeases;

  constructor(private readonly deps: EngineDeps) {
    this.limiter = new RateLimiter(deps.db);
    this.throttle = new Throttle(this.limiter, deps.config);
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
            ? `smsApi is invalid: ${describeZodError(parsed.error)}`
            : undefined,
        disabled: Boolean(row.disabledAt),
      };
    }
    this.partnerRows.set(id, { row: value, at: Date.now() });
    return value;
  }

  /** The scopes a send takes tokens from: the channel's provider rate, and the partner's rate for reminders. */
  scopes(channelName: string, partner: PartnerSms | undefined): RateScope[] {
    return rateScopes(this.deps.config, channelName, partner);
  }

  /** Messages the provider accepts per number per day on this channel. */
  perNumberCap(channelName: string, partner: PartnerSms | undefined): number {
    const ownApi = channelName.startsWith("partner:") ? partner?.smsApi : undefined;
    return (
      ownApi?.perNumberDailyCap ?? forChannel(this.deps.config.SMS_PER_NUMBER_DAILY_CAP, channelName) ?? 50
    );
  }

  /** Runs one provider call within this process's in-flight bound, at a moment the shared limiter allows. */
  dispatch<T>(
    channelName: string,
    lane: Lane,
    scopes: RateScope[],
    parts: number,
    send: () => Promise<T>,
  ): Promise<T> {
    return this.throttle.run(channelName, lane, scopes, parts, send);
  }

  /** The provider said to slow down: every process backs off this channel for that long. */
  async penalize(channelName: string, partner: PartnerSms | undefined, ms: number): Promise<void> {
    const scope = this.scopes(channelName, partner).find((s) => s.key === channelScopeKey(channelName));
    if (scope) await this.limiter.penalize(scope, ms);
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
