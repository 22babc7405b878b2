import { AppError } from "../errors";
import type { getPartner, listPartnerKeys, PartnerSettings } from "../partners/admin";
import { PARTNER_CHANNELS, type PartnerChannel } from "../partners/admin";
import type { partnerQuotas, QuotaState } from "../reports/partner-quotas";
import { ActionButton, Field, formInt, formText, type MessageKey } from "./admin-forms";
import { History, type HistoryEntry } from "./admin-history";
import { AdminPage, Csrf } from "./admin-layout";
import type { OnceItem } from "./admin-once";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import { type PageContext, time } from "./layout";

/** The partner pages: the list with today's use and a new-partner form, and one partner with its keys. */

export const PARTNERS_PAGE = "/console/admin/partners";
const PAGE = PARTNERS_PAGE;

export type Partner = Awaited<ReturnType<typeof getPartner>>;
export type Key = Awaited<ReturnType<typeof listPartnerKeys>>[number];
export type Quota = Awaited<ReturnType<typeof partnerQuotas>>["partners"][number];
type T = I18n["t"];

export interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
}

const CHANNEL_LABEL: Record<PartnerChannel, MessageKey> = {
  sns: "apChannelSns",
  attach: "apChannelAttach",
  partner_http: "apChannelHttp",
};
const QUOTA_LABEL: Record<QuotaState, MessageKey> = {
  ok: "apQuotaOk",
  warning: "apQuotaWarning",
  exhausted: "apQuotaExhausted",
};

export const FIELDS = ["name", "channel", "partsPerSecond", "dailyQuota", "smsApi"] as const;

/** The partner form as typed, checked with the API's limits (src/http/routes/partners.ts), words in the page's language. */
export function parsePartnerForm(
  t: T,
  form: Record<string, unknown>,
  /** Editing a partner whose SMS API is stored: an empty text keeps it. */
  storedApi = false,
):
  | { ok: true; input: PartnerSettings & { name: string; channel: PartnerChannel } }
  | { ok: false; state: FormState } {
  const values = Object.fromEntries(FIELDS.map((f) => [f, formText(form, f, 10_000)])) as Record<
    string,
    string
  >;
  const errors: Record<string, string> = {};
  const name = (values.name ?? "").trim();
  if (name.length < 1 || name.length > 100) errors.name = t.apErrName;
  const channel = values.channel as PartnerChannel;
  if (!(PARTNER_CHANNELS as readonly string[]).includes(channel)) errors.channel = t.apErrChannel;
  const pps = formInt(t, values.partsPerSecond ?? "", 1, 10_000);
  if (pps.error) errors.partsPerSecond = pps.error;
  const quota = formInt(t, values.dailyQuota ?? "", 0, 10_000_000);
  if (quota.error) errors.dailyQuota = quota.error;
  let smsApi: Record<string, unknown> | null | undefined;
  const typedApi = (values.smsApi ?? "").trim();
  if (typedApi !== "") {
    try {
      const parsed: unknown = JSON.parse(typedApi);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      smsApi = parsed as Record<string, unknown>;
    } catch {
      errors.smsApi = t.apErrSmsApi;
    }
  }
  if (channel === "partner_http" && typedApi === "" && !storedApi && !errors.channel)
    errors.smsApi = t.apErrSmsApiRequired;
  if (Object.keys(errors).length > 0) return { ok: false, state: { values, errors } };
  return {
    ok: true,
    input: {
      name,
      channel,
      ...(pps.value !== undefined ? { partsPerSecond: pps.value } : {}),
      ...(quota.value !== undefined ? { dailyQuota: quota.value } : {}),
      ...(smsApi !== undefined ? { smsApi } : {}),
    },
  };
}

/** The use case's own check of the SMS API settings (its shape) refused them: said beside the field. */
export function smsApiRefusal(t: T, error: unknown): FormState["errors"] | undefined {
  if (
    error instanceof AppError &&
    error.code === "VALIDATION_FAILED" &&
    error.errors?.some((e) => e.path.startsWith("smsApi"))
  ) {
    return { smsApi: t.apErrSmsApi };
  }
  return undefined;
}

