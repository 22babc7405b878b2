import { RISK_LEVELS, type RiskLevel } from "../../schema";
import type { HandledAlert } from "../alerts/handled";
import { alertCode, type listAlerts } from "../alerts/list";
import type { DutyStatus } from "../organisation/duty-self";
import { DeadlineText } from "./deadline";
import { DutyForm } from "./duty";
import { fill } from "./i18n-officer";
import { clockTime, Layout, type PageContext, yuan } from "./layout";

type QueueItem = Awaited<ReturnType<typeof listAlerts>>["alerts"][number];

/** The queue's filters, as the query string carries them (a plain GET form: bookmarkable, works without script). */
export interface QueueFilters {
  mine: boolean;
  unacknowledged: boolean;
  overdue: boolean;
  risk?: RiskLevel;
  /** A full mobile number or an alert's 编号, as typed. */
  q: string;
  cursor?: string;
}

export function filtersFrom(query: (name: string) => string | undefined): QueueFilters {
  const risk = query("risk");
  return {
    mine: query("mine") === "1",
    unacknowledged: query("unack") === "1",
    overdue: query("overdue") === "1",
    risk: (RISK_LEVELS as readonly string[]).includes(risk ?? "") ? (risk as RiskLevel) : undefined,
    q: (query("q") ?? "").trim().slice(0, 40),
    cursor: query("cursor") || undefined,
  };
}

