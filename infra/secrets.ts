import { sms } from "./settings";

/**
 * The PII keys (32 random bytes, base64): set once per stage with
 * `npx sst secret set PiiEncryptionKey "$(openssl rand -base64 32)" --stage <stage>` (and PiiHashKey).
 * Losing them makes stored phone numbers unreadable; never rotate by overwriting.
 * The names are the link names src/config.ts reads (envFromLinks).
 */
export const secrets = {
  piiEncryptionKey: new sst.Secret("PiiEncryptionKey"),
  piiHashKey: new sst.Secret("PiiHashKey"),
  /**
   * With SMS_CHANNEL=http: the domestic gateway's API as JSON (src/sms/channels/http-gateway-api.ts), its
   * credentials included, set with `npx sst secret set SmsHttpApi "$(cat gateway.json)" --stage <stage>`.
   */
  smsHttpApi: sms.channel === "http" ? new sst.Secret("SmsHttpApi") : undefined,
};
