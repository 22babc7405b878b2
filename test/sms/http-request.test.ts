import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SmsSendError } from "../../src/sms/channels/channel";
import { SmsApiSchema } from "../../src/sms/channels/http-gateway-api";
import { HttpSmsChannel } from "../../src/sms/channels/http-gateway-channel";
import { HttpTimeoutError, httpRequest } from "../../src/sms/channels/http-request";

/**
 * The gateway client over real sockets on 127.0.0.1 (no msw here): what the engine's decisions rest on is
 * how node reports a refused connection and a deadline, and that connections are kept open.
 */

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function gateway(
  answer: Parameters<typeof createServer>[1],
): Promise<{ url: string; sockets: () => number }> {
  let sockets = 0;
  const server = createServer(answer);
  server.on("connection", () => sockets++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`, sockets: () => sockets };
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const { url } = await gateway(() => {});
  await new Promise((resolve) => (servers.pop() as Server).close(resolve));
  return url;
}

const post = (url: string, timeoutMs = 1_000) =>
  httpRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    timeoutMs,
  });

describe("httpRequest", () => {
  it("answers with status, headers and body, over one kept-open connection for consecutive sends", async () => {
    const gw = await gateway((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(429, { "retry-after": "3", "content-type": "application/json" });
        res.end('{"code":"BUSY"}');
      });
    });
    const first = await post(gw.url);
    const second = await post(gw.url);
    expect([first.status, first.header("Retry-After"), first.text]).toEqual([429, "3", '{"code":"BUSY"}']);
    expect(second.status).toBe(429);
    expect(gw.sockets()).toBe(1);
  });

  it("reports a refused connection with its code: the request certainly did not go out", async () => {
    await expect(post(await closedPort())).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("gives up at the deadline with a timeout error", async () => {
    const gw = await gateway(() => {}); // takes the request, never answers
    const started = performance.now();
    await expect(post(gw.url, 200)).rejects.toBeInstanceOf(HttpTimeoutError);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("HttpSmsChannel on real sockets", () => {
  const channel = (url: string) =>
    new HttpSmsChannel(
      "http",
      SmsApiSchema.parse({
        url,
        fields: { to: "mobile", text: "content", clientReference: "outId" },
        response: { messageIdPath: "msgId", codePath: "code", successCodes: ["OK"] },
        timeoutMs: 200,
      }),
    );
  const request = {
    messageId: "msg_1",
    to: "+8613800138000",
    body: "【昌吉公安】警惕冒充客服退款诈骗，拒收请回复R",
    segments: 1,
    purpose: "victim_warning" as const,
    alertId: null,
  };

  it("treats a refused connection as transient and not sent, so it may simply be retried", async () => {
    const error = await channel(await closedPort())
      .send(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmsSendError);
    expect(error).toMatchObject({ transient: true, unknownOutcome: false });
  });

  it("treats a timeout as an unknown outcome: the gateway may have sent it", async () => {
    const gw = await gateway(() => {});
    const error = await channel(gw.url)
      .send(request)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ transient: true, unknownOutcome: true });
  });
});
