import type { Deps } from "../deps";
import type { AppError } from "../errors";
import {
  createRule,
  deleteRule,
  listPosts,
  listRules,
  type RuleKind,
  tryRoute,
} from "../organisation/jurisdiction";
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

const SECTION = "/console/admin/rules";
type Post = Awaited<ReturnType<typeof listPosts>>[number];
type Rule = Awaited<ReturnType<typeof listRules>>[number];
const KINDS: RuleKind[] = ["area_prefix", "address_keyword"];
const kindLabel = ({ t }: I18n, kind: string) =>
  kind === "area_prefix" ? t.admKindAreaPrefix : t.admKindAddressKeyword;

interface RuleFormState {
  values: Record<string, string>;
  errors: FieldErrors;
}
interface TryOut {
  values: { code: string; address: string };
  errors: FieldErrors;
  answer?: string;
}

const explain =
  ({ t }: I18n) =>
  (path: string, code: AppError["code"]): string | undefined => {
    if (path === "pattern") return code === "CONFLICT" ? t.admErrRuleTaken : t.admErrPattern;
    if (path === "postId") return t.admErrRulePost;
    if (code === "NOT_FOUND") return t.admNotFound;
    return undefined;
  };

function checkRule(v: Record<string, string>, { t }: I18n): FieldErrors {
  const errors: FieldErrors = {};
  if (!(KINDS as string[]).includes(v.kind ?? "")) errors.kind = t.admErrPattern;
  const pattern = v.pattern ?? "";
  if (v.kind === "area_prefix" && !/^\d{2,12}$/.test(pattern)) errors.pattern = t.admErrPatternPrefix;
  else if (pattern.length < 2 || pattern.length > 50) errors.pattern = t.admErrPattern;
  if (!v.postId) errors.postId = t.admErrRulePost;
  return errors;
}

