import { listAudit } from "../audit/log";
import { listOfficers } from "../auth/officers";
import { addDays, isCalendarDate, shanghaiMidnight } from "../calendar";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { listPosts } from "../organisation/jurisdiction";
import { AdminPage, adminContext, adminSection, type FieldErrors } from "./admin-layout";
import { beijing } from "./admin-rosters";
import { described, Field } from "./alert-forms";
import type { ConsoleContext } from "./context";
import { auditWords } from "./i18n-admin-audit";

const SECTION = "/console/admin/audit";
const PAGE_SIZE = 50;
const FILTERS = ["officerId", "action", "targetType", "targetId", "from", "to"] as const;

/**
 * The audit log: who did what to which target, newest first, filtered by who, what, target and Beijing date
 * range, older pages by cursor. Officers and posts are named; actions and target kinds read in the page's
 * language (./i18n-admin-audit.ts).
 */
export function adminAuditRoutes(deps: Deps) {
  const app = adminSection("audit");

  app.get("/admin/audit", async (c: ConsoleContext) => {
    const principal = c.get("principal");
    const ctx = adminContext(c, deps);
    const { i18n } = ctx;
    const { t } = i18n;
    const words = auditWords[i18n.lang];
    const typed = Object.fromEntries(
      FILTERS.map((f) => [f, (c.req.query(f) ?? "").trim().slice(0, 100)]),
    ) as Record<(typeof FILTERS)[number], string>;
    const errors: FieldErrors = {};
    for (const f of ["from", "to"] as const) {
      if (typed[f] && !isCalendarDate(typed[f])) errors[f] = t.admErrDate;
    }
    const [officers, posts] = await Promise.all([listOfficers(deps, principal), listPosts(deps, principal)]);
    let page: Awaited<ReturnType<typeof listAudit>> = { entries: [], nextCursor: null };
    if (Object.keys(errors).length === 0) {
      try {
        page = await listAudit(deps, principal, {
          limit: PAGE_SIZE,
          cursor: c.req.query("cursor")?.slice(0, 512) || undefined,
          officerId: typed.officerId || undefined,
          action: typed.action || undefined,
          targetType: typed.targetType || undefined,
          targetId: typed.targetId || undefined,
          from: typed.from ? shanghaiMidnight(typed.from) : undefined,
          // The end date is included: entries before the next day's midnight.
          to: typed.to ? shanghaiMidnight(addDays(typed.to, 1)) : undefined,
        });
      } catch (error) {
        // A cursor that is not ours (edited by hand) starts again from the newest.
        if (!(error instanceof AppError)) throw error;
      }
    }
    const officerName = new Map(officers.map((o) => [o.id, o.displayName]));
    const postName = new Map(posts.map((p) => [p.id, p.name]));
    // A rule is named by its pattern (kept in the entry, so a removed rule still reads).
    const targetName = (type: string, id: string, data: Record<string, unknown> | null) =>
      (type === "officer" ? officerName.get(id) : type === "post" ? postName.get(id) : undefined) ??
      (type === "jurisdiction_rule" && typeof data?.pattern === "string" ? data.pattern : undefined) ??
      (type === "escalation_policy" && id in i18n.label.risk ? i18n.label.risk[id as "high"] : undefined);
    const query = new URLSearchParams(Object.entries(typed).filter(([, v]) => v));
    const older = page.nextCursor
      ? `${SECTION}?${new URLSearchParams([...query, ["cursor", page.nextCursor]])}`
      : undefined;
    const hasErrors = Object.keys(errors).length > 0;
    return c.html(
      <AdminPage ctx={ctx} title={t.admAudit}>
        <form class="card adm-inline" method="get" action={SECTION} id="audit-filter">
          <Field id="f-who" label={t.admWho}>
            <select id="f-who" name="officerId">
              <option value="">{t.admAll}</option>
              {officers.map((o) => (
                <option value={o.id} selected={typed.officerId === o.id}>
                  {o.displayName}
                </option>
              ))}
            </select>
          </Field>
          <Field id="f-what" label={t.admWhat}>
            <select id="f-what" name="action">
              <option value="">{t.admAll}</option>
              {Object.entries(words.actions).map(([code, text]) => (
                <option value={code} selected={typed.action === code}>
                  {text}
                </option>
              ))}
            </select>
          </Field>
          <Field id="f-type" label={t.admTargetType}>
            <select id="f-type" name="targetType">
              <option value="">{t.admAll}</option>
              {Object.entries(words.targets).map(([code, text]) => (
                <option value={code} selected={typed.targetType === code}>
                  {text}
                </option>
              ))}
            </select>
          </Field>
          <Field id="f-target" label={t.admTarget}>
            <input id="f-target" name="targetId" maxlength={100} value={typed.targetId} />
          </Field>
          <Field id="f-from" label={t.admFromDate} error={errors.from}>
            <input
              id="f-from"
              name="from"
              type="date"
              value={typed.from}
              {...described("f-from", errors.from)}
            />
          </Field>
          <Field id="f-to" label={t.admToDate} error={errors.to}>
            <input id="f-to" name="to" type="date" value={typed.to} {...described("f-to", errors.to)} />
          </Field>
          <button class="primary" type="submit">
            {t.admFilter}
          </button>
        </form>
        {page.entries.length === 0 ? (
          <p>{t.admNoEntries}</p>
        ) : (
          <table class="adm-table" id="audit">
            <thead>
              <tr>
                <th scope="col">{t.admAt}</th>
                <th scope="col">{t.admWho}</th>
                <th scope="col">{t.admWhat}</th>
                <th scope="col">{t.admTargetCol}</th>
              </tr>
            </thead>
            <tbody>
              {page.entries.map((e) => (
                <tr data-action={e.action}>
                  <td data-label={t.admAt}>{beijing(i18n, e.at)}</td>
                  <td data-label={t.admWho}>
                    {e.officerId ? (officerName.get(e.officerId) ?? "—") : t.admSystem}
                  </td>
                  <td data-label={t.admWhat}>{words.actions[e.action] ?? words.other}</td>
                  <td data-label={t.admTargetCol}>
                    {words.targets[e.targetType] ?? words.otherTarget}{" "}
                    {targetName(e.targetType, e.targetId, e.data) ?? <code>{e.targetId}</code>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {older && (
          <p>
            <a class="button secondary" href={older}>
              {t.admOlder}
            </a>
          </p>
        )}
      </AdminPage>,
      hasErrors ? 400 : 200,
    );
  });
  return app;
}
