import type { DeadlineKind, RiskLevel, WarningType } from "../../schema";

/**
 * Warning texts follow the 12381 model: no links, no numbers to call back, nothing to reply — a scammer
 * cannot imitate a message whose only instruction is "do not pay". The signature is prepended by the caller
 * and counts toward the length.
 */
const VICTIM_WARNINGS: Record<WarningType, string> = {
  funds:
    "紧急提醒：您正在进行的转账极可能是诈骗！请立即停止转账。凡要求转账、刷流水、提供验证码的都是诈骗，民警正在与您联系。",
  call: "您刚接听的来电疑似诈骗电话。自称客服、公检法、领导要求转账或提供验证码的都是诈骗，请勿转账。",
  sms: "您收到的短信疑似诈骗短信，请勿点击其中链接、勿回拨其中号码，更不要转账或提供验证码。",
  url: "您访问的网站疑似诈骗网站，请立即关闭，勿填写银行卡、密码、验证码，勿充值转账。",
  app: "您安装的应用疑似诈骗App，请立即卸载，勿在其中充值、转账、贷款或共享屏幕。",
  other: "您可能正遭遇电信网络诈骗。请勿向陌生人转账，勿透露银行卡密码和验证码。",
};

const RISK_LABELS: Record<RiskLevel, string> = {
  critical: "紧急",
  high: "高风险",
  medium: "中风险",
  low: "低风险",
};
const TYPE_LABELS: Record<WarningType, string> = {
  funds: "资金预警",
  call: "涉诈来电",
  sms: "涉诈短信",
  url: "涉诈网址",
  app: "涉诈App",
  other: "其他预警",
};

export function victimWarningText(signature: string, type: WarningType): string {
  return `${signature}${VICTIM_WARNINGS[type]}`;
}

/** The 编号 an officer's SMS shows for an alert, and that a reply may name (`1 <编号>`). */
export function alertShortCode(alertId: string): string {
  return alertId.slice(-8);
}

/**
 * What an officer's phone shows: enough to act on, and no subject phone number (that is revealed in the
 * console). It says how to acknowledge by reply (src/alerts/acknowledge-by-reply.ts). The console link is
 * added only when the deployment has a public BASE_URL: officer notices may carry links, victim warnings
 * never do; it makes the SMS two segments, which a page worth acting on can afford.
 */
export function officerNotificationText(
  signature: string,
  alert: { id: string; type: WarningType; riskLevel: RiskLevel; areaAddress: string | null },
  baseUrl?: string,
): string {
  const where = alert.areaAddress ? `，${alert.areaAddress.slice(0, 20)}` : "";
  const link = baseUrl
    ? ` ${baseUrl.replace(/\/+$/, "")}/console/alerts/${encodeURIComponent(alert.id)}`
    : "";
  return `${signature}【${RISK_LABELS[alert.riskLevel]}】${TYPE_LABELS[alert.type]}${where}，请立即处置，回复1签收。编号${alertShortCode(alert.id)}${link}`;
}

/** What went wrong with an officer's `1` reply, in words the officer can act on; nobody else's number. */
export type ReplyRefusal = "taken" | "not_yours" | "closed" | "nothing" | "unknown_code" | "retry";

const REFUSALS: Record<ReplyRefusal, string> = {
  taken: "已由其他民警签收，无需处理",
  not_yours: "不属于您的岗位或已移交其他岗位，未签收",
  closed: "已办结，无需签收",
  nothing: "您没有待签收的预警",
  unknown_code: "请核对编号后回复“1 编号”",
  retry: "暂未签收成功，请稍后重试或登录系统签收",
};

/** The answer to an officer's `1` reply: a confirmation, or why nothing was acknowledged. */
export function replyAnswerText(signature: string, code: string | null, refusal?: ReplyRefusal): string {
  const ref = code ? `编号${code}` : "";
  if (!refusal) return `${signature}已签收：预警${ref}，请尽快联系当事人。`;
  if (refusal === "unknown_code") return `${signature}未找到${ref}的预警，${REFUSALS[refusal]}。`;
  return `${signature}${ref ? `预警${ref}` : ""}${REFUSALS[refusal]}。`;
}

const DEADLINE_LABELS: Record<DeadlineKind, string> = {
  acknowledge: "签收",
  contact: "联系当事人",
  visit: "上门核查",
  feedback: "录入核查结果",
};

/**
 * Escalation of a missed deadline, to the post's officers and the station's supervisors. The first notice
 * says the level was raised; reminders count up so a phone showing several is not mistaken for a repeat.
 */
export function escalationNoticeText(
  signature: string,
  alert: { id: string; type: WarningType; riskLevel: RiskLevel; deadlineKind: DeadlineKind | null },
  notice: { count: number; step: number; reminder: boolean; raised: boolean },
): string {
  const what = DEADLINE_LABELS[alert.deadlineKind ?? "acknowledge"];
  const ref = `编号${alert.id.slice(-8)}`;
  if (notice.reminder) {
    return `${signature}【超时提醒】${TYPE_LABELS[alert.type]}仍未${what}（第${notice.count}次通知），请立即处置。${ref}`;
  }
  if (notice.step > 1) {
    return `${signature}【超时升级】${TYPE_LABELS[alert.type]}仍未${what}，已逐级上报（第${notice.step}级），请立即处置。${ref}`;
  }
  const level = notice.raised ? `已升为${RISK_LABELS[alert.riskLevel]}` : RISK_LABELS[alert.riskLevel];
  return `${signature}【超时升级】${TYPE_LABELS[alert.type]}未按时${what}，${level}，请立即处置。${ref}`;
}

/**
 * A burst of alerts as one SMS: how many and how urgent, no subjects or places (several cases do not fit in
 * one SMS; the console has them). Levels are listed most urgent first, and only those present.
 */
export function officerSummaryText(signature: string, riskLevels: RiskLevel[]): string {
  const counts = (Object.keys(RISK_LABELS) as RiskLevel[])
    .map((level) => [level, riskLevels.filter((l) => l === level).length] as const)
    .filter(([, n]) => n > 0)
    .map(([level, n]) => `${RISK_LABELS[level]}${n}`);
  return `${signature}您有${riskLevels.length}条新预警：${counts.join("、")}，请立即登录签收。`;
}
