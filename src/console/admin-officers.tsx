import type { officerView } from "../auth/officers";
import { OFFICER_ROLES } from "../auth/officers";
import type { shiftsOfOfficer } from "../organisation/roster-admin";
import { colon, hhmm, roleLabel, weekday } from "./admin-format";
import { AdminPage, Csrf, type FieldErrors } from "./admin-layout";
import { described, Field } from "./alert-forms";
import { fill } from "./i18n-officer";
import type { PageContext } from "./layout";

/** The officers section's pages: the list with the new-account form, and one officer's page. */
export type OfficerView = ReturnType<typeof officerView>;
export type PostOption = { id: string; name: string; disabledAt: string | null };
export interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
}
const SECTION = "/console/admin/officers";

/** A once-only secret: shown in a box the admin can select, never again. */
export function Secret(props: { label: string; intro: string; value: string }) {
  return (
    <div class="card" role="status">
      <p>{props.intro}</p>
      <p>
        <span class="muted">{props.label}</span>
      </p>
      <p class="adm-secret" data-secret>
        {props.value}
      </p>
    </div>
  );
}

function PostSelect(props: {
  ctx: PageContext;
  id: string;
  posts: PostOption[];
  value: string;
  error?: string;
}) {
  const { t } = props.ctx.i18n;
  return (
    <Field id={props.id} label={t.post} error={props.error}>
      <select id={props.id} name="postId" {...described(props.id, props.error)}>
        <option value="">{t.admNoPost}</option>
        {props.posts
          .filter((p) => !p.disabledAt || p.id === props.value)
          .map((p) => (
            <option value={p.id} selected={p.id === props.value}>
              {p.name}
            </option>
          ))}
      </select>
    </Field>
  );
}

function RoleSelect(props: { ctx: PageContext; id: string; value: string; error?: string }) {
  const { i18n } = props.ctx;
  return (
    <Field id={props.id} label={i18n.t.admColRole} error={props.error}>
      <select id={props.id} name="role" required {...described(props.id, props.error)}>
        {OFFICER_ROLES.map((r) => (
          <option value={r} selected={r === props.value}>
            {roleLabel(i18n, r)}
          </option>
        ))}
      </select>
    </Field>
  );
}

const FormError = (props: { ctx: PageContext; errors: FieldErrors }) =>
  Object.keys(props.errors).length > 0 ? (
    <p class="flash error" role="alert">
      {props.errors._form ?? props.ctx.i18n.t.errorsBelow}
    </p>
  ) : null;

