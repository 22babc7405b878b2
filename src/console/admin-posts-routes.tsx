import { listOfficers } from "../auth/officers";
import type { Deps } from "../deps";
import type { AppError } from "../errors";
import { createPost, listPosts, renamePost, setPostDisabled } from "../organisation/jurisdiction";
import {
  AdminPage,
  adminContext,
  adminSection,
  Csrf,
  type FieldErrors,
  formOf,
  refusalStatus,
  refusalToFields,
} from "./admin-layout";
import { described, Field } from "./alert-forms";
import type { ConsoleContext } from "./context";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import type { PageContext } from "./layout";

const SECTION = "/console/admin/posts";
type Post = Awaited<ReturnType<typeof listPosts>>[number];
/** A refused form: which one (`new` or a post's id), what was typed, what is wrong. */
interface PostFormState {
  form: string;
  values: Record<string, string>;
  errors: FieldErrors;
}

const explain =
  ({ t }: I18n) =>
  (path: string, code: AppError["code"]): string | undefined => {
    if (path === "name") return code === "CONFLICT" ? t.admErrPostNameTaken : t.admErrPostName;
    if (code === "CONFLICT") return t.admErrDutyDeskDisable;
    if (code === "NOT_FOUND") return t.admNotFound;
    return undefined;
  };

function PostsPage(props: {
  ctx: PageContext;
  posts: Post[];
  officerCounts: Map<string, number>;
  state?: PostFormState;
  flash?: string;
}) {
  const { t } = props.ctx.i18n;
  const s = props.state;
  const errorOf = (form: string, field: string) => (s?.form === form ? s.errors[field] : undefined);
  const newError = errorOf("new", "name");
  return (
    <AdminPage ctx={props.ctx} title={t.admPosts} done={props.flash}>
      {s && (
        <p class="flash error" role="alert">
          {s.errors._form ?? t.errorsBelow}
        </p>
      )}
      <p class="hint">{t.admPostDisabledNote}</p>
      <table class="adm-table" id="posts">
        <thead>
          <tr>
            <th scope="col">{t.admPostName}</th>
            <th scope="col">{t.admOfficers}</th>
            <th scope="col">{t.admColStatus}</th>
            <th scope="col">{t.admDisablePost}</th>
          </tr>
        </thead>
        <tbody>
          {props.posts.map((p) => {
            const id = `name-${p.id}`;
            const error = errorOf(p.id, "name");
            return (
              <tr class={p.disabledAt ? "adm-off" : undefined} data-post={p.name}>
                <td data-label={t.admPostName}>
                  <form class="adm-inline" method="post" action={`${SECTION}/${p.id}`}>
                    <Csrf ctx={props.ctx} />
                    <div class={`field${error ? " invalid" : ""}`}>
                      {/* The column says what the field is; the label names the post for a screen reader. */}
                      <label class="sr-only" for={id}>
                        {`${t.admRename} ${p.name}`}
                      </label>
                      {p.isDutyDesk && <span class="adm-tag">{t.admDutyDesk}</span>}
                      <input
                        id={id}
                        name="name"
                        required
                        minlength={2}
                        maxlength={100}
                        value={s?.form === p.id ? (s.values.name ?? "") : p.name}
                        {...described(id, error)}
                      />
                      {error && (
                        <p class="field-error" id={`${id}-error`}>
                          {error}
                        </p>
                      )}
                    </div>
                    <button class="secondary" type="submit">
                      {t.admRename}
                    </button>
                  </form>
                </td>
                <td data-label={t.admOfficers}>
                  {fill(t.admOfficerCount, { n: props.officerCounts.get(p.id) ?? 0 })}
                </td>
                <td data-label={t.admColStatus}>
                  <span class={`adm-tag ${p.disabledAt ? "off" : "on"}`}>
                    {p.disabledAt ? t.admDisabled : t.admEnabled}
                  </span>
                </td>
                <td data-label={t.admDisablePost}>
                  {!p.isDutyDesk && (
                    <form method="post" action={`${SECTION}/${p.id}/${p.disabledAt ? "enable" : "disable"}`}>
                      <Csrf ctx={props.ctx} />
                      <button
                        class="secondary"
                        type="submit"
                        aria-label={`${p.disabledAt ? t.admEnablePost : t.admDisablePost} ${p.name}`}
                      >
                        {p.disabledAt ? t.admEnablePost : t.admDisablePost}
                      </button>
                    </form>
                  )}
                  {errorOf(p.id, "_form") && <p class="field-error">{errorOf(p.id, "_form")}</p>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form class="card stack" method="post" action={SECTION} id="new-post">
        <h3>{t.admNewPost}</h3>
        <Csrf ctx={props.ctx} />
        <Field id="new-post-name" label={t.admPostName} error={newError}>
          <input
            id="new-post-name"
            name="name"
            required
            minlength={2}
            maxlength={100}
            value={s?.form === "new" ? (s.values.name ?? "") : ""}
            {...described("new-post-name", newError)}
          />
        </Field>
        <button class="primary" type="submit">
          {t.admCreate}
        </button>
      </form>
    </AdminPage>
  );
}

/** Posts: create, rename (names unique per station: a taken name is said beside the field), disable, enable. */
export function adminPostsRoutes(deps: Deps) {
  const app = adminSection("posts");

  const page = async (
    c: ConsoleContext,
    state?: PostFormState,
    status: 200 | 400 | 403 | 404 | 409 = 200,
  ) => {
    const principal = c.get("principal");
    const ctx = adminContext(c, deps);
    const [posts, officers] = await Promise.all([listPosts(deps, principal), listOfficers(deps, principal)]);
    const counts = new Map<string, number>();
    for (const o of officers) {
      if (o.postId && !o.disabledAt) counts.set(o.postId, (counts.get(o.postId) ?? 0) + 1);
    }
    const flash = c.req.query("saved") ? ctx.i18n.t.admSaved : undefined;
    return c.html(
      <PostsPage ctx={ctx} posts={posts} officerCounts={counts} state={state} flash={flash} />,
      status,
    );
  };

  /** Runs a change from a form; saved, or the page again with the refusal beside the form's field. */
  const change = async (
    c: ConsoleContext,
    form: string,
    values: Record<string, string>,
    run: () => Promise<unknown>,
  ) => {
    const i18nOf = adminContext(c, deps).i18n;
    if ("name" in values && (values.name.length < 2 || values.name.length > 100)) {
      return page(c, { form, values, errors: { name: i18nOf.t.admErrPostName } }, 400);
    }
    try {
      await run();
      return c.redirect(`${SECTION}?saved=1`, 303);
    } catch (error) {
      const errors = refusalToFields(error, c.get("lang"), explain(i18nOf));
      return page(c, { form, values, errors }, refusalStatus(error));
    }
  };

  app.get("/admin/posts", (c) => page(c));
  app.post("/admin/posts", async (c) => {
    const name = (await formOf(c)).one("name");
    return change(c, "new", { name }, () => createPost(deps, c.get("principal"), { name }));
  });
  app.post("/admin/posts/:id", async (c) => {
    const id = c.req.param("id");
    const name = (await formOf(c)).one("name");
    return change(c, id, { name }, () => renamePost(deps, c.get("principal"), id, { name }));
  });
  for (const [path, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    app.post(`/admin/posts/:id/${path}`, async (c) => {
      const id = c.req.param("id");
      return change(c, id, {}, () => setPostDisabled(deps, c.get("principal"), id, disabled));
    });
  }
  return app;
}
