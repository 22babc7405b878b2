import { sql } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sendSms } from "../../src/sms/dispatch/send";
import { createTestContext, type TestContext } from "../support/context";
import { untilWaitingForLock } from "../support/lock-waits";
import { aPartner } from "../support/partners";
import { message, PARTNER_API_URL, queueTestSms } from "../support/sms";

/**
 * A reminder's submit write that stalls (another session holds its row) does not hold up recording a victim
 * warning's submit: the lanes record separately. Needs two connections, so PostgreSQL only.
 */

const partnerApi = setupServer();
beforeAll(() => partnerApi.listen({ onUnhandledRequest: "error" }));
afterEach(() => partnerApi.resetHandlers());
afterAll(() => partnerApi.close());

async function ownApiPartner(ctx: TestContext) {
  return aPartner(ctx, {
    channel: "partner_http",
    smsApi: {
      url: PARTNER_API_URL,
      auth: { type: "header", name: "x-api-token", valueEnc: ctx.deps.pii.encrypt("partner-sms-token") },
      fields: { to: "phone", text: "msg", clientReference: "ref" },
      response: { messageIdPath: "result.id" },
    },
  });
}

describe("recording submits", () => {
  it("records a victim warning as submitted while a reminder's submit write is still waiting", async () => {
    const ctx = await createTestContext();
    const partner = await ownApiPartner(ctx);
    let releaseRow = () => {};
    partnerApi.use(
      http.post(PARTNER_API_URL, async ({ request }) => {
        const { ref } = (await request.json()) as { ref: string };
        // Another session takes the reminder's row before the API answers, so its submit write waits.
        await new Promise<void>((locked) => {
          void ctx.deps.db.transaction(async (tx) => {
            await tx.execute(sql`select 1 from sms_messages where id = ${ref} for update`);
            locked();
            await new Promise<void>((release) => {
              releaseRow = release;
            });
          });
        });
        return HttpResponse.json({ result: { id: `p-${ref}` } });
      }),
    );
    const [reminder] = await queueTestSms(ctx, [{ to: "+8613800138001", partnerId: partner.id }]);
    const [warning] = await queueTestSms(ctx, [{ to: "+8613800138002", lane: "urgent" }]);

    const sendingReminder = sendSms(ctx.deps, reminder as string, ctx.deps.log);
    try {
      await untilWaitingForLock(ctx.deps.db, "%af_write_submits%", "the reminder's submit write");
      await sendSms(ctx.deps, warning as string, ctx.deps.log);
      expect((await message(ctx, warning as string)).status).toBe("submitted");
      expect((await message(ctx, reminder as string)).status).toBe("queued");
    } finally {
      releaseRow();
      await sendingReminder;
    }
    expect((await message(ctx, reminder as string)).status).toBe("submitted");
  });
});
