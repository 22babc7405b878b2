/**
 * A partner's status-callback receiver for trying the API locally: listens on a port, checks each POST's
 * X-Signature with the callback's secret, prints one line per event and answers 204 (a bad signature: 401).
 * Usage: npm run demo:receiver -- <port> <callback secret>   (the README's partner quick-start uses it)
 */
import { createServer } from "node:http";
import { verifySignature } from "../src/signature";

const [port = "4000", secret = process.env.CALLBACK_SECRET ?? ""] = process.argv.slice(2);
if (!secret) throw new Error("give the callback's secret: npm run demo:receiver -- <port> <secret>");

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks).toString("utf8");
    const check = verifySignature(
      req.headers["x-signature"] as string | undefined,
      secret,
      raw,
      new Date(),
      300,
    );
    if (!check.ok) {
      process.stdout.write(`refused a POST: ${check.reason}\n`);
      res.writeHead(401).end();
      return;
    }
    const { events } = JSON.parse(raw) as {
      events: { id: string; waybillNo: string; status: string; reason: string | null; test: boolean }[];
    };
    for (const e of events) {
      const reason = e.reason ? ` (${e.reason})` : "";
      process.stdout.write(
        `${e.id} ${e.waybillNo} ${e.status}${reason}${e.test ? " [test]" : ""} signature ok\n`,
      );
    }
    res.writeHead(204).end();
  });
}).listen(Number(port), "127.0.0.1", () => process.stdout.write(`receiving callbacks on port ${port}\n`));
