import { eq } from "drizzle-orm";
import { officers } from "../../schema";
import { listAudit } from "../audit/log";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import type { MessageKey } from "./admin-forms";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import { time } from "./layout";

/**
 * The change history of one record on its admin page (a partner, a campaign): who did what and when, from
 * the audit log the use cases write in the same transaction as the change.
 */
export interface HistoryEntry {
  at: string;
  who: string | null;
  action: string;
}

const ACTIONS: Record<string, MessageKey> = {
  "partner.create": "apActCreate",
  "partner.configure": "apActConfigure",
  "partner.disable": "apActDisable",
  "partner.enable": "apActEnable",
  "partner.key_create": "apActKeyCreate",
  "partner.key_create:test": "apActTestKeyCreate",
  "partner.key_revoke": "apActKeyRevoke",
  "partner.webhook_secret_rotate": "apActWebhookRotate",
  "campaign.create": "apActCreate",
  "campaign.update": "apActUpdate",
  "campaign.template_add": "apActTemplateAdd",
  "campaign.template_disable": "apActTemplateDisable",
  "campaign.template_enable": "apActTemplateEnable",
};

const HISTORY_LIMIT = 20;

export async function historyOf(
  deps: Pick<Deps, "db">,
  principal: Principal,
  targetId: string,
): Promise<HistoryEntry[]> {
  const [{ entries }, names] = await Promise.all([
    listAudit(deps, principal, { limit: HISTORY_LIMIT, targetId }),
    deps.db
      .select({ id: officers.id, name: officers.displayName })
      .from(officers)
      .where(eq(officers.stationId, principal.stationId)),
  ]);
  const nameOf = new Map(names.map((n) => [n.id, n.name]));
  return entries.map((e) => ({
    at: e.at,
    who: e.officerId ? (nameOf.get(e.officerId) ?? null) : null,
    // A test key's creation is told apart from a live key's: the key's mode is in the entry's data.
    action:
      e.action === "partner.key_create" && e.data?.mode === "test" ? "partner.key_create:test" : e.action,
  }));
}

export function History(props: { i18n: I18n; entries: HistoryEntry[] }) {
  const { t } = props.i18n;
  return (
    <section class="card" aria-labelledby="ap-history">
      <h3 id="ap-history">{t.apHistory}</h3>
      {props.entries.length === 0 ? (
        <p>{t.apHistoryNone}</p>
      ) : (
        <ol class="timeline">
          {props.entries.map((e) => (
            <li data-action={e.action}>
              <strong>{t[ACTIONS[e.action] ?? "apActOther"]}</strong>{" "}
              <span class="ap-meta">
                {fill(t.apHistoryBy, { at: time(e.at), who: e.who ?? t.apHistoryUnknown })}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
