import { isCalendarDate } from "../calendar";
import type { getCampaign } from "../parcels/campaigns";
import type { TemplateProblem } from "../parcels/template-rules";
import type { StationSignatures } from "../parcels/template-signatures";
import { ActionButton, Field, formInt, formText, type MessageKey } from "./admin-forms";
import { History, type HistoryEntry } from "./admin-history";
import { AdminPage, Csrf } from "./admin-layout";
import type { OnceItem } from "./admin-once";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import type { PageContext } from "./layout";

/**
 * The campaign pages: the list with a new-campaign form and the signature allow-list, and one campaign with
 * its settings, its templates and the new-template form whose check panel the script keeps current.
 */

export const CAMPAIGNS_PAGE = "/console/admin/campaigns";

type T = I18n["t"];
export type Campaign = Awaited<ReturnType<typeof getCampaign>>;

export interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** What the check panel shows: the count line and either the OK line or each refusal, worded for the page. */
export interface CheckView {
  valid: boolean;
  count: string;
  ok: string;
  problems: { code: string; message: string }[];
}

export type CampaignSettingsInput = {
  name: string;
  areaPrefixes: string[];
  startsOn: string;
  endsOn: string;
  priority: number;
};

const CAMPAIGN_FIELDS = ["name", "areas", "startsOn", "endsOn", "priority"] as const;

/** The campaign form as typed, with the API's limits (src/http/routes/campaigns.ts), words in the page's language. */
export function parseCampaignForm(
  t: T,
  form: Record<string, unknown>,
): { ok: true; input: CampaignSettingsInput } | { ok: false; state: FormState } {
  const values = Object.fromEntries(CAMPAIGN_FIELDS.map((f) => [f, formText(form, f)])) as Record<
    string,
    string
  >;
  const errors: Record<string, string> = {};
  const name = (values.name ?? "").trim();
  if (name.length < 1 || name.length > 100) errors.name = t.apErrName;
  const areaPrefixes = (values.areas ?? "").split(/[\s,，、;；]+/).filter(Boolean);
  if (areaPrefixes.length > 200 || areaPrefixes.some((a) => !/^\d{2,12}$/.test(a)))
    errors.areas = t.apErrAreas;
  const startsOn = (values.startsOn ?? "").trim();
  const endsOn = (values.endsOn ?? "").trim();
  if (!isCalendarDate(startsOn)) errors.startsOn = t.apErrDate;
  if (!isCalendarDate(endsOn)) errors.endsOn = t.apErrDate;
  else if (!errors.startsOn && endsOn < startsOn) errors.endsOn = t.apErrDateOrder;
  const priority = formInt(t, values.priority ?? "", -1000, 1000);
  if (priority.error) errors.priority = priority.error;
  if (Object.keys(errors).length > 0) return { ok: false, state: { values, errors } };
  return { ok: true, input: { name, areaPrefixes, startsOn, endsOn, priority: priority.value ?? 0 } };
}

export function campaignState(
  c: Pick<Campaign, "disabledAt" | "startsOn" | "endsOn">,
  today: string,
): MessageKey {
  if (c.disabledAt) return "apDisabled";
  if (today < c.startsOn) return "apCampaignUpcoming";
  if (today > c.endsOn) return "apCampaignEnded";
  return "apCampaignRunning";
}

const usable = (c: Campaign) => c.templates.filter((t) => !t.disabledAt).length;

function CampaignFields(props: { ctx: PageContext; p: string; form: FormState }) {
  const { t } = props.ctx.i18n;
  const { values, errors } = props.form;
  const p = props.p;
  return (
    <>
      <Field id={`${p}-name`} name="name" label={t.apName} required value={values.name} error={errors.name} />
      <Field
        id={`${p}-areas`}
        name="areas"
        label={t.apAreas}
        hint={t.apAreasHint}
        inputmode="numeric"
        value={values.areas}
        error={errors.areas}
      />
      <Field
        id={`${p}-starts`}
        name="startsOn"
        label={t.apStartsOn}
        type="date"
        required
        value={values.startsOn}
        error={errors.startsOn}
      />
      <Field
        id={`${p}-ends`}
        name="endsOn"
        label={t.apEndsOn}
        type="date"
        required
        value={values.endsOn}
        error={errors.endsOn}
      />
      <Field
        id={`${p}-priority`}
        name="priority"
        label={t.apPriority}
        hint={t.apPriorityHint}
        type="number"
        inputmode="numeric"
        min={-1000}
        max={1000}
        value={values.priority}
        error={errors.priority}
      />
    </>
  );
}

