import type { Deps } from "../deps";
import { AppError } from "../errors";
import { addOptOut, listOptOuts, removeOptOut } from "../opt-outs/admin";
import { maskPhone, normalizePhone } from "../privacy/phone";
import { doneMessage, Field, formText, type MessageKey, noStore, refusalText } from "./admin-forms";
import { AdminPage, adminContext, adminSection, Csrf, refusalStatus } from "./admin-layout";
import type { ConsoleContext } from "./context";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import { type PageContext, time } from "./layout";

const PAGE = "/console/admin/opt-outs";
const PAGE_SIZE = 50;
const DONE: MessageKey[] = ["apDoneOptOutAdded", "apDoneOptOutExists", "apDoneOptOutRemoved"];

type Listed = Awaited<ReturnType<typeof listOptOuts>>;
type T = I18n["t"];

interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
}

const sourceLabel = (t: T, source: string) =>
  source === "admin"
    ? t.apOptOutSourceAdmin
    : source === "inbound"
      ? t.apOptOutSourceInbound
      : t.apOptOutSourceOther;

function parseReason(t: T, typed: string): { reason?: string; error?: string } {
  const reason = typed.trim();
  return reason.length < 2 || reason.length > 200 ? { error: t.apErrReason } : { reason };
}

function OptOutsPage(props: {
  ctx: PageContext;
  listed?: Listed;
  /** The number searched for, masked: never echoed in full. */
  searchedMasked?: string;
  search: FormState;
  add?: FormState;
  remove?: { id: string; state: FormState };
  done?: string;
  error?: string;
  nextHref?: string;
}) {
  const { ctx, listed } = props;
  const { t } = ctx.i18n;
  return (
    <AdminPage ctx={ctx} title={t.apOptOuts} done={props.done} error={props.error}>
      <p class="muted">{t.apOptOutsIntro}</p>
      <form class="ap-inline" method="get" action={PAGE}>
        <Field
          id="optout-search"
          name="phone"
          label={t.apOptOutSearch}
          type="tel"
          inputmode="tel"
          value={props.search.values.phone}
          error={props.search.errors.phone}
        />
        <button class="secondary" type="submit">
          {t.apOptOutSearchButton}
        </button>
      </form>
      {props.searchedMasked && (
        <p>
          <a class="back" href={PAGE}>
            {t.apOptOutShowAll}
          </a>
        </p>
      )}
      {listed && listed.optOuts.length === 0 && (
        <p>
          {props.searchedMasked ? fill(t.apOptOutNoneFor, { phone: props.searchedMasked }) : t.apOptOutNone}
        </p>
      )}
      <ul class="ap-list">
        {listed?.optOuts.map((o) => {
          const removing = props.remove?.id === o.id ? props.remove.state : undefined;
          return (
            <li data-opt-out={o.id}>
              <h3 class="phone">{o.to}</h3>
              <p class="ap-meta">
                {t.apOptOutSource}: {sourceLabel(t, o.source)}
                {o.keyword ? ` · ${t.apOptOutKeyword}: ${o.keyword}` : ""} · {t.apOptOutAt}{" "}
                {time(o.createdAt)}
              </p>
              <form class="ap-inline" method="post" action={`${PAGE}/remove`}>
                <Csrf ctx={ctx} />
                <input type="hidden" name="id" value={o.id} />
                <Field
                  id={`remove-${o.id.slice(0, 12)}`}
                  name="reason"
                  label={t.apOptOutRemoveReason}
                  required
                  value={removing?.values.reason}
                  error={removing?.errors.reason}
                />
                <button class="secondary" type="submit">
                  {t.apOptOutRemove}
                </button>
              </form>
            </li>
          );
        })}
      </ul>
      {props.nextHref && (
        <p class="ap-pager">
          <a href={props.nextHref}>{t.apOptOutMore}</a>
        </p>
      )}
      <section class="card" aria-labelledby="optout-add">
        <h3 id="optout-add">{t.apOptOutAdd}</h3>
        <form class="stack" method="post" action={PAGE}>
          <Csrf ctx={ctx} />
          <Field
            id="optout-phone"
            name="phone"
            label={t.apOptOutPhone}
            type="tel"
            inputmode="tel"
            required
            value={props.add?.values.phone}
            error={props.add?.errors.phone}
          />
          <Field
            id="optout-reason"
            name="reason"
            label={t.apOptOutReason}
            hint={t.apOptOutReasonAddHint}
            required
            value={props.add?.values.reason}
            error={props.add?.errors.reason}
          />
          <button class="primary" type="submit">
            {t.apOptOutAdd}
          </button>
        </form>
      </section>
    </AdminPage>
  );
}