export function filterQuery(f: QueueFilters, cursor?: string): string {
  const params = new URLSearchParams();
  if (f.mine) params.set("mine", "1");
  if (f.unacknowledged) params.set("unack", "1");
  if (f.overdue) params.set("overdue", "1");
  if (f.risk) params.set("risk", f.risk);
  if (f.q) params.set("q", f.q);
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

const anyFilter = (f: QueueFilters) => f.mine || f.unacknowledged || f.overdue || !!f.risk || f.q !== "";

/** What the tab title counts: alerts in the queue nobody has acknowledged yet. */
export const unacknowledged = (alerts: QueueItem[]) =>
  alerts.filter((a) => a.stage === "received" || a.stage === "pushed").length;

export function QueueList(props: {
  ctx: PageContext;
  alerts: QueueItem[];
  /** Officer id → display name, for who holds each alert. */
  names?: Record<string, string>;
  /** Post id → name, for a supervisor's queue that spans the station's posts. */
  postNames?: Record<string, string>;
  empty?: string;
  nextHref?: string;
}) {
  const { t, label } = props.ctx.i18n;
  if (props.alerts.length === 0) return <p class="muted empty">{props.empty ?? t.noAlerts}</p>;
  return (
    <>
      <ul class="alerts" data-unacknowledged={unacknowledged(props.alerts)}>
        {props.alerts.map((a) => (
          <li class={`risk-${a.riskLevel}`} data-alert-id={a.id}>
            <a class="cardlink" href={`/console/alerts/${a.id}`}>
              <span class="row">
                <span class={`badge ${a.riskLevel}`}>{label.risk[a.riskLevel]}</span>
                <strong>{label.fraudType[a.fraudType]}</strong>
                <span class="muted">{label.type[a.type]}</span>
                {a.escalated && <span class="badge escalated">{t.escalated}</span>}
                {a.visitRequired && <span class="badge medium">{t.visitRequired}</span>}
              </span>
              <span class="row">
                <span class="phone">{a.subject.phone ?? t.purged}</span>
                <span>{a.area.address ?? a.area.code ?? ""}</span>
              </span>
              {props.postNames && (
                <span class="row muted">
                  {fill(t.supPostOf, { post: (a.postId && props.postNames[a.postId]) || t.supNoPost })}
                </span>
              )}
              <span class="row">
                {a.amountAtRisk !== null && (
                  <span>
                    {t.amount} {fill(t.yuanUnit, { n: yuan(a.amountAtRisk) })}
                  </span>
                )}
                {a.deadline && <DeadlineText ctx={props.ctx} kind={a.deadline.kind} at={a.deadline.at} />}
              </span>
              <span class="row muted">
                <span>
                  {a.acknowledgedBy
                    ? `${t.heldBy} ${props.names?.[a.acknowledgedBy] ?? t.system}`
                    : t.notAcknowledgedYet}
                </span>
                <span>
                  {t.code} {alertCode(a.id)}
                </span>
              </span>
            </a>
          </li>
        ))}
      </ul>
      {props.nextHref && (
        <p>
          <a class="button secondary" href={props.nextHref}>
            {t.nextPage}
          </a>
        </p>
      )}
    </>
  );
}

function Filters(props: { ctx: PageContext; filters: QueueFilters; searchError?: string }) {
  const { t, label } = props.ctx.i18n;
  const f = props.filters;
  const check = (name: string, on: boolean, text: string) => (
    <label class="chip">
      <input type="checkbox" name={name} value="1" checked={on} />
      {text}
    </label>
  );
  return (
    <details class="filters" open={anyFilter(f) || !!props.searchError}>
      <summary>{t.filtersAndSearch}</summary>
      <form method="get" action="/console" aria-label={t.filters}>
        <input type="hidden" name="lang" value={props.ctx.i18n.lang} />
        <fieldset>
          <legend>{t.filters}</legend>
          {check("mine", f.mine, t.filterMine)}
          {check("unack", f.unacknowledged, t.filterUnacknowledged)}
          {check("overdue", f.overdue, t.filterOverdue)}
          <label class="chip">
            {t.filterRisk}
            <select name="risk">
              <option value="">{t.allRisks}</option>
              {RISK_LEVELS.map((r) => (
                <option value={r} selected={f.risk === r}>
                  {label.risk[r]}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
        <label for="queue-q">{t.searchLabel}</label>
        <p class="hint" id="queue-q-hint">
          {t.searchHint}
        </p>
        {props.searchError && (
          <p class="field-error" id="queue-q-error">
            {props.searchError}
          </p>
        )}
        <div class="searchrow">
          <input
            id="queue-q"
            name="q"
            type="search"
            inputmode="text"
            autocomplete="off"
            value={f.q}
            aria-describedby={props.searchError ? "queue-q-hint queue-q-error" : "queue-q-hint"}
            aria-invalid={props.searchError ? "true" : undefined}
          />
          <button class="primary" type="submit">
            {t.searchButton}
          </button>
        </div>
        {anyFilter(f) && (
          <p>
            <a class="button secondary" href={`/console?lang=${props.ctx.i18n.lang}`}>
              {t.clearFilters}
            </a>
          </p>
        )}
      </form>
    </details>
  );
}

function HandledToday(props: { ctx: PageContext; handled: HandledAlert[] }) {
  const { t, label, lang } = props.ctx.i18n;
  const now = props.ctx.now ?? new Date();
  return (
    <section class="handled" aria-labelledby="handled">
      <h2 id="handled">{t.handledToday}</h2>
      {props.handled.length === 0 ? (
        <p class="muted empty">{t.noneHandledToday}</p>
      ) : (
        <ul class="handled-list">
          {props.handled.map((h) => (
            <li>
              <a class="cardlink" href={`/console/alerts/${h.id}`}>
                <span class="row">
                  <span>{clockTime(h.verifiedAt, lang, now)}</span>
                  <strong>{h.outcome ? label.outcome[h.outcome] : ""}</strong>
                  <span>{label.fraudType[h.fraudType]}</span>
                </span>
                <span class="row muted">
                  <span class="phone">{h.subject.phone ?? t.purged}</span>
                  <span>{h.verifiedBy ?? t.system}</span>
                  <span>
                    {t.code} {alertCode(h.id)}
                  </span>
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function QueuePage(props: {
  ctx: PageContext;
  alerts: QueueItem[];
  names: Record<string, string>;
  postNames?: Record<string, string>;
  filters: QueueFilters;
  nextCursor: string | null;
  handled: HandledAlert[];
  searchError?: string;
  flash?: string;
  duty?: DutyStatus;
  dutyNotice?: string;
}) {
  const { t, lang } = props.ctx.i18n;
  const f = props.filters;
  const waiting = unacknowledged(props.alerts);
  const next = props.nextCursor ? `/console?${filterQuery(f, props.nextCursor)}` : undefined;
  const fragment = `/console/fragments/queue?${filterQuery(f, f.cursor)}${filterQuery(f, f.cursor) ? "&" : ""}lang=${lang}`;
  return (
    <Layout ctx={props.ctx} title={waiting > 0 ? `(${waiting}) ${t.myQueue}` : t.myQueue}>
      {props.duty && <DutyForm ctx={props.ctx} duty={props.duty} notice={props.dutyNotice} />}
      {props.flash && (
        <p class="flash ok" role="status">
          {props.flash}
        </p>
      )}
      <h2>{f.q ? t.searchResults : t.myQueue}</h2>
      <button type="button" class="secondary" id="sound-arm" hidden>
        {t.soundArm}
      </button>
      <Filters ctx={props.ctx} filters={f} searchError={props.searchError} />
      <noscript>
        <p>
          <a href={`/console?${filterQuery(f, f.cursor)}`}>{t.refresh}</a>
        </p>
      </noscript>
      <div id="queue" data-refresh={fragment} aria-live="polite">
        <QueueList
          ctx={props.ctx}
          alerts={props.alerts}
          names={props.names}
          postNames={props.postNames}
          empty={anyFilter(f) ? t.noMatches : t.noAlerts}
          nextHref={next}
        />
      </div>
      {f.cursor && (
        <p>
          <a href={`/console?${filterQuery({ ...f, cursor: undefined })}`}>{t.firstPage}</a>
        </p>
      )}
      <HandledToday ctx={props.ctx} handled={props.handled} />
    </Layout>
  );
}
