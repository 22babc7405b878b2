import type { Deps } from "../../deps";
import type { SmsApi } from "../channels/http-gateway-api";
import { forChannel } from "../channels/per-channel";
import type { RateScope } from "./limiter";

/** What the rate scopes need of the partner a reminder is sent for. */
export interface RatedPartner {
  id: string;
  partsPerSecond: number;
  smsApi: Pick<SmsApi, "partsPerSecond"> | undefined;
}

/** The scopes a send takes tokens from: the channel's provider rate, and the partner's rate for reminders. */
export function rateScopes(
  config: Deps["config"],
  channelName: string,
  partner: RatedPartner | undefined,
): RateScope[] {
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
    const burst = withinJitter(forChannel(config.SMS_GLOBAL_BURST, channelName) ?? defaultBurst(rate), rate);
    scopes.push({
      key: channelScopeKey(channelName),
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

/** The key of a channel's provider-rate scope (`rate_limits.key`). */
export const channelScopeKey = (channelName: string) => `ch:${channelName}`;

/** A fifth of a second's worth, at least one part (two parts for a long Chinese SMS fit from idle anyway). */
function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 5));
}
