import { SegmentedMessage } from "sms-segments-calculator";
import type { FieldError } from "../errors";
import { countSegments } from "../sms/dispatch/segments";

/**
 * What a reminder template must be before it can be saved (brief §5): a signature 【...】 first, the opt-out
 * wording at the end (reminders are marketing-type SMS), no links of any kind (a reminder that teaches people
 * to tap links in SMS would undo itself), and a length that is shown in billed parts. Parts are counted by a
 * library (UCS-2: 70 characters in one SMS, 67 per part once split, signature included).
 */
export const OPT_OUT_WORDING = "拒收请回复R";
/** Four parts (up to 268 Chinese characters) is already a long SMS; more is almost always a mistake. */
export const MAX_TEMPLATE_PARTS = 4;

const SIGNATURE = /^【[^【】\s]{2,12}】/;
const OPT_OUT_AT_END = /拒收请回复R[。.!！]?\s*$/;
// After NFKC, full-width letters and dots (ｗｗｗ．ｘｘ．ｃｏｍ) are plain ASCII and caught the same way.
const LINKS = [
  /\b(?:https?|ftp):\/\//i,
  /\bwww\./i,
  /\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b(?:\/\S*)?/i,
];

/**
 * Telephone numbers of any form: a reminder must never give people a number to call back, which is exactly
 * what a fraudster's copy of it would change (12381-style warnings carry none). Digits may be split by spaces,
 * dashes or dots; checked after NFKC, so full-width digits count too.
 */
const SEP = "[\\s.\\-]?";
const PHONES: { what: string; re: RegExp }[] = [
  { what: "a mobile number", re: new RegExp(`(?<!\\d)(?:\\+?86${SEP})?1[3-9]\\d(?:${SEP}\\d){8}(?!\\d)`) },
  { what: "a 400/800 number", re: new RegExp(`(?<!\\d)[48]00(?:${SEP}\\d){7}(?!\\d)`) },
  { what: "a landline number", re: new RegExp(`(?<!\\d)\\(?0\\d{2,3}\\)?${SEP}\\d{7,8}(?!\\d)`) },
  { what: "a 95xxx/96xxx service number", re: /(?<!\d)9[56]\d{3,6}(?!\d)/ },
  // Whatever the form: seven digits or more in a row is a number someone could dial (a date, 2026-12-03, is not).
  { what: "a telephone number", re: /(?<!\d)\d{7,}(?!\d)/ },
];

export interface TemplateCheck {
  valid: boolean;
  problems: FieldError[];
  characters: number;
  encoding: string;
  segments: number;
  /** The text of each billed part, as a phone receives it. */
  parts: string[];
}

export function checkTemplate(
  body: string,
  options: { path?: string; signature?: string } = {},
): TemplateCheck {
  const path = options.path ?? "body";
  const message = new SegmentedMessage(body);
  const parts = message.segments.map((segment) =>
    segment.map((c) => ("raw" in c && typeof c.raw === "string" ? c.raw : "")).join(""),
  );
  const problems: FieldError[] = [];
  const signature = SIGNATURE.exec(body)?.[0];
  if (!signature) {
    problems.push({
      path,
      message: `must start with the SMS signature, e.g. ${options.signature ?? "【昌吉公安】"}`,
    });
  } else if (options.signature && signature !== options.signature) {
    // The carrier registered the station's signature; another (a courier's) is refused or misleads.
    problems.push({
      path,
      message: `must start with this station's signature ${options.signature}, not ${signature}`,
    });
  }
  if (!OPT_OUT_AT_END.test(body)) {
    problems.push({ path, message: `must end with the opt-out wording ${OPT_OUT_WORDING}` });
  }
  const normalized = body.normalize("NFKC");
  const link = LINKS.map((re) => re.exec(normalized)?.[0]).find(Boolean);
  if (link) problems.push({ path, message: `must not contain links or web addresses (found "${link}")` });
  for (const { what, re } of PHONES) {
    const found = re.exec(normalized)?.[0];
    if (found) {
      problems.push({ path, message: `must not contain telephone numbers: "${found}" is ${what}` });
      break;
    }
  }
  if (message.segmentsCount > MAX_TEMPLATE_PARTS) {
    problems.push({
      path,
      message: `is ${message.segmentsCount} SMS parts (${message.numberOfCharacters} characters); at most ${MAX_TEMPLATE_PARTS}`,
    });
  }
  return {
    valid: problems.length === 0,
    problems,
    characters: message.numberOfCharacters,
    encoding: message.encodingName,
    segments: countSegments(body),
    parts,
  };
}