function PartnerFields(props: {
  ctx: PageContext;
  idPrefix: string;
  values: Record<string, string>;
  errors: Record<string, string>;
}) {
  const { t } = props.ctx.i18n;
  const { values, errors, idPrefix: p } = props;
  return (
    <>
      <Field id={`${p}-name`} name="name" label={t.apName} required value={values.name} error={errors.name} />
      <div class={errors.channel ? "field invalid" : "field"}>
        <label for={`${p}-channel`}>{t.apChannel}</label>
        <p class="hint" id={`${p}-channel-hint`}>
          {t.apChannelHint}
        </p>
        <select id={`${p}-channel`} name="channel" aria-describedby={`${p}-channel-hint`}>
          {PARTNER_CHANNELS.map((ch) => (
            <option value={ch} selected={values.channel === ch}>
              {t[CHANNEL_LABEL[ch]]}
            </option>
          ))}
        </select>
        {errors.channel && <p class="field-error">{errors.channel}</p>}
      </div>
      <Field
        id={`${p}-pps`}
        name="partsPerSecond"
        label={t.apPps}
        hint={t.apPpsHint}
        type="number"
        inputmode="numeric"
        min={1}
        max={10_000}
        value={values.partsPerSecond}
        error={errors.partsPerSecond}
      />
      <Field
        id={`${p}-quota`}
        name="dailyQuota"
        label={t.apQuota}
        hint={t.apQuotaHint}
        type="number"
        inputmode="numeric"
        min={0}
        max={10_000_000}
        value={values.dailyQuota}
        error={errors.dailyQuota}
      />
      <Field
        id={`${p}-smsapi`}
        name="smsApi"
        label={t.apSmsApi}
        hint={t.apSmsApiHint}
        multiline
        rows={3}
        value={values.smsApi}
        error={errors.smsApi}
      />
    </>
  );
}

function QuotaLine(props: { t: T; quota?: Quota }) {
  const { t, quota } = props;
  if (!quota) return null;
  return (
    <p class="ap-quota">
      {t.apTodayUse}: {fill(t.apTodayUseValue, { used: quota.usedParts, quota: quota.dailyQuota })} ·{" "}
      <span class={`ap-state-${quota.state}`}>{t[QUOTA_LABEL[quota.state]]}</span>
    </p>
  );
}

export function PartnersPage(props: {
  ctx: PageContext;
  partners: Partner[];
  quotas: Map<string, Quota>;
  done?: string;
  error?: string;
  once?: OnceItem[];
  form?: FormState;
}) {
  const { ctx } = props;
  const { t } = ctx.i18n;
  return (
    <AdminPage ctx={ctx} title={t.apPartners} done={props.done} error={props.error} once={props.once}>
      <p class="muted">{t.apPartnersIntro}</p>
      {props.partners.length === 0 && <p>{t.apPartnerNone}</p>}
      <ul class="ap-list">
        {props.partners.map((p) => (
          <li class={p.disabledAt ? "off" : ""} data-partner-id={p.id}>
            <h3>
              <a href={`${PAGE}/${p.id}`}>{p.name}</a>
            </h3>
            <p class="ap-meta">
              {t[CHANNEL_LABEL[p.channel as PartnerChannel]]} · {t.apPps} {p.partsPerSecond} ·{" "}
              <span class={p.disabledAt ? "ap-off" : "ap-on"}>
                {p.disabledAt ? t.apDisabled : t.apEnabled}
              </span>
            </p>
            <QuotaLine t={t} quota={props.quotas.get(p.id)} />
          </li>
        ))}
      </ul>
      <section class="card" aria-labelledby="partner-new">
        <h3 id="partner-new">{t.apPartnerNew}</h3>
        <form class="stack" method="post" action={PAGE}>
          <Csrf ctx={ctx} />
          <PartnerFields
            ctx={ctx}
            idPrefix="new"
            values={props.form?.values ?? { channel: "sns", partsPerSecond: "20", dailyQuota: "50000" }}
            errors={props.form?.errors ?? {}}
          />
          <button class="primary" type="submit">
            {t.apCreate}
          </button>
        </form>
      </section>
    </AdminPage>
  );
}

