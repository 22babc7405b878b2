import { shanghaiDate } from "../calendar";
import { SMS_SIGNATURE_PATTERN } from "../config";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import {
  addTemplate,
  checkCampaignTemplate,
  createCampaign,
  getCampaign,
  listCampaigns,
  setTemplateDisabled,
  updateCampaign,
} from "../parcels/campaigns";
import { templateProblemText } from "../parcels/template-messages";
import {
  addTemplateSignature,
  listTemplateSignatures,
  removeTemplateSignature,
} from "../parcels/template-signatures";
import {
  CAMPAIGNS_PAGE,
  CampaignPage,
  CampaignsPage,
  type CheckView,
  checkView,
  type FormState,
  parseCampaignForm,
} from "./admin-campaigns-view";
import { doneMessage, formText, type MessageKey, noStore, refusalText } from "./admin-forms";
import { historyOf } from "./admin-history";
import { adminContext, adminSection, refusalStatus } from "./admin-layout";
import type { ConsoleContext } from "./context";

const DONE: MessageKey[] = [
  "apDoneCampaignCreated",
  "apDoneCampaignSaved",
  "apDoneTemplateAdded",
  "apDoneSignatureAdded",
  "apDoneSignatureRemoved",
  "apDoneDisabled",
  "apDoneEnabled",
];

/**
 * Campaigns and templates in the console: list and create campaigns (areas, dates, priority), change or
 * disable one, add templates checked as the admin types (the JSON check below, in the page's language) and
 * again on submit (the same rules, src/parcels/template-rules.ts), take templates in and out of rotation, and
 * allow-list further signatures. The use cases (src/parcels/campaigns.ts) audit every change.
 */
