import { alertShortCode } from "../alerts/sms-texts";
import { csvDocument } from "../reports/csv";
import type { DayFigures } from "../reports/daily";
import type { ExportedAlert } from "../reports/export";
import type { I18n } from "./i18n";
import { FRAUD_TYPE_KEY } from "./i18n-supervisor";

const yuanNumber = (fen: number | null) => (fen === null ? null : fen / 100);

/** Beijing time as a spreadsheet sorts it: `2026-12-03 09:05:00`. */
function localTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
}

export function dailyCsv(i18n: I18n, days: DayFigures[], total: Omit<DayFigures, "day">): string {
  const { t } = i18n;
  const row = (day: string, d: Omit<DayFigures, "day">) => [
    day,
    d.received,
    d.pushedInTarget,
    d.dissuaded,
    yuanNumber(d.protectedFen),
    yuanNumber(d.lostFen),
  ];
  return csvDocument(
    [t.supDay, t.supReceived, t.supPushedInTarget, t.supDissuaded, t.supProtected, t.supLost],
    [...days.map((d) => row(d.day, d)), row(t.supTotal, total)],
  );
}

/** One alert per row, in the page's language: labels for every code, the subject's number masked. */
export function alertsCsv(i18n: I18n, rows: ExportedAlert[]): string {
  const { t, label } = i18n;
  return csvDocument(
    [
      t.supCsvRef,
      t.supCsvReceivedAt,
      t.supCsvPost,
      t.supCsvRisk,
      t.supCsvType,
      t.supCsvFraudType,
      t.supCsvPhone,
      t.supCsvArea,
      t.supCsvStage,
      t.supCsvOutcome,
      t.supCsvPushSeconds,
      t.supCsvEscalations,
      t.supProtected,
      t.supLost,
    ],
    rows.map((a) => [
      alertShortCode(a.id),
      localTime(a.receivedAt),
      a.postName ?? t.supNoPost,
      label.risk[a.riskLevel],
      label.type[a.type],
      t[FRAUD_TYPE_KEY[a.fraudType]],
      a.phone ?? t.supCsvPurged,
      a.area,
      label.stage[a.stage],
      a.outcome ? label.outcome[a.outcome] : null,
      a.pushSeconds === null ? null : Math.round(a.pushSeconds * 10) / 10,
      a.escalationCount,
      yuanNumber(a.amountProtected),
      yuanNumber(a.amountLost),
    ]),
  );
}
