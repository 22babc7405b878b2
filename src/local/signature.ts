import { isNotNull } from "drizzle-orm";
import { stations } from "../../schema";
import { type Config, ConfigError } from "../config";
import type { Db } from "../db/client";

/**
 * The signature every SMS starts with, decided once at start-up. `npm run setup` stores it on the station, so
 * an administrator sets it in one place and cannot forget it in the environment file; SMS_SIGNATURE, when
 * given, must agree with it, because a signature the carrier has not registered for this sender gets every
 * SMS refused. Unset everywhere (the demo, a server before setup): the default.
 */
export async function resolveSmsSignature(db: Db, config: Config): Promise<string> {
  const stored = await db
    .selectDistinct({ signature: stations.smsSignature })
    .from(stations)
    .where(isNotNull(stations.smsSignature));
  const signatures = stored.map((row) => row.signature as string);
  if (config.smsSignatureSet) {
    const other = signatures.find((s) => s !== config.SMS_SIGNATURE);
    if (other) {
      throw new ConfigError(
        `invalid configuration: SMS_SIGNATURE: ${config.SMS_SIGNATURE} differs from ${other}, the signature \`npm run setup\` stored for the station; remove SMS_SIGNATURE or make them agree`,
      );
    }
    return config.SMS_SIGNATURE;
  }
  if (signatures.length > 1) {
    throw new ConfigError(
      `invalid configuration: SMS_SIGNATURE: stations were set up with different signatures (${signatures.join(", ")}); set the one this server sends with`,
    );
  }
  return signatures[0] ?? config.SMS_SIGNATURE;
}
