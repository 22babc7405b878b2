import { SegmentedMessage } from "sms-segments-calculator";

/** Bodies seen recently: reminders repeat a few campaign templates thousands of times a day. */
const cache = new Map<string, number>();
const CACHE_SIZE = 1000;

/** UCS-2 code units in one part, alone and with the concatenation header. */
const UCS2_SINGLE = 70;
const UCS2_CONCATENATED = 67;

/**
 * Parts a provider will bill: GSM-7 160/153, UCS-2 (any Chinese) 70/67, signature included.
 * Counted by a library that handles surrogate pairs, grapheme clusters and GSM extension characters
 * correctly; it takes about 0.2 ms a call, so counts are remembered per body, and the Chinese text of
 * warnings and officer notices (each notice's body is its own, so the cache does not help it) is counted
 * directly when every character is one UTF-16 unit that cannot join its neighbour.
 */
export function countSegments(body: string): number {
  const simple = simpleUcs2Segments(body);
  if (simple !== undefined) return simple;
  const known = cache.get(body);
  if (known !== undefined) return known;
  const count = new SegmentedMessage(body).segmentsCount;
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(body, count);
  return count;
}

/**
 * Parts of a UCS-2 body made only of printable ASCII, CJK ideographs, CJK punctuation and full-width forms:
 * each character is its own grapheme of one code unit, so parts are plain arithmetic. Undefined for any
 * other body (GSM-7 text, emoji, combining marks, line breaks), which the library counts.
 */
export function simpleUcs2Segments(body: string): number | undefined {
  let ucs2 = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) continue;
    if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff01 && c <= 0xff5e)) {
      ucs2 = true;
      continue;
    }
    return undefined;
  }
  if (!ucs2) return undefined;
  return body.length <= UCS2_SINGLE ? 1 : Math.ceil(body.length / UCS2_CONCATENATED);
}
