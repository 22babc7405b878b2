import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config";

/**
 * Local mode keeps its PII keys beside its data so a restart can read what it wrote. Production must
 * provide them (config.ts refuses to start without), so this never runs there.
 */
export function localPiiKeys(config: Config): { encryptionKey: Buffer; hashKey: Buffer } {
  if (config.PII_ENCRYPTION_KEY && config.PII_HASH_KEY) {
    return {
      encryptionKey: Buffer.from(config.PII_ENCRYPTION_KEY, "base64"),
      hashKey: Buffer.from(config.PII_HASH_KEY, "base64"),
    };
  }
  const file = join(config.DATA_DIR, "keys.json");
  if (!existsSync(file)) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    const keys = {
      encryptionKey: randomBytes(32).toString("base64"),
      hashKey: randomBytes(32).toString("base64"),
    };
    writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  }
  const stored = JSON.parse(readFileSync(file, "utf8")) as { encryptionKey: string; hashKey: string };
  return {
    encryptionKey: Buffer.from(stored.encryptionKey, "base64"),
    hashKey: Buffer.from(stored.hashKey, "base64"),
  };
}
