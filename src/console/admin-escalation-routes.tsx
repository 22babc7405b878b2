import { type EscalationStep, RISK_LEVELS, type RiskLevel } from "../../schema";
import { listOfficers } from "../auth/officers";
import type { Deps } from "../deps";
import type { AppError } from "../errors";
import { listPolicies, putPolicy, resetPolicy } from "../organisation/escalation-policies";
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

const SECTION = "/console/admin/escalation";
const GROUP_TARGETS = ["on_duty", "post_all", "supervisors", "duty_desk"] as const;
type Policy = Awaited<ReturnType<typeof listPolicies>>[number];
type Officer = Awaited<ReturnType<typeof listOfficers>>[number];
interface PolicyFormState {
  level: RiskLevel;
  values: Record<string, string | string[]>;
  errors: FieldErrors;
}
type Row = { targets: string[]; officer: string; wait: string };

const explain =
  ({ t }: I18n) =>
  (path: string, code: AppError["code"]): string | undefined => {
    if (path.includes("officerId")) return t.admErrPageable;
    if (code === "NOT_FOUND") return t.admNotFound;
    return undefined;
  };

/** The policy form as steps, each checked beside its fields; an empty row is not a step. */
function parsePolicy(form: Awaited<ReturnType<typeof formOf>>, { t }: I18n) {
  const errors: FieldErrors = {};
  const rows = Math.min(Number(form.one("steps")) || 0, 11);
  const steps: EscalationStep[] = [];
  const rowOfStep: number[] = [];
  for (let i = 0; i < rows; i++) {
    const targets = form.all(`targets_${i}`).filter((k) => (GROUP_TARGETS as readonly string[]).includes(k));
    const officer = form.one(`officer_${i}`);
    const waitText = form.one(`wait_${i}`);
    if (form.one(`remove_${i}`) === "1" || (targets.length === 0 && !officer && !waitText)) continue;
    const wait = /^\d{1,4}$/.test(waitText) ? Number(waitText) : 0;
    if (wait < 1 || wait > 1440) errors[`wait_${i}`] = t.admErrWait;
    if (targets.length === 0 && !officer) errors[`targets_${i}`] = t.admErrTargets;
    steps.push({
      waitMinutes: wait,
      targets: [
        ...targets.map((kind) => ({ kind: kind as (typeof GROUP_TARGETS)[number] })),
        ...(officer ? [{ kind: "officer" as const, officerId: officer }] : []),
      ],
    });
    rowOfStep.push(i);
  }
  if (steps.length === 0 || steps.length > 10) errors._form = t.admErrSteps;
  return { steps, rowOfStep, errors };
}

function PolicyCard(props: {
  ctx: PageContext;
  policy: Policy;
  officers: Officer[];
  state?: PolicyFormState;
}) {
  const { i18n } = props.ctx;
  const { t, label } = i18n;
  const p = props.policy;
  const name = new Map(props.officers.map((o) => [o.id, o.displayName]));
  const sep = i18n.lang === "zh" ? "、" : ", ";
  const targetText = (step: EscalationStep) =>
    step.targets
      .map((tg) =>
        tg.kind === "officer"
          ? (name.get(tg.officerId ?? "") ?? label.escalationTarget.officer)
          : label.escalationTarget[tg.kind],
      )
      .join(sep);
  const typed = props.state?.values;
  const e = props.state?.errors ?? {};
  const text = (n: string) => (typeof typed?.[n] === "string" ? (typed[n] as string) : "");
  const list = (n: string) => {
    const v = typed?.[n];
    return Array.isArray(v) ? v : typeof v === "string" && v ? [v] : [];
  };
  const rows: Row[] = typed
    ? Array.from({ length: Number(text("steps")) || 0 }, (_, i) => ({
        targets: list(`targets_${i}`),
        officer: text(`officer_${i}`),
        wait: text(`wait_${i}`),
      }))
    : [
        ...p.steps.map((s) => ({
          targets: s.targets.filter((tg) => tg.kind !== "officer").map((tg) => tg.kind as string),
          officer: s.targets.find((tg) => tg.kind === "officer")?.officerId ?? "",
          wait: String(s.waitMinutes),
        })),
        { targets: [], officer: "", wait: "" },
      ];
  const id = (f: string, i: number) => `${p.riskLevel}-${f}-${i}`;
  const pageable = props.officers.filter((o) => !o.disabledAt && o.phone);
  return (
    <section class="card" id={`policy-${p.riskLevel}`} aria-labelledby={`h-${p.riskLevel}`}>
      <h3 id={`h-${p.riskLevel}`}>
        {fill(t.admLevelPolicy, { level: label.risk[p.riskLevel] })}{" "}
        <span class={`adm-tag ${p.default ? "" : "on"}`}>
          {p.default ? t.admPolicyDefault : t.admPolicyCustom}
        </span>
      </h3>
      <ol class="plain">
        {p.steps.map((s) => (
          <li>{fill(t.admStepSummary, { targets: targetText(s), minutes: s.waitMinutes })}</li>
        ))}
      </ol>
      <form class="stack" method="post" action={`${SECTION}/${p.riskLevel}`}>
        {props.state && (
          <p class="flash error" role="alert">
            {e._form ?? t.errorsBelow}
          </p>
        )}
        <Csrf ctx={props.ctx} />
        <input type="hidden" name="steps" value={String(rows.length)} />
        {rows.map((row, i) => (
          <fieldset class="adm-shift">
            <legend>{i === rows.length - 1 && !typed ? t.admNewStep : fill(t.admStepN, { n: i + 1 })}</legend>
            <fieldset class="adm-checks">
              <legend>{t.admTargets}</legend>
              {GROUP_TARGETS.map((k) => (
                <label class="chip">
                  <input type="checkbox" name={`targets_${i}`} value={k} checked={row.targets.includes(k)} />
                  {label.escalationTarget[k]}
                </label>
              ))}
            </fieldset>
            {e[`targets_${i}`] && <p class="field-error">{e[`targets_${i}`]}</p>}
            <Field id={id("officer", i)} label={t.admSpecificOfficer} error={e[`officer_${i}`]}>
              <select
                id={id("officer", i)}
                name={`officer_${i}`}
                {...described(id("officer", i), e[`officer_${i}`])}
              >
                <option value="">{t.admNone}</option>
                {pageable.map((o) => (
                  <option value={o.id} selected={row.officer === o.id}>
                    {o.displayName}
                  </option>
                ))}
              </select>
            </Field>
            <Field id={id("wait", i)} label={t.admWait} error={e[`wait_${i}`]}>
              <input
                id={id("wait", i)}
                name={`wait_${i}`}
                inputmode="numeric"
                maxlength={4}
                value={row.wait}
                {...described(id("wait", i), e[`wait_${i}`])}
              />
            </Field>
            {!(i === rows.length - 1 && !typed) && (
              <label class="chip">
                <input type="checkbox" name={`remove_${i}`} value="1" />
                {t.admRemove}
              </label>
            )}
          </fieldset>
        ))}
        <button class="primary" type="submit">
          {t.admSave}
        </button>
      </form>
      {!p.default && (
        <form method="post" action={`${SECTION}/${p.riskLevel}/reset`}>
          <Csrf ctx={props.ctx} />
          <p>
            <button class="secondary" type="submit">
              {t.admResetPolicy}
            </button>
          </p>
        </form>
      )}
    </section>
  );
}

