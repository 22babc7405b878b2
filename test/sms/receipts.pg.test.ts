import { sql } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pendingReceipts } from "../../schema";
import { createTestContext, type TestContext } from "../support/context";
import { untilWaitingForLock } from "../support/lock-waits";
import { aPartner } from "../support/partners";
import { message, PARTNER_API_URL, queueTestSms } from "../support/sms";

/**
 * A receipt arriving while another session holds the message's row: needs two connections, so PostgreSQL
 * only (vitest.config.ts). Moved here unchanged from receipts.test.ts (where it was skipped on PGlite).
 */

/** The partner's own SMS API: msw answers in its place. */
const partnerApi = setupServer();
beforeAll(() => partnerApi.listen({ onUnhandledRequest: "error" }));
afterEach(() => partnerApi.resetHandlers());
afterAll(() => partnerApi.close());

const PHONE = "+8613800138000";

/** A partner that sends reminders through its own API, which answers `{ result: { id } }`. */
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

function partnerApiAnswering(answer: (ref: string) => Promise<Response> | Response) {
  partnerApi.use(
    http.post(PARTNER_API_URL, async ({ request }) => {
      const body = (await request.json()) as { ref: string };
      return answer(body.ref);
    }),
  );
}

function postReceipts(ctx: TestContext, partnerId: string, body: unknown, apiKey: string) {
  return ctx.app.request(`/v1/partners/${partnerId}/delivery-receipts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
}

describe("POST /v1/partners/{partnerId}/delivery-receipts", () => {
  it("applies a receipt stored while its submit is being written, without waiting for a sweep", async () => {
    const ctx = await createTestContext();
    const partner = await ownApiPartner(ctx);
    let releaseRow = () => {};
    let rowLocked: Promise<void> | undefined;
    partnerApiAnswering((ref) => {
      // Another session holds the message's row, so the engine's submit write waits on it.
      rowLocked = new Promise<void>((locked) => {
        void ctx.deps.db.transaction(async (tx) => {
          await tx.execute(sql`select 1 from sms_messages where id = ${ref} for update`);
          locked();
          await new Promise<void>((release) => {
            releaseRow = release;
          });
        });
      });
      return rowLocked.then(() => HttpResponse.json({ result: { id: `p-${ref}` } }));
    });
    const [id] = await queueTestSms(ctx, [{ to: PHONE, partnerId: partner.id }]);

    const sending = ctx.drain();
    await untilWaitingForLock(ctx.deps.db, "%af_write_submits%", "the submit write");
    // The receipt comes while that write is under way: stored as pending, since the submit is not visible.
    const res = await postReceipts(
      ctx,
      partner.id,
      { receipts: [{ providerMessageId: `p-${id}`, status: "delivered" }] },
      partner.apiKey,
    );
    releaseRow();
    await sending;

    expect(await res.json()).toEqual({ results: [{ index: 0, outcome: "pending" }] });
    expect((await message(ctx, id as string)).status).toBe("delivered");
    expect(await ctx.deps.db.select().from(pendingReceipts)).toEqual([]);
  });
});
