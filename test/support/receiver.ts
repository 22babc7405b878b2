import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedPost {
  headers: Record<string, string | undefined>;
  raw: string;
  body: {
    partnerId: string;
    events: { id: string; status: string; waybillNo: string; [k: string]: unknown }[];
  };
}

/**
 * A real HTTP receiver on a loopback port, as an integrator would run one: it records every POST and answers
 * with the statuses given in turn (the last repeats). `down()` stops listening (connection refused), `up()`
 * listens again on the same port, so a test can stage the receiver's outages.
 */
export async function startReceiver(...statuses: number[]) {
  const received: ReceivedPost[] = [];
  let answers = statuses.length > 0 ? [...statuses] : [200];
  let server: Server;
  const listen = (port: number) =>
    new Promise<Server>((resolve) => {
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          received.push({
            headers: Object.fromEntries(
              Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
            ),
            raw,
            body: JSON.parse(raw),
          });
          const status = answers.length > 1 ? (answers.shift() as number) : (answers[0] as number);
          res.writeHead(status, { "content-type": "text/plain", connection: "close" }).end(String(status));
        });
      });
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  server = await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/af-callbacks`,
    received,
    /** Every event received, in the order received. */
    events: () => received.flatMap((r) => r.body.events),
    answer(...next: number[]) {
      answers = next;
    },
    async down() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    async up() {
      server = await listen(port);
    },
    async close() {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
