import { DEADLINE_KINDS, type DeadlineKind, RISK_LEVELS, type RiskLevel } from "../../schema";
import type { AlertView } from "../alerts/view";
import { fill } from "./i18n-officer";
import { labelOf } from "./labels";
import { clockTime, type PageContext, yuan } from "./layout";

/**
 * What has happened to an alert, in the page's words: contact attempts with their notes, the timeline (who
 * did each step, and which deadline runs after it), the SMS and the warnings as the feed sent them. Only
 * fields this page knows are shown from an event's data: a new field stays out of sight, never raw.
 */
type Event = AlertView["timeline"][number];

const isDeadline = (v: unknown): v is DeadlineKind =>
  typeof v === "string" && (DEADLINE_KINDS as readonly string[]).includes(v);
const isRisk = (v: unknown): v is RiskLevel =>
  typeof v === "string" && (RISK_LEVELS as readonly string[]).includes(v);

function eventDetails(ctx: PageContext, e: Event, posts: Record<string, string>): string[] {
  const { t, label, lang } = ctx.i18n;
  const now = ctx.now ?? new Date();
  const d = e.data ?? {};
  const out: string[] = [];
  if (e.kind === "attempt_logged") {
    if (typeof d.channel === "string") out.push(labelOf(label.channel, d.channel, label.unknown));
    if (typeof d.reached === "boolean") out.push(d.reached ? t.reached : t.notReached);
  }
  if (e.kind === "outcome_recorded" && typeof d.outcome === "string") {
    out.push(labelOf(label.outcome, d.outcome, label.unknown));
    if (typeof d.amountProtected === "number") out.push(`${t.amountProtected} ${yuan(d.amountProtected)}`);
    if (typeof d.amountLost === "number") out.push(`${t.amountLost} ${yuan(d.amountLost)}`);
  }
  if (e.kind === "transferred" && typeof d.toPostId === "string") {
    out.push(fill(t.transferredTo, { post: posts[d.toPostId] ?? label.unknown }));
  }
  if (e.kind === "escalated") {
    if (isDeadline(d.deadline) && typeof d.deadlineAt === "string") {
      out.push(
        fill(t.missedDeadline, {
          deadline: label.deadline[d.deadline],
          time: clockTime(d.deadlineAt, lang, now),
        }),
      );
    }
    if (isRisk(d.riskFrom) && isRisk(d.riskTo) && d.riskFrom !== d.riskTo) {
      out.push(fill(t.riskRaised, { from: label.risk[d.riskFrom], to: label.risk[d.riskTo] }));
    }
    // The step of the escalation policy it paged (events from before policies have none).
    if (typeof d.step === "number" && typeof d.steps === "number" && Array.isArray(d.targets)) {
      const targets = d.targets.map((k) => labelOf(label.escalationTarget, String(k), label.unknown));
      out.push(
        fill(d.reminder === true ? t.escalationRepeat : t.escalationStep, {
          step: d.step,
          steps: d.steps,
          targets: targets.join(lang === "zh" ? "、" : ", "),
          n: typeof d.notified === "number" ? d.notified : 0,
        }),
      );
    }
    return out;
  }
  if (typeof d.numberKind === "string") out.push(labelOf(label.numberKind, d.numberKind, label.unknown));
  if (e.kind === "officer_notice_dropped" && typeof d.reason === "string") {
    out.push(labelOf(label.noticeDropReason, d.reason, label.unknown));
  }
  // Officer actions carry the deadline that runs after them: say so, so a jumping clock is explained.
  if ("deadline" in d && e.officer) {
    if (isDeadline(d.deadline) && typeof d.deadlineAt === "string") {
      out.push(
        fill(t.deadlineChanged, {
          deadline: label.deadline[d.deadline],
          time: clockTime(d.deadlineAt, lang, now),
        }),
      );
    } else if (d.deadline === null) {
      out.push(t.deadlineEnded);
    }
  }
  return out;
}

