import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { TestContext } from "./context";
import { GATEWAY_URL, gatewayApi, queueTestSms } from "./sms";

/** One request the engine made of the gateway (gatewayApi's fields). */
export interface GatewayRequest {
  outId: string;
  mobile: string;
  content: string;
  signName: string;
  authorization: string | null;
  at: number;
}
export type Answer = (sent: GatewayRequest) => Response | Promise<Response>;

/**
 * The domestic SMS gateway for a test file: msw answers in its place, and any other request leaving the
 * process fails the test. Call at the top of the file: it registers its own lifecycle hooks.
 */
export function simulatedGateway() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return {
    server,
    /** Answers with `answers` in turn (the last one repeats), recording every request the engine made. */
    answering(...answers: Answer[]): GatewayRequest[] {
      const sent: GatewayRequest[] = [];
      server.use(
        http.post(GATEWAY_URL, async ({ request }) => {
          const body = (await request.json()) as Record<string, string>;
          const s: GatewayRequest = {
            outId: body.outId as string,
            mobile: body.mobile as string,
            content: body.content as string,
            signName: body.signName as string,
            authorization: request.headers.get("authorization"),
            at: performance.now(),
          };
          sent.push(s);
          return (answers[Math.min(sent.length, answers.length) - 1] as Answer)(s);
        }),
      );
      return sent;
    },
    /**
     * Answers the status lookup (gatewayWithLookup) with the provider's id `found` gives for our id, or 404;
     * returns our ids as they were asked for.
     */
    lookups(found: (outId: string) => string | undefined): string[] {
      const asked: string[] = [];
      server.use(
        http.get(LOOKUP_URL, ({ request }) => {
          const outId = new URL(request.url).searchParams.get("outId") as string;
          asked.push(outId);
          const id = found(outId);
          return id ? HttpResponse.json({ data: { msgId: id } }) : HttpResponse.json({}, { status: 404 });
        }),
      );
      return asked;
    },
  };
}

const LOOKUP_URL = "https://sms-gateway.test/v1/status";

/** The gateway's API as gatewayApi has it, with a status lookup by our id (client reference). */
export const gatewayWithLookup = () =>
  gatewayApi({ lookup: { url: `${LOOKUP_URL}?outId={clientReference}`, messageIdPath: "data.msgId" } });

export const accepted =
  (id?: string): Answer =>
  (s) =>
    HttpResponse.json({ code: "OK", data: { msgId: id ?? `gw-${s.outId}` } });
export const status =
  (code: number, headers: Record<string, string> = {}): Answer =>
  () =>
    HttpResponse.json({ code: "ERR", message: "no" }, { status: code, headers });
export const businessCode =
  (code: string): Answer =>
  () =>
    HttpResponse.json({ code, message: "refused" });
export const hangs: Answer = async () => {
  await delay(2_000);
  return HttpResponse.json({ code: "OK", data: { msgId: "too-late" } });
};

export const PHONE = "+8613800138000";

/** Queues one SMS to PHONE, a victim warning or a reminder, and runs the queues: it is sent once. */
export async function sendOne(ctx: TestContext, lane: "urgent" | "bulk" = "urgent") {
  const [id] = await queueTestSms(ctx, [
    { to: PHONE, lane, purpose: lane === "urgent" ? "victim_warning" : "parcel_reminder" },
  ]);
  await ctx.drain();
  return id as string;
}
