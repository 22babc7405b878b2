export const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|([+-])(\d{2}):(\d{2}))$/i;

/**
 * Whether text is an ISO 8601 timestamp PostgreSQL reads as written: a real calendar day (JavaScript's
 * Date.parse turns 2026-02-30 into March 2; PostgreSQL refuses it) in a year both agree on (not year 0).
 */
export function isTimestamp(text: unknown): text is string {
  if (typeof text !== "string") return false;
  const m = ISO_TIME.exec(text);
  if (!m) return false;
  const [
    year = 0,
    month = 0,
    day = 0,
    hour = 0,
    minute = 0,
    second = 0,
    ,
    offsetHours = 0,
    offsetMinutes = 0,
  ] = m.slice(1).map((part) => Number(part ?? 0));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return (
    year >= 1 &&
    day >= 1 &&
    day <= days &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 15 &&
    offsetMinutes <= 59
  );
}
