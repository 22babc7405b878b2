import { expect } from "vitest";
import { campaigns, campaignTemplates } from "../../schema";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { warmDatabase as warmWorkerDatabase } from "../support/db";
import { aPartner, type TestPartner } from "../support/partners";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Template texts that pass the template rules. */
export const TEMPLATE_A = "【昌吉公安】取件提醒：自称快递客服要给您理赔退款的都是诈骗，勿转账！拒收请回复R";
export const TEMPLATE_B = "【昌吉公安】正规退款原路退回，不会让您扫码转账或提供验证码。拒收请回复R";

let campaignCounter = 0;

/** A campaign of the fixture station, running around the test dates, with the given templates. */
export async function aCampaign(
  ctx: TestContext,
  overrides: {
    id?: string;
    areaPrefixes?: string[];
    startsOn?: string;
    endsOn?: string;
    priority?: number;
    templates?: string[];
    stationId?: string;
  } = {},
) {
  const id = overrides.id ?? `cmp_test${++campaignCounter}`;
  await ctx.deps.db.insert(campaigns).values({
    id,
    stationId: overrides.stationId ?? ctx.fixture.ids.station,
    name: `Campaign ${id}`,
    areaPrefixes: overrides.areaPrefixes ?? ["652301"],
    startsOn: overrides.startsOn ?? "2026-01-01",
    endsOn: overrides.endsOn ?? "2027-12-31",
    priority: overrides.priority ?? 0,
  });
  const templates = overrides.templates ?? [TEMPLATE_A];
  const ids = templates.map((_, i) => `tpl_${id.slice(4)}_${i}`);
  if (templates.length === 0) return { id, templateIds: ids };
  await ctx.deps.db.insert(campaignTemplates).values(
    templates.map((body, i) => ({
      id: ids[i] as string,
      campaignId: id,
      body,
      segments: 1,
      // Created in order, so the oldest goes first on a tie.
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    })),
  );
  return { id, templateIds: ids };
}

let waybillCounter = 0;

/** A valid parcel event; override any field. Waybills are unique per call. */
export function anEvent(overrides: Record<string, unknown> = {}) {
  waybillCounter += 1;
  return {
    waybillNo: `YT${String(waybillCounter).padStart(10, "0")}`,
    kind: "arrived_at_pickup_point",
    recipientPhone: "13800138000",
    area: { code: "652301105201" },
    occurredAt: "2026-11-28T09:00:00+08:00",
    pickupPoint: "庙工村驿站",
    ...overrides,
  };
}

export type Result = {
  index: number;
  status: string;
  reason?: string;
  text?: string;
  messageId?: string;
  deferredUntil?: string;
  errors?: { path: string; message: string }[];
};

/** Who posts: a partner and one of its API keys. */
type PartnerCredentials = Pick<TestPartner, "id" | "apiKey">;

export async function postEvents(
  ctx: TestContext,
  partner: PartnerCredentials,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return ctx.app.request(`/v1/partners/${partner.id}/parcel-events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${partner.apiKey}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Posts events and returns the results, failing the test on anything but 200. */
export async function decide(
  ctx: TestContext,
  partner: PartnerCredentials,
  events: unknown[],
): Promise<Result[]> {
  const res = await postEvents(ctx, partner, { events });
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { results: Result[] }).results;
}

/** A session of the fixture's admin (`admin`, station stn_sangong; `otheradmin` is at another station). */
export function adminToken(ctx: TestContext, username = "admin"): Promise<string> {
  return ctx.login(username);
}

/** 10:30 on 28 November 2026, Asia/Shanghai: inside the default sending hours. */
export const MORNING = "2026-11-28T10:30:00+08:00";

export async function parcelContext(
  options: { at?: string; env?: Record<string, string> } = {},
): Promise<TestContext & { clock: ManualClock }> {
  const clock = new ManualClock(options.at ?? MORNING);
  const ctx = await createTestContext({ clock, env: options.env });
  return Object.assign(ctx, { clock });
}

/**
 * For beforeAll: the first database of a worker is migrated from scratch, which on a busy machine can take
 * most of a test's timeout; the hook's longer timeout pays for it instead.
 */
export async function warmDatabase(): Promise<void> {
  await warmWorkerDatabase();
}

/** A night before the reminder window opens, and the opening: deferred reminders are released then. */
export const NIGHT = "2026-11-28T22:30:00+08:00";

export const OPENING = "2026-11-29T10:00:00+08:00";

export async function deferredAtNight(phones: string[]) {
  const ctx = await parcelContext({ at: NIGHT });
  const partner = await aPartner(ctx);
  await aCampaign(ctx);
  const events = phones.map((recipientPhone, i) =>
    anEvent({ recipientPhone, occurredAt: `2026-11-28T${20 - i}:00:00+08:00` }),
  );
  const results = await decide(ctx, partner, events);
  expect(results.every((r) => r.status === "deferred")).toBe(true);
  return { ctx, partner, events };
}
