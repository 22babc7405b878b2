import type { Child } from "hono/jsx";
import type { DayFigures } from "../reports/daily";
import type { DayRange, DayRangeProblem, DayRangeResult } from "../reports/day-range";
import type { I18n } from "./i18n";
import { fill } from "./i18n-supervisor";
import type { PageContext } from "./layout";

/** The date-range form as typed, with the range it names or the message beside each wrong field. */
export interface RangeForm {
  from: string;
  to: string;
  range: DayRange | null;
  errors: { from?: string; to?: string };
}

const PROBLEM_KEY = {
  invalid: "supRangeInvalid",
  order: "supRangeOrder",
  future: "supRangeFuture",
  too_long: "supRangeTooLong",
} as const satisfies Record<DayRangeProblem, keyof I18n["t"]>;

export function rangeForm(
  i18n: I18n,
  typed: { from?: string; to?: string },
  parsed: DayRangeResult,
): RangeForm {
  if (parsed.ok) {
    const { range } = parsed;
    return { from: range.firstDay, to: range.lastDay, range, errors: {} };
  }
  const errors: RangeForm["errors"] = {};
  for (const p of parsed.problems) errors[p.field] ??= i18n.t[PROBLEM_KEY[p.problem]];
  return { from: (typed.from ?? "").slice(0, 40), to: (typed.to ?? "").slice(0, 40), range: null, errors };
}

/** The query that names a range (and the page's language), for links that must keep both. */
export function rangeQuery(
  range: Pick<DayRange, "firstDay" | "lastDay">,
  extra: Record<string, string> = {},
) {
  return new URLSearchParams({ from: range.firstDay, to: range.lastDay, ...extra }).toString();
}

function DateField(props: { name: "from" | "to"; label: string; value: string; error?: string }) {
  const errorId = `sup-${props.name}-error`;
  // The message sits beside the input but outside its label, so it describes the field without renaming it.
  return (
    <div class="sup-field">
      <label>
        {props.label}
        <input
          type="date"
          name={props.name}
          value={props.value}
          aria-invalid={props.error ? "true" : undefined}
          aria-describedby={props.error ? errorId : undefined}
        />
      </label>
      {props.error && (
        <span class="field-error" id={errorId}>
          {props.error}
        </span>
      )}
    </div>
  );
}

/** Choose the days, see them charted and tabled, export them. */
export function RangeSection(props: {
  ctx: PageContext;
  form: RangeForm;
  days: DayFigures[] | null;
  children?: Child;
}) {
  const { t, lang } = props.ctx.i18n;
  const { form } = props;
  const range = form.range;
  const empty = props.days?.every((d) => d.received === 0) ?? false;
  return (
    <section class="card" id="sup-range" aria-labelledby="sup-range-title">
      <h2 id="sup-range-title">{t.supRange}</h2>
      {!range && (
        <p class="flash error" role="alert">
          {t.supRangeError}
        </p>
      )}
      <form class="sup-range" method="get" action="/console/supervisor#sup-range">
        <DateField name="from" label={t.supFrom} value={form.from} error={form.errors.from} />
        <DateField name="to" label={t.supTo} value={form.to} error={form.errors.to} />
        <button class="primary" type="submit">
          {t.supShow}
        </button>
      </form>
      {range && (
        <>
          <p data-range={`${range.firstDay}/${range.lastDay}`}>
            {fill(t.supRangeSummary, { first: range.firstDay, last: range.lastDay, days: range.days })}
          </p>
          {empty && <p class="muted">{t.supNoData}</p>}
          {props.children}
          <p class="sup-exports">
            <a
              class="button"
              href={`/console/supervisor/export.csv?${rangeQuery(range, { kind: "daily", lang })}`}
            >
              {t.supExportDaily}
            </a>
            <a
              class="button"
              href={`/console/supervisor/export.csv?${rangeQuery(range, { kind: "alerts", lang })}`}
            >
              {t.supExportAlerts}
            </a>
          </p>
          <p class="muted">{t.supExportNote}</p>
        </>
      )}
    </section>
  );
}
