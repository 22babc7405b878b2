import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { campaigns, campaignTemplates } from "../../schema";
import { auditFor } from "../audit/log";
import { assertAdmin, assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Executor } from "../db/client";
import { stationLookup } from "../db/station-scope";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { newId } from "../ids";
import { checkTemplate } from "./template-rules";
import { stationSignatures } from "./template-signatures";

type CampaignRow = typeof campaigns.$inferSelect;
type TemplateRow = typeof campaignTemplates.$inferSelect;
type AdminDeps = Pick<Deps, "db" | "clock" | "config">;

export interface CampaignSettings {
  name: string;
  /** Administrative division code prefixes; empty: every area of the station. */
  areaPrefixes: string[];
  /** Asia/Shanghai dates, inclusive. */
  startsOn: string;
  endsOn: string;
  priority: number;
}

const ADMIN_REFUSAL = "only admins manage campaigns";

const assertReader = (principal: Principal) =>
  assertSupervisorOrAdmin(principal, "campaigns are for supervisors and admins");

function checkDates(startsOn: string, endsOn: string) {
  if (endsOn < startsOn) {
    throw new AppError("VALIDATION_FAILED", "the campaign is not valid", [
      { path: "endsOn", message: "must not be before startsOn" },
    ]);
  }
}

export function templateView(t: TemplateRow) {
  const check = checkTemplate(t.body);
  return {
    id: t.id,
    body: t.body,
    characters: check.characters,
    segments: t.segments,
    parts: check.parts,
    uses: t.uses,
    disabledAt: t.disabledAt?.toISOString() ?? null,
    createdAt: t.createdAt.toISOString(),
  };
}

function campaignView(c: CampaignRow, templates: TemplateRow[]) {
  return {
    id: c.id,
    name: c.name,
    areaPrefixes: c.areaPrefixes,
    startsOn: c.startsOn,
    endsOn: c.endsOn,
    priority: c.priority,
    disabledAt: c.disabledAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    templates: templates.filter((t) => t.campaignId === c.id).map(templateView),
  };
}

const audit = auditFor("campaign");

/** A template text checked without saving it, as an admin writes one: its problems, characters and parts. */
export async function checkCampaignTemplate(
  deps: Pick<Deps, "db" | "config">,
  principal: Principal,
  body: string,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return checkAgainstStation(deps.db, deps, principal, body);
}

/** The rules with the station's own signature and its allow-list. */
async function checkAgainstStation(
  executor: Executor,
  deps: Pick<Deps, "config">,
  principal: Principal,
  body: string,
) {
  const { own, allowed } = await stationSignatures(executor, deps, principal.stationId);
  return checkTemplate(body, { signature: own, allowedSignatures: allowed });
}

const campaignOf = stationLookup(campaigns, "no such campaign at this station");

async function templatesOf(executor: Executor, campaignIds: string[]): Promise<TemplateRow[]> {
  if (campaignIds.length === 0) return [];
  return executor
    .select()
    .from(campaignTemplates)
    .where(inArray(campaignTemplates.campaignId, campaignIds))
    .orderBy(asc(campaignTemplates.createdAt), asc(campaignTemplates.id));
}

export async function createCampaign(deps: AdminDeps, principal: Principal, input: CampaignSettings) {
  assertAdmin(principal, ADMIN_REFUSAL);
  checkDates(input.startsOn, input.endsOn);
  const id = newId("campaign");
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(campaigns)
      .values({
        id,
        stationId: principal.stationId,
        ...input,
        areaPrefixes: [...new Set(input.areaPrefixes)],
      })
      .returning();
    await audit(tx, deps, principal, "campaign.create", id, { priority: input.priority });
    return campaignView(row as CampaignRow, []);
  });
}

