/**
 * The admin sections for feed sources, partners, campaigns and opt-outs, in the order the admin nav lists them.
 * `labelKey` is a key of the console's dictionaries (./i18n-admin-partners.ts), so a section cannot be
 * added without its name in both languages.
 */
export const ADMIN_PARTNERS_SECTIONS = [
  { href: "/console/admin/feeds", labelKey: "apFeeds" },
  { href: "/console/admin/partners", labelKey: "apPartners" },
  { href: "/console/admin/campaigns", labelKey: "apCampaigns" },
  { href: "/console/admin/opt-outs", labelKey: "apOptOuts" },
] as const;
