import * as z from "zod/mini";
import { addIssue } from "../../zod-mini";

/**
 * A setting that can differ per channel: `500` for every channel, or JSON `{"sns":20,"http":500,"*":100}`
 * (`*`: any channel not named). Parsed into a map with the `*` fallback.
 */
export type PerChannel = Record<string, number>;

const ChannelNumbers = z.record(z.string(), z.number().check(z.nonnegative()));

export const perChannelNumber = z.pipe(
  z.string(),
  z.transform((text, ctx): PerChannel => {
    const trimmed = text.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return { "*": Number(trimmed) };
    try {
      return ChannelNumbers.parse(JSON.parse(trimmed));
    } catch {
      addIssue(ctx, 'must be a number or JSON like {"sns":20,"http":500}');
      return z.NEVER;
    }
  }),
);

export function forChannel(setting: PerChannel | undefined, channel: string): number | undefined {
  if (!setting) return undefined;
  // Partner gateways are named `partner:<id>`; `partner` configures all of them at once.
  return setting[channel] ?? (channel.startsWith("partner:") ? setting.partner : undefined) ?? setting["*"];
}
