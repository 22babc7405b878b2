import type { listOfficers } from "../auth/officers";
import type { listPosts } from "../organisation/jurisdiction";
import type { getRoster, listOverrides, whoIsOnDuty } from "../organisation/roster-admin";
import { hhmm, weekday } from "./admin-format";
import { AdminPage, Csrf, type FieldErrors } from "./admin-layout";
import { described, Field } from "./alert-forms";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import type { PageContext } from "./layout";

/** The rosters section's pages: every post with who is paged now, and one post's roster editor. */
export const SECTION = "/console/admin/rosters";
export type Post = Awaited<ReturnType<typeof listPosts>>[number];
export type Officer = Awaited<ReturnType<typeof listOfficers>>[number];
export type Roster = Awaited<ReturnType<typeof getRoster>>;
export type OnDuty = Awaited<ReturnType<typeof whoIsOnDuty>>;
export type Override = Awaited<ReturnType<typeof listOverrides>>[number];
export interface RosterFormState {
  form: "roster" | "override";
  values: Record<string, string | string[]>;
  errors: FieldErrors;
}

const WHY = {
  shift: "admWhyShift",
  override: "admWhyOverride",
  no_roster: "admWhyNoRoster",
  fallback: "admWhyFallback",
} as const;

/** A time in Beijing, as the page's language writes it. */
export const beijing = ({ lang }: I18n, at: string) =>
  new Date(at).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai",
    hour12: false,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });

export function OnDutyLine(props: { i18n: I18n; duty: OnDuty }) {
  const { t } = props.i18n;
  if (props.duty.officers.length === 0) return <span class="muted">—</span>;
  return (
    <span>
      {props.duty.officers.map((o, i) => (
        <>
          {i > 0 && (props.i18n.lang === "zh" ? "、" : ", ")}
          {o.displayName}
          <span class="muted">
            {props.i18n.lang === "zh" ? `（${t[WHY[o.reason]]}）` : ` (${t[WHY[o.reason]]})`}
          </span>
        </>
      ))}
    </span>
  );
}

