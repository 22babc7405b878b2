import { and, eq, gte, isNull, lte, sql } from "drizzle-orm";
import { campaigns, campaignTemplates } from "../../schema";
import { addDays, shanghaiDate } from "../calendar";
import { queryRows, type Tx } from "../db/client";
import { arrayLiteral } from "../db/id-array";
import type { ActiveCampaign } from "./decide";

/** The reads and writes of parcel intake's one transaction (src/parcels/intake.ts), in set-based SQL. */

/**
 * One JSON parameter for a whole batch instead of 17 parameters per row: for 500-1,000 rows, building and
 * parsing that many parameters costs more than the insert itself. Rows go in key order, so two batches that
 * share events take the unique-index locks in the same order. Returns the rows inserted, with their SMS ids.
 */
export async function insertEvents(
  tx: Tx,
  rows: Record<string, unknown>[],
): Promise<{ id: string; message_id: string | null }[]> {
  if (rows.length === 0) return [];
  const key = (r: Record<string, unknown>) => `${r.waybill_no}\u0000${r.kind}`;
  const sorted = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return queryRows<{ id: string; message_id: string | null }>(
    tx,
    sql`insert into parcel_events (id, partner_id, waybill_no, kind, recipient_enc, recipient_hash, area_code,
          pickup_point, occurred_at, received_at, decision, reason, campaign_id, template_id, message_id,
          deferred_until, text, test)
        select id, partner_id, waybill_no, kind, recipient_enc, recipient_hash, area_code, pickup_point,
               occurred_at, received_at, decision, reason, campaign_id, template_id,
               (select m.id from sms_messages m where m.idempotency_key = x.sms_key), deferred_until, text,
               coalesce(x.test, false)
        from jsonb_to_recordset(${JSON.stringify(sorted)}::jsonb) as x(id text, partner_id text, waybill_no text,
          kind text, recipient_enc text, recipient_hash text, area_code text, pickup_point text,
          occurred_at timestamptz, received_at timestamptz, decision text, reason text, campaign_id text,
          template_id text, sms_key text, deferred_until timestamptz, text text, test boolean)
        on conflict (partner_id, waybill_no, kind, test) do nothing
        returning id, message_id`,
  );
}

/** Each recipient's reserved reminder times within the window, by keyed hash: live ones, or a test key's. */
export async function loadReservations(
  tx: Tx,
  hashes: string[],
  window: { from: Date; to: Date },
  test = false,
): Promise<Map<string, number[]>> {
  const rows = await queryRows<{ recipient_hash: string; reserved_at: Date | string }>(
    tx,
    sql`select recipient_hash, reserved_at from reminder_reservations
        where recipient_hash = any(${arrayLiteral(hashes)}::text[])
          and reserved_at > ${window.from.toISOString()}::timestamptz
          and reserved_at < ${window.to.toISOString()}::timestamptz
          and test = ${test}`,
  );
  const reserved = new Map<string, number[]>();
  for (const r of rows) {
    const list = reserved.get(r.recipient_hash) ?? [];
    list.push(new Date(r.reserved_at).getTime());
    reserved.set(r.recipient_hash, list);
  }
  return reserved;
}

/**
 * The station's enabled campaigns running today or tomorrow (a deferred reminder goes tomorrow), with their
 * usable templates. A campaign without one is loaded too (with none), so the decision can say that it is the
 * missing template, not a missing campaign, that kept a reminder back.
 */
export async function loadActiveCampaigns(tx: Tx, stationId: string, now: Date): Promise<ActiveCampaign[]> {
  const today = shanghaiDate(now);
  const tomorrow = addDays(today, 1);
  const rows = await tx
    .select({
      id: campaigns.id,
      areaPrefixes: campaigns.areaPrefixes,
      startsOn: campaigns.startsOn,
      endsOn: campaigns.endsOn,
      priority: campaigns.priority,
      templateId: campaignTemplates.id,
      body: campaignTemplates.body,
      uses: campaignTemplates.uses,
    })
    .from(campaigns)
    .leftJoin(
      campaignTemplates,
      and(eq(campaignTemplates.campaignId, campaigns.id), isNull(campaignTemplates.disabledAt)),
    )
    .where(
      and(
        eq(campaigns.stationId, stationId),
        isNull(campaigns.disabledAt),
        gte(campaigns.endsOn, today),
        lte(campaigns.startsOn, tomorrow),
      ),
    )
    .orderBy(campaigns.id, campaignTemplates.createdAt, campaignTemplates.id);
  const byId = new Map<string, ActiveCampaign>();
  for (const r of rows) {
    let campaign = byId.get(r.id);
    if (!campaign) {
      campaign = {
        id: r.id,
        areaPrefixes: r.areaPrefixes,
        startsOn: r.startsOn,
        endsOn: r.endsOn,
        priority: r.priority,
        templates: [],
      };
      byId.set(r.id, campaign);
    }
    if (r.templateId !== null && r.body !== null && r.uses !== null) {
      campaign.templates.push({ id: r.templateId, body: r.body, uses: r.uses });
    }
  }
  return [...byId.values()];
}