function RulesPage(props: {
  ctx: PageContext;
  rules: Rule[];
  posts: Post[];
  state?: RuleFormState;
  tryOut: TryOut;
  flash?: string;
}) {
  const { i18n } = props.ctx;
  const { t } = i18n;
  const post = new Map(props.posts.map((p) => [p.id, p]));
  const v = props.state?.values ?? {};
  const e = props.state?.errors ?? {};
  const tv = props.tryOut.values;
  const te = props.tryOut.errors;
  return (
    <AdminPage ctx={props.ctx} title={t.admRules} done={props.flash}>
      <p class="hint">{t.admRuleHint}</p>
      <form class="card stack" method="get" action={SECTION} id="try">
        <h3>{t.admTry}</h3>
        <div class="adm-inline">
          <Field id="try-code" label={t.admTryCode} error={te.code}>
            <input
              id="try-code"
              name="code"
              inputmode="numeric"
              maxlength={12}
              value={tv.code}
              {...described("try-code", te.code)}
            />
          </Field>
          <Field id="try-address" label={t.admTryAddress} error={te.address}>
            <input
              id="try-address"
              name="address"
              maxlength={200}
              value={tv.address}
              {...described("try-address", te.address)}
            />
          </Field>
          <button class="primary" type="submit">
            {t.admTryButton}
          </button>
        </div>
        {props.tryOut.answer && (
          <p class="flash ok adm-result" role="status" id="try-answer">
            {props.tryOut.answer}
          </p>
        )}
      </form>
      {props.rules.length === 0 ? (
        <p>{t.admNoRules}</p>
      ) : (
        <table class="adm-table" id="rules">
          <thead>
            <tr>
              <th scope="col">{t.admRuleKind}</th>
              <th scope="col">{t.admPattern}</th>
              <th scope="col">{t.admRulePost}</th>
              <th scope="col">{t.admRemove}</th>
            </tr>
          </thead>
          <tbody>
            {props.rules.map((r) => {
              const to = post.get(r.postId);
              return (
                <tr class={to?.disabledAt ? "adm-off" : undefined} data-rule={r.pattern}>
                  <td data-label={t.admRuleKind}>{kindLabel(i18n, r.kind)}</td>
                  <td data-label={t.admPattern}>{r.pattern}</td>
                  <td data-label={t.admRulePost}>
                    {to?.name ?? "—"}
                    {to?.disabledAt && (
                      <span class="muted">
                        {i18n.lang === "zh" ? `（${t.admRuleInactive}）` : ` (${t.admRuleInactive})`}
                      </span>
                    )}
                  </td>
                  <td data-label={t.admRemove}>
                    <form method="post" action={`${SECTION}/${r.id}/delete`}>
                      <Csrf ctx={props.ctx} />
                      <button
                        class="secondary"
                        type="submit"
                        aria-label={`${t.admRemove} ${kindLabel(i18n, r.kind)} ${r.pattern}`}
                      >
                        {t.admRemove}
                      </button>
                    </form>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form class="card stack" method="post" action={SECTION} id="new-rule">
        <h3>{t.admNewRule}</h3>
        {props.state && (
          <p class="flash error" role="alert">
            {e._form ?? t.errorsBelow}
          </p>
        )}
        <Csrf ctx={props.ctx} />
        <Field id="rule-kind" label={t.admRuleKind} error={e.kind}>
          <select id="rule-kind" name="kind" {...described("rule-kind", e.kind)}>
            {KINDS.map((k) => (
              <option value={k} selected={v.kind === k}>
                {kindLabel(i18n, k)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="rule-pattern" label={t.admPattern} error={e.pattern} hint={t.admPatternHint}>
          <input
            id="rule-pattern"
            name="pattern"
            required
            maxlength={50}
            value={v.pattern ?? ""}
            {...described("rule-pattern", e.pattern, true)}
          />
        </Field>
        <Field id="rule-post" label={t.admRulePost} error={e.postId}>
          <select id="rule-post" name="postId" required {...described("rule-post", e.postId)}>
            {props.posts
              .filter((p) => !p.disabledAt)
              .map((p) => (
                <option value={p.id} selected={v.postId === p.id}>
                  {p.name}
                </option>
              ))}
          </select>
        </Field>
        <button class="primary" type="submit">
          {t.admCreate}
        </button>
      </form>
    </AdminPage>
  );
}

/**
 * Jurisdiction rules: the list, add, remove, and the try-out ("which post would this area go to, and why"),
 * answered by the same routing the push stage uses (src/organisation/jurisdiction.ts `tryRoute`).
 */
export function adminRulesRoutes(deps: Deps) {
  const app = adminSection("rules");

  const page = async (c: ConsoleContext, state?: RuleFormState, status: 200 | 400 | 404 | 409 = 200) => {
    const principal = c.get("principal");
    const ctx = adminContext(c, deps);
    const { i18n } = ctx;
    const [rules, posts] = await Promise.all([listRules(deps, principal), listPosts(deps, principal)]);
    const values = {
      code: (c.req.query("code") ?? "").trim().slice(0, 12),
      address: (c.req.query("address") ?? "").trim().slice(0, 200),
    };
    const tryOut: TryOut = { values, errors: {} };
    if (c.req.query("code") !== undefined || c.req.query("address") !== undefined) {
      if (values.code && !/^\d{2,12}$/.test(values.code)) tryOut.errors.code = i18n.t.admErrTryCode;
      else if (!values.code && !values.address) tryOut.errors.code = i18n.t.admErrTryEmpty;
      else {
        const route = await tryRoute(deps, principal, {
          code: values.code || undefined,
          address: values.address || undefined,
        });
        const rule = rules.find((r) => r.id === route.routedBy);
        tryOut.answer = rule
          ? fill(i18n.t.admTryByRule, {
              post: route.postName,
              kind: kindLabel(i18n, rule.kind),
              pattern: rule.pattern,
            })
          : fill(i18n.t.admTryByDesk, { post: route.postName });
      }
    }
    const flash = c.req.query("saved") ? i18n.t.admSaved : undefined;
    const answerStatus = Object.keys(tryOut.errors).length > 0 ? 400 : status;
    return c.html(
      <RulesPage ctx={ctx} rules={rules} posts={posts} state={state} tryOut={tryOut} flash={flash} />,
      answerStatus,
    );
  };

  app.get("/admin/rules", (c) => page(c));
  app.post("/admin/rules", async (c) => {
    const { one } = await formOf(c);
    const values = { kind: one("kind"), pattern: one("pattern"), postId: one("postId") };
    const i18nOf = adminContext(c, deps).i18n;
    const errors = checkRule(values, i18nOf);
    if (Object.keys(errors).length > 0) return page(c, { values, errors }, 400);
    try {
      await createRule(deps, c.get("principal"), { ...values, kind: values.kind as RuleKind });
      return c.redirect(`${SECTION}?saved=1`, 303);
    } catch (error) {
      return page(
        c,
        { values, errors: refusalToFields(error, c.get("lang"), explain(i18nOf)) },
        refusalStatus(error) === 403 ? 400 : (refusalStatus(error) as 400 | 404 | 409),
      );
    }
  });
  app.post("/admin/rules/:id/delete", async (c) => {
    try {
      await deleteRule(deps, c.get("principal"), c.req.param("id"));
      return c.redirect(`${SECTION}?saved=1`, 303);
    } catch (error) {
      const i18nOf = adminContext(c, deps).i18n;
      return page(c, { values: {}, errors: refusalToFields(error, c.get("lang"), explain(i18nOf)) }, 404);
    }
  });
  return app;
}