function Signatures(props: { ctx: PageContext; signatures: StationSignatures; form?: FormState }) {
  const { ctx, signatures } = props;
  const { t } = ctx.i18n;
  return (
    <section class="card" aria-labelledby="ap-signatures">
      <h3 id="ap-signatures">{t.apSignatures}</h3>
      <p class="hint">{t.apSignaturesIntro}</p>
      <ul class="ap-sigs">
        <li>
          <strong>{signatures.own}</strong>
          <span class="ap-meta">{t.apSignatureOwn}</span>
        </li>
        {signatures.allowed.map((s) => (
          <li>
            <strong>{s}</strong>
            <ActionButton
              ctx={ctx}
              action={`${CAMPAIGNS_PAGE}/signatures/remove`}
              label={t.apSignatureRemove}
              hidden={{ signature: s }}
              secondary
            />
          </li>
        ))}
      </ul>
      <form class="ap-inline" method="post" action={`${CAMPAIGNS_PAGE}/signatures`}>
        <Csrf ctx={ctx} />
        <Field
          id="ap-signature"
          name="signature"
          label={t.apSignatureNew}
          value={props.form?.values.signature}
          error={props.form?.errors.signature}
        />
        <button class="secondary" type="submit">
          {t.apSignatureAdd}
        </button>
      </form>
    </section>
  );
}

export function CampaignsPage(props: {
  ctx: PageContext;
  campaigns: Campaign[];
  signatures: StationSignatures;
  today: string;
  done?: string;
  error?: string;
  once?: OnceItem[];
  form?: FormState;
  signatureForm?: FormState;
}) {
  const { ctx, today } = props;
  const { t } = ctx.i18n;
  const empty: FormState = {
    values: { startsOn: today, endsOn: today, priority: "0" },
    errors: {},
  };
  return (
    <AdminPage ctx={ctx} title={t.apCampaigns} done={props.done} error={props.error} once={props.once}>
      <p class="muted">{t.apCampaignsIntro}</p>
      {props.campaigns.length === 0 && <p>{t.apCampaignNone}</p>}
      <ul class="ap-list">
        {props.campaigns.map((c) => {
          const state = campaignState(c, today);
          return (
            <li class={state === "apCampaignRunning" ? "" : "off"} data-campaign-id={c.id}>
              <h3>
                <a href={`${CAMPAIGNS_PAGE}/${c.id}`}>{c.name}</a>
              </h3>
              <p class="ap-meta">
                <span class={state === "apCampaignRunning" ? "ap-on" : "ap-off"}>{t[state]}</span> ·{" "}
                {fill(t.apDates, { from: c.startsOn, to: c.endsOn })} · {t.apPriority} {c.priority}
              </p>
              <p class="ap-meta">{c.areaPrefixes.length ? c.areaPrefixes.join(" ") : t.apAreasAll}</p>
              {usable(c) === 0 ? (
                <p class="ap-warn">{t.apNoTemplateWarn}</p>
              ) : (
                <p class="ap-meta">{fill(t.apTemplatesCount, { n: usable(c) })}</p>
              )}
            </li>
          );
        })}
      </ul>
      <div class="ap-grid">
        <section class="card" aria-labelledby="campaign-new">
          <h3 id="campaign-new">{t.apCampaignNew}</h3>
          <form class="stack" method="post" action={CAMPAIGNS_PAGE}>
            <Csrf ctx={ctx} />
            <CampaignFields ctx={ctx} p="new" form={props.form ?? empty} />
            <button class="primary" type="submit">
              {t.apCreate}
            </button>
          </form>
        </section>
        <Signatures ctx={ctx} signatures={props.signatures} form={props.signatureForm} />
      </div>
    </AdminPage>
  );
}

