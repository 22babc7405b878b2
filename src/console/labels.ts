import type {
  AlertStage,
  ContactChannel,
  DeadlineKind,
  EscalationTargetKind,
  FraudType,
  Outcome,
  RiskLevel,
  SmsPurpose,
  SmsStatus,
  WarningType,
} from "../../schema";

/**
 * How each stored enum value reads on a page. `Record<Enum, string>` makes a new schema value fail to compile
 * until both languages name it; kinds that arrive as free text (indicator kinds, event kinds,
 * reasons) are looked up with `labelOf`, which never prints the raw value alone.
 */
export interface Labels {
  risk: Record<RiskLevel, string>;
  type: Record<WarningType, string>;
  fraudType: Record<FraudType, string>;
  stage: Record<AlertStage, string>;
  outcome: Record<Outcome, string>;
  channel: Record<ContactChannel, string>;
  /** Which clock is running: the deadline's name as officers say it. */
  deadline: Record<DeadlineKind, string>;
  /** What ends the running clock, shown under it. */
  deadlineHint: Record<DeadlineKind, string>;
  purpose: Record<SmsPurpose, string>;
  smsStatus: Record<SmsStatus, string>;
  indicator: Record<string, string>;
  event: Record<string, string>;
  noticeDropReason: Record<string, string>;
  /** Who an escalation step paged (src/organisation/escalation-policies.ts). */
  escalationTarget: Record<EscalationTargetKind, string>;
  numberKind: Record<string, string>;
  /** Said of a kind this build has no name for (a newer feed's indicator kind, a newer event). */
  unknown: string;
}

const zh: Labels = {
  risk: { critical: "紧急", high: "高", medium: "中", low: "低" },
  type: {
    funds: "资金预警",
    call: "涉诈来电",
    sms: "涉诈短信",
    url: "涉诈网址",
    app: "涉诈App",
    other: "其他",
  },
  fraudType: {
    loan: "贷款诈骗",
    rebate: "刷单返利",
    impersonating_police: "冒充公检法",
    romance_investment: "网恋交友/投资理财",
    fake_customer_service: "冒充电商物流客服",
    impersonating_boss: "冒充领导熟人",
    fake_prize: "虚假中奖",
    fake_credit_repair: "虚假征信",
    other: "其他类型",
  },
  stage: {
    received: "已接收",
    pushed: "待签收",
    acknowledged: "核实中",
    verified: "已核实",
    fed_back: "已反馈",
  },
  outcome: {
    dissuaded: "劝阻成功",
    already_defrauded: "已被骗",
    aware_no_loss: "已识破未受损",
    not_fraud: "误报",
    unreachable: "联系不上（需走访）",
    refused_or_denied: "拒绝/否认（再次联系）",
    wrong_subject: "非本辖区/非本人（移交）",
    duplicate: "重复预警",
  },
  channel: { phone: "电话", sms: "短信", visit: "上门走访" },
  deadline: {
    acknowledge: "签收时限",
    contact: "联系时限",
    visit: "走访时限",
    feedback: "核实反馈时限",
  },
  deadlineHint: {
    acknowledge: "签收后改为联系时限",
    contact: "记录一次联系后改为核实反馈时限",
    visit: "记录已上门见到本人后改为核实反馈时限",
    feedback: "登记最终结果后结束",
  },
  purpose: {
    victim_warning: "预警短信",
    officer_notification: "民警通知短信",
    escalation_notice: "超时升级通知",
    parcel_reminder: "快递提醒短信",
  },
  smsStatus: {
    queued: "排队中",
    submitted: "已提交",
    delivered: "已送达",
    failed: "发送失败",
    expired: "未收到回执",
    suppressed: "未发送",
  },
  indicator: {
    phone: "涉诈电话",
    sms: "涉诈短信",
    url: "涉诈网址",
    app: "涉诈App",
    account: "涉诈账户",
    bank_card: "银行卡",
    wechat: "微信",
    alipay: "支付宝",
    qq: "QQ",
    ip: "IP地址",
    other: "其他线索",
  },
  event: {
    pushed: "已推送",
    push_redriven: "重新推送",
    warning_linked: "新预警并案",
    acknowledged: "签收",
    attempt_logged: "联系记录",
    outcome_recorded: "登记结果",
    transferred: "移交",
    escalated: "超时升级",
    phone_revealed: "查看号码",
    feedback_queued: "待反馈",
    feedback_delivered: "已反馈",
    feedback_dead_lettered: "反馈失败",
    feedback_redriven: "重新反馈",
    victim_warning_skipped: "未发预警短信：非大陆手机号，请电话联系或上门",
    officer_notice_dropped: "未发民警通知短信",
  },
  noticeDropReason: {
    acknowledged: "预警已签收",
    closed: "预警已办结",
    transferred: "预警已移交其他警务室",
  },
  escalationTarget: {
    on_duty: "在岗民警",
    post_all: "本警务室全体民警",
    supervisors: "所领导",
    duty_desk: "值班室",
    officer: "指定民警",
  },
  numberKind: { foreign: "境外号码", landline: "固定电话", other: "非手机号码" },
  unknown: "其他",
};

