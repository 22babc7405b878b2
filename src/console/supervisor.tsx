import type { Outcome } from "../../schema";
import type { AttentionAlert, alertsNeedingAttention } from "../alerts/attention";
import { alertShortCode } from "../alerts/sms-texts";
import type { workloadByPost } from "../alerts/workload";
import type { DeadLetter } from "../feedback/dead-letters";
import type { DeadCallback } from "../message-events/callback-settings";
import type { AlertsReport } from "../reports/alerts";
import { type DayFigures, totalOf } from "../reports/daily";
import { Csrf } from "./admin-layout";
import { DEADLINE_KEY, fill } from "./i18n-supervisor";
import { Layout, type PageContext, time, yuan } from "./layout";
import { DayCharts, DayTable } from "./supervisor-charts";
import { type RangeForm, RangeSection } from "./supervisor-range";

export const LIVE_FRAGMENT = "/console/supervisor/fragments/live";

type Attention = Awaited<ReturnType<typeof alertsNeedingAttention>>;
type Workload = Awaited<ReturnType<typeof workloadByPost>>;

function minutes(ctx: PageContext, seconds: number | null): string {
  return seconds === null ? "—" : fill(ctx.i18n.t.supMinutes, { n: (seconds / 60).toFixed(1) });
}

/** What the supervisor must chase: one card per alert, grouped by post, each card a link to the alert. */
function AttentionCard(props: { ctx: PageContext; alert: AttentionAlert }) {
  const { t, label } = props.ctx.i18n;
  const a = props.alert;
  const post = a.postName ?? t.supNoPost;
  const deadline = a.deadline ? t[DEADLINE_KEY[a.deadline.kind]] : null;
  return (
    <li class={`risk-${a.riskLevel}`} data-alert-id={a.id}>
      <a class="sup-card" href={`/console/alerts/${a.id}`}>
        <span class="row">
          <span class={`badge ${a.riskLevel}`}>{label.risk[a.riskLevel]}</span>
          <strong>{label.type[a.type]}</strong>
          <span class="nowrap">{a.phone ?? t.purged}</span>
          <span class="muted">{label.stage[a.stage]}</span>
          {a.escalated && <span class="badge escalated">{t.escalated}</span>}
        </span>
        {deadline && a.deadline && a.overdue && (
          <span class="sup-line overdue" data-missed={a.deadline.kind}>
            {fill(t.supMissedSince, { deadline, since: time(a.deadline.at) })}
          </span>
        )}
        {a.escalated && (
          <span class="sup-line">
            {fill(t.supEscalatedTimes, { n: a.escalationCount, at: time(a.lastEscalatedAt) })}
          </span>
        )}
        {a.chain && (
          <span class="sup-line" data-escalation-step={a.chain.step}>
            {fill(a.chain.step < a.chain.steps ? t.supChainStep : t.supChainLast, {
              step: a.chain.step,
              steps: a.chain.steps,
              at: time(a.chain.nextAt),
            })}
          </span>
        )}
        {deadline && a.deadline && !a.overdue && !a.chain && (
          <span class="sup-line muted">{fill(t.supDueAt, { deadline, at: time(a.deadline.at) })}</span>
        )}
        <span class="sup-line muted">
          {fill(t.supPostOf, { post })}
          {a.area ? ` · ${a.area}` : ""}
        </span>
        <span class="sup-open">{fill(t.supOpenAlert, { ref: alertShortCode(a.id) })}</span>
      </a>
    </li>
  );
}

function AttentionList(props: { ctx: PageContext; attention: Attention }) {
  const { t } = props.ctx.i18n;
  const { groups, truncated } = props.attention;
  if (groups.length === 0) return <p class="muted">{t.supAttentionEmpty}</p>;
  return (
    <>
      {groups.map((g, i) => (
        <section class="sup-group" aria-labelledby={`sup-post-${i}`}>
          <h3 id={`sup-post-${i}`}>
            <span>{g.postName ?? t.supNoPost}</span>
            <span class="muted">{fill(t.supAlertCount, { n: g.alerts.length })}</span>
          </h3>
          <ul class="sup-alerts">
            {g.alerts.map((a) => (
              <AttentionCard ctx={props.ctx} alert={a} />
            ))}
          </ul>
        </section>
      ))}
      {truncated && <p class="muted">{t.supAttentionTruncated}</p>}
    </>
  );
}