export function PartnerPage(props: {
  ctx: PageContext;
  partner: Partner;
  keys: Key[];
  quota?: Quota;
  history: HistoryEntry[];
  done?: string;
  error?: string;
  once?: OnceItem[];
  form?: FormState;
}) {
  const { ctx, partner: p } = props;
  const { t } = ctx.i18n;
  const base = `${PAGE}/${p.id}`;
  const current: Record<string, string> = {
    name: p.name,
    channel: p.channel,
    partsPerSecond: String(p.partsPerSecond),
    dailyQuota: String(p.dailyQuota),
    // Secrets show as "(set)" in the view; a save without a new API text keeps what is stored.
    smsApi: "",
  };
  return (
    <AdminPage ctx={ctx} title={p.name} done={props.done} error={props.error} once={props.once}>
      <p class="ap-meta">
        {t.apPartnerId} <code>{p.id}</code> · {t.apCreatedAt} {time(p.createdAt)} ·{" "}
        <span class={p.disabledAt ? "ap-off" : "ap-on"}>{p.disabledAt ? t.apDisabled : t.apEnabled}</span>
      </p>
      <QuotaLine t={t} quota={props.quota} />
      <div class="ap-grid">
        <section class="card" aria-labelledby="partner-settings">
          <h3 id="partner-settings">{t.apPartnerSettings}</h3>
          <form class="stack" method="post" action={base}>
            <Csrf ctx={ctx} />
            <PartnerFields
              ctx={ctx}
              idPrefix="edit"
              values={props.form?.values ?? current}
              errors={props.form?.errors ?? {}}
            />
            <button class="primary" type="submit">
              {t.apSave}
            </button>
          </form>
          <div class="ap-actions">
            <ActionButton
              ctx={ctx}
              action={`${base}/${p.disabledAt ? "enable" : "disable"}`}
              label={p.disabledAt ? t.apEnable : t.apDisable}
              secondary
            />
          </div>
        </section>
        <div>
          <section class="card" aria-labelledby="partner-keys">
            <h3 id="partner-keys">{t.apKeys}</h3>
            {props.keys.length === 0 && <p>{t.apKeyNone}</p>}
            <ul class="ap-sigs">
              {props.keys.map((k) => (
                <li data-key-id={k.keyId}>
                  <code>{k.keyId}</code>
                  {k.mode === "test" && <span class="ap-test">{t.apKeyTest}</span>}
                  <span class="ap-meta">{time(k.createdAt)}</span>
                  {k.revokedAt ? (
                    <span class="ap-off">{fill(t.apKeyRevoked, { at: time(k.revokedAt) })}</span>
                  ) : (
                    <>
                      <span class="ap-on">{t.apKeyActive}</span>
                      <ActionButton
                        ctx={ctx}
                        action={`${base}/keys/${k.keyId}/revoke`}
                        label={t.apKeyRevoke}
                        secondary
                      />
                    </>
                  )}
                </li>
              ))}
            </ul>
            <p class="hint">{t.apKeyNewHint}</p>
            <ActionButton ctx={ctx} action={`${base}/keys`} label={t.apKeyNew} />
            <p class="hint">{t.apTestKeyHint}</p>
            <ActionButton
              ctx={ctx}
              action={`${base}/keys`}
              label={t.apTestKeyNew}
              hidden={{ mode: "test" }}
              secondary
            />
          </section>
          <section class="card" aria-labelledby="partner-webhook">
            <h3 id="partner-webhook">{t.apWebhook}</h3>
            <p class="hint">{t.apWebhookHint}</p>
            <p>{p.webhookSecretSet ? t.apWebhookSet : t.apWebhookNotSet}</p>
            <ActionButton ctx={ctx} action={`${base}/webhook-secret`} label={t.apWebhookRotate} secondary />
          </section>
          <History i18n={ctx.i18n} entries={props.history} />
        </div>
      </div>
    </AdminPage>
  );
}