/** Escalation policies: each risk level's steps as a form; the default shown where none was written. */
export function adminEscalationRoutes(deps: Deps) {
  const app = adminSection("escalation");

  const page = async (c: ConsoleContext, state?: PolicyFormState, status: 200 | 400 | 409 = 200) => {
    const principal = c.get("principal");
    const ctx = adminContext(c, deps);
    const [policies, officers] = await Promise.all([
      listPolicies(deps, principal),
      listOfficers(deps, principal),
    ]);
    const { t } = ctx.i18n;
    return c.html(
      <AdminPage ctx={ctx} title={t.admEscalation} done={c.req.query("saved") ? t.admSaved : undefined}>
        <p class="hint">{t.admEscalationIntro}</p>
        <div class="adm-grid">
          {policies.map((p) => (
            <PolicyCard
              ctx={ctx}
              policy={p}
              officers={officers}
              state={state?.level === p.riskLevel ? state : undefined}
            />
          ))}
        </div>
      </AdminPage>,
      status,
    );
  };

  const levelOf = (c: ConsoleContext) => {
    const level = c.req.param("level") as RiskLevel;
    return (RISK_LEVELS as readonly string[]).includes(level) ? level : undefined;
  };

  app.get("/admin/escalation", (c) => page(c));
  app.post("/admin/escalation/:level", async (c) => {
    const level = levelOf(c);
    if (!level) return c.notFound();
    const form = await formOf(c);
    const i18nOf = adminContext(c, deps).i18n;
    const values = Object.fromEntries(
      form.names
        .filter((n) => n !== "_csrf")
        .map((n) => [n, n.startsWith("targets_") ? form.all(n) : form.one(n)]),
    );
    const parsed = parsePolicy(form, i18nOf);
    if (Object.keys(parsed.errors).length > 0) return page(c, { level, values, errors: parsed.errors }, 400);
    try {
      await putPolicy(deps, c.get("principal"), level, parsed.steps);
      return c.redirect(`${SECTION}?saved=1#policy-${level}`, 303);
    } catch (error) {
      const errors: FieldErrors = {};
      for (const [path, text] of Object.entries(refusalToFields(error, c.get("lang"), explain(i18nOf)))) {
        const m = /^steps\.(\d+)\./.exec(path);
        errors[m ? `officer_${parsed.rowOfStep[Number(m[1])] ?? 0}` : path] = text;
      }
      const status = refusalStatus(error);
      return page(c, { level, values, errors }, status === 409 ? 409 : 400);
    }
  });
  app.post("/admin/escalation/:level/reset", async (c) => {
    const level = levelOf(c);
    if (!level) return c.notFound();
    await resetPolicy(deps, c.get("principal"), level);
    return c.redirect(`${SECTION}?saved=1`, 303);
  });
  return app;
}
