import { CONTACT_CHANNELS, OUTCOMES } from "../../schema";
import type { listAlerts } from "../alerts/list";
import type { AlertView } from "../alerts/view";
import type { DutyStatus } from "../organisation/duty-self";
import { DutyForm } from "./duty";
import { Layout, type PageContext, time, yuan } from "./layout";

type QueueItem = Awaited<ReturnType<typeof listAlerts>>["alerts"][number];

export function LoginPage(props: { ctx: PageContext; error?: string; username?: string }) {
  const { t } = props.ctx.i18n;
  return (
    <Layout ctx={props.ctx} title={t.login}>
      <div class="card">
        <h2>{t.login}</h2>
        {props.error && (
          <p class="flash error" role="alert">
            {props.error}
          </p>
        )}
        <form class="stack" method="post" action="/console/login">
          <label>
            {t.username}
            <input name="username" autocomplete="username" required value={props.username ?? ""} />
          </label>
          <label>
            {t.password}
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button class="primary" type="submit">
            {t.login}
          </button>
        </form>
      </div>
    </Layout>
  );
}

export function PasswordPage(props: { ctx: PageContext; required: boolean; error?: string }) {
  const { t } = props.ctx.i18n;
  return (
    <Layout ctx={props.ctx} title={t.changePassword}>
      <div class="card">
        <h2>{t.changePassword}</h2>
        {props.required && <p>{t.changePasswordRequired}</p>}
        {props.error && (
          <p class="flash error" role="alert">
            {props.error}
          </p>
        )}
        <form class="stack" method="post" action="/console/password">
          <input type="hidden" name="_csrf" value={props.ctx.csrf ?? ""} />
          <label>
            {t.currentPassword}
            <input name="currentPassword" type="password" autocomplete="current-password" required />
          </label>
          <label>
            {t.newPassword}
            <input name="newPassword" type="password" autocomplete="new-password" required minlength={12} />
          </label>
          <button class="primary" type="submit">
            {t.changePassword}
          </button>
        </form>
      </div>
    </Layout>
  );
}

/** What the tab title counts: alerts in the queue nobody has acknowledged yet. */
export const unacknowledged = (alerts: QueueItem[]) =>
  alerts.filter((a) => a.stage !== "acknowledged").length;

export function QueueList(props: { ctx: PageContext; alerts: QueueItem[] }) {
  const { t, label } = props.ctx.i18n;
  if (props.alerts.length === 0) return <p class="muted">{t.noAlerts}</p>;
  return (
    <ul class="alerts" data-unacknowledged={unacknowledged(props.alerts)}>
      {props.alerts.map((a) => (
        <li class={`risk-${a.riskLevel}`} data-alert-id={a.id}>
          <div class="row">
            <span class={`badge ${a.riskLevel}`}>{label.risk[a.riskLevel]}</span>
            <strong>{label.type[a.type]}</strong>
            <span>{a.subject.phone ?? t.purged}</span>
            <span class="muted">{label.stage[a.stage]}</span>
            {a.escalated && <span class="badge escalated">{t.escalated}</span>}
            {a.visitRequired && <span class="badge medium">{t.visitRequired}</span>}
          </div>
          <div class="row">
            <span class="muted">{a.area.address ?? a.area.code ?? ""}</span>
            {a.deadline && (
              <span>
                {a.overdue ? <span class="overdue">{t.overdue}</span> : t.due}{" "}
                <span class={`countdown${a.overdue ? " overdue" : ""}`} data-deadline={a.deadline.at}>
                  {time(a.deadline.at)}
                </span>
              </span>
            )}
            <a href={`/console/alerts/${a.id}`}>
              {t.detail}
              <span class="muted">{` ${a.id.slice(-8)}`}</span>
            </a>
          </div>
        </li>
      ))}
    </ul>
  );
}

export function QueuePage(props: {
  ctx: PageContext;
  alerts: QueueItem[];
  duty?: DutyStatus;
  dutyNotice?: string;
}) {
  const { t } = props.ctx.i18n;
  const waiting = unacknowledged(props.alerts);
  return (
    <Layout ctx={props.ctx} title={waiting > 0 ? `(${waiting}) ${t.myQueue}` : t.myQueue}>
      {props.duty && <DutyForm ctx={props.ctx} duty={props.duty} notice={props.dutyNotice} />}
      <h2>{t.myQueue}</h2>
      <button type="button" class="secondary" id="sound-arm" hidden>
        {t.soundArm}
      </button>
      <noscript>
        <p>
          <a href="/console">{t.refresh}</a>
        </p>
      </noscript>
      <div
        id="queue"
        data-refresh={`/console/fragments/queue?lang=${props.ctx.i18n.lang}`}
        aria-live="polite"
      >
        <QueueList ctx={props.ctx} alerts={props.alerts} />
      </div>
    </Layout>
  );
}