/** Highest priority first, as the reminder decision ranks them. */
export async function listCampaigns(deps: Pick<Deps, "db">, principal: Principal) {
  assertReader(principal);
  const rows = await deps.db
    .select()
    .from(campaigns)
    .where(eq(campaigns.stationId, principal.stationId))
    .orderBy(desc(campaigns.priority), desc(campaigns.startsOn), asc(campaigns.id));
  const templates = await templatesOf(
    deps.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => campaignView(r, templates));
}

export async function getCampaign(deps: Pick<Deps, "db">, principal: Principal, id: string) {
  assertReader(principal);
  const row = await campaignOf(deps.db, principal, id);
  return campaignView(row, await templatesOf(deps.db, [id]));
}

/** Content, area, dates and priority take effect for the next event decided; `disabled` stops the campaign. */
export async function updateCampaign(
  deps: AdminDeps,
  principal: Principal,
  id: string,
  input: Partial<CampaignSettings> & { disabled?: boolean },
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const current = await campaignOf(tx, principal, id);
    checkDates(input.startsOn ?? current.startsOn, input.endsOn ?? current.endsOn);
    const { disabled, ...settings } = input;
    const [row] = await tx
      .update(campaigns)
      .set({
        ...settings,
        ...(settings.areaPrefixes ? { areaPrefixes: [...new Set(settings.areaPrefixes)] } : {}),
        ...(disabled === undefined
          ? {}
          : { disabledAt: disabled ? (current.disabledAt ?? deps.clock.now()) : null }),
      })
      .where(eq(campaigns.id, id))
      .returning();
    await audit(tx, deps, principal, "campaign.update", id, {
      changed: Object.keys(input).filter((k) => input[k as keyof typeof input] !== undefined),
    });
    return campaignView(row as CampaignRow, await templatesOf(tx, [id]));
  });
}

/**
 * A template is validated before it is stored; an invalid one is a 400 naming each problem, with its parts
 * in the message. Templates are not edited in place (their rotation counts and sent texts refer to them):
 * a changed text is a new template, and the old one is disabled.
 */
export async function addTemplate(deps: AdminDeps, principal: Principal, campaignId: string, body: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    await campaignOf(tx, principal, campaignId);
    const check = await checkAgainstStation(tx, deps, principal, body);
    if (!check.valid) throw new AppError("VALIDATION_FAILED", "the template is not valid", check.problems);
    // A new template starts level with the least-used one, so rotation does not send it alone for a while.
    const siblings = await tx
      .select({ uses: campaignTemplates.uses, disabledAt: campaignTemplates.disabledAt })
      .from(campaignTemplates)
      .where(eq(campaignTemplates.campaignId, campaignId));
    const active = siblings.filter((s) => !s.disabledAt);
    const uses = active.length ? Math.min(...active.map((s) => s.uses)) : 0;
    const [row] = await tx
      .insert(campaignTemplates)
      .values({ id: newId("template"), campaignId, body, segments: check.segments, uses })
      .returning();
    const template = row as TemplateRow;
    await audit(tx, deps, principal, "campaign.template_add", campaignId, {
      templateId: template.id,
      segments: check.segments,
    });
    return templateView(template);
  });
}

export async function setTemplateDisabled(
  deps: AdminDeps,
  principal: Principal,
  campaignId: string,
  templateId: string,
  disabled: boolean,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    await campaignOf(tx, principal, campaignId);
    const [current] = await tx
      .select()
      .from(campaignTemplates)
      .where(and(eq(campaignTemplates.id, templateId), eq(campaignTemplates.campaignId, campaignId)));
    if (!current) throw new AppError("NOT_FOUND", "no such template in this campaign");
    if (Boolean(current.disabledAt) === disabled) return templateView(current);
    const [row] = await tx
      .update(campaignTemplates)
      .set({ disabledAt: disabled ? deps.clock.now() : null })
      .where(eq(campaignTemplates.id, templateId))
      .returning();
    await audit(
      tx,
      deps,
      principal,
      disabled ? "campaign.template_disable" : "campaign.template_enable",
      campaignId,
      {
        templateId,
      },
    );
    return templateView(row as TemplateRow);
  });
}
