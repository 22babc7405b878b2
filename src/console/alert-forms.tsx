import type { Child } from "hono/jsx";
import { CONTACT_CHANNELS, OUTCOMES, type Outcome } from "../../schema";
import type { AlertView } from "../alerts/view";
import { type FormState, OUTCOME_FIELDS } from "./forms";
import type { PageContext } from "./layout";

/**
 * The alert page's action forms. Each starts empty where a wrong default would be easy to submit (the outcome,
 * whether the person was reached), shows a message next to the field it concerns, and keeps what was typed.
 */
export function Field(props: { id: string; label: string; error?: string; hint?: string; children: Child }) {
  return (
    <div class={`field${props.error ? " invalid" : ""}`}>
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.children}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** aria attributes tying an input to its hint and error. */
export function described(id: string, error?: string, hint?: boolean) {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return { "aria-describedby": ids || undefined, "aria-invalid": error ? "true" : undefined };
}

/** A form's free-text note, with its error and what was typed, then its submit button. */
function NoteAndSubmit(props: {
  id: string;
  maxLength: number;
  label: string;
  submit: string;
  error?: string;
  value?: string;
}) {
  return (
    <>
      <Field id={props.id} label={props.label} error={props.error}>
        <textarea
          id={props.id}
          name="note"
          maxlength={props.maxLength}
          rows={2}
          {...described(props.id, props.error)}
        >
          {props.value ?? ""}
        </textarea>
      </Field>
      <button class="primary" type="submit">
        {props.submit}
      </button>
    </>
  );
}

const Hidden = (props: { csrf: string; version?: number }) => (
  <>
    <input type="hidden" name="_csrf" value={props.csrf} />
    {props.version !== undefined && (
      <input type="hidden" name="expectedVersion" value={String(props.version)} />
    )}
  </>
);

export function AcknowledgeForm(props: { ctx: PageContext; alert: AlertView }) {
  const { t } = props.ctx.i18n;
  return (
    <form class="card stack" method="post" action={`/console/alerts/${props.alert.id}/acknowledge`}>
      <Hidden csrf={props.ctx.csrf ?? ""} version={props.alert.version} />
      <button class="primary" type="submit">
        {t.acknowledge}
      </button>
    </form>
  );
}

export function RevealForm(props: { ctx: PageContext; alert: AlertView; state?: FormState }) {
  const { t } = props.ctx.i18n;
  const error = props.state?.form === "reveal" ? props.state.errors.reason : undefined;
  return (
    <form class="stack reveal-form" method="post" action={`/console/alerts/${props.alert.id}/reveal`}>
      <Hidden csrf={props.ctx.csrf ?? ""} />
      <Field id="reveal-reason" label={t.revealReason} error={error}>
        <input
          id="reveal-reason"
          name="reason"
          required
          maxlength={200}
          value={props.state?.values.reason ?? t.revealReasonDefault}
          {...described("reveal-reason", error)}
        />
      </Field>
      <button class="primary" type="submit">
        {t.revealNumber}
      </button>
    </form>
  );
}

export function AttemptForm(props: { ctx: PageContext; alert: AlertView; state?: FormState }) {
  const { t, label } = props.ctx.i18n;
  const s = props.state?.form === "attempt" ? props.state : undefined;
  const v = s?.values ?? {};
  const e = s?.errors ?? {};
  return (
    <form class="card stack" method="post" action={`/console/alerts/${props.alert.id}/attempts`} id="attempt">
      <h3>{t.logAttempt}</h3>
      {s && (
        <p class="flash error" role="alert">
          {t.errorsBelow}
        </p>
      )}
      <Hidden csrf={props.ctx.csrf ?? ""} version={props.alert.version} />
      <Field id="attempt-channel" label={t.channel} error={e.channel}>
        <select id="attempt-channel" name="channel" required {...described("attempt-channel", e.channel)}>
          <option value="">{t.choose}</option>
          {CONTACT_CHANNELS.map((c) => (
            <option value={c} selected={v.channel === c}>
              {label.channel[c]}
            </option>
          ))}
        </select>
      </Field>
      <Field id="attempt-reached" label={t.reachedQuestion} error={e.reached}>
        <select id="attempt-reached" name="reached" required {...described("attempt-reached", e.reached)}>
          <option value="">{t.choose}</option>
          <option value="true" selected={v.reached === "true"}>
            {t.reached}
          </option>
          <option value="false" selected={v.reached === "false"}>
            {t.notReached}
          </option>
        </select>
      </Field>
      {props.alert.visitRequired && <p class="hint">{t.visitReached}</p>}
      <NoteAndSubmit
        id="attempt-note"
        maxLength={500}
        label={t.note}
        submit={t.submit}
        error={e.note}
        value={v.note}
      />
    </form>
  );
}

/** Outcomes that show a block, for the script that hides what the chosen outcome does not take. */
const showFor = (field: "amountProtected" | "amountLost" | "transferToPostId") =>
  OUTCOMES.filter((o) => OUTCOME_FIELDS[o].includes(field)).join(" ");

export function OutcomeForm(props: {
  ctx: PageContext;
  alert: AlertView;
  posts: { id: string; name: string }[];
  state?: FormState;
}) {
  const { t, label } = props.ctx.i18n;
  const s = props.state?.form === "outcome" ? props.state : undefined;
  const v = s?.values ?? {};
  const e = s?.errors ?? {};
  const amount = (name: "amountProtected" | "amountLost", text: string) => (
    <div data-show-for={showFor(name)}>
      <Field id={`outcome-${name}`} label={text} error={e[name]}>
        <input
          id={`outcome-${name}`}
          name={name}
          inputmode="decimal"
          autocomplete="off"
          value={v[name] ?? ""}
          {...described(`outcome-${name}`, e[name])}
        />
      </Field>
    </div>
  );
  return (
    <form class="card stack" method="post" action={`/console/alerts/${props.alert.id}/outcome`} id="outcome">
      <h3>{t.recordOutcome}</h3>
      {s && (
        <p class="flash error" role="alert">
          {t.errorsBelow}
        </p>
      )}
      <Hidden csrf={props.ctx.csrf ?? ""} version={props.alert.version} />
      <Field id="outcome-outcome" label={t.outcome} error={e.outcome} hint={t.outcomeHint}>
        <select
          id="outcome-outcome"
          name="outcome"
          required
          data-outcome-select
          {...described("outcome-outcome", e.outcome, true)}
        >
          <option value="">{t.choose}</option>
          {OUTCOMES.map((o: Outcome) => (
            <option value={o} selected={v.outcome === o}>
              {label.outcome[o]}
            </option>
          ))}
        </select>
      </Field>
      <p class="hint" data-show-for="unreachable">
        {t.visitOpens}
      </p>
      <p class="hint" data-show-for="refused_or_denied">
        {t.retryOpens}
      </p>
      {amount("amountLost", t.amountLost)}
      {amount("amountProtected", t.amountProtected)}
      <div data-show-for={showFor("transferToPostId")}>
        <Field id="outcome-transfer" label={t.transferTo} error={e.transferToPostId} hint={t.transferHint}>
          <select
            id="outcome-transfer"
            name="transferToPostId"
            {...described("outcome-transfer", e.transferToPostId, true)}
          >
            <option value="">{t.choose}</option>
            {props.posts
              .filter((p) => p.id !== props.alert.postId)
              .map((p) => (
                <option value={p.id} selected={v.transferToPostId === p.id}>
                  {p.name}
                </option>
              ))}
          </select>
        </Field>
      </div>
      <NoteAndSubmit
        id="outcome-note"
        maxLength={1000}
        label={t.note}
        submit={t.submit}
        error={e.note}
        value={v.note}
      />
    </form>
  );
}
