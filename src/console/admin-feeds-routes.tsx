import type { Deps } from "../deps";
import {
  configureFeedSource,
  createFeedSource,
  listFeedSources,
  rotateFeedSourceSecret,
  setFeedSourceDisabled,
} from "../feeds/admin";
import {
  ActionButton,
  doneMessage,
  Field,
  formText,
  type MessageKey,
  noStore,
  refusalText,
} from "./admin-forms";
import { AdminPage, adminContext, adminSection, Csrf, refusalStatus } from "./admin-layout";
import { type OnceItem, showOnce, takeOnce } from "./admin-once";
import type { ConsoleContext } from "./context";
import type { I18n } from "./i18n";
import { type PageContext, time } from "./layout";

const PAGE = "/console/admin/feeds";
const DONE: MessageKey[] = [
  "apDoneFeedCreated",
  "apDoneFeedRotated",
  "apDoneFeedSaved",
  "apDoneDisabled",
  "apDoneEnabled",
];

type Source = Awaited<ReturnType<typeof listFeedSources>>[number];

interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** A callback URL as typed: empty clears it; otherwise https (http too in local mode), as the use case requires. */
function parseCallback(
  deps: Pick<Deps, "config">,
  t: I18n["t"],
  typed: string,
): { url: string | null; error?: string } {
  const url = typed.trim();
  if (url === "") return { url: null };
  const allowed = deps.config.local ? ["https:", "http:"] : ["https:"];
  let ok = false;
  try {
    ok = allowed.includes(new URL(url).protocol) && url.length <= 2000;
  } catch {
    ok = false;
  }
  return ok ? { url } : { url: null, error: deps.config.local ? t.apErrCallbackLocal : t.apErrCallback };
}

function FeedsPage(props: {
  ctx: PageContext;
  sources: Source[];
  done?: string;
  error?: string;
  once?: OnceItem[];
  form?: FormState;
}) {
  const { ctx, form } = props;
  const { t } = ctx.i18n;
  return (
    <AdminPage ctx={ctx} title={t.apFeeds} done={props.done} error={props.error} once={props.once}>
      <p class="muted">{t.apFeedsIntro}</p>
      {props.sources.length === 0 && <p>{t.apFeedNone}</p>}
      <ul class="ap-list">
        {props.sources.map((s) => (
          <li class={s.disabledAt ? "off" : ""} data-source-id={s.id}>
            <h3>{s.name}</h3>
            <p class="ap-meta">
              {t.apFeedId} <code>{s.id}</code> · {t.apCreatedAt} {time(s.createdAt)} ·{" "}
              <span class={s.disabledAt ? "ap-off" : "ap-on"}>
                {s.disabledAt ? t.apDisabled : t.apEnabled}
              </span>
            </p>
            <form class="stack" method="post" action={`${PAGE}/${s.id}/callback`}>
              <Csrf ctx={ctx} />
              <Field
                id={`callback-${s.id}`}
                name="callbackUrl"
                label={t.apFeedCallback}
                hint={s.callbackUrl ? undefined : t.apFeedCallbackNone}
                type="url"
                inputmode="url"
                value={form?.values[`callback-${s.id}`] ?? s.callbackUrl ?? ""}
                error={form?.errors[`callback-${s.id}`]}
              />
              <button class="secondary" type="submit">
                {t.apFeedSaveCallback}
              </button>
            </form>
            <div class="ap-actions">
              <ActionButton ctx={ctx} action={`${PAGE}/${s.id}/rotate`} label={t.apFeedRotate} secondary />
              <ActionButton
                ctx={ctx}
                action={`${PAGE}/${s.id}/${s.disabledAt ? "enable" : "disable"}`}
                label={s.disabledAt ? t.apEnable : t.apDisable}
                secondary
              />
            </div>
            <p class="hint">{t.apFeedRotateHint}</p>
          </li>
        ))}
      </ul>
      <section class="card" aria-labelledby="feed-new">
        <h3 id="feed-new">{t.apFeedNew}</h3>
        <form class="stack" method="post" action={PAGE}>
          <Csrf ctx={ctx} />
          <Field
            id="feed-name"
            name="name"
            label={t.apName}
            required
            value={form?.values.name}
            error={form?.errors.name}
          />
          <Field
            id="feed-callback"
            name="callbackUrl"
            label={t.apFeedCallback}
            hint={t.apFeedCallbackHint}
            type="url"
            inputmode="url"
            value={form?.values.callbackUrl}
            error={form?.errors.callbackUrl}
          />
          <button class="primary" type="submit">
            {t.apCreate}
          </button>
        </form>
      </section>
    </AdminPage>
  );
}

