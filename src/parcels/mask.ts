/**
 * Anything printed for a parcel (a waybill view, a label, a pickup list) hides at least six digits of the
 * recipient's number (GB/T 41833-2022 on personal information in express delivery): `138******78`. Screens for
 * officers use the looser `138****5678` of src/privacy/phone.ts; parcel output never does.
 */
export const PARCEL_HIDDEN_DIGITS = 6;

export function maskParcelPhone(e164: string): string {
  const national = e164.startsWith("+86") ? e164.slice(3) : e164.replace(/^\+/, "");
  const hidden = Math.min(national.length, Math.max(PARCEL_HIDDEN_DIGITS, national.length - 5));
  const shown = national.length - hidden;
  const left = Math.min(3, Math.ceil(shown / 2));
  const right = shown - left;
  return `${national.slice(0, left)}${"*".repeat(hidden)}${right > 0 ? national.slice(-right) : ""}`;
}
