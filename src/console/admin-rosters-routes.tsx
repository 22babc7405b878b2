import { listOfficers } from "../auth/officers";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { listPosts } from "../organisation/jurisdiction";
import { shiftsOverlap } from "../organisation/roster";
import {
  createOverride,
  deleteOverride,
  getRoster,
  listOverrides,
  putRoster,
  type ShiftInput,
  whoIsOnDuty,
} from "../organisation/roster-admin";
import { minuteOf } from "./admin-format";
import {
  adminContext,
  adminSection,
  type FieldErrors,
  formOf,
  refusalStatus,
  refusalToFields,
} from "./admin-layout";
import { type RosterFormState, RosterPage, RostersPage, SECTION } from "./admin-rosters";
import type { ConsoleContext } from "./context";
import type { I18n } from "./i18n";
import { MessagePage } from "./pages";

const MAX_SHIFTS = 60;

/** The use case's refusal, by field, in the page's words (officers named in shifts, the fallback, overrides). */
const explain =
  ({ t }: I18n) =>
  (path: string, code: AppError["code"], message: string): string | undefined => {
    if (path.startsWith("shifts.")) return t.admErrOfficer;
    if (path === "fallbackOfficerId")
      return message.includes("supervisor") ? t.admErrFallback : t.admErrOfficer;
    if (path === "officerId") return t.admErrOfficer;
    if (code === "NOT_FOUND") return t.admNotFound;
    return undefined;
  };

/** The roster form as shifts: each row checked beside its fields; "every day" is seven shifts. */
export function parseRoster(
  form: Awaited<ReturnType<typeof formOf>>,
  { t }: I18n,
): { shifts: ShiftInput[]; fallbackOfficerId: string | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const rows = Math.min(Number(form.one("shifts")) || 0, MAX_SHIFTS);
  const shifts: (ShiftInput & { row: number })[] = [];
  for (let i = 0; i < rows; i++) {
    if (form.one(`remove_${i}`) === "1") continue;
    const startText = form.one(`start_${i}`);
    const endText = form.one(`end_${i}`);
    const officers = [...new Set(form.all(`officers_${i}`))];
    // A row left empty is the blank "new shift" row: nothing to save.
    if (!startText && !endText && officers.length === 0) continue;
    const start = minuteOf(startText);
    const end = minuteOf(endText, true);
    if (start === undefined) errors[`start_${i}`] = t.admErrTime;
    if (end === undefined) errors[`end_${i}`] = t.admErrTime;
    else if (start !== undefined && end === start) errors[`end_${i}`] = t.admErrShiftSame;
    const day = form.one(`day_${i}`);
    const days = day === "all" ? [1, 2, 3, 4, 5, 6, 7] : /^[1-7]$/.test(day) ? [Number(day)] : [];
    if (days.length === 0) errors[`day_${i}`] = t.admErrTime;
    if (start === undefined || end === undefined || errors[`end_${i}`]) continue;
    for (const dayOfWeek of days) {
      shifts.push({ row: i, dayOfWeek, startMinute: start, endMinute: end, officerIds: officers });
    }
  }
  // An officer cannot work two overlapping shifts of the post: one of them is a mistake.
  shifts.forEach((b, j) => {
    const clash = shifts.some(
      (a, i) =>
        i < j &&
        a.row !== b.row &&
        a.officerIds.some((id) => b.officerIds.includes(id)) &&
        shiftsOverlap(a, b),
    );
    if (clash) errors[`officers_${b.row}`] = t.admErrOverlap;
  });
  const fallback = form.one("fallbackOfficerId");
  return {
    shifts: shifts.map(({ row: _row, ...s }) => s),
    fallbackOfficerId: fallback || null,
    errors,
  };
}

/** "2026-12-03T08:00" typed in a datetime-local field, read as Beijing time. */
function beijingInstant(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text)) return undefined;
  const at = new Date(`${text}:00+08:00`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * Duty rosters: every post with who is paged now; one post's weekly shifts (with their officers and the
 * fallback) replaced as a whole, and its covers and leave. The use cases are src/organisation/roster-admin.ts.
 */
