import { readFileSync } from "node:fs";
import { parsePhoneNumberFromString as parseWithFullMetadata } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { PHONE_METADATA_FILE, phoneMetadata } from "../../scripts/phone-metadata";
import { isMainlandMobile, normalizePhone, numberKind } from "../../src/privacy/phone";

describe("phone numbers on the trimmed metadata (src/privacy/phone-metadata.json)", () => {
  it("is what scripts/phone-metadata.ts makes of the installed libphonenumber-js (rerun it after an upgrade)", () => {
    expect(JSON.parse(readFileSync(PHONE_METADATA_FILE, "utf8"))).toEqual(phoneMetadata());
  });

  it.each([
    "13800138000",
    "+86 138 0013 8000",
    "008613800138000",
    "17012345678",
    "19912345678",
    "0994-1234567",
    "020 1234 5678",
    "4008123456",
    "95588",
    "12345678901",
    "+8612345",
  ])("reads the mainland number %s exactly as the full metadata does", (text) => {
    const full = parseWithFullMetadata(text.startsWith("00") ? `+${text.slice(2)}` : text, "CN");
    const expected = full?.isValid() ? full.number : undefined;
    expect(normalizePhone(text)).toBe(expected);
    if (expected) {
      const type = full?.getType();
      expect(isMainlandMobile(expected)).toBe(type === "MOBILE" || type === "FIXED_LINE_OR_MOBILE");
    }
  });

  it("still tells a foreign number from a mainland one", () => {
    for (const phone of ["+85291234567", "+85366123456", "+886912345678", "+12025550123"]) {
      expect(numberKind(normalizePhone(phone) as string), phone).toBe("foreign");
    }
    expect(numberKind("+869941234567")).toBe("landline");
    expect(numberKind("+8613800138000")).toBe("mobile");
  });
});