export function OfficersPage(props: {
  ctx: PageContext;
  officers: OfficerView[];
  posts: PostOption[];
  state?: FormState;
  created?: { username: string; password: string };
  flash?: string;
}) {
  const { i18n } = props.ctx;
  const { t } = i18n;
  const postName = new Map(props.posts.map((p) => [p.id, p.name]));
  const v = props.state?.values ?? {};
  const e = props.state?.errors ?? {};
  return (
    <AdminPage ctx={props.ctx} title={t.admOfficers} done={props.flash}>
      {props.created && (
        <Secret
          intro={fill(t.admCreatedOfficer, { username: props.created.username })}
          label={t.admInitialPassword}
          value={props.created.password}
        />
      )}
      <table class="adm-table" id="officers">
        <thead>
          <tr>
            <th scope="col">{t.admColName}</th>
            <th scope="col">{t.admColUsername}</th>
            <th scope="col">{t.admColRole}</th>
            <th scope="col">{t.post}</th>
            <th scope="col">{t.admColPhone}</th>
            <th scope="col">{t.admColDuty}</th>
            <th scope="col">{t.admColStatus}</th>
          </tr>
        </thead>
        <tbody>
          {props.officers.map((o) => (
            <tr class={o.disabledAt ? "adm-off" : undefined} data-officer={o.username}>
              <td data-label={t.admColName}>
                <a href={`${SECTION}/${o.id}`}>{o.displayName}</a>
              </td>
              <td data-label={t.admColUsername}>{o.username}</td>
              <td data-label={t.admColRole}>{roleLabel(i18n, o.role)}</td>
              <td data-label={t.post}>{o.postId ? (postName.get(o.postId) ?? "—") : "—"}</td>
              <td data-label={t.admColPhone}>
                <span class="phone">{o.phone ?? t.admNoPhone}</span>
              </td>
              <td data-label={t.admColDuty}>
                <span class={`adm-tag ${o.onDuty && !o.disabledAt ? "on" : ""}`}>
                  {o.onDuty && !o.disabledAt ? t.admOnDuty : t.admOffDuty}
                </span>
              </td>
              <td data-label={t.admColStatus}>
                <span class={`adm-tag ${o.disabledAt ? "off" : ""}`}>
                  {o.disabledAt ? t.admDisabled : t.admEnabled}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="card stack" method="post" action={SECTION} id="new-officer">
        <h3>{t.admNewOfficer}</h3>
        <FormError ctx={props.ctx} errors={e} />
        <Csrf ctx={props.ctx} />
        <Field id="new-username" label={t.username} error={e.username} hint={t.admUsernameHint}>
          <input
            id="new-username"
            name="username"
            required
            maxlength={64}
            autocomplete="off"
            value={v.username ?? ""}
            {...described("new-username", e.username, true)}
          />
        </Field>
        <Field id="new-displayName" label={t.admColName} error={e.displayName}>
          <input
            id="new-displayName"
            name="displayName"
            required
            maxlength={100}
            value={v.displayName ?? ""}
            {...described("new-displayName", e.displayName)}
          />
        </Field>
        <RoleSelect ctx={props.ctx} id="new-role" value={v.role ?? "officer"} error={e.role} />
        <PostSelect
          ctx={props.ctx}
          id="new-postId"
          posts={props.posts}
          value={v.postId ?? ""}
          error={e.postId}
        />
        <Field id="new-phone" label={t.admPhone} error={e.phone} hint={t.admPhoneHint}>
          <input
            id="new-phone"
            name="phone"
            type="tel"
            maxlength={32}
            value={v.phone ?? ""}
            {...described("new-phone", e.phone, true)}
          />
        </Field>
        <button class="primary" type="submit">
          {t.admCreate}
        </button>
      </form>
    </AdminPage>
  );
}

export function OfficerPage(props: {
  ctx: PageContext;
  officer: OfficerView;
  posts: PostOption[];
  shifts: Awaited<ReturnType<typeof shiftsOfOfficer>>;
  state?: FormState;
  password?: string;
  flash?: string;
}) {
  const { i18n } = props.ctx;
  const { t } = i18n;
  const o = props.officer;
  const base = `${SECTION}/${o.id}`;
  const v = props.state?.values ?? {};
  const e = props.state?.errors ?? {};
  const onDuty = o.onDuty && !o.disabledAt;
  return (
    <AdminPage ctx={props.ctx} title={fill(t.admEditOfficer, { name: o.displayName })} done={props.flash}>
      <p>
        <a class="back" href={SECTION}>
          {t.admBackToList}
        </a>
      </p>
      {props.password && (
        <Secret
          intro={fill(t.admPasswordReset, { name: o.displayName })}
          label={t.admInitialPassword}
          value={props.password}
        />
      )}
      <div class="adm-grid">
        <form class="card stack" method="post" action={base} id="edit-officer">
          <h3>{t.admEdit}</h3>
          <FormError ctx={props.ctx} errors={e} />
          <Csrf ctx={props.ctx} />
          <p class="muted">
            {t.username}
            {colon(i18n)}
            {o.username}
          </p>
          <Field id="edit-displayName" label={t.admColName} error={e.displayName}>
            <input
              id="edit-displayName"
              name="displayName"
              required
              maxlength={100}
              value={v.displayName ?? o.displayName}
              {...described("edit-displayName", e.displayName)}
            />
          </Field>
          <RoleSelect ctx={props.ctx} id="edit-role" value={v.role ?? o.role} error={e.role} />
          <PostSelect
            ctx={props.ctx}
            id="edit-postId"
            posts={props.posts}
            value={v.postId ?? o.postId ?? ""}
            error={e.postId}
          />
          <Field
            id="edit-phone"
            label={t.admPhone}
            error={e.phone}
            hint={`${t.admColPhone}${colon(i18n)}${o.phone ?? t.admNoPhone}${i18n.lang === "zh" ? "。" : ". "}${t.admPhoneKeep}`}
          >
            <input
              id="edit-phone"
              name="phone"
              type="tel"
              maxlength={32}
              value={v.phone ?? ""}
              {...described("edit-phone", e.phone, true)}
            />
          </Field>
          {o.phone && (
            <label class="chip">
              <input type="checkbox" name="clearPhone" value="1" checked={v.clearPhone === "1"} />
              {t.admClearPhone}
            </label>
          )}
          <button class="primary" type="submit">
            {t.admSave}
          </button>
        </form>
        <div>
          <section class="card stack" aria-labelledby="duty-h">
            <h3 id="duty-h">{t.admDutyHeading}</h3>
            <p>{fill(t.admDutyNow, { state: onDuty ? t.admOnDuty : t.admOffDuty })}</p>
            {e.onDuty && (
              <p class="field-error" role="alert">
                {e.onDuty}
              </p>
            )}
            <form method="post" action={`${base}/duty`}>
              <Csrf ctx={props.ctx} />
              <input type="hidden" name="onDuty" value={onDuty ? "false" : "true"} />
              <button class={onDuty ? "secondary" : "primary"} type="submit" disabled={Boolean(o.disabledAt)}>
                {onDuty ? t.admTakeOffDuty : t.admPutOnDuty}
              </button>
            </form>
            <p class="hint">{t.admDutyNote}</p>
          </section>
          <section class="card stack" aria-labelledby="shifts-h">
            <h3 id="shifts-h">{t.admShifts}</h3>
            {props.shifts.length === 0 ? (
              <p>{t.admNoShifts}</p>
            ) : (
              <ul class="plain">
                {props.shifts.map((s) => (
                  <li>
                    {s.postName} · {weekday(i18n, s.dayOfWeek)} {hhmm(s.startMinute)}–{hhmm(s.endMinute)}
                  </li>
                ))}
              </ul>
            )}
            {o.postId && (
              <p>
                <a href={`/console/admin/rosters/${o.postId}`}>
                  {fill(t.admEditRosterOf, {
                    post: props.posts.find((p) => p.id === o.postId)?.name ?? "",
                  })}
                </a>
              </p>
            )}
          </section>
          <section class="card stack" aria-labelledby="access-h">
            <h3 id="access-h">{t.admAccess}</h3>
            {e._access && (
              <p class="field-error" role="alert">
                {e._access}
              </p>
            )}
            <p>
              {t.admColStatus}
              {colon(i18n)}
              {o.disabledAt ? t.admDisabled : t.admEnabled}
            </p>
            <form method="post" action={`${base}/${o.disabledAt ? "enable" : "disable"}`}>
              <Csrf ctx={props.ctx} />
              <button class="secondary" type="submit">
                {o.disabledAt ? t.admEnable : t.admDisable}
              </button>
            </form>
            {!o.disabledAt && <p class="hint">{t.admDisableNote}</p>}
            <form method="post" action={`${base}/reset-password`}>
              <Csrf ctx={props.ctx} />
              <button class="secondary" type="submit">
                {t.admResetPassword}
              </button>
            </form>
            <p class="hint">{t.admResetNote}</p>
          </section>
        </div>
      </div>
    </AdminPage>
  );
}
