import { gzipSync } from "node:zlib";
import { eq } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pendingReceipts, smsEvents, smsMessages } from "../../schema";
import {
  applySnsDeliveryRecords,
  decodeLogsSubscriptionData,
  parseSnsDeliveryRecord,
} from "../../src/sms/channels/sns-delivery-log";
import { createTestContext, type TestContext } from "../support/context";
import { aPartner } from "../support/partners";
import {
  history,
  message,
  migrateOnceBeforeAll,
  PARTNER_API_URL,
  queueTestSms,
  signedPost,
} from "../support/sms";

migrateOnceBeforeAll();

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
  const seen: { ref: string; token: string | null }[] = [];
  partnerApi.use(
    http.post(PARTNER_API_URL, async ({ request }) => {
      const body = (await request.json()) as { ref: string };
      seen.push({ ref: body.ref, token: request.headers.get("x-api-token") });
      return answer(body.ref);
    }),
  );
  return seen;
}

function postReceipts(ctx: TestContext, partnerId: string, body: unknown, apiKey: string) {
  return ctx.app.request(`/v1/partners/${partnerId}/delivery-receipts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
}

async function sentReminder(ctx: TestContext) {
  const partner = await ownApiPartner(ctx);
  const seen = partnerApiAnswering((ref) => HttpResponse.json({ result: { id: `p-${ref}` } }));
  const [id] = await queueTestSms(ctx, [{ to: PHONE, partnerId: partner.id }]);
  await ctx.drain();
  return { partner, id: id as string, providerMessageId: `p-${id}`, seen };
}

describe("a partner's own SMS API", () => {
  it("carries the partner's reminders, with its credentials and our id as reference", async () => {
    const ctx = await createTestContext();
    const { id, seen } = await sentReminder(ctx);
    expect(seen).toEqual([{ ref: id, token: "partner-sms-token" }]);
    expect(await message(ctx, id)).toMatchObject({
      status: "submitted",
      channel: expect.stringMatching(/^partner:/),
    });
  });
});

describe("POST /v1/partners/{partnerId}/delivery-receipts", () => {
  it("applies a batch (by provider id or by our id) and answers a repeat 200 without changing anything", async () => {
    const ctx = await createTestContext();
    const { partner, id, providerMessageId } = await sentReminder(ctx);
    const [second] = await queueTestSms(ctx, [{ to: "+8613800138001", partnerId: partner.id }]);
    await ctx.drain();

    const batch = {
      receipts: [
        { providerMessageId, status: "delivered" },
        { clientReference: second, status: "failed", detail: "UNDELIV: absent subscriber" },
      ],
    };
    const res = await postReceipts(ctx, partner.id, batch, partner.apiKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      results: [
        { index: 0, outcome: "applied" },
        { index: 1, outcome: "applied" },
      ],
    });
    expect((await message(ctx, id)).status).toBe("delivered");
    expect((await history(ctx, second as string)).at(-1)).toEqual({
      status: "failed",
      detail: "UNDELIV: absent subscriber",
    });
    const events = await ctx.deps.db.select().from(smsEvents);

    const again = await postReceipts(ctx, partner.id, batch, partner.apiKey);
    expect(again.status).toBe(200);
    expect(
      ((await again.json()) as { results: { outcome: string }[] }).results.map((r) => r.outcome),
    ).toEqual(["duplicate", "duplicate"]);
    expect(await ctx.deps.db.select().from(smsEvents)).toHaveLength(events.length);
    expect((await message(ctx, id)).status).toBe("delivered");
  });

  it("accepts the partner's webhook-secret signature instead of the API key", async () => {
    const ctx = await createTestContext();
    const { partner, id, providerMessageId } = await sentReminder(ctx);
    const res = await signedPost(
      ctx,
      `/v1/partners/${partner.id}/delivery-receipts`,
      { receipts: [{ providerMessageId, status: "delivered" }] },
      partner.webhookSecret,
    );
    expect(res.status).toBe(200);
    expect((await message(ctx, id)).status).toBe("delivered");
  });

  it("keeps a receipt that overtakes the send's answer and applies it when the submit is recorded", async () => {
    const ctx = await createTestContext();
    const partner = await ownApiPartner(ctx);
    const early: unknown[] = [];
    partnerApiAnswering(async (ref) => {
      // The partner's gateway reports delivery before it has answered our send.
      const res = await postReceipts(
        ctx,
        partner.id,
        { receipts: [{ providerMessageId: `p-${ref}`, status: "delivered" }] },
        partner.apiKey,
      );
      early.push(await res.json());
      return HttpResponse.json({ result: { id: `p-${ref}` } });
    });

    const [id] = await queueTestSms(ctx, [{ to: PHONE, partnerId: partner.id }]);
    await ctx.drain();

    expect(early).toEqual([{ results: [{ index: 0, outcome: "pending" }] }]);
    expect((await message(ctx, id as string)).status).toBe("delivered");
    expect((await history(ctx, id as string)).map((h) => h.status)).toEqual([
      "queued",
      "submitted",
      "delivered",
    ]);
    expect(await ctx.deps.db.select().from(pendingReceipts)).toEqual([]);
  });

  it("does not let a partner settle another channel's messages", async () => {
    const ctx = await createTestContext();
    const { partner } = await sentReminder(ctx);
    const [police] = await queueTestSms(ctx, [{ to: PHONE, lane: "urgent", purpose: "victim_warning" }]);
    await ctx.drain();

    const res = await postReceipts(
      ctx,
      partner.id,
      { receipts: [{ clientReference: police, status: "failed" }] },
      partner.apiKey,
    );
    expect(((await res.json()) as { results: { outcome: string }[] }).results[0]?.outcome).toBe("pending");
    expect((await message(ctx, police as string)).status).toBe("submitted");
  });

  describe("refuses", () => {
    it.each([
      ["no credentials", {}, 401],
      ["a bad signature", { "x-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` }, 401],
      ["an unknown API key", { authorization: "Bearer pk_unknown" }, 401],
    ])("%s with 401", async (_name, headers, statusCode) => {
      const ctx = await createTestContext();
      const { partner } = await sentReminder(ctx);
      const res = await ctx.app.request(`/v1/partners/${partner.id}/delivery-receipts`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ receipts: [{ providerMessageId: "x", status: "delivered" }] }),
      });
      expect(res.status).toBe(statusCode);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    });

    it("another partner's API key with 404, as if the partner did not exist", async () => {
      const ctx = await createTestContext();
      const { partner } = await sentReminder(ctx);
      const other = await aPartner(ctx);
      const res = await postReceipts(ctx, partner.id, { receipts: [] }, other.apiKey);
      expect(res.status).toBe(404);
    });

    it("a partner whose SMS do not go through its own API with 409", async () => {
      const ctx = await createTestContext();
      const partner = await aPartner(ctx, { channel: "sns" });
      const res = await postReceipts(
        ctx,
        partner.id,
        { receipts: [{ providerMessageId: "x", status: "delivered" }] },
        partner.apiKey,
      );
      expect(res.status).toBe(409);
    });

    it.each([
      ["an empty batch", { receipts: [] }, "receipts"],
      ["an unknown status", { receipts: [{ providerMessageId: "x", status: "read" }] }, "receipts.0.status"],
      ["a receipt without an id", { receipts: [{ status: "delivered" }] }, "receipts.0.providerMessageId"],
    ])("%s with 400 naming the field", async (_name, body, path) => {
      const ctx = await createTestContext();
      const { partner } = await sentReminder(ctx);
      const res = await postReceipts(ctx, partner.id, body, partner.apiKey);
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { code: string; errors: { path: string }[] };
      expect(problem.code).toBe("VALIDATION_FAILED");
      expect(problem.errors.map((e) => e.path)).toContain(path);
    });
  });
});

