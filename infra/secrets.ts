/**
 * The PII keys (32 random bytes, base64): set once per stage with
 * `npx sst secret set PiiEncryptionKey "$(openssl rand -base64 32)" --stage <stage>` (and PiiHashKey).
 * Losing them makes stored phone numbers unreadable; never rotate by overwriting.
 * The names are the link names src/config.ts reads (envFromLinks).
 */
export const secrets = {
  piiEncryptionKey: new sst.Secret("PiiEncryptionKey"),
  piiHashKey: new sst.Secret("PiiHashKey"),
};
