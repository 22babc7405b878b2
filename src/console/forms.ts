import { CONTACT_CHANNELS, type ContactChannel, OUTCOMES, type Outcome } from "../../schema";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";

/**
 * The alert page's forms as the console reads them: each field checked here, with the message in the page's
 * language next to the field, so the use case's own (English, API) validation is a second line that an
 * officer's typing never reaches. Which fields an outcome needs follows src/alerts/workflow.ts.
 */
export type FormName = "attempt" | "outcome" | "reveal";

export interface FormState {
  form: FormName;
  /** What the officer typed, shown again so nothing is lost to an error. */
  values: Record<string, string>;
  errors: Record<string, string>;
}

type Parsed<T> = { ok: true; input: T } | { ok: false; state: FormState };

const text = (v: unknown) => (typeof v === "string" ? v : "");
const trimmed = (v: unknown) => text(v).trim();

/** Amounts an outcome may carry: protected on the final outcomes with money at stake, lost when defrauded. */
export const OUTCOME_FIELDS: Record<
  Outcome,
  readonly ("amountProtected" | "amountLost" | "transferToPostId")[]
> = {
  dissuaded: ["amountProtected"],
  aware_no_loss: ["amountProtected"],
  already_defrauded: ["amountLost", "amountProtected"],
  not_fraud: [],
  duplicate: [],
  unreachable: [],
  refused_or_denied: [],
  wrong_subject: ["transferToPostId"],
};

function fenFrom(value: string): number | undefined | "invalid" {
  if (value === "") return undefined;
  if (!/^\d{1,11}(\.\d{1,2})?$/.test(value)) return "invalid";
  return Math.round(Number(value) * 100);
}

function values(form: Record<string, unknown>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, text(form[n]).slice(0, 2000)]));
}

export function parseAttempt(
  form: Record<string, unknown>,
  { t }: I18n,
): Parsed<{ channel: ContactChannel; reached: boolean; note?: string }> {
  const errors: Record<string, string> = {};
  const channel = trimmed(form.channel);
  if (!(CONTACT_CHANNELS as readonly string[]).includes(channel)) errors.channel = t.errChannel;
  const reached = trimmed(form.reached);
  if (reached !== "true" && reached !== "false") errors.reached = t.errReached;
  const note = trimmed(form.note);
  if (note.length > 500) errors.note = fill(t.errTooLong, { n: 500 });
  if (Object.keys(errors).length > 0) {
    return {
      ok: false,
      state: { form: "attempt", values: values(form, ["channel", "reached", "note"]), errors },
    };
  }
  return {
    ok: true,
    input: { channel: channel as ContactChannel, reached: reached === "true", note: note || undefined },
  };
}

export interface OutcomeInput {
  outcome: Outcome;
  amountProtected?: number;
  amountLost?: number;
  transferToPostId?: string;
  note?: string;
}

export function parseOutcome(
  form: Record<string, unknown>,
  { t }: I18n,
  currentPostId: string | null,
): Parsed<OutcomeInput> {
  const errors: Record<string, string> = {};
  const outcome = trimmed(form.outcome) as Outcome;
  const known = (OUTCOMES as readonly string[]).includes(outcome);
  if (!known) errors.outcome = t.errOutcome;
  // Fields the chosen outcome does not take are ignored, not refused: a script-less page shows them all.
  const fields = known ? OUTCOME_FIELDS[outcome] : [];
  const input: OutcomeInput = { outcome };
  for (const field of ["amountProtected", "amountLost"] as const) {
    if (!fields.includes(field)) continue;
    const fen = fenFrom(trimmed(form[field]));
    if (fen === "invalid") errors[field] = t.errAmount;
    else if (fen !== undefined) input[field] = fen;
  }
  if (outcome === "already_defrauded" && input.amountLost === undefined && !errors.amountLost) {
    errors.amountLost = t.errAmountLost;
  }
  if (fields.includes("transferToPostId")) {
    const to = trimmed(form.transferToPostId);
    if (to === "") errors.transferToPostId = t.errTransfer;
    else if (to === currentPostId) errors.transferToPostId = t.errTransferSame;
    else input.transferToPostId = to;
  }
  const note = trimmed(form.note);
  if (note.length > 1000) errors.note = fill(t.errTooLong, { n: 1000 });
  else if (note) input.note = note;
  if (Object.keys(errors).length > 0) {
    const kept = values(form, ["outcome", "amountProtected", "amountLost", "transferToPostId", "note"]);
    return { ok: false, state: { form: "outcome", values: kept, errors } };
  }
  return { ok: true, input };
}