export function RostersPage(props: {
  ctx: PageContext;
  posts: { post: Post; shifts: number; duty: OnDuty }[];
}) {
  const { i18n } = props.ctx;
  const { t } = i18n;
  return (
    <AdminPage ctx={props.ctx} title={t.admRosters}>
      <table class="adm-table" id="rosters">
        <thead>
          <tr>
            <th scope="col">{t.post}</th>
            <th scope="col">{t.admShifts}</th>
            <th scope="col">{t.admOnDutyNow}</th>
          </tr>
        </thead>
        <tbody>
          {props.posts.map(({ post, shifts, duty }) => (
            <tr class={post.disabledAt ? "adm-off" : undefined}>
              <td data-label={t.post}>
                <a href={`${SECTION}/${post.id}`}>{post.name}</a>
              </td>
              <td data-label={t.admShifts}>{shifts === 0 ? t.admNoRoster : shifts}</td>
              <td data-label={t.admOnDutyNow}>
                <OnDutyLine i18n={i18n} duty={duty} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  );
}

/** One shift's fields; index `i`, values from the roster or from what was typed. */
function ShiftFields(props: {
  ctx: PageContext;
  i: number;
  legend: string;
  values: { day: string; start: string; end: string; officers: string[] };
  officers: Officer[];
  errors: FieldErrors;
  removable: boolean;
}) {
  const { i18n } = props.ctx;
  const { t } = i18n;
  const { i, values: v, errors: e } = props;
  const err = (f: string) => e[`${f}_${i}`];
  return (
    <fieldset class="adm-shift" data-shift={i}>
      <legend>{props.legend}</legend>
      <div class="adm-times">
        <Field id={`day_${i}`} label={t.admDay} error={err("day")}>
          <select id={`day_${i}`} name={`day_${i}`}>
            <option value="all" selected={v.day === "all"}>
              {t.admEveryDay}
            </option>
            {[1, 2, 3, 4, 5, 6, 7].map((d) => (
              <option value={String(d)} selected={v.day === String(d)}>
                {weekday(i18n, d)}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`start_${i}`} label={t.admStart} error={err("start")}>
          <input
            id={`start_${i}`}
            name={`start_${i}`}
            placeholder="08:00"
            maxlength={5}
            value={v.start}
            {...described(`start_${i}`, err("start"))}
          />
        </Field>
        <Field id={`end_${i}`} label={t.admEnd} error={err("end")}>
          <input
            id={`end_${i}`}
            name={`end_${i}`}
            placeholder="20:00"
            maxlength={5}
            value={v.end}
            {...described(`end_${i}`, err("end"))}
          />
        </Field>
      </div>
      <fieldset class="adm-checks">
        <legend>{t.admShiftOfficers}</legend>
        {props.officers.map((o) => (
          <label class="chip">
            <input type="checkbox" name={`officers_${i}`} value={o.id} checked={v.officers.includes(o.id)} />
            {o.displayName}
          </label>
        ))}
      </fieldset>
      {err("officers") && <p class="field-error">{err("officers")}</p>}
      {props.removable && (
        <label class="chip">
          <input type="checkbox" name={`remove_${i}`} value="1" />
          {t.admRemoveShift}
        </label>
      )}
    </fieldset>
  );
}

export function RosterPage(props: {
  ctx: PageContext;
  post: Post;
  roster: Roster;
  officers: Officer[];
  overrides: Override[];
  duty: OnDuty;
  state?: RosterFormState;
  flash?: string;
}) {
  const { i18n } = props.ctx;
  const { t } = i18n;
  const base = `${SECTION}/${props.post.id}`;
  const active = props.officers.filter((o) => !o.disabledAt);
  const name = new Map(props.officers.map((o) => [o.id, o.displayName]));
  const s = props.state;
  const typed = s?.form === "roster" ? s.values : undefined;
  const e = s?.errors ?? {};
  const text = (n: string) => {
    const v = typed?.[n];
    return typeof v === "string" ? v : "";
  };
  const list = (n: string) => {
    const v = typed?.[n];
    return Array.isArray(v) ? v : typeof v === "string" && v ? [v] : [];
  };
  const rows = typed
    ? Array.from({ length: Number(text("shifts")) || 0 }, (_, i) => ({
        day: text(`day_${i}`),
        start: text(`start_${i}`),
        end: text(`end_${i}`),
        officers: list(`officers_${i}`),
      }))
    : [
        ...props.roster.shifts.map((sh) => ({
          day: String(sh.dayOfWeek),
          start: hhmm(sh.startMinute),
          end: hhmm(sh.endMinute),
          officers: sh.officerIds,
        })),
        { day: "all", start: "", end: "", officers: [] },
      ];
  const fallback = typed ? text("fallbackOfficerId") : (props.roster.fallbackOfficerId ?? "");
  const ov = s?.form === "override" ? s.values : {};
  const ovText = (n: string) => (typeof ov[n] === "string" ? (ov[n] as string) : "");
  return (
    <AdminPage ctx={props.ctx} title={fill(t.admRosterOf, { post: props.post.name })} done={props.flash}>
      <p>
        <a class="back" href={SECTION}>
          {t.admBackToList}
        </a>
      </p>
      {s && (
        <p class="flash error" role="alert">
          {e._form ?? t.errorsBelow}
        </p>
      )}
      <p>
        <strong>{t.admOnDutyNow}</strong>
        {i18n.lang === "zh" ? "：" : ": "}
        <OnDutyLine i18n={i18n} duty={props.duty} />
      </p>
      <form class="card adm-wide" method="post" action={base} id="roster">
        <Csrf ctx={props.ctx} />
        <input type="hidden" name="shifts" value={String(rows.length)} />
        <p class="hint">{t.admRosterHint}</p>
        {props.roster.shifts.length === 0 && !typed && <p>{t.admNoRoster}</p>}
        {rows.map((row, i) => (
          <ShiftFields
            ctx={props.ctx}
            i={i}
            legend={i === rows.length - 1 && !typed ? t.admNewShift : fill(t.admShiftN, { n: i + 1 })}
            values={row}
            officers={active}
            errors={e}
            removable={!(i === rows.length - 1 && !typed)}
          />
        ))}
        <Field id="fallback" label={t.admFallback} error={e.fallbackOfficerId}>
          <select id="fallback" name="fallbackOfficerId" {...described("fallback", e.fallbackOfficerId)}>
            <option value="">{t.admFallbackDesk}</option>
            {active
              .filter((o) => o.role !== "officer")
              .map((o) => (
                <option value={o.id} selected={fallback === o.id}>
                  {o.displayName}
                </option>
              ))}
          </select>
        </Field>
        <p>
          <button class="primary" type="submit">
            {t.admSaveRoster}
          </button>
        </p>
      </form>
      <section class="card stack adm-wide" aria-labelledby="overrides-h">
        <h3 id="overrides-h">{t.admOverrides}</h3>
        {props.overrides.length === 0 ? (
          <p>{t.admNoOverrides}</p>
        ) : (
          <ul class="adm-list">
            {props.overrides.map((o) => (
              <li>
                <span>
                  {name.get(o.officerId) ?? "—"} · {o.kind === "cover" ? t.admCover : t.admLeave} ·{" "}
                  {beijing(i18n, o.startsAt)} – {beijing(i18n, o.endsAt)}
                </span>
                <form method="post" action={`${base}/overrides/${o.id}/delete`}>
                  <Csrf ctx={props.ctx} />
                  <button class="secondary" type="submit">
                    {t.admRemove}
                  </button>
                </form>
              </li>
            ))}
          </ul>
        )}
        <form class="stack" method="post" action={`${base}/overrides`} id="override">
          <Csrf ctx={props.ctx} />
          <Field id="ov-officer" label={t.admShiftOfficers} error={e.officerId}>
            <select id="ov-officer" name="officerId" {...described("ov-officer", e.officerId)}>
              {active.map((o) => (
                <option value={o.id} selected={ovText("officerId") === o.id}>
                  {o.displayName}
                </option>
              ))}
            </select>
          </Field>
          <Field id="ov-kind" label={t.admOverrideKind}>
            <select id="ov-kind" name="kind">
              <option value="cover" selected={ovText("kind") !== "leave"}>
                {t.admCover}
              </option>
              <option value="leave" selected={ovText("kind") === "leave"}>
                {t.admLeave}
              </option>
            </select>
          </Field>
          <Field id="ov-from" label={t.admFrom} error={e.startsAt}>
            <input
              id="ov-from"
              name="startsAt"
              type="datetime-local"
              value={ovText("startsAt")}
              {...described("ov-from", e.startsAt)}
            />
          </Field>
          <Field id="ov-to" label={t.admTo} error={e.endsAt}>
            <input
              id="ov-to"
              name="endsAt"
              type="datetime-local"
              value={ovText("endsAt")}
              {...described("ov-to", e.endsAt)}
            />
          </Field>
          <button class="primary" type="submit">
            {t.admAddOverride}
          </button>
        </form>
      </section>
    </AdminPage>
  );
}
