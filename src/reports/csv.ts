/**
 * RFC 4180 CSV. A text cell starting with =, +, - or @ is prefixed with ' so a spreadsheet shows it instead of
 * running it as a formula (numbers are written as numbers, so a negative figure stays a number).
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * Lines joined with CRLF, a header first, ending with CRLF, after a UTF-8 byte-order mark: without it Excel
 * on Chinese Windows reads the file as GBK and garbles every 驿站 and 派出所.
 */
export function csvDocument(header: string[], rows: (string | number | null)[][]): string {
  return `\uFEFF${[header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}
