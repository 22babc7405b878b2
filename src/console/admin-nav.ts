import type { MessageKey } from "./i18n";

/**
 * The admin area's sections, in the order the landing page and the section menu show them. A new section
 * is one entry here (its words in its own i18n file) and one route module mounted in ./routes.tsx.
 * `hintKey` is the one-line description on the landing page.
 */
export interface AdminSection {
  href: string;
  labelKey: MessageKey;
  hintKey?: MessageKey;
}

export const ADMIN_SECTIONS: AdminSection[] = [
  { href: "/console/admin/officers", labelKey: "admOfficers", hintKey: "admOfficersHint" },
  { href: "/console/admin/posts", labelKey: "admPosts", hintKey: "admPostsHint" },
  { href: "/console/admin/rules", labelKey: "admRules", hintKey: "admRulesHint" },
  { href: "/console/admin/rosters", labelKey: "admRosters", hintKey: "admRostersHint" },
  { href: "/console/admin/escalation", labelKey: "admEscalation", hintKey: "admEscalationHint" },
  { href: "/console/admin/feeds", labelKey: "apFeeds", hintKey: "apFeedsHint" },
  { href: "/console/admin/partners", labelKey: "apPartners", hintKey: "apPartnersHint" },
  { href: "/console/admin/campaigns", labelKey: "apCampaigns", hintKey: "apCampaignsHint" },
  { href: "/console/admin/opt-outs", labelKey: "apOptOuts", hintKey: "apOptOutsHint" },
  { href: "/console/admin/audit", labelKey: "admAudit", hintKey: "admAuditHint" },
];
