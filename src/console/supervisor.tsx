import type { listAlerts } from "../alerts/list";
import type { workloadByPost } from "../alerts/workload";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import type { DeadLetter } from "../feedback/dead-letters";
import { type AlertsReport, alertsReport } from "../reports/alerts";
import { Layout, type PageContext, time, yuan } from "./layout";
import { QueueList } from "./pages";

const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** Today's figures for the station, Beijing time: the report over [local midnight, now]. */
export function todayFigures(deps: Pick<Deps, "db" | "clock" | "config">, principal: Principal) {
  const now = deps.clock.now();
  const local = now.getTime() + SHANGHAI_OFFSET_MS;
  const from = new Date(Math.floor(local / 86_400_000) * 86_400_000 - SHANGHAI_OFFSET_MS);
  return alertsReport(deps, {
    stationId: principal.stationId,
    postId: null,
    from,
    to: new Date(now.getTime() + 1),
  });
}

function minutes(seconds: number | null): string {
  return seconds === null ? "—" : `${(seconds / 60).toFixed(1)}`;
}

/** Median minutes per stage as horizontal bars: readable at 360 px, no script, and labelled for screen readers. */
function StageChart(props: { report: AlertsReport; labels: [string, string, string, string] }) {
  const d = props.report.durations;
  const values = [d.timeToPush, d.timeToAcknowledge, d.timeToVerify, d.timeToFeedback].map(
    (p) => p.medianSeconds,
  );
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  return (
    <svg
      class="chart"
      viewBox="0 0 320 120"
      role="img"
      aria-label={props.labels.map((l, i) => `${l} ${minutes(values[i] ?? null)} min`).join(", ")}
    >
      {values.map((v, i) => (
        <g>
          <text x="0" y={20 + i * 28} font-size="12" fill="#1a202c">
            {props.labels[i]}
          </text>
          <rect
            x="90"
            y={8 + i * 28}
            width={Math.max(2, ((v ?? 0) / max) * 170)}
            height="16"
            fill="#1a4fa0"
          />
          <text x={96 + Math.max(2, ((v ?? 0) / max) * 170)} y={20 + i * 28} font-size="12" fill="#1a202c">
            {`${minutes(v ?? null)} min`}
          </text>
        </g>
      ))}
    </svg>
  );
}

export function SupervisorPage(props: {
  ctx: PageContext;
  workload: Awaited<ReturnType<typeof workloadByPost>>;
  deadLetters: DeadLetter[];
  overdue: Awaited<ReturnType<typeof listAlerts>>["alerts"];
  today: AlertsReport;
}) {
  const { t } = props.ctx.i18n;
  const today = props.today;
  return (
    <Layout ctx={props.ctx} title={t.supervisor}>
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
        <StageChart report={today} labels={[t.pushedAt, t.acknowledgedAt, t.verifiedAt, t.fedBackAt]} />
      </section>

      <section class="card" aria-labelledby="posts">
        <h2 id="posts">{t.posts}</h2>
        <table>
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
                <td>{p.name}</td>
                <td>{p.open}</td>
                <td class={p.overdue > 0 ? "overdue" : ""}>{p.overdue}</td>
                <td>{p.escalated}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section class="card" aria-labelledby="overdue">
        <h2 id="overdue">{t.overdue}</h2>
        <QueueList ctx={props.ctx} alerts={props.overdue} />
      </section>

      <section class="card" aria-labelledby="dead">
        <h2 id="dead">{t.deadLetters}</h2>
        {props.deadLetters.length === 0 ? (
          <p class="muted">{t.noDeadLetters}</p>
        ) : (
          <ul>
            {props.deadLetters.map((d) => (
              <li>
                <a href={`/console/alerts/${d.alertId}`}>{d.externalId ?? d.alertId}</a> · {d.outcome ?? ""} ·{" "}
                {d.lastError ?? ""} · {time(d.deadAt)}
                <form class="inline" method="post" action={`/console/dead-letters/${d.eventId}/redrive`}>
                  <input type="hidden" name="_csrf" value={props.ctx.csrf ?? ""} />{" "}
                  <button class="linklike" type="submit">
                    {t.redrive}
                  </button>
                </form>
              </li>
            ))}
          </ul>
        )}
      </section>
    </Layout>
  );
}