export interface AlertPageOptions {
  ctx: PageContext;
  alert: AlertView;
  flash?: { kind: "ok" | "error"; text: string };
  revealedPhone?: string;
  posts: { id: string; name: string }[];
}

export function AlertPage(props: AlertPageOptions) {
  const { t, label } = props.ctx.i18n;
  const a = props.alert;
  const csrf = props.ctx.csrf ?? "";
  const open = a.stage !== "verified" && a.stage !== "fed_back";
  const canAcknowledge = a.stage === "pushed";
  const canVerify = a.stage === "acknowledged";
  const postName = (id: string | null) => props.posts.find((p) => p.id === id)?.name ?? id ?? "—";
  return (
    <Layout ctx={props.ctx} title={`${label.type[a.type]} ${a.id.slice(-8)}`}>
      <p>
        <a href="/console">← {t.back}</a>
      </p>
      {props.flash && (
        <p class={`flash ${props.flash.kind}`} role={props.flash.kind === "error" ? "alert" : "status"}>
          {props.flash.text}
        </p>
      )}
      <section class="card" aria-labelledby="summary">
        <h2 id="summary">
          <span class={`badge ${a.riskLevel}`}>{label.risk[a.riskLevel]}</span> {label.type[a.type]} ·{" "}
          {label.stage[a.stage]}
          {a.escalated && <span class="badge escalated"> {t.escalated}</span>}
        </h2>
        <dl class="facts">
          <dt>{t.subject}</dt>
          <dd>
            {a.subject.name ?? ""} {a.subject.phone ?? t.purged}
          </dd>
          <dt>{t.area}</dt>
          <dd>{[a.area.code, a.area.address].filter(Boolean).join(" ")}</dd>
          <dt>{t.post}</dt>
          <dd>{postName(a.postId)}</dd>
          <dt>{t.amountAtRisk}</dt>
          <dd>{yuan(a.amountAtRisk)}</dd>
          {a.deadline && (
            <>
              <dt>{t.deadline}</dt>
              <dd>
                <span class="countdown" data-deadline={new Date(a.deadline.at).toISOString()}>
                  {time(a.deadline.at)}
                </span>
              </dd>
            </>
          )}
          {a.outcome && (
            <>
              <dt>{t.outcome}</dt>
              <dd>
                {label.outcome[a.outcome]}{" "}
                {a.amountProtected ? `· ${t.amountProtected} ${yuan(a.amountProtected)}` : ""}
                {a.amountLost ? ` · ${t.amountLost} ${yuan(a.amountLost)}` : ""}
              </dd>
            </>
          )}
        </dl>
        {props.revealedPhone ? (
          <p>
            <a class="tel" href={`tel:${props.revealedPhone}`}>
              {t.call} {props.revealedPhone}
            </a>
          </p>
        ) : (
          open && (
            <form class="stack" method="post" action={`/console/alerts/${a.id}/reveal`}>
              <input type="hidden" name="_csrf" value={csrf} />
              <label>
                {t.revealReason}
                <input name="reason" required maxlength={200} value={t.revealReasonDefault} />
              </label>
              <button class="primary" type="submit">
                {t.revealNumber}
              </button>
            </form>
          )
        )}
      </section>

      {open && (
        <section class="actions" aria-label={t.recordOutcome}>
          {canAcknowledge && (
            <form class="card stack" method="post" action={`/console/alerts/${a.id}/acknowledge`}>
              <input type="hidden" name="_csrf" value={csrf} />
              <input type="hidden" name="expectedVersion" value={String(a.version)} />
              <button class="primary" type="submit">
                {t.acknowledge}
              </button>
            </form>
          )}
          {canVerify && (
            <form class="card stack" method="post" action={`/console/alerts/${a.id}/attempts`}>
              <h3>{t.logAttempt}</h3>
              <input type="hidden" name="_csrf" value={csrf} />
              <input type="hidden" name="expectedVersion" value={String(a.version)} />
              <label>
                {t.channel}
                <select name="channel">
                  {CONTACT_CHANNELS.map((c) => (
                    <option value={c}>{label.channel[c]}</option>
                  ))}
                </select>
              </label>
              <label>
                {t.reached}
                <select name="reached">
                  <option value="true">{t.reached}</option>
                  <option value="false">{t.notReached}</option>
                </select>
              </label>
              <label>
                {t.note}
                <input name="note" maxlength={500} />
              </label>
              <button class="primary" type="submit">
                {t.submit}
              </button>
            </form>
          )}
          {canVerify && (
            <form class="card stack" method="post" action={`/console/alerts/${a.id}/outcome`}>
              <h3>{t.recordOutcome}</h3>
              <input type="hidden" name="_csrf" value={csrf} />
              <input type="hidden" name="expectedVersion" value={String(a.version)} />
              <label>
                {t.outcome}
                <select name="outcome" required>
                  {OUTCOMES.map((o) => (
                    <option value={o}>{label.outcome[o]}</option>
                  ))}
                </select>
              </label>
              <label>
                {t.amountProtected}
                <input name="amountProtected" inputmode="decimal" pattern="\d+(\.\d{1,2})?" />
              </label>
              <label>
                {t.amountLost}
                <input name="amountLost" inputmode="decimal" pattern="\d+(\.\d{1,2})?" />
              </label>
              <label>
                {t.transferTo}
                <select name="transferToPostId">
                  <option value="">—</option>
                  {props.posts
                    .filter((p) => p.id !== a.postId)
                    .map((p) => (
                      <option value={p.id}>{p.name}</option>
                    ))}
                </select>
              </label>
              <label>
                {t.note}
                <textarea name="note" maxlength={1000} rows={2} />
              </label>
              <button class="primary" type="submit">
                {t.submit}
              </button>
            </form>
          )}
        </section>
      )}

      <section class="card" aria-labelledby="timeline">
        <h2 id="timeline">{t.timeline}</h2>
        <dl class="facts">
          <dt>{t.receivedAt}</dt>
          <dd>{time(a.receivedAt)}</dd>
          <dt>{t.pushedAt}</dt>
          <dd>{time(a.pushedAt)}</dd>
          <dt>{t.acknowledgedAt}</dt>
          <dd>{time(a.acknowledgedAt)}</dd>
          <dt>{t.verifiedAt}</dt>
          <dd>{time(a.verifiedAt)}</dd>
          <dt>{t.fedBackAt}</dt>
          <dd>{time(a.fedBackAt)}</dd>
        </dl>
        <ol class="timeline">
          {a.timeline.map((e) => (
            <li>
              {time(e.at)} · {label.event[e.kind] ?? e.kind}
              {e.officer?.name ? ` · ${e.officer.name}` : ""}
              {e.data && typeof e.data.outcome === "string" ? ` · ${e.data.outcome}` : ""}
              {e.data && typeof e.data.numberKind === "string"
                ? ` · ${label.numberKind[e.data.numberKind] ?? e.data.numberKind}`
                : ""}
              {e.kind === "officer_notice_dropped" && typeof e.data?.reason === "string"
                ? ` · ${label.noticeDropReason[e.data.reason] ?? ""}`
                : ""}
            </li>
          ))}
        </ol>
      </section>

      <section class="card" aria-labelledby="messages">
        <h2 id="messages">{t.messages}</h2>
        <ul>
          {a.messages.map((m) => (
            <li>
              {m.purpose} → {m.to}: <strong>{m.status}</strong> ({m.segments}) · {time(m.createdAt)}
            </li>
          ))}
        </ul>
      </section>

      <section class="card" aria-labelledby="warning">
        <h2 id="warning">{t.warningAsReceived}</h2>
        {a.warnings.map((w) => (
          <dl class="facts">
            <dt>ID</dt>
            <dd>{w.externalId}</dd>
            <dt>{t.type}</dt>
            <dd>{label.type[w.type]}</dd>
            <dt>{t.risk}</dt>
            <dd>{label.risk[w.riskLevel]}</dd>
            <dt>{t.indicators}</dt>
            <dd>{w.indicators.map((i) => `${i.kind}: ${i.value}`).join("; ") || "—"}</dd>
            <dt>{t.receivedAt}</dt>
            <dd>{time(w.receivedAt)}</dd>
          </dl>
        ))}
      </section>
    </Layout>
  );
}

export function MessagePage(props: { ctx: PageContext; title: string; text: string; status?: number }) {
  return (
    <Layout ctx={props.ctx} title={props.title}>
      <div class="card">
        <h2>{props.title}</h2>
        <p>{props.text}</p>
        <p>
          <a href="/console">{props.ctx.i18n.t.back}</a>
        </p>
      </div>
    </Layout>
  );
}