export function adminRostersRoutes(deps: Deps) {
  const app = adminSection("rosters");

  app.get("/admin/rosters", async (c) => {
    const principal = c.get("principal");
    const posts = await listPosts(deps, principal);
    const rows = await Promise.all(
      posts.map(async (post) => ({
        post,
        shifts: (await getRoster(deps, principal, post.id)).shifts.length,
        duty: await whoIsOnDuty(deps, principal, post.id),
      })),
    );
    return c.html(<RostersPage ctx={adminContext(c, deps)} posts={rows} />);
  });

  const page = async (c: ConsoleContext, state?: RosterFormState, status: 200 | 400 | 404 | 409 = 200) => {
    const principal = c.get("principal");
    const ctx = adminContext(c, deps);
    const postId = c.req.param("id") as string;
    const post = (await listPosts(deps, principal)).find((p) => p.id === postId);
    if (!post)
      return c.html(
        <MessagePage ctx={ctx} title={ctx.i18n.t.admRosters} text={ctx.i18n.t.admNotFound} />,
        404,
      );
    const [roster, officers, overrides, duty] = await Promise.all([
      getRoster(deps, principal, postId),
      listOfficers(deps, principal),
      listOverrides(deps, principal, postId),
      whoIsOnDuty(deps, principal, postId),
    ]);
    const flash = c.req.query("saved") ? ctx.i18n.t.admSaved : undefined;
    return c.html(
      <RosterPage
        ctx={ctx}
        post={post}
        roster={roster}
        officers={officers}
        overrides={overrides}
        duty={duty}
        state={state}
        flash={flash}
      />,
      status,
    );
  };

  const saved = (c: ConsoleContext) => c.redirect(`${SECTION}/${c.req.param("id")}?saved=1`, 303);
  const statusOf = (error: unknown) => {
    const s = refusalStatus(error);
    return s === 403 ? 400 : s;
  };

  app.get("/admin/rosters/:id", (c) => page(c));

  app.post("/admin/rosters/:id", async (c) => {
    const form = await formOf(c);
    const i18nOf = adminContext(c, deps).i18n;
    const values = Object.fromEntries(
      form.names
        .filter((n) => n !== "_csrf")
        .map((n) => [n, n.startsWith("officers_") ? form.all(n) : form.one(n)]),
    );
    const parsed = parseRoster(form, i18nOf);
    if (Object.keys(parsed.errors).length > 0)
      return page(c, { form: "roster", values, errors: parsed.errors }, 400);
    try {
      await putRoster(deps, c.get("principal"), c.req.param("id"), {
        shifts: parsed.shifts,
        fallbackOfficerId: parsed.fallbackOfficerId,
      });
      return saved(c);
    } catch (error) {
      if (error instanceof AppError && error.code === "NOT_FOUND") return page(c, undefined, 404);
      const errors = refusalToFields(error, c.get("lang"), explain(i18nOf));
      // The use case names shifts by their place in what was sent; the page says it beside the officers.
      const byRow: FieldErrors = {};
      for (const [path, text] of Object.entries(errors)) {
        const m = /^shifts\.(\d+)\./.exec(path);
        byRow[m ? `officers_${rowOf(parsed.shifts, Number(m[1]), form)}` : path] = text;
      }
      return page(c, { form: "roster", values, errors: byRow }, statusOf(error));
    }
  });

  app.post("/admin/rosters/:id/overrides", async (c) => {
    const form = await formOf(c);
    const { t } = adminContext(c, deps).i18n;
    const values = {
      officerId: form.one("officerId"),
      kind: form.one("kind"),
      startsAt: form.one("startsAt"),
      endsAt: form.one("endsAt"),
    };
    const errors: FieldErrors = {};
    const startsAt = beijingInstant(values.startsAt);
    const endsAt = beijingInstant(values.endsAt);
    if (!startsAt) errors.startsAt = t.admErrDateTime;
    if (!endsAt) errors.endsAt = t.admErrDateTime;
    else if (startsAt && endsAt <= startsAt) errors.endsAt = t.admErrEndAfter;
    if (!values.officerId) errors.officerId = t.admErrOfficer;
    if (!startsAt || !endsAt || Object.keys(errors).length > 0)
      return page(c, { form: "override", values, errors }, 400);
    try {
      await createOverride(deps, c.get("principal"), c.req.param("id"), {
        officerId: values.officerId,
        kind: values.kind === "leave" ? "leave" : "cover",
        startsAt,
        endsAt,
      });
      return saved(c);
    } catch (error) {
      const errors = refusalToFields(error, c.get("lang"), explain(adminContext(c, deps).i18n));
      return page(c, { form: "override", values, errors }, statusOf(error));
    }
  });

  app.post("/admin/rosters/:id/overrides/:overrideId/delete", async (c) => {
    try {
      await deleteOverride(deps, c.get("principal"), c.req.param("id"), c.req.param("overrideId"));
      return saved(c);
    } catch (error) {
      const errors = refusalToFields(error, c.get("lang"), explain(adminContext(c, deps).i18n));
      return page(c, { form: "override", values: {}, errors }, statusOf(error));
    }
  });

  return app;
}

/** The form row a sent shift came from (rows expand to several shifts with "every day"). */
function rowOf(shifts: ShiftInput[], index: number, form: Awaited<ReturnType<typeof formOf>>): number {
  const rows = Number(form.one("shifts")) || 0;
  let seen = 0;
  for (let i = 0; i < rows; i++) {
    const day = form.one(`day_${i}`);
    const count =
      form.one(`remove_${i}`) === "1" || (!form.one(`start_${i}`) && !form.one(`end_${i}`))
        ? 0
        : day === "all"
          ? 7
          : 1;
    if (index < seen + count) return i;
    seen += count;
  }
  return Math.max(0, Math.min(index, shifts.length - 1));
}
