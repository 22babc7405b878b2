import type { TemplateProblem, TemplateProblemCode } from "./template-rules";

/**
 * Each template refusal in the admin's words, Chinese or English: the console shows them beside the field as
 * the admin types, and the API answers them when the caller asks for Chinese (Accept-Language: zh). Kept
 * beside the rules, not in a page, so the console and the API cannot word one refusal two ways.
 */
export type TemplateMessageLang = "zh" | "en";

type Values = Record<string, string | number>;
const v = (values: Values, key: string) => String(values[key] ?? "");

const ZH: Record<TemplateProblemCode, (values: Values) => string> = {
  signature_missing: (x) => `短信开头必须是签名，例如 ${v(x, "expected")}。`,
  signature_not_allowed: (x) =>
    `签名 ${v(x, "found")} 不是本所的短信签名：请以 ${v(x, "expected")} 开头（或由管理员先把该签名加入允许列表）。`,
  opt_out_missing: (x) => `提醒短信结尾必须是退订用语“${v(x, "expected")}”。`,
  link: (x) => `不能包含链接或网址（发现“${v(x, "found")}”）：群众不应被引导点击短信里的链接。`,
  phone_mobile: (x) => `不能包含电话号码：“${v(x, "found")}”是手机号码。提醒短信不能留回拨号码。`,
  phone_400_800: (x) => `不能包含电话号码：“${v(x, "found")}”是400/800号码。提醒短信不能留回拨号码。`,
  phone_landline: (x) => `不能包含电话号码：“${v(x, "found")}”是带区号的座机号码。提醒短信不能留回拨号码。`,
  phone_service: (x) => `不能包含电话号码：“${v(x, "found")}”是95xxx/96xxx服务号码。提醒短信不能留回拨号码。`,
  phone_other: (x) => `不能包含电话号码：“${v(x, "found")}”可被当作电话号码拨打。`,
  too_many_parts: (x) =>
    `共 ${v(x, "characters")} 字，按 ${v(x, "parts")} 条计费；最多 ${v(x, "max")} 条，请缩短。`,
};

const EN: Record<TemplateProblemCode, (values: Values) => string> = {
  signature_missing: (x) => `The text must start with the SMS signature, e.g. ${v(x, "expected")}.`,
  signature_not_allowed: (x) =>
    `Start with this station's signature ${v(x, "expected")}, not ${v(x, "found")} (or allow-list ${v(x, "found")} first).`,
  opt_out_missing: (x) => `A reminder must end with the opt-out wording "${v(x, "expected")}".`,
  link: (x) =>
    `No links or web addresses (found "${v(x, "found")}"): people must not learn to tap links in SMS.`,
  phone_mobile: (x) =>
    `No telephone numbers: "${v(x, "found")}" is a mobile number. Reminders carry no call-back number.`,
  phone_400_800: (x) =>
    `No telephone numbers: "${v(x, "found")}" is a 400/800 number. Reminders carry no call-back number.`,
  phone_landline: (x) =>
    `No telephone numbers: "${v(x, "found")}" is a landline number with its area code. Reminders carry no call-back number.`,
  phone_service: (x) =>
    `No telephone numbers: "${v(x, "found")}" is a 95xxx/96xxx service number. Reminders carry no call-back number.`,
  phone_other: (x) => `No telephone numbers: "${v(x, "found")}" could be dialled.`,
  too_many_parts: (x) =>
    `${v(x, "characters")} characters, billed as ${v(x, "parts")} SMS parts; at most ${v(x, "max")}: make it shorter.`,
};

export function templateProblemText(
  problem: Pick<TemplateProblem, "code" | "values">,
  lang: TemplateMessageLang,
) {
  return (lang === "zh" ? ZH : EN)[problem.code](problem.values);
}

/** The problems with their messages in `lang`; path, code and values unchanged. */
export function localizeTemplateProblems<P extends TemplateProblem>(
  problems: P[],
  lang: TemplateMessageLang,
): P[] {
  return problems.map((p) => ({ ...p, message: templateProblemText(p, lang) }));
}

export function isTemplateProblem(error: unknown): error is TemplateProblem {
  return (
    typeof error === "object" && error !== null && "code" in error && "values" in error && "path" in error
  );
}