/** The check panel as the server renders it (on load, and after a refused submit); the script redraws it. */
export function CheckPanel(props: { ctx: PageContext; check?: CheckView }) {
  const { t } = props.ctx.i18n;
  const check = props.check;
  return (
    <section
      id="ap-template-check"
      class={check ? `ap-check ${check.valid ? "ok" : "bad"}` : "ap-check"}
      aria-live="polite"
      aria-label={t.apTemplateCheck}
      data-check-url={`${CAMPAIGNS_PAGE}/check`}
    >
      {check ? (
        <>
          <p class="ap-count">{check.count}</p>
          {check.valid ? (
            <p class="ap-okline">{check.ok}</p>
          ) : (
            <ul>
              {check.problems.map((p) => (
                <li data-code={p.code}>{p.message}</li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <p class="ap-count">{t.apTemplateCheckLive}</p>
      )}
    </section>
  );
}

export function checkView(
  t: T,
  check: { valid: boolean; characters: number; segments: number; problems: TemplateProblem[] },
  word: (p: TemplateProblem) => string,
): CheckView {
  return {
    valid: check.valid,
    count: fill(t.apTemplateCount, { characters: check.characters, parts: check.segments }),
    ok: t.apTemplateOk,
    problems: check.problems.map((p) => ({ code: p.code, message: word(p) })),
  };
}

export function CampaignPage(props: {
  ctx: PageContext;
  campaign: Campaign;
  signatures: StationSignatures;
  today: string;
  history: HistoryEntry[];
  done?: string;
  error?: string;
  form?: FormState;
  template?: { body: string; check: CheckView };
}) {
  const { ctx, campaign: c } = props;
  const { t } = ctx.i18n;
  const base = `${CAMPAIGNS_PAGE}/${c.id}`;
  const state = campaignState(c, props.today);
  const current: FormState = {
    values: {
      name: c.name,
      areas: c.areaPrefixes.join(" "),
      startsOn: c.startsOn,
      endsOn: c.endsOn,
      priority: String(c.priority),
    },
    errors: {},
  };
  const allSignatures = [props.signatures.own, ...props.signatures.allowed].join(" ");
  return (
    <AdminPage ctx={ctx} title={c.name} done={props.done} error={props.error}>
      <p class="ap-meta">
        <span class={state === "apCampaignRunning" ? "ap-on" : "ap-off"}>{t[state]}</span> ·{" "}
        {fill(t.apDates, { from: c.startsOn, to: c.endsOn })} · {t.apPriority} {c.priority}
      </p>
      {usable(c) === 0 && <p class="ap-warn">{t.apNoTemplateWarn}</p>}
      <div class="ap-grid">
        <div>
          <section class="card" aria-labelledby="ap-templates">
            <h3 id="ap-templates">{t.apTemplates}</h3>
            {c.templates.length === 0 && <p>{t.apTemplateNone}</p>}
            <ul class="ap-list">
              {c.templates.map((tpl) => (
                <li class={tpl.disabledAt ? "off" : ""} data-template-id={tpl.id}>
                  <p class="ap-body">{tpl.body}</p>
                  <p class="ap-meta">
                    <span class={tpl.disabledAt ? "ap-off" : "ap-on"}>
                      {tpl.disabledAt ? t.apDisabled : t.apEnabled}
                    </span>{" "}
                    · {fill(t.apTemplateCount, { characters: tpl.characters, parts: tpl.segments })} ·{" "}
                    {fill(t.apTemplateUses, { n: tpl.uses })}
                  </p>
                  <ActionButton
                    ctx={ctx}
                    action={`${base}/templates/${tpl.id}/${tpl.disabledAt ? "enable" : "disable"}`}
                    label={tpl.disabledAt ? t.apEnable : t.apDisable}
                    secondary
                  />
                </li>
              ))}
            </ul>
          </section>
          <section class="card" aria-labelledby="ap-template-new">
            <h3 id="ap-template-new">{t.apTemplateNew}</h3>
            <p class="hint">{fill(t.apTemplateRules, { signatures: allSignatures })}</p>
            <form class="stack" method="post" action={`${base}/templates`} id="ap-template-form">
              <Csrf ctx={ctx} />
              <Field
                id="ap-template-body"
                name="body"
                label={t.apTemplateBody}
                multiline
                rows={5}
                required
                value={props.template?.body}
                error={props.template && !props.template.check.valid ? t.apFixErrors : undefined}
              />
              <CheckPanel ctx={ctx} check={props.template?.check} />
              <button class="primary" type="submit">
                {t.apTemplateAdd}
              </button>
            </form>
          </section>
        </div>
        <section class="card" aria-labelledby="ap-campaign-settings">
          <h3 id="ap-campaign-settings">{t.apCampaignSettings}</h3>
          <form class="stack" method="post" action={base}>
            <Csrf ctx={ctx} />
            <CampaignFields ctx={ctx} p="edit" form={props.form ?? current} />
            <button class="primary" type="submit">
              {t.apSave}
            </button>
          </form>
          <div class="ap-actions">
            <ActionButton
              ctx={ctx}
              action={`${base}/${c.disabledAt ? "enable" : "disable"}`}
              label={c.disabledAt ? t.apEnable : t.apDisable}
              secondary
            />
          </div>
        </section>
      </div>
      <History i18n={ctx.i18n} entries={props.history} />
      <script src="/console/assets/admin-template-check.js" defer />
    </AdminPage>
  );
}
