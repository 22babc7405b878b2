import { sql } from "drizzle-orm";
import { campaigns, parcelEvents } from "../../schema";
import { shanghaiDate } from "../../src/calendar";
import type { Deps } from "../../src/deps";
import { newId } from "../../src/ids";
import type { SmsToQueue } from "../../src/sms/dispatch/queue-sms";

/**
 * The night's reminders for bench:sms `--flood release`: each reminder as a parcel event deferred by quiet
 * hours, of an active campaign at the station, due now and in the order given, so the parcels.release
 * consumer's own code queues the flood as it does at 10:00.
 */
export async function deferFlood(
  deps: Pick<Deps, "db" | "pii">,
  stationId: string,
  reminders: SmsToQueue[],
): Promise<void> {
  const now = Date.now();
  const campaignId = newId("campaign");
  await deps.db.insert(campaigns).values({
    id: campaignId,
    stationId,
    name: "Bench campaign",
    areaPrefixes: ["6523"],
    startsOn: shanghaiDate(new Date(now - 86_400_000)),
    endsOn: shanghaiDate(new Date(now + 86_400_000)),
  });
  for (let i = 0; i < reminders.length; i += 1000) {
    await deps.db.insert(parcelEvents).values(
      reminders.slice(i, i + 1000).map((reminder, k) => {
        const overnight = new Date(now - 10 * 3_600_000 + i + k);
        return {
          id: newId("parcelEvent"),
          partnerId: reminder.partnerId as string,
          waybillNo: `BENCH${String(i + k).padStart(10, "0")}`,
          kind: "registered" as const,
          recipientEnc: deps.pii.encrypt(reminder.to),
          recipientHash: deps.pii.hash(reminder.to),
          areaCode: "652301105201",
          occurredAt: overnight,
          receivedAt: overnight,
          decision: "deferred" as const,
          reason: "quiet_hours",
          campaignId,
          deferredUntil: new Date(now - 1_000),
          text: reminder.body,
        };
      }),
    );
  }
  // A night of deferrals has been analysed by autovacuum long before 10:00 (its naptime is a minute); rows
  // inserted a second ago have not, and their plan would be the bench's, not the station's.
  await deps.db.execute(sql`analyze parcel_events`);
}