const en: Labels = {
  risk: { critical: "Critical", high: "High", medium: "Medium", low: "Low" },
  type: {
    funds: "Funds warning",
    call: "Fraud call",
    sms: "Fraud SMS",
    url: "Fraud website",
    app: "Fraud app",
    other: "Other",
  },
  fraudType: {
    loan: "Loan scam",
    rebate: "Order-brushing rebate scam",
    impersonating_police: "Impersonating police",
    romance_investment: "Romance or investment scam",
    fake_customer_service: "Fake customer service",
    impersonating_boss: "Impersonating a boss or friend",
    fake_prize: "Fake prize",
    fake_credit_repair: "Fake credit repair",
    other: "Other scam",
  },
  stage: {
    received: "Received",
    pushed: "To acknowledge",
    acknowledged: "Verifying",
    verified: "Verified",
    fed_back: "Fed back",
  },
  outcome: {
    dissuaded: "Dissuaded",
    already_defrauded: "Already defrauded",
    aware_no_loss: "Aware, no loss",
    not_fraud: "Not fraud",
    unreachable: "Unreachable (visit)",
    refused_or_denied: "Refused or denied (try again)",
    wrong_subject: "Wrong subject (transfer)",
    duplicate: "Duplicate",
  },
  channel: { phone: "Phone", sms: "SMS", visit: "Home visit" },
  deadline: {
    acknowledge: "Acknowledge by",
    contact: "First contact by",
    visit: "Visit by",
    feedback: "Verify and report by",
  },
  deadlineHint: {
    acknowledge: "After acknowledging, the first-contact deadline runs",
    contact: "After one logged contact attempt, the verify-and-report deadline runs",
    visit: "After a visit that reached the person, the verify-and-report deadline runs",
    feedback: "Ends when a final outcome is recorded",
  },
  purpose: {
    victim_warning: "Warning SMS",
    officer_notification: "Officer notice",
    escalation_notice: "Escalation notice",
    parcel_reminder: "Parcel reminder",
  },
  smsStatus: {
    queued: "Queued",
    submitted: "Submitted",
    delivered: "Delivered",
    failed: "Failed",
    expired: "No receipt",
    suppressed: "Not sent",
  },
  indicator: {
    phone: "Fraud phone number",
    sms: "Fraud SMS",
    url: "Fraud website",
    app: "Fraud app",
    account: "Fraud account",
    bank_card: "Bank card",
    wechat: "WeChat",
    alipay: "Alipay",
    qq: "QQ",
    ip: "IP address",
    other: "Other clue",
  },
  event: {
    pushed: "Pushed",
    push_redriven: "Push re-driven",
    warning_linked: "Warning linked",
    acknowledged: "Acknowledged",
    attempt_logged: "Contact attempt",
    outcome_recorded: "Outcome recorded",
    transferred: "Transferred",
    escalated: "Escalated",
    phone_revealed: "Number revealed",
    feedback_queued: "Feedback queued",
    feedback_delivered: "Fed back",
    feedback_dead_lettered: "Feedback failed",
    feedback_redriven: "Feedback re-driven",
    victim_warning_skipped: "No warning SMS: not a mainland mobile; call or visit",
    officer_notice_dropped: "Officer SMS not sent",
  },
  noticeDropReason: {
    acknowledged: "alert already acknowledged",
    closed: "alert already closed",
    transferred: "alert transferred to another post",
  },
  escalationTarget: {
    on_duty: "officers on duty",
    post_all: "every officer of the post",
    supervisors: "supervisors",
    duty_desk: "the duty desk",
    officer: "a named officer",
  },
  numberKind: { foreign: "foreign number", landline: "landline", other: "not a mobile" },
  unknown: "Other",
};

export const labels = { zh, en };

/** A free-text kind's name, or "其他" — never the raw value standing alone as if it were a word of the page. */
export function labelOf(table: Record<string, string>, kind: string, fallback: string): string {
  return Object.hasOwn(table, kind) ? (table[kind] as string) : fallback;
}
