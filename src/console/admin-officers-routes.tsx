import {
  createOfficer,
  disableOfficer,
  enableOfficer,
  listOfficers,
  OFFICER_ROLES,
  resetOfficerPassword,
  setOfficerOnDuty,
  type UpdateOfficerInput,
  updateOfficer,
} from "../auth/officers";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { listPosts } from "../organisation/jurisdiction";
import { shiftsOfOfficer } from "../organisation/roster-admin";
import { normalizePhone } from "../privacy/phone";
import {
  adminContext,
  adminSection,
  type FieldErrors,
  formOf,
  refusalStatus,
  refusalToFields,
} from "./admin-layout";
import { type FormState, OfficerPage, OfficersPage } from "./admin-officers";
import type { ConsoleContext } from "./context";
import type { I18n } from "./i18n";
import { MessagePage } from "./pages";

const SECTION = "/console/admin/officers";
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;
type Role = (typeof OFFICER_ROLES)[number];

/** A use case's refusal about an officer, in the page's words. */
const explain =
  ({ t }: I18n) =>
  (path: string, code: AppError["code"], message: string): string | undefined => {
    if (path === "username") return t.admErrUsernameTaken;
    if (path === "phone") return t.admErrPhone;
    if (path === "postId") {
      if (message.includes("disabled")) return t.admErrPostDisabled;
      return message.includes("give the post") ? t.admErrPostNeeded : t.admErrPostUnknown;
    }
    if (path === "role" && code === "CONFLICT") return t.admErrOwnRole;
    if (path === "onDuty") return t.admErrDisabledDuty;
    if (code === "CONFLICT" && message.includes("disable their own")) return t.admErrOwnDisable;
    if (code === "NOT_FOUND") return t.admNotFound;
    return undefined;
  };

/** The page's own checks of an officer's fields, before the use case's; messages beside each field. */
function checkFields(values: Record<string, string>, { t }: I18n, creating: boolean): FieldErrors {
  const errors: FieldErrors = {};
  if (creating && !USERNAME.test(values.username ?? "")) errors.username = t.admErrUsername;
  const name = values.displayName ?? "";
  if (name.length < 1 || name.length > 100) errors.displayName = t.admErrName;
  if (!(OFFICER_ROLES as readonly string[]).includes(values.role ?? "")) errors.role = t.admErrRole;
  if (values.role === "officer" && !values.postId) errors.postId = t.admErrPostNeeded;
  if (values.phone && !normalizePhone(values.phone)) errors.phone = t.admErrPhone;
  return errors;
}

/**
 * Officers: the list (phones masked) with the new-account form; one officer's page to edit name, phone, post
 * and role, set the on-duty switch, disable or enable, and reset the password. Passwords are shown once, on
 * the answer to the POST that made them, never in a URL or a later page.
 */
