/**
 * `npx tsx scripts/phone-metadata.ts`: writes src/privacy/phone-metadata.json, the phone-number metadata the
 * code uses: libphonenumber's smallest set (every country's codes and lengths) with mainland China's full
 * patterns in place of its own, so a Chinese number is typed exactly (mobile, landline, 400 service...) at
 * half the size of the full set, the size that counts in every cloud bundle. test/privacy/phone-metadata.test.ts
 * fails when the file no longer matches the installed libphonenumber-js.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import max from "libphonenumber-js/metadata.max.json";
import min from "libphonenumber-js/metadata.min.json";

export const PHONE_METADATA_FILE = "src/privacy/phone-metadata.json";

export function phoneMetadata() {
  return { ...min, countries: { ...min.countries, CN: max.countries.CN } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(PHONE_METADATA_FILE, `${JSON.stringify(phoneMetadata())}\n`);
  process.stdout.write(`wrote ${PHONE_METADATA_FILE}\n`);
}