export function adminCampaignsRoutes(deps: Deps) {
  const app = adminSection("campaigns", "apForbidden");

  const today = () => shanghaiDate(deps.clock.now());

  const renderList = async (
    c: ConsoleContext,
    extra: { form?: FormState; signatureForm?: FormState; error?: string } = {},
    status = 200,
  ) => {
    const ctx = adminContext(c, deps);
    const principal = c.get("principal");
    const [campaigns, signatures] = await Promise.all([
      listCampaigns(deps, principal),
      listTemplateSignatures(deps, principal),
    ]);
    const page = (
      <CampaignsPage
        ctx={ctx}
        campaigns={campaigns}
        signatures={signatures}
        today={today()}
        done={doneMessage(c, ctx.i18n.t, DONE)}
        {...extra}
      />
    );
    return c.html(page, status as 200, noStore);
  };

  const renderOne = async (
    c: ConsoleContext,
    id: string,
    extra: { form?: FormState; error?: string; template?: { body: string; check: CheckView } } = {},
    status = 200,
  ) => {
    const ctx = adminContext(c, deps);
    const principal = c.get("principal");
    let campaign: Awaited<ReturnType<typeof getCampaign>>;
    try {
      campaign = await getCampaign(deps, principal, id);
    } catch (error) {
      return renderList(c, { error: refusalText(ctx.i18n.t, error) }, refusalStatus(error));
    }
    const [signatures, history] = await Promise.all([
      listTemplateSignatures(deps, principal),
      historyOf(deps, principal, id),
    ]);
    const page = (
      <CampaignPage
        history={history}
        ctx={ctx}
        campaign={campaign}
        signatures={signatures}
        today={today()}
        done={doneMessage(c, ctx.i18n.t, DONE)}
        {...extra}
      />
    );
    return c.html(page, status as 200, noStore);
  };

  const to = (c: ConsoleContext, path: string, done: MessageKey) => c.redirect(`${path}?done=${done}`, 303);

  /** The template check in the page's language: the same rules and signatures the save will apply. */
  const check = async (c: ConsoleContext, body: string) => {
    const { t, lang } = adminContext(c, deps).i18n;
    const result = await checkCampaignTemplate(deps, c.get("principal"), body);
    return checkView(t, result, (p) => templateProblemText(p, lang));
  };

  app.get("/admin/campaigns", (c) => renderList(c));

  app.post("/admin/campaigns", async (c) => {
    const { t } = adminContext(c, deps).i18n;
    const parsed = parseCampaignForm(t, await c.req.parseBody());
    if (!parsed.ok) return renderList(c, { form: parsed.state, error: t.apFixErrors }, 400);
    const created = await createCampaign(deps, c.get("principal"), parsed.input);
    return to(c, `${CAMPAIGNS_PAGE}/${created.id}`, "apDoneCampaignCreated");
  });

  // Registered before "/admin/campaigns/:id" so these paths are not taken for an id.
  app.post("/admin/campaigns/check", async (c) => {
    const body = formText(await c.req.parseBody(), "body", 1000);
    return c.json(await check(c, body), 200, noStore);
  });

  app.post("/admin/campaigns/signatures", async (c) => {
    const { t } = adminContext(c, deps).i18n;
    const signature = formText(await c.req.parseBody(), "signature", 40).trim();
    const own = (await listTemplateSignatures(deps, c.get("principal"))).own;
    const error = !SMS_SIGNATURE_PATTERN.test(signature)
      ? t.apErrSignature
      : signature === own
        ? t.apErrSignatureOwn
        : undefined;
    if (error) {
      const signatureForm = { values: { signature }, errors: { signature: error } };
      return renderList(c, { signatureForm, error: t.apFixErrors }, 400);
    }
    await addTemplateSignature(deps, c.get("principal"), signature);
    return to(c, CAMPAIGNS_PAGE, "apDoneSignatureAdded");
  });

  app.post("/admin/campaigns/signatures/remove", async (c) => {
    const signature = formText(await c.req.parseBody(), "signature", 40);
    try {
      await removeTemplateSignature(deps, c.get("principal"), signature);
    } catch (error) {
      return renderList(c, { error: refusalText(adminContext(c, deps).i18n.t, error) }, refusalStatus(error));
    }
    return to(c, CAMPAIGNS_PAGE, "apDoneSignatureRemoved");
  });

  app.get("/admin/campaigns/:id", (c) => renderOne(c, c.req.param("id")));

  app.post("/admin/campaigns/:id", async (c) => {
    const id = c.req.param("id");
    const { t } = adminContext(c, deps).i18n;
    const parsed = parseCampaignForm(t, await c.req.parseBody());
    if (!parsed.ok) return renderOne(c, id, { form: parsed.state, error: t.apFixErrors }, 400);
    try {
      await updateCampaign(deps, c.get("principal"), id, parsed.input);
    } catch (error) {
      return renderOne(c, id, { error: refusalText(t, error) }, refusalStatus(error));
    }
    return to(c, `${CAMPAIGNS_PAGE}/${id}`, "apDoneCampaignSaved");
  });

  app.post("/admin/campaigns/:id/templates", async (c) => {
    const id = c.req.param("id");
    const { t } = adminContext(c, deps).i18n;
    const body = formText(await c.req.parseBody(), "body", 1000);
    try {
      await addTemplate(deps, c.get("principal"), id, body);
    } catch (error) {
      // Refused by the rules: the page again, the text kept, each refusal said in the page's language.
      if (error instanceof AppError && error.code === "VALIDATION_FAILED") {
        return renderOne(
          c,
          id,
          { template: { body, check: await check(c, body) }, error: t.apFixErrors },
          400,
        );
      }
      return renderOne(c, id, { error: refusalText(t, error) }, refusalStatus(error));
    }
    return to(c, `${CAMPAIGNS_PAGE}/${id}`, "apDoneTemplateAdded");
  });

  for (const action of ["disable", "enable"] as const) {
    app.post(`/admin/campaigns/:id/${action}`, async (c) => {
      const id = c.req.param("id");
      try {
        await updateCampaign(deps, c.get("principal"), id, { disabled: action === "disable" });
      } catch (error) {
        return renderOne(
          c,
          id,
          { error: refusalText(adminContext(c, deps).i18n.t, error) },
          refusalStatus(error),
        );
      }
      return to(c, `${CAMPAIGNS_PAGE}/${id}`, action === "disable" ? "apDoneDisabled" : "apDoneEnabled");
    });
    app.post(`/admin/campaigns/:id/templates/:templateId/${action}`, async (c) => {
      const id = c.req.param("id");
      try {
        await setTemplateDisabled(
          deps,
          c.get("principal"),
          id,
          c.req.param("templateId"),
          action === "disable",
        );
      } catch (error) {
        return renderOne(
          c,
          id,
          { error: refusalText(adminContext(c, deps).i18n.t, error) },
          refusalStatus(error),
        );
      }
      return to(c, `${CAMPAIGNS_PAGE}/${id}`, action === "disable" ? "apDoneDisabled" : "apDoneEnabled");
    });
  }

  return app;
}
