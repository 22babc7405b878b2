import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/open";

/**
 * The cloud connects with a CA bundle (src/cloud/deps.ts): the server's certificate must be signed by it.
 * A stand-in server answers PostgreSQL's SSLRequest and completes the TLS handshake with its own
 * self-signed certificate, then hangs up; whether the handshake completed tells whether the client
 * accepted the certificate.
 */
const SSL_REQUEST_CODE = 80877103;

function selfSigned(dir: string, name: string) {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync(
    "openssl",
    [
      "req",
      ...["-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"],
      ...["-keyout", key, "-out", cert, "-subj", `/CN=${name}`],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

let server: Server;
let port: number;
let handshakes = 0;
const sockets = new Set<Socket>();
let serverCert: string;
let otherCa: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "db-tls-"));
  const own = selfSigned(dir, "localhost");
  serverCert = own.cert;
  otherCa = selfSigned(dir, "some-other-ca").cert;
  server = createServer((socket) => {
    sockets.add(socket);
    socket.once("data", (request) => {
      if (request.length !== 8 || request.readInt32BE(4) !== SSL_REQUEST_CODE) return socket.destroy();
      socket.write("S");
      const tls = new TLSSocket(socket, { isServer: true, key: own.key, cert: own.cert });
      tls.on("secure", () => {
        handshakes++;
        tls.destroy();
      });
      tls.on("error", () => socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Connects with the CA bundle; settles with the client's error or once the server saw the handshake complete. */
async function connectWith(ca: string[]) {
  const before = handshakes;
  const database = await openDatabase({
    url: `postgres://app@localhost:${port}/station?sslmode=verify-full&connect_timeout=3`,
    max: 1,
    ca,
  });
  const failed = database.db.execute(sql`select 1`).then(
    () => undefined,
    (e: { cause?: Error } & Error) => e.cause ?? e,
  );
  const handshook = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (handshakes === before) return;
      clearInterval(poll);
      resolve();
    }, 20);
  });
  const error = await Promise.race([failed, handshook]);
  void database.close();
  return { error, handshook: handshakes > before };
}

describe("database TLS in the cloud", () => {
  it("refuses a server whose certificate the CA bundle did not sign", async () => {
    const { error, handshook } = await connectWith([otherCa]);
    expect(handshook).toBe(false);
    expect(String(error?.message ?? error)).toMatch(/certificate|self.signed/i);
  });

  it("completes the handshake with a server the bundle vouches for", async () => {
    const { handshook } = await connectWith([serverCert]);
    expect(handshook).toBe(true);
  });
});