export function adminOfficersRoutes(deps: Deps) {
  const app = adminSection("officers");

  const listPage = async (
    c: ConsoleContext,
    extra: { state?: FormState; created?: { username: string; password: string } } = {},
    status: 200 | 201 | 400 | 403 | 404 | 409 = 200,
  ) => {
    const principal = c.get("principal");
    const ctx = adminContext(c, deps);
    const [officers, posts] = await Promise.all([listOfficers(deps, principal), listPosts(deps, principal)]);
    const flash = c.req.query("saved") ? ctx.i18n.t.admSaved : undefined;
    if (extra.created) c.header("cache-control", "no-store");
    return c.html(
      <OfficersPage ctx={ctx} officers={officers} posts={posts} flash={flash} {...extra} />,
      status,
    );
  };

  const officerPage = async (
    c: ConsoleContext,
    extra: { state?: FormState; password?: string } = {},
    status: 200 | 400 | 403 | 404 | 409 = 200,
  ) => {
    const principal = c.get("principal");
    const ctx = adminContext(c, deps);
    const id = c.req.param("id") as string;
    const [officers, posts] = await Promise.all([listOfficers(deps, principal), listPosts(deps, principal)]);
    const officer = officers.find((o) => o.id === id);
    const { t } = ctx.i18n;
    if (!officer) return c.html(<MessagePage ctx={ctx} title={t.admOfficers} text={t.admNotFound} />, 404);
    const shifts = await shiftsOfOfficer(deps, principal, id);
    const flash = c.req.query("saved") ? t.admSaved : undefined;
    if (extra.password) c.header("cache-control", "no-store");
    return c.html(
      <OfficerPage ctx={ctx} officer={officer} posts={posts} shifts={shifts} flash={flash} {...extra} />,
      status,
    );
  };

  app.get("/admin/officers", (c) => listPage(c));

  app.post("/admin/officers", async (c) => {
    const lang = c.get("lang");
    const { one } = await formOf(c);
    const values = Object.fromEntries(
      ["username", "displayName", "role", "postId", "phone"].map((n) => [n, one(n)]),
    );
    const i18nOf = adminContext(c, deps).i18n;
    const errors = checkFields(values, i18nOf, true);
    if (Object.keys(errors).length > 0) return listPage(c, { state: { values, errors } }, 400);
    try {
      const result = await createOfficer(deps, c.get("principal"), {
        username: values.username ?? "",
        displayName: values.displayName ?? "",
        role: values.role as Role,
        postId: values.postId || undefined,
        phone: values.phone || undefined,
      });
      return listPage(
        c,
        { created: { username: result.officer.username, password: result.initialPassword ?? "" } },
        201,
      );
    } catch (error) {
      const fieldErrors = refusalToFields(error, lang, explain(i18nOf));
      return listPage(c, { state: { values, errors: fieldErrors } }, refusalStatus(error));
    }
  });

  app.get("/admin/officers/:id", (c) => officerPage(c));

  app.post("/admin/officers/:id", async (c) => {
    const i18nOf = adminContext(c, deps).i18n;
    const { one } = await formOf(c);
    const values = Object.fromEntries(
      ["displayName", "role", "postId", "phone", "clearPhone"].map((n) => [n, one(n)]),
    );
    const errors = checkFields(values, i18nOf, false);
    if (Object.keys(errors).length > 0) return officerPage(c, { state: { values, errors } }, 400);
    const id = c.req.param("id");
    const input: UpdateOfficerInput = {
      displayName: values.displayName,
      role: values.role as Role,
      postId: values.postId || null,
      ...(values.clearPhone === "1" ? { phone: null } : values.phone ? { phone: values.phone } : {}),
    };
    try {
      await updateOfficer(deps, c.get("principal"), id, input);
      return c.redirect(`${SECTION}/${id}?saved=1`, 303);
    } catch (error) {
      const fieldErrors = refusalToFields(error, c.get("lang"), explain(i18nOf));
      return officerPage(c, { state: { values, errors: fieldErrors } }, refusalStatus(error));
    }
  });

  /** An action on the officer from a one-button form: saved, or the refusal shown where the button is. */
  const action = (
    path: string,
    run: (c: ConsoleContext, id: string, form: Awaited<ReturnType<typeof formOf>>) => Promise<unknown>,
    errorField: string,
  ) =>
    app.post(`/admin/officers/:id/${path}`, async (c) => {
      const id = c.req.param("id") as string;
      const form = await formOf(c);
      try {
        await run(c, id, form);
        return c.redirect(`${SECTION}/${id}?saved=1`, 303);
      } catch (error) {
        const i18nOf = adminContext(c, deps).i18n;
        const errors = refusalToFields(error, c.get("lang"), explain(i18nOf), errorField);
        if (error instanceof AppError && error.code === "NOT_FOUND") return officerPage(c, {}, 404);
        return officerPage(c, { state: { values: {}, errors } }, refusalStatus(error));
      }
    });

  action(
    "duty",
    (c, id, form) => setOfficerOnDuty(deps, c.get("principal"), id, form.one("onDuty") === "true"),
    "onDuty",
  );
  action("disable", (c, id) => disableOfficer(deps, c.get("principal"), id), "_access");
  action("enable", (c, id) => enableOfficer(deps, c.get("principal"), id), "_access");

  app.post("/admin/officers/:id/reset-password", async (c) => {
    const id = c.req.param("id");
    try {
      const { password } = await resetOfficerPassword(deps, c.get("principal"), id);
      return officerPage(c, { password });
    } catch (error) {
      if (error instanceof AppError && error.code === "NOT_FOUND") return officerPage(c, {}, 404);
      throw error;
    }
  });

  return app;
}