export function Attempts(props: { ctx: PageContext; alert: AlertView }) {
  const { t, label, lang } = props.ctx.i18n;
  const now = props.ctx.now ?? new Date();
  return (
    <section class="card" aria-labelledby="attempts">
      <h2 id="attempts">{t.contactAttempts}</h2>
      {props.alert.contactAttempts.length === 0 ? (
        <p class="muted">{t.noAttempts}</p>
      ) : (
        <ol class="timeline">
          {props.alert.contactAttempts.map((a) => (
            <li>
              <strong>{clockTime(a.at, lang, now)}</strong> · {label.channel[a.channel]} ·{" "}
              <span class={a.reached ? "reached-yes" : "overdue"}>
                {a.reached ? t.reached : t.notReached}
              </span>{" "}
              · {a.officer.name ?? t.system}
              {a.note && <p class="note">{a.note}</p>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function Timeline(props: { ctx: PageContext; alert: AlertView; posts: Record<string, string> }) {
  const { t, label, lang } = props.ctx.i18n;
  const now = props.ctx.now ?? new Date();
  return (
    <section class="card" aria-labelledby="timeline">
      <h2 id="timeline">{t.timeline}</h2>
      <ol class="timeline">
        {props.alert.timeline.map((e) => (
          <li>
            <strong>{clockTime(e.at, lang, now)}</strong> · {labelOf(label.event, e.kind, label.unknown)} ·{" "}
            {e.officer?.name ?? t.system}
            {eventDetails(props.ctx, e, props.posts).map((d) => ` · ${d}`)}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function Messages(props: { ctx: PageContext; alert: AlertView }) {
  const { t, label, lang } = props.ctx.i18n;
  const now = props.ctx.now ?? new Date();
  return (
    <section class="card" aria-labelledby="messages">
      <h2 id="messages">{t.messages}</h2>
      {props.alert.messages.length === 0 ? (
        <p class="muted">{t.noMessages}</p>
      ) : (
        <ul class="plain">
          {props.alert.messages.map((m) => (
            <li>
              <strong>{label.purpose[m.purpose]}</strong> → <span class="phone">{m.to}</span> ·{" "}
              <span class={`sms-${m.status}`}>{label.smsStatus[m.status]}</span> ·{" "}
              {fill(t.smsParts, { n: m.segments })} · {clockTime(m.finishedAt ?? m.createdAt, lang, now)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Warnings(props: { ctx: PageContext; alert: AlertView }) {
  const { t, label, lang } = props.ctx.i18n;
  const now = props.ctx.now ?? new Date();
  return (
    <section class="card" aria-labelledby="warning">
      <h2 id="warning">{t.warningAsReceived}</h2>
      {props.alert.warnings.map((w) => (
        <dl class="facts">
          <dt>{t.externalId}</dt>
          <dd>{w.externalId}</dd>
          <dt>{t.warningType}</dt>
          <dd>{label.type[w.type]}</dd>
          <dt>{t.fraudType}</dt>
          <dd>{label.fraudType[w.fraudType]}</dd>
          <dt>{t.risk}</dt>
          <dd>{label.risk[w.riskLevel]}</dd>
          <dt>{t.amountAtRisk}</dt>
          <dd>{yuan(w.amountAtRisk)}</dd>
          <dt>{t.indicators}</dt>
          <dd>
            {w.indicators.length === 0
              ? t.noIndicators
              : w.indicators.map((i) => (
                  <span class="indicator">
                    {labelOf(label.indicator, i.kind, label.indicator.other as string)}{" "}
                    <span class="value">{i.value}</span>
                  </span>
                ))}
          </dd>
          <dt>{t.detectedAt}</dt>
          <dd>{clockTime(w.detectedAt, lang, now)}</dd>
          <dt>{t.receivedAt}</dt>
          <dd>{clockTime(w.receivedAt, lang, now)}</dd>
        </dl>
      ))}
    </section>
  );
}
