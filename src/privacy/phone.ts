import { parsePhoneNumberFromString } from "libphonenumber-js/max";

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
