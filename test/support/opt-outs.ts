import { parcelEvents, smsMessages } from "../../schema";
import { newId } from "../../src/ids";
import { maskPhone, normalizePhone } from "../../src/privacy/phone";
import type { TestContext } from "./context";

let counter = 0;

/** A reminder this partner had us send to `phone` (or, `attached`, appended to its own SMS): it has texted the number. */
export async function givenPartnerTexted(
  ctx: TestContext,
  partnerId: string,
  phone: string,
  how: "sent" | "attached" = "sent",
): Promise<void> {
  counter += 1;
  const e164 = normalizePhone(phone) as string;
  const hash = ctx.deps.pii.hash(e164);
  if (how === "attached") {
    await ctx.deps.db.insert(parcelEvents).values({
      id: newId("parcelEvent"),
      partnerId,
      waybillNo: `WB${counter}`,
      kind: "arrived_at_pickup_point",
      recipientEnc: ctx.deps.pii.encrypt(e164),
      recipientHash: hash,
      occurredAt: ctx.deps.clock.now(),
      receivedAt: ctx.deps.clock.now(),
      decision: "attached",
    });
    return;
  }
  await ctx.deps.db.insert(smsMessages).values({
    id: newId("message"),
    idempotencyKey: `test-reminder:${counter}:${hash}`,
    lane: "bulk",
    purpose: "parcel_reminder",
    recipientEnc: ctx.deps.pii.encrypt(e164),
    recipientHash: hash,
    recipientMasked: maskPhone(e164),
    body: "【昌吉公安】取件提醒。拒收请回复R",
    segments: 1,
    channel: "outbox",
    partnerId,
    status: "delivered",
  });
}
