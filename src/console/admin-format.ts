import type { I18n } from "./i18n";

/** Small readings shared by the admin pages: roles, weekdays, minutes of the day. */
export const ROLE_KEYS = {
  officer: "admRoleOfficer",
  supervisor: "admRoleSupervisor",
  admin: "admRoleAdmin",
} as const;

export const roleLabel = ({ t }: I18n, role: keyof typeof ROLE_KEYS) => t[ROLE_KEYS[role]];

const WEEKDAY_KEYS = [
  "admWeekday1",
  "admWeekday2",
  "admWeekday3",
  "admWeekday4",
  "admWeekday5",
  "admWeekday6",
  "admWeekday7",
] as const;

/** ISO day of week (1 Monday … 7 Sunday) in the page's language. */
export const weekday = ({ t }: I18n, day: number) => t[WEEKDAY_KEYS[day - 1] ?? "admWeekday1"];

/** 480 → "08:00"; 1440 (a shift's end at midnight) → "24:00". */
export const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

/** "08:00" → 480; "24:00" → 1440 (only where `allowEndOfDay`); anything else undefined. */
export function minuteOf(text: string, allowEndOfDay = false): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (allowEndOfDay && h === 24 && min === 0) return 1440;
  if (h > 23 || min > 59) return undefined;
  return h * 60 + min;
}

/** A label's colon as each language writes it. */
export const colon = ({ lang }: I18n) => (lang === "zh" ? "：" : ": ");
