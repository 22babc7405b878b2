import type { ReminderDecision } from "../../schema";
import { shanghaiDate } from "../calendar";
import { nextSendingTime } from "./local-time";
import type { CapWindow, SendingHours } from "./policy";

/**
 * The reminder decision, as pure functions over what the database step has loaded: whether, which and when.
 * src/parcels/intake.ts runs it under a per-recipient lock, so what it counts is what it reserves.
 */

export interface ActiveTemplate {
  id: string;
  body: string;
  /** Rotation counter as stored, plus what this batch has already used. */
  uses: number;
}

export interface ActiveCampaign {
  id: string;
  /** Empty: every area of the station. */
  areaPrefixes: string[];
  startsOn: string;
  endsOn: string;
  priority: number;
  /** Oldest first: the tie-break of the rotation. */
  templates: ActiveTemplate[];
}

export interface DecisionInput {
  now: Date;
  /** `attach` partners put the text in their own pickup SMS now; everyone else's reminders go by our bulk lane. */
  attach: boolean;
  areaCode: string;
  optedOut: boolean;
  /** Times (ms) of this recipient's reminders already reserved, including ones later in the future. */
  reservedAt: readonly number[];
}

export interface DecisionPolicy {
  caps: readonly CapWindow[];
  hours: SendingHours;
}

export type Decision =
  | { decision: "suppressed"; reason: string }
  | {
      decision: Exclude<ReminderDecision, "suppressed">;
      reason: string | null;
      /** When the reminder goes: now, or the start of the next sending window. The cap slot is reserved then. */
      sendAt: Date;
      campaignId: string;
      template: ActiveTemplate;
    };

/**
 * In order: opted out, then the frequency caps, then an active campaign, then quiet hours.
 * Quiet hours defer (and still reserve the cap slot at the deferred time); they never drop.
 * Attached reminders ride on the partner's own pickup notification, which it sends when it sends it: they add
 * no SMS of ours at night, so quiet hours do not apply to them.
 */
export function decideReminder(
  input: DecisionInput,
  campaigns: readonly ActiveCampaign[],
  policy: DecisionPolicy,
  /** false: a provisional decision that must not advance the rotation (it will be taken again under the lock). */
  rotate = true,
): Decision {
  if (input.optedOut) return { decision: "suppressed", reason: "opted_out" };
  const sendAt = input.attach ? input.now : nextSendingTime(input.now, policy.hours);
  const full = fullCap(input.reservedAt, sendAt.getTime(), policy.caps);
  if (full) return { decision: "suppressed", reason: `capped_${full.name}` };
  const campaign = chooseCampaign(campaigns, input.areaCode, shanghaiDate(sendAt));
  if (!campaign) {
    const date = shanghaiDate(sendAt);
    const unusable = campaigns.some((c) => c.templates.length === 0 && covers(c, input.areaCode, date));
    return { decision: "suppressed", reason: unusable ? "no_template" : "no_campaign" };
  }
  const template = rotate ? nextTemplate(campaign) : leastUsed(campaign);
  if (input.attach) return { decision: "attached", reason: null, sendAt, campaignId: campaign.id, template };
  const deferred = sendAt.getTime() > input.now.getTime();
  return {
    decision: deferred ? "deferred" : "scheduled",
    reason: deferred ? "quiet_hours" : null,
    sendAt,
    campaignId: campaign.id,
    template,
  };
}

/**
 * The first cap a reminder at `at` would break: some period of the cap's length that contains `at` already
 * holds `max` reminders. Periods are half-open, so a reminder exactly one period after the last is allowed.
 * The fullest period containing `at` starts at `at` or at an earlier reminder within one period of it.
 */
export function fullCap(
  reservedAt: readonly number[],
  at: number,
  caps: readonly CapWindow[],
): CapWindow | undefined {
  for (const cap of caps) {
    const near = reservedAt.filter((t) => t > at - cap.ms && t < at + cap.ms);
    if (near.length < cap.max) continue;
    const starts = [at, ...near.filter((t) => t <= at)];
    const fullest = Math.max(...starts.map((s) => near.filter((t) => t >= s && t < s + cap.ms).length));
    if (fullest >= cap.max) return cap;
  }
  return undefined;
}

/** The longest of a campaign's prefixes the area code starts with: -1 no match, 0 a station-wide campaign. */
function matchLength(campaign: ActiveCampaign, areaCode: string): number {
  if (campaign.areaPrefixes.length === 0) return 0;
  let best = -1;
  for (const prefix of campaign.areaPrefixes) {
    if (areaCode.startsWith(prefix) && prefix.length > best) best = prefix.length;
  }
  return best;
}

function covers(campaign: ActiveCampaign, areaCode: string, date: string): boolean {
  return date >= campaign.startsOn && date <= campaign.endsOn && matchLength(campaign, areaCode) >= 0;
}

/**
 * Highest priority first (an urgent campaign about a new scam pattern outranks the standing one), then the
 * most specific area match, then the newest id for a stable answer. Campaigns with no usable template are skipped.
 */
export function chooseCampaign(
  campaigns: readonly ActiveCampaign[],
  areaCode: string,
  date: string,
): ActiveCampaign | undefined {
  let best: ActiveCampaign | undefined;
  let bestMatch = -1;
  for (const campaign of campaigns) {
    if (campaign.templates.length === 0 || !covers(campaign, areaCode, date)) continue;
    const match = matchLength(campaign, areaCode);
    const better =
      !best ||
      campaign.priority > best.priority ||
      (campaign.priority === best.priority &&
        (match > bestMatch || (match === bestMatch && campaign.id > best.id)));
    if (better) {
      best = campaign;
      bestMatch = match;
    }
  }
  return best;
}

function leastUsed(campaign: ActiveCampaign): ActiveTemplate {
  let pick = campaign.templates[0] as ActiveTemplate;
  for (const template of campaign.templates) if (template.uses < pick.uses) pick = template;
  return pick;
}

/** Even rotation: the least-used template (oldest on a tie) goes next, and its count goes up. */
export function nextTemplate(campaign: ActiveCampaign): ActiveTemplate {
  const pick = leastUsed(campaign);
  pick.uses += 1;
  return pick;
}