/**
 * Feed sources in the console: list, create (secret shown once), rotate the secret (shown once), set or clear
 * the callback URL, disable and enable. The use cases (src/feeds/admin.ts) audit every change.
 */
export function adminFeedsRoutes(deps: Deps) {
  const app = adminSection("feeds", "apForbidden");

  const render = async (
    c: ConsoleContext,
    extra: { form?: FormState; error?: string } = {},
    status = 200,
  ) => {
    const ctx = adminContext(c, deps);
    const sources = await listFeedSources(deps, c.get("principal"));
    const page = (
      <FeedsPage
        ctx={ctx}
        sources={sources}
        done={doneMessage(c, ctx.i18n.t, DONE)}
        once={status === 200 ? takeOnce(deps, c) : undefined}
        {...extra}
      />
    );
    return c.html(page, status as 200, noStore);
  };
  const back = (c: ConsoleContext, done: MessageKey) => c.redirect(`${PAGE}?done=${done}`, 303);

  app.get("/admin/feeds", (c) => render(c));

  app.post("/admin/feeds", async (c) => {
    const { t } = adminContext(c, deps).i18n;
    const form = await c.req.parseBody();
    const values = { name: formText(form, "name", 200).trim(), callbackUrl: formText(form, "callbackUrl") };
    const errors: Record<string, string> = {};
    if (values.name.length < 1 || values.name.length > 100) errors.name = t.apErrName;
    const callback = parseCallback(deps, t, values.callbackUrl);
    if (callback.error) errors.callbackUrl = callback.error;
    if (Object.keys(errors).length > 0) {
      return render(c, { form: { values, errors }, error: t.apFixErrors }, 400);
    }
    const created = await createFeedSource(deps, c.get("principal"), {
      name: values.name,
      callbackUrl: callback.url,
    });
    showOnce(deps, c, PAGE, [
      { label: "apFeedId", value: created.source.id },
      { label: "apFeedSecret", value: created.secret },
    ]);
    return back(c, "apDoneFeedCreated");
  });

  app.post("/admin/feeds/:id/callback", async (c) => {
    const { t } = adminContext(c, deps).i18n;
    const id = c.req.param("id");
    const typed = formText(await c.req.parseBody(), "callbackUrl");
    const callback = parseCallback(deps, t, typed);
    if (callback.error) {
      const key = `callback-${id}`;
      return render(
        c,
        { form: { values: { [key]: typed }, errors: { [key]: callback.error } }, error: t.apFixErrors },
        400,
      );
    }
    try {
      await configureFeedSource(deps, c.get("principal"), id, { callbackUrl: callback.url });
    } catch (error) {
      return render(c, { error: refusalText(t, error) }, refusalStatus(error));
    }
    return back(c, "apDoneFeedSaved");
  });

  app.post("/admin/feeds/:id/rotate", async (c) => {
    const id = c.req.param("id");
    try {
      const { secret } = await rotateFeedSourceSecret(deps, c.get("principal"), id);
      showOnce(deps, c, PAGE, [
        { label: "apFeedId", value: id },
        { label: "apFeedSecret", value: secret },
      ]);
    } catch (error) {
      return render(c, { error: refusalText(adminContext(c, deps).i18n.t, error) }, refusalStatus(error));
    }
    return back(c, "apDoneFeedRotated");
  });

  for (const action of ["disable", "enable"] as const) {
    app.post(`/admin/feeds/:id/${action}`, async (c) => {
      try {
        await setFeedSourceDisabled(deps, c.get("principal"), c.req.param("id"), action === "disable");
      } catch (error) {
        return render(c, { error: refusalText(adminContext(c, deps).i18n.t, error) }, refusalStatus(error));
      }
      return back(c, action === "disable" ? "apDoneDisabled" : "apDoneEnabled");
    });
  }

  return app;
}
