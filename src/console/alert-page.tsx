import { alertCode } from "../alerts/list";
import type { AlertView } from "../alerts/view";
import { AcknowledgeForm, AttemptForm, OutcomeForm, RevealForm } from "./alert-forms";
import { Attempts, Messages, Timeline, Warnings } from "./alert-history";
import { DeadlineText } from "./deadline";
import type { FormState } from "./forms";
import { fill } from "./i18n-officer";
import { clockTime, Layout, type PageContext, yuan } from "./layout";

export interface AlertPageOptions {
  ctx: PageContext;
  alert: AlertView;
  /** Every post of the station: disabled ones still name past alerts' posts, but take no transfer. */
  posts: { id: string; name: string; disabledAt?: Date | null }[];
  /** Officer id → display name (who acknowledged). */
  names: Record<string, string>;
  flash?: { kind: "ok" | "error"; text: string };
  /** The number of a reveal still within its window, and when it hides again. */
  reveal?: { phone: string; until: Date };
  /** A form sent back with its errors and what was typed. */
  form?: FormState;
}

/**
 * One alert, top to bottom in the order an officer needs it: what and who (with the number to call once
 * revealed), which deadline runs and what ends it, the actions the stage allows, then what has happened.
 */
export function AlertPage(props: AlertPageOptions) {
  const { t, label, lang } = props.ctx.i18n;
  const a = props.alert;
  const now = props.ctx.now ?? new Date();
  const open = a.stage !== "verified" && a.stage !== "fed_back";
  const acts = props.ctx.principal?.role !== "admin";
  const postNames = Object.fromEntries(props.posts.map((p) => [p.id, p.name]));
  const ackName = a.acknowledgedBy ? (props.names[a.acknowledgedBy] ?? t.system) : undefined;
  return (
    <Layout ctx={props.ctx} title={`${label.fraudType[a.fraudType]} ${alertCode(a.id)}`}>
      <p>
        <a class="back" href="/console">
          ← {t.back}
        </a>
      </p>
      {props.flash && (
        <p class={`flash ${props.flash.kind}`} role={props.flash.kind === "error" ? "alert" : "status"}>
          {props.flash.text}
        </p>
      )}
      <section class="card" aria-labelledby="summary">
        <h2 id="summary">
          <span class={`badge ${a.riskLevel}`}>{label.risk[a.riskLevel]}</span> {label.fraudType[a.fraudType]}{" "}
          · {label.stage[a.stage]}
          {a.escalated && <span class="badge escalated"> {t.escalated}</span>}
          {a.visitRequired && <span class="badge medium"> {t.visitRequired}</span>}
        </h2>
        <dl class="facts">
          <dt>{t.subject}</dt>
          <dd>
            {a.subject.name ?? ""} <span class="phone">{a.subject.phone ?? t.purged}</span>
          </dd>
          <dt>{t.warningType}</dt>
          <dd>{label.type[a.type]}</dd>
          <dt>{t.amountAtRisk}</dt>
          <dd>{yuan(a.amountAtRisk)}</dd>
          <dt>{t.receivedAt}</dt>
          <dd>{clockTime(a.receivedAt, lang, now)}</dd>
          <dt>{t.area}</dt>
          <dd>{[a.area.code, a.area.address].filter(Boolean).join(" ")}</dd>
          <dt>{t.post}</dt>
          <dd>{(a.postId && postNames[a.postId]) ?? "—"}</dd>
          <dt>{t.acknowledgedBy}</dt>
          <dd>
            {ackName && a.acknowledgedAt
              ? `${ackName} · ${clockTime(a.acknowledgedAt, lang, now)}`
              : t.notAcknowledgedYet}
          </dd>
          <dt>{t.deadlineNow}</dt>
          <dd>
            {a.deadline ? (
              <>
                <DeadlineText ctx={props.ctx} kind={a.deadline.kind} at={a.deadline.at} />
                <span class="hint block">{label.deadlineHint[a.deadline.kind]}</span>
              </>
            ) : (
              t.deadlineNone
            )}
          </dd>
          {a.outcome && (
            <>
              <dt>{t.outcome}</dt>
              <dd>
                {label.outcome[a.outcome]}
                {a.amountProtected ? ` · ${t.amountProtected} ${yuan(a.amountProtected)}` : ""}
                {a.amountLost ? ` · ${t.amountLost} ${yuan(a.amountLost)}` : ""}
                {a.outcomeNote && <span class="note block">{a.outcomeNote}</span>}
              </dd>
            </>
          )}
          <dt>{t.code}</dt>
          <dd>{alertCode(a.id)}</dd>
        </dl>
        {props.reveal ? (
          <div class="revealed">
            <div data-reveal-until={props.reveal.until.toISOString()}>
              <a class="tel" href={`tel:${props.reveal.phone}`}>
                {t.call} <span class="phone">{props.reveal.phone}</span>
              </a>
              <p class="hint">{fill(t.revealedUntil, { time: clockTime(props.reveal.until, lang, now) })}</p>
            </div>
            <p class="hint" data-reveal-gone hidden>
              {t.revealHidden}
            </p>
          </div>
        ) : (
          open && acts && a.subject.phone && <RevealForm ctx={props.ctx} alert={a} state={props.form} />
        )}
      </section>

      {open && acts ? (
        <section class="actions" aria-label={t.recordOutcome}>
          {a.stage === "pushed" && <AcknowledgeForm ctx={props.ctx} alert={a} />}
          {a.stage === "acknowledged" && <AttemptForm ctx={props.ctx} alert={a} state={props.form} />}
          {a.stage === "acknowledged" && (
            <OutcomeForm
              ctx={props.ctx}
              alert={a}
              posts={props.posts.filter((p) => !p.disabledAt)}
              state={props.form}
            />
          )}
        </section>
      ) : (
        !open && <p class="muted">{t.closedNoActions}</p>
      )}

      <Attempts ctx={props.ctx} alert={a} />
      <Timeline ctx={props.ctx} alert={a} posts={postNames} />
      <Messages ctx={props.ctx} alert={a} />
      <Warnings ctx={props.ctx} alert={a} />
    </Layout>
  );
}
