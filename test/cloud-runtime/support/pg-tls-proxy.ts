import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";

const SSL_REQUEST_CODE = 80877103;

/**
 * PostgreSQL behind TLS with a certificate of its own, as RDS is: answers the client's SSLRequest, completes
 * the handshake with a self-signed certificate for `localhost` (a name, as an RDS endpoint is: postgres.js
 * sends no server name for an IP address), and relays the decrypted protocol to the
 * local server. The functions verify the certificate against `caFile` (DATABASE_CA_FILE) exactly as they
 * verify RDS's against the bundle shipped beside them; a client that refused it could not connect at all.
 */
export async function startPostgresTlsProxy(target: { host: string; port: number }) {
  const dir = mkdtempSync(join(tmpdir(), "pg-tls-"));
  const keyFile = join(dir, "server.key");
  const caFile = join(dir, "server.pem");
  execFileSync(
    "openssl",
    [
      "req",
      ...["-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"],
      ...["-keyout", keyFile, "-out", caFile, "-subj", "/CN=rds-stand-in"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ],
    { stdio: "ignore" },
  );
  const key = readFileSync(keyFile, "utf8");
  const cert = readFileSync(caFile, "utf8");
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    client.once("data", (request) => {
      if (request.length !== 8 || request.readInt32BE(4) !== SSL_REQUEST_CODE) {
        // A client that does not ask for TLS is refused, as RDS with rds.force_ssl refuses it.
        client.destroy();
        return;
      }
      client.write("S");
      const tls = new TLSSocket(client, { isServer: true, key, cert });
      const upstream = connect(target.port, target.host);
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      tls.pipe(upstream).pipe(tls);
      const end = () => {
        tls.destroy();
        upstream.destroy();
      };
      tls.on("error", end);
      upstream.on("error", end);
      tls.on("close", end);
      upstream.on("close", end);
    });
  });
  // Every local address, so `localhost` reaches it whether it resolves to 127.0.0.1 or ::1.
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: "localhost",
    port,
    caFile,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
