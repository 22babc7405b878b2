import { beforeAll, describe, expect, it } from "vitest";
import { aPartner } from "../support/partners";
import { aCampaign, anEvent, decide, parcelContext, warmDatabase } from "./support";

beforeAll(warmDatabase);

/** The partner's read-back of a waybill says why no reminder went, in words a support desk can repeat. */
describe("why (no) SMS", () => {
  it("explains a campaign without a template as that, not as no campaign for the area", async () => {
    const ctx = await parcelContext();
    const partner = await aPartner(ctx);
    await aCampaign(ctx, { templates: [] });
    const event = anEvent();

    const results = await decide(ctx, partner, [event]);
    const res = await ctx.app.request(`/v1/partners/${partner.id}/parcel-events/${event.waybillNo}`, {
      headers: { authorization: `Bearer ${partner.apiKey}` },
    });

    expect(results).toEqual([{ index: 0, status: "suppressed", reason: "no_template" }]);
    const body = (await res.json()) as { events: { reason: string; explanation: string }[] };
    expect(body.events[0]?.explanation).toMatch(/no approved, active template/);
    expect(body.events[0]?.explanation).not.toMatch(/no active campaign/);
  });
});
