import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";
import { pooledRandomBytes } from "../random-bytes";

/**
 * Personal fields are stored encrypted (AES-256-GCM) with a keyed hash beside them for look-up and
 * de-duplication (PIPL art. 28: victim records are sensitive). The format carries a version so keys
 * can be rotated later without guessing which rows use which scheme.
 */
export interface Pii {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  hash(plain: string): string;
}

export function createPii(encryptionKey: Buffer, hashKey: Buffer): Pii {
  if (encryptionKey.length !== 32 || hashKey.length !== 32) throw new Error("PII keys must be 32 bytes");
  return {
    encrypt(plain) {
      const iv = pooledRandomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", encryptionKey, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `v1.${iv.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}.${body.toString("base64url")}`;
    },
    decrypt(sealed) {
      const [version, iv, tag, body] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("unknown ciphertext format");
      const decipher = createDecipheriv("aes-256-gcm", encryptionKey, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    },
    hash(plain) {
      return createHmac("sha256", hashKey).update(plain).digest("base64url");
    },
  };
}
