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
const PHONES: { what: string; code: PhoneCode; re: RegExp }[] = [
  {
    what: "a mobile number",
    code: "phone_mobile",
    re: new RegExp(`(?<!\\d)(?:\\+?86${SEP})?1[3-9]\\d(?:${SEP}\\d){8}(?!\\d)`),
  },
  {
    what: "a 400/800 number",
    code: "phone_400_800",
    re: new RegExp(`(?<!\\d)[48]00(?:${SEP}\\d){7}(?!\\d)`),
  },
  {
    what: "a landline number",
    code: "phone_landline",
    re: new RegExp(`(?<!\\d)\\(?0\\d{2,3}\\)?${SEP}\\d{7,8}(?!\\d)`),
  },
  { what: "a 95xxx/96xxx service number", code: "phone_service", re: /(?<!\d)9[56]\d{3,6}(?!\d)/ },
  // Whatever the form: seven digits or more in a row is a number someone could dial (a date, 2026-12-03, is not).
  { what: "a telephone number", code: "phone_other", re: /(?<!\d)\d{7,}(?!\d)/ },
];

type PhoneCode = "phone_mobile" | "phone_400_800" | "phone_landline" | "phone_service" | "phone_other";

/**
 * Why a template is refused, as a code a page or a client can word in its own language
 * (src/parcels/template-messages.ts); `values` fills the wording (the signature found, the number found).
 */
export type TemplateProblemCode =
  | "signature_missing"
  | "signature_not_allowed"
  | "opt_out_missing"
  | "link"
  | PhoneCode
  | "too_many_parts";

export const TEMPLATE_PROBLEM_CODES: readonly TemplateProblemCode[] = [
  "signature_missing",
  "signature_not_allowed",
  "opt_out_missing",
  "link",
  "phone_mobile",
  "phone_400_800",
  "phone_landline",
  "phone_service",
  "phone_other",
  "too_many_parts",
];

/** A field error (path and English message, as the API has always answered) with its code and values. */
export interface TemplateProblem extends FieldError {
  code: TemplateProblemCode;
  values: Record<string, string | number>;
}

export interface TemplateCheck {
  valid: boolean;
  problems: TemplateProblem[];
  characters: number;
  encoding: string;
  segments: number;
  /** The text of each billed part, as a phone receives it. */
  parts: string[];
}

export interface TemplateCheckOptions {
  path?: string;
  /** The station's own signature; given, a template must start with it or with one of `allowedSignatures`. */
  signature?: string;
  /** Further signatures the station's admin allow-listed (registered with the carrier for this sender). */
  allowedSignatures?: readonly string[];
}

export function checkTemplate(body: string, options: TemplateCheckOptions = {}): TemplateCheck {
  const path = options.path ?? "body";
  const message = new SegmentedMessage(body);
  const parts = message.segments.map((segment) =>
    segment.map((c) => ("raw" in c && typeof c.raw === "string" ? c.raw : "")).join(""),
  );
  const problems: TemplateProblem[] = [];
  const add = (code: TemplateProblemCode, message: string, values: Record<string, string | number> = {}) =>
    problems.push({ path, message, code, values });
  const signature = SIGNATURE.exec(body)?.[0];
  const allowed = options.signature ? [options.signature, ...(options.allowedSignatures ?? [])] : [];
  if (!signature) {
    const example = options.signature ?? "【昌吉公安】";
    add("signature_missing", `must start with the SMS signature, e.g. ${example}`, { expected: example });
  } else if (options.signature && !allowed.includes(signature)) {
    // The carrier registered the station's signature; another (a courier's) is refused or misleads.
    add(
      "signature_not_allowed",
      `must start with this station's signature ${options.signature}, not ${signature}`,
      {
        expected: options.signature,
        found: signature,
      },
    );
  }
  if (!OPT_OUT_AT_END.test(body)) {
    add("opt_out_missing", `must end with the opt-out wording ${OPT_OUT_WORDING}`, {
      expected: OPT_OUT_WORDING,
    });
  }
  const normalized = body.normalize("NFKC");
  const link = LINKS.map((re) => re.exec(normalized)?.[0]).find(Boolean);
  if (link) add("link", `must not contain links or web addresses (found "${link}")`, { found: link });
  for (const { what, code, re } of PHONES) {
    const found = re.exec(normalized)?.[0];
    if (found) {
      add(code, `must not contain telephone numbers: "${found}" is ${what}`, { found });
      break;
    }
  }
  if (message.segmentsCount > MAX_TEMPLATE_PARTS) {
    add(
      "too_many_parts",
      `is ${message.segmentsCount} SMS parts (${message.numberOfCharacters} characters); at most ${MAX_TEMPLATE_PARTS}`,
      { parts: message.segmentsCount, characters: message.numberOfCharacters, max: MAX_TEMPLATE_PARTS },
    );
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
