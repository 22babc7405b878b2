import { type MetadataJson, parsePhoneNumberFromString as parseWith } from "libphonenumber-js/core";
import metadata from "./phone-metadata.json";

/**
 * libphonenumber with its smallest metadata plus mainland China's full patterns (scripts/phone-metadata.ts):
 * Chinese numbers are validated and typed exactly; a foreign number is checked by its country's lengths.
 */
const parsePhoneNumberFromString = (text: string, defaultCountry?: "CN") =>
  parseWith(text, { defaultCountry }, metadata as unknown as MetadataJson);

/**
 * Normalises a phone number to E.164 with mainland China as the default region, so that
 * `138 0013 8000`, `+86-138-0013-8000` and `008613800138000` are the same subject.
 * Returns undefined for anything that is not a valid, dialable number.
 */
export function normalizePhone(input: string): string | undefined {
  const trimmed = input.trim();
  // "00" is the international prefix dialled from China; libphonenumber only knows it relative to a region.
  const candidate = trimmed.startsWith("00") ? `+${trimmed.slice(2)}` : trimmed;
  const parsed = parsePhoneNumberFromString(candidate, "CN");
  if (!parsed?.isValid()) return undefined;
  return parsed.number;
}

/**
 * Whether a normalised (E.164) number is a mainland China mobile: the only numbers a victim warning SMS is
 * sent to. A landline cannot receive it, and a foreign number (or Hong Kong, Macao, Taiwan) would be texted
 * abroad through a channel not meant for it; such warnings still reach officers, who call or visit.
 */
export function isMainlandMobile(e164: string): boolean {
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed?.country !== "CN") return false;
  const type = parsed.getType();
  return type === "MOBILE" || type === "FIXED_LINE_OR_MOBILE";
}

/** What kind of number a subject's is, for telling officers why no SMS went. */
export function numberKind(e164: string): "mobile" | "landline" | "foreign" | "other" {
  if (isMainlandMobile(e164)) return "mobile";
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed && parsed.country !== "CN") return "foreign";
  return parsed?.getType() === "FIXED_LINE" ? "landline" : "other";
}

/** `+8613800138000` → `138****8000`: the national number with the middle digits hidden. */
export function maskPhone(e164: string): string {
  const national = e164.startsWith("+86") ? e164.slice(3) : e164.replace(/^\+/, "");
  if (national.length <= 7) return `${national.slice(0, 2)}****`;
  return `${national.slice(0, 3)}****${national.slice(-4)}`;
}

/** `王小明` → `王**`: enough for an officer to confirm whom they reach, not enough to identify from a list. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return "*";
  return `${chars[0]}${"*".repeat(Math.min(chars.length - 1, 3))}`;
}
