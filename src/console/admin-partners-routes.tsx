import type { Deps } from "../deps";
import {
  configurePartner,
  createPartner,
  createPartnerKey,
  getPartner,
  listPartnerKeys,
  listPartners,
  revokePartnerKey,
  rotateWebhookSecret,
  setPartnerDisabled,
} from "../partners/admin";
import { partnerQuotas } from "../reports/partner-quotas";
import { doneMessage, formText, type MessageKey, noStore, refusalText } from "./admin-forms";
import { historyOf } from "./admin-history";
import { adminContext, adminSection, refusalStatus } from "./admin-layout";
import { showOnce, takeOnce } from "./admin-once";
import {
  FIELDS,
  type FormState,
  PARTNERS_PAGE as PAGE,
  type Partner,
  PartnerPage,
  PartnersPage,
  parsePartnerForm,
  smsApiRefusal,
} from "./admin-partners-view";
import type { ConsoleContext } from "./context";

const DONE: MessageKey[] = [
  "apDonePartnerCreated",
  "apDonePartnerSaved",
  "apDoneKeyCreated",
  "apDoneTestKeyCreated",
  "apDoneKeyRevoked",
  "apDoneWebhookRotated",
  "apDoneDisabled",
  "apDoneEnabled",
];

/**
 * Partners in the console: list with today's use against the daily quota, create (first API key and webhook
 * secret shown once), settings (channel, parts per second, quota, SMS API), API keys (create shown once,
 * revoke), webhook secret, disable and enable. The use cases (src/partners/admin.ts) audit every change.
 */
