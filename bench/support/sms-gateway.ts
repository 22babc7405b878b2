import { Worker } from "node:worker_threads";
import { countSegments } from "../../src/sms/dispatch/segments";

/** A request at the simulated gateway: when it arrived (this thread's performance.now()), what and from whom. */
export interface Arrival {
  at: number;
  outId: string;
  parts: number;
  mobile: string;
  worker: string;
}

export interface SimulatedGateway {
  url: string;
  /** Every request, in the order the gateway thread posted them. */
  arrivals: Arrival[];
  /** When each message (by our id, the request's outId) arrived. */
  arrivedAt: Map<string, number>;
  /** SMS_HTTP_API for a runtime sending to this gateway; `worker` comes back in each of its requests. */
  smsApi(worker: string): string;
  close(): Promise<number>;
}

/**
 * A stand-in for the SMS provider: node:http on 127.0.0.1 answering `{ code: "OK", msgId }` in 20–80 ms,
 * recording when each request arrived, its parts, its number and which worker sent it.
 *
 * The gateway runs on a thread of its own: this thread also queues the flood and polls the database, and a
 * request waiting for it would be stamped late, several at once, as if they had arrived together. The
 * thread stamps each request when its body is in and posts it here; its clock is turned into this
 * thread's performance.now() through the two time origins.
 */
export async function startSimulatedGateway(): Promise<SimulatedGateway> {
  const arrivals: Arrival[] = [];
  const arrivedAt = new Map<string, number>();
  const gatewayThread = new Worker(
    `const { createServer } = require("node:http");
  const { parentPort } = require("node:worker_threads");
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => { raw += chunk; });
    req.on("end", () => {
      parentPort.postMessage({ at: performance.timeOrigin + performance.now(), raw });
      const { outId } = JSON.parse(raw);
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "OK", msgId: "gw-" + outId }));
      }, 20 + Math.random() * 60);
    });
  });
  server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));`,
    { eval: true },
  );
  const gatewayPort = await new Promise<number>((resolve) => {
    gatewayThread.on("message", (m: { port?: number; at?: number; raw?: string }) => {
      if (m.port !== undefined) return resolve(m.port);
      const at = (m.at as number) - performance.timeOrigin;
      const body = JSON.parse(m.raw as string) as {
        outId: string;
        content: string;
        mobile: string;
        worker: string;
      };
      arrivals.push({
        at,
        outId: body.outId,
        parts: countSegments(body.content),
        mobile: body.mobile,
        worker: body.worker,
      });
      arrivedAt.set(body.outId, at);
    });
  });
  const url = `http://127.0.0.1:${gatewayPort}/send`;
  return {
    url,
    arrivals,
    arrivedAt,
    smsApi: (worker) =>
      JSON.stringify({
        url,
        fields: { to: "mobile", text: "content", clientReference: "outId" },
        extra: { worker },
        response: { messageIdPath: "msgId", codePath: "code", successCodes: ["OK"] },
        timeoutMs: 5_000,
      }),
    close: () => gatewayThread.terminate(),
  };
}