describe("SNS delivery-status logs", () => {
  const record = (messageId: string, status: "SUCCESS" | "FAILURE", providerResponse: string) => ({
    notification: { messageId, timestamp: "2026-11-28 02:00:01.123" },
    delivery: {
      destination: "+8613800138000",
      smsType: "Transactional",
      providerResponse,
      dwellTimeMs: 512,
    },
    status,
  });

  async function snsMessage(ctx: TestContext, providerMessageId: string) {
    const [id] = await queueTestSms(ctx, [{ to: PHONE, lane: "urgent", purpose: "victim_warning" }]);
    // Arrange a message as the SNS channel would have left it.
    await ctx.deps.db
      .update(smsMessages)
      .set({ channel: "sns", status: "submitted", providerMessageId, submittedAt: new Date() })
      .where(eq(smsMessages.id, id as string));
    return id as string;
  }

  it("reads SUCCESS and FAILURE records, keeping the carrier's answer and never the phone number", () => {
    expect(
      parseSnsDeliveryRecord(record("sns-1", "SUCCESS", "Message has been accepted by phone carrier")),
    ).toEqual({
      channel: "sns",
      providerMessageId: "sns-1",
      status: "delivered",
      detail: "Message has been accepted by phone carrier",
    });
    const failed = parseSnsDeliveryRecord(
      JSON.stringify(record("sns-2", "FAILURE", "Phone carrier has blocked this message")),
    );
    expect(failed).toMatchObject({ status: "failed", detail: "Phone carrier has blocked this message" });
    expect(JSON.stringify(failed)).not.toContain("13800138000");
    expect(parseSnsDeliveryRecord({ status: "SUCCESS" })).toBeUndefined();
    expect(parseSnsDeliveryRecord("not json")).toBeUndefined();
  });

  it("applies a CloudWatch Logs subscription batch through the same receipts path", async () => {
    const ctx = await createTestContext();
    const delivered = await snsMessage(ctx, "sns-ok");
    const failed = await snsMessage(ctx, "sns-bad");
    const data = gzipSync(
      JSON.stringify({
        messageType: "DATA_MESSAGE",
        logEvents: [
          { id: "1", timestamp: 1, message: JSON.stringify(record("sns-ok", "SUCCESS", "accepted")) },
          { id: "2", timestamp: 2, message: JSON.stringify(record("sns-bad", "FAILURE", "Unknown error")) },
          { id: "3", timestamp: 3, message: JSON.stringify(record("sns-ok", "SUCCESS", "accepted")) },
          { id: "4", timestamp: 4, message: "garbage" },
        ],
      }),
    ).toString("base64");

    const counts = await applySnsDeliveryRecords(
      ctx.deps.db,
      decodeLogsSubscriptionData(data).map((e) => e.message),
    );

    expect(counts).toEqual({ applied: 2, duplicate: 1, pending: 0, unmatched: 0, unreadable: 1 });
    expect((await message(ctx, delivered)).status).toBe("delivered");
    expect(await message(ctx, failed)).toMatchObject({ status: "failed" });
    expect((await history(ctx, failed)).at(-1)?.detail).toBe("Unknown error");
  });
});