/**
 * Opt-outs in the console: find a number, record one, remove one with a reason. The use cases
 * (src/opt-outs/admin.ts) audit each change with its reason; numbers are shown masked, and a searched number
 * never goes back into the page in full (only in the search field the admin typed it in).
 */
export function adminOptOutsRoutes(deps: Deps) {
  const app = adminSection("opt-outs", "apForbidden");

  const render = async (
    c: ConsoleContext,
    extra: { add?: FormState; remove?: { id: string; state: FormState }; error?: string } = {},
    status = 200,
  ) => {
    const ctx = adminContext(c, deps);
    const { t } = ctx.i18n;
    const typed = (c.req.query("phone") ?? "").slice(0, 40);
    const cursor = c.req.query("cursor");
    const search: FormState = { values: { phone: typed }, errors: {} };
    const phone = typed.trim() ? normalizePhone(typed) : undefined;
    let listed: Listed | undefined;
    if (typed.trim() && !phone) {
      search.errors.phone = t.apErrPhone;
    } else {
      try {
        listed = await listOptOuts(deps, c.get("principal"), {
          limit: PAGE_SIZE,
          cursor,
          phone: phone ?? undefined,
        });
      } catch (error) {
        // A cursor someone edited: the first page instead.
        if (!(error instanceof AppError) || error.code !== "VALIDATION_FAILED") throw error;
        listed = await listOptOuts(deps, c.get("principal"), { limit: PAGE_SIZE, phone: phone ?? undefined });
      }
    }
    // The search typed by the admin stays out of the address bar of the next page: the cursor alone pages on.
    const nextHref =
      listed?.nextCursor && !phone ? `${PAGE}?cursor=${encodeURIComponent(listed.nextCursor)}` : undefined;
    const page = (
      <OptOutsPage
        ctx={{ ...ctx, path: phone ? PAGE : ctx.path }}
        listed={listed}
        searchedMasked={phone ? maskPhone(phone) : undefined}
        search={search}
        done={doneMessage(c, t, DONE)}
        nextHref={nextHref}
        {...extra}
      />
    );
    return c.html(page, (search.errors.phone ? 400 : status) as 200, noStore);
  };

  app.get("/admin/opt-outs", (c) => render(c));

  app.post("/admin/opt-outs", async (c) => {
    const { t } = adminContext(c, deps).i18n;
    const form = await c.req.parseBody();
    const values = { phone: formText(form, "phone", 40), reason: formText(form, "reason", 400) };
    const errors: Record<string, string> = {};
    if (!normalizePhone(values.phone)) errors.phone = t.apErrPhone;
    const reason = parseReason(t, values.reason);
    if (reason.error) errors.reason = reason.error;
    if (Object.keys(errors).length > 0)
      return render(c, { add: { values, errors }, error: t.apFixErrors }, 400);
    const added = await addOptOut(deps, c.get("principal"), { phone: values.phone, reason: reason.reason });
    return c.redirect(`${PAGE}?done=${added.created ? "apDoneOptOutAdded" : "apDoneOptOutExists"}`, 303);
  });

  app.post("/admin/opt-outs/remove", async (c) => {
    const { t } = adminContext(c, deps).i18n;
    const form = await c.req.parseBody();
    const id = formText(form, "id", 200);
    const typed = formText(form, "reason", 400);
    const reason = parseReason(t, typed);
    if (reason.error) {
      const remove = { id, state: { values: { reason: typed }, errors: { reason: reason.error } } };
      return render(c, { remove, error: t.apFixErrors }, 400);
    }
    try {
      await removeOptOut(deps, c.get("principal"), id, reason.reason);
    } catch (error) {
      return render(c, { error: refusalText(t, error) }, refusalStatus(error));
    }
    return c.redirect(`${PAGE}?done=apDoneOptOutRemoved`, 303);
  });

  return app;
}