export function adminPartnersRoutes(deps: Deps) {
  const app = adminSection("partners", "apForbidden");

  const quotasOf = async (c: ConsoleContext) =>
    new Map((await partnerQuotas(deps, c.get("principal").stationId)).partners.map((q) => [q.partnerId, q]));

  const renderList = async (
    c: ConsoleContext,
    extra: { form?: FormState; error?: string } = {},
    status = 200,
  ) => {
    const ctx = adminContext(c, deps);
    const [partners, quotas] = await Promise.all([listPartners(deps, c.get("principal")), quotasOf(c)]);
    const page = (
      <PartnersPage
        ctx={ctx}
        partners={partners}
        quotas={quotas}
        done={doneMessage(c, ctx.i18n.t, DONE)}
        once={status === 200 ? takeOnce(deps, c) : undefined}
        {...extra}
      />
    );
    return c.html(page, status as 200, noStore);
  };

  const renderOne = async (
    c: ConsoleContext,
    id: string,
    extra: { form?: FormState; error?: string } = {},
    status = 200,
  ) => {
    const ctx = adminContext(c, deps);
    const principal = c.get("principal");
    let partner: Partner;
    try {
      partner = await getPartner(deps, principal, id);
    } catch (error) {
      return renderList(c, { error: refusalText(ctx.i18n.t, error) }, refusalStatus(error));
    }
    const [keys, quotas, history] = await Promise.all([
      listPartnerKeys(deps, principal, id),
      quotasOf(c),
      historyOf(deps, principal, id),
    ]);
    const page = (
      <PartnerPage
        ctx={ctx}
        partner={partner}
        keys={keys}
        quota={quotas.get(id)}
        history={history}
        done={doneMessage(c, ctx.i18n.t, DONE)}
        once={status === 200 ? takeOnce(deps, c) : undefined}
        {...extra}
      />
    );
    return c.html(page, status as 200, noStore);
  };

  const to = (c: ConsoleContext, path: string, done: MessageKey) => c.redirect(`${path}?done=${done}`, 303);

  app.get("/admin/partners", (c) => renderList(c));
  app.get("/admin/partners/:id", (c) => renderOne(c, c.req.param("id")));

  app.post("/admin/partners", async (c) => {
    const { t } = adminContext(c, deps).i18n;
    const form = await c.req.parseBody();
    const parsed = parsePartnerForm(t, form);
    if (!parsed.ok) return renderList(c, { form: parsed.state, error: t.apFixErrors }, 400);
    let created: Awaited<ReturnType<typeof createPartner>>;
    try {
      created = await createPartner(deps, c.get("principal"), parsed.input);
    } catch (error) {
      const errors = smsApiRefusal(t, error);
      if (!errors) throw error;
      const values = Object.fromEntries(FIELDS.map((f) => [f, formText(form, f, 10_000)]));
      return renderList(c, { form: { values, errors }, error: t.apFixErrors }, 400);
    }
    const path = `${PAGE}/${created.partner.id}`;
    showOnce(deps, c, path, [
      { label: "apPartnerId", value: created.partner.id },
      { label: "apApiKey", value: created.apiKey },
      { label: "apWebhook", value: created.webhookSecret },
    ]);
    return to(c, path, "apDonePartnerCreated");
  });

  app.post("/admin/partners/:id", async (c) => {
    const id = c.req.param("id");
    const { t } = adminContext(c, deps).i18n;
    const form = await c.req.parseBody();
    let stored = false;
    try {
      stored = (await getPartner(deps, c.get("principal"), id)).smsApi !== null;
    } catch (error) {
      return renderList(c, { error: refusalText(t, error) }, refusalStatus(error));
    }
    const parsed = parsePartnerForm(t, form, stored);
    if (!parsed.ok) return renderOne(c, id, { form: parsed.state, error: t.apFixErrors }, 400);
    try {
      await configurePartner(deps, c.get("principal"), id, parsed.input);
    } catch (error) {
      const errors = smsApiRefusal(t, error);
      const values = Object.fromEntries(FIELDS.map((f) => [f, formText(form, f, 10_000)]));
      if (errors) return renderOne(c, id, { form: { values, errors }, error: t.apFixErrors }, 400);
      return renderOne(c, id, { error: refusalText(t, error) }, refusalStatus(error));
    }
    return to(c, `${PAGE}/${id}`, "apDonePartnerSaved");
  });

  /** A one-button action on a partner; its errors (an unknown id or key) are said on the partner's page. */
  const action = (path: string, run: (c: ConsoleContext, id: string) => Promise<MessageKey>) =>
    app.post(path, async (c) => {
      const id = c.req.param("id") as string;
      try {
        return to(c, `${PAGE}/${id}`, await run(c, id));
      } catch (error) {
        return renderOne(
          c,
          id,
          { error: refusalText(adminContext(c, deps).i18n.t, error) },
          refusalStatus(error),
        );
      }
    });

  action("/admin/partners/:id/keys", async (c, id) => {
    // A test key (the partner's integration environment) decides like a live one and sends nothing.
    const mode = formText(await c.req.parseBody(), "mode") === "test" ? "test" : "live";
    const key = await createPartnerKey(deps, c.get("principal"), id, mode);
    showOnce(deps, c, `${PAGE}/${id}`, [
      { label: "apKeyId", value: key.keyId },
      { label: "apApiKey", value: key.apiKey },
    ]);
    return mode === "test" ? "apDoneTestKeyCreated" : "apDoneKeyCreated";
  });
  action("/admin/partners/:id/keys/:keyId/revoke", async (c, id) => {
    await revokePartnerKey(deps, c.get("principal"), id, c.req.param("keyId") as string);
    return "apDoneKeyRevoked";
  });
  action("/admin/partners/:id/webhook-secret", async (c, id) => {
    const { webhookSecret } = await rotateWebhookSecret(deps, c.get("principal"), id);
    showOnce(deps, c, `${PAGE}/${id}`, [{ label: "apWebhook", value: webhookSecret }]);
    return "apDoneWebhookRotated";
  });
  action("/admin/partners/:id/disable", async (c, id) => {
    await setPartnerDisabled(deps, c.get("principal"), id, true);
    return "apDoneDisabled";
  });
  action("/admin/partners/:id/enable", async (c, id) => {
    await setPartnerDisabled(deps, c.get("principal"), id, false);
    return "apDoneEnabled";
  });

  return app;
}
