/**
 * The reminder policy's settings, parsed from configuration (src/config.ts): frequency caps and the hours
 * bulk reminders may go out. Kept free of other imports so config.ts can use it at start-up.
 */

/** At most `max` reminders to one recipient in any period of `ms`, counted across all partners and campaigns. */
export interface CapWindow {
  /** As written in configuration (`1d`, `7d`, `12h`): the suppression reason is `capped_<name>`. */
  name: string;
  max: number;
  ms: number;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `"1/1d,2/7d"`: one per day and two per seven days. Throws with a readable message on anything else. */
export function parseCaps(text: string): CapWindow[] {
  const caps = text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^(\d+)\/(\d+)([mhd])$/.exec(part);
      if (!match) throw new Error(`"${part}" is not <count>/<number><m|h|d>, e.g. 1/1d`);
      const [, max, amount, unit] = match as unknown as [string, string, string, keyof typeof UNIT_MS];
      if (Number(max) < 1 || Number(amount) < 1)
        throw new Error(`"${part}" needs a count and a period of at least 1`);
      return { name: `${amount}${unit}`, max: Number(max), ms: Number(amount) * UNIT_MS[unit] };
    });
  if (caps.length === 0) throw new Error("at least one cap window is needed");
  if (new Set(caps.map((c) => c.name)).size !== caps.length) throw new Error("each period may appear once");
  return caps;
}

/**
 * The local time of day bulk reminders may go out: [start, end) in minutes after midnight, Asia/Shanghai.
 * start > end is a window across midnight (e.g. 20:00-02:00).
 */
export interface SendingHours {
  startMinute: number;
  endMinute: number;
}

/** `"10:00-21:00"`; `"00:00-24:00"` allows the whole day. */
export function parseSendingHours(text: string): SendingHours {
  const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not HH:MM-HH:MM`);
  const [startH, startM, endH, endM] = match.slice(1).map(Number) as [number, number, number, number];
  const start = startH * 60 + startM;
  const end = endH * 60 + endM;
  if (startH > 23 || startM > 59 || endM > 59 || end > 24 * 60)
    throw new Error(`"${text}" is not a time of day`);
  if (start === end) throw new Error(`"${text}" is an empty window`);
  return { startMinute: start, endMinute: end };
}