function WorkloadTable(props: { ctx: PageContext; workload: Workload }) {
  const { t } = props.ctx.i18n;
  // As the daily figures: post names stay on one line and the figures scroll sideways on a phone.
  return (
    <section class="sup-scroll" aria-label={t.posts} tabindex={0}>
      <table class="sup-table">
        <caption class="sup-caption">{t.posts}</caption>
        <thead>
          <tr>
            <th scope="col">{t.post}</th>
            <th scope="col">{t.open}</th>
            <th scope="col">{t.overdueCount}</th>
            <th scope="col">{t.escalatedCount}</th>
          </tr>
        </thead>
        <tbody>
          {props.workload.map((p) => (
            <tr>
              <th scope="row">{p.name}</th>
              <td>{p.open}</td>
              <td class={p.overdue > 0 ? "overdue" : ""}>{p.overdue}</td>
              <td>{p.escalated}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The part console.js reloads every 5 seconds (the queue's mechanism: `#queue[data-refresh]`). */
export function LiveFragment(props: { ctx: PageContext; attention: Attention; workload: Workload }) {
  const { t } = props.ctx.i18n;
  return (
    <>
      <section class="card" aria-labelledby="sup-attention">
        <h2 id="sup-attention">{t.supAttention}</h2>
        <AttentionList ctx={props.ctx} attention={props.attention} />
      </section>
      <section class="card">
        <WorkloadTable ctx={props.ctx} workload={props.workload} />
      </section>
    </>
  );
}

/** Median minutes per stage as horizontal bars: readable at 360 px, no script, and labelled for screen readers. */
function StageChart(props: { ctx: PageContext; report: AlertsReport }) {
  const { t } = props.ctx.i18n;
  const d = props.report.durations;
  const labels = [t.pushedAt, t.acknowledgedAt, t.verifiedAt, t.fedBackAt];
  const values = [d.timeToPush, d.timeToAcknowledge, d.timeToVerify, d.timeToFeedback].map(
    (p) => p.medianSeconds,
  );
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  const width = (v: number | null) => Math.max(2, ((v ?? 0) / max) * 150);
  return (
    <svg
      class="chart"
      viewBox="0 0 320 120"
      role="img"
      aria-label={labels.map((l, i) => `${l} ${minutes(props.ctx, values[i] ?? null)}`).join(", ")}
    >
      {values.map((v, i) => (
        <g>
          <text x="0" y={20 + i * 28} font-size="12" fill="#1a202c">
            {labels[i]}
          </text>
          <rect x="90" y={8 + i * 28} width={width(v ?? null)} height="16" fill="#1a4fa0" />
          <text x={96 + width(v ?? null)} y={20 + i * 28} font-size="12" fill="#1a202c">
            {minutes(props.ctx, v ?? null)}
          </text>
        </g>
      ))}
    </svg>
  );
}

function TodayCard(props: { ctx: PageContext; today: AlertsReport }) {
  const { t } = props.ctx.i18n;
  const today = props.today;
  return (
    <section class="card" aria-labelledby="today">
      <h2 id="today">{t.today}</h2>
      <dl class="facts">
        <dt>{t.alertsReceived}</dt>
        <dd data-figure="received">{today.total}</dd>
        <dt>{t.dissuaded}</dt>
        <dd data-figure="dissuaded">{today.counts.outcome.dissuaded ?? 0}</dd>
        <dt>{t.amountProtectedTotal}</dt>
        <dd data-figure="protected">{yuan(today.amounts.protected)}</dd>
      </dl>
      <h3>{t.medianTimes}</h3>
      <StageChart ctx={props.ctx} report={today} />
    </section>
  );
}

/** A re-drive button; `label` names what it re-drives for a screen reader, where every button reads 重新推送. */
function RedriveButton(props: { ctx: PageContext; action: string; label: string }) {
  return (
    <form class="sup-redrive" method="post" action={props.action}>
      <Csrf ctx={props.ctx} />
      <button class="secondary" type="submit" aria-label={props.label}>
        {props.ctx.i18n.t.redrive}
      </button>
    </form>
  );
}

function DeadLetters(props: { ctx: PageContext; deadLetters: DeadLetter[] }) {
  const { t, label } = props.ctx.i18n;
  return (
    <section class="card" aria-labelledby="dead">
      <h2 id="dead">{t.deadLetters}</h2>
      {props.deadLetters.length === 0 ? (
        <p class="muted">{t.noDeadLetters}</p>
      ) : (
        <ul class="sup-dead">
          {props.deadLetters.map((d) => (
            <li>
              <a href={`/console/alerts/${d.alertId}`}>
                {fill(t.supOpenAlert, { ref: alertShortCode(d.alertId) })}
              </a>
              {d.outcome && ` · ${label.outcome[d.outcome as Outcome] ?? ""}`}
              {d.lastError && ` · ${fill(t.supLastError, { error: d.lastError })}`}
              {` · ${fill(t.supFailedAt, { at: time(d.deadAt) })}`}
              <RedriveButton
                ctx={props.ctx}
                action={`/console/dead-letters/${d.eventId}/redrive`}
                label={fill(t.supRedriveFor, { ref: alertShortCode(d.alertId) })}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DeadCallbacks(props: { ctx: PageContext; deadCallbacks: DeadCallback[] }) {
  const { t } = props.ctx.i18n;
  return (
    <section class="card" id="dead-callbacks" aria-labelledby="dead-callbacks-title">
      <h2 id="dead-callbacks-title">{t.supDeadCallbacks}</h2>
      {props.deadCallbacks.length === 0 ? (
        <p class="muted">{t.supNoDeadCallbacks}</p>
      ) : (
        <>
          <p class="muted">{t.supDeadCallbacksHelp}</p>
          <ul class="sup-dead">
            {props.deadCallbacks.map((d) => (
              <li>
                <strong>{d.partnerName}</strong>
                {` · ${fill(t.supCallbackPending, { n: d.pendingEvents })}`}
                {d.lastError && ` · ${fill(t.supLastError, { error: d.lastError })}`}
                {d.deadAt && ` · ${fill(t.supFailedAt, { at: time(d.deadAt) })}`}
                <RedriveButton
                  ctx={props.ctx}
                  action={`/console/message-callbacks/${d.partnerId}/redrive`}
                  label={fill(t.supCallbackRedriveFor, { partner: d.partnerName })}
                />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function SupervisorPage(props: {
  ctx: PageContext;
  attention: Attention;
  workload: Workload;
  deadLetters: DeadLetter[];
  deadCallbacks: DeadCallback[];
  today: AlertsReport;
  range: RangeForm;
  days: DayFigures[] | null;
}) {
  const { t } = props.ctx.i18n;
  return (
    <Layout ctx={props.ctx} title={t.supervisor}>
      {/* A stylesheet may sit in the body; keeping the supervisor's rules apart keeps console.css the officers'. */}
      <link rel="stylesheet" href="/console/assets/supervisor.css" />
      <p class="muted">{t.supAutoRefresh}</p>
      <div id="queue" data-refresh={LIVE_FRAGMENT}>
        <LiveFragment ctx={props.ctx} attention={props.attention} workload={props.workload} />
      </div>
      <TodayCard ctx={props.ctx} today={props.today} />
      <RangeSection ctx={props.ctx} form={props.range} days={props.days}>
        {props.days && <DayCharts ctx={props.ctx} days={props.days} />}
        {props.days && <DayTable ctx={props.ctx} days={props.days} total={totalOf(props.days)} />}
      </RangeSection>
      <DeadLetters ctx={props.ctx} deadLetters={props.deadLetters} />
      <DeadCallbacks ctx={props.ctx} deadCallbacks={props.deadCallbacks} />
    </Layout>
  );
}
