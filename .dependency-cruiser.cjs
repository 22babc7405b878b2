/**
 * The import rules CI enforces (`npm run lint:structure`); ARCHITECTURE.md explains the rooms.
 * Imports run one way: entry points and adapters (functions/, http/, console/, local/, cloud/) → use cases
 * (alerts/, feedback/, parcels/, ...) → the SMS engine (sms/) → infrastructure (queue/, db/) and top-level helpers.
 */
const DOMAIN =
  "^src/(alerts|audit|auth|feedback|feeds|message-events|messages|opt-outs|organisation|parcels|partners|privacy|reports|sweeper)/";
const ADAPTERS = "^src/(http|console|local|cloud)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle makes two modules one: neither can be understood, tested or moved alone.",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-not-to-adapters",
      severity: "error",
      comment: "Use cases know nothing of HTTP, the console or a runtime; those call in, never the reverse.",
      from: { path: DOMAIN },
      to: { path: ADAPTERS },
    },
    {
      name: "sms-below-the-domain",
      severity: "error",
      comment:
        "The SMS engine serves alerts and parcels alike; what it needs from them is passed in, so it imports none of them.",
      from: { path: "^src/sms/" },
      // Phone numbers as personal data (hashing, masking, encryption) sit below everything that handles them.
      to: { path: [DOMAIN, ADAPTERS, "^src/config\\.ts$"], pathNot: "^src/privacy/(phone|pii)\\.ts$" },
    },
    {
      name: "infrastructure-at-the-bottom",
      severity: "error",
      comment: "The queue and the database layer know nothing of the code that uses them.",
      from: { path: "^src/(queue|db)/" },
      to: { path: [DOMAIN, ADAPTERS, "^src/sms/"] },
    },
    {
      name: "db-below-queue",
      severity: "error",
      comment: "The outbox is queue code; the database layer does not reach up into it.",
      from: { path: "^src/db/" },
      to: { path: "^src/queue/" },
    },
    {
      name: "alerts-before-feedback",
      severity: "error",
      comment: "Feedback reads alerts and reacts to their messages; alerts never call into feedback.",
      from: { path: "^src/alerts/" },
      to: { path: "^src/feedback/" },
    },
    {
      name: "sweeper-only-schedules",
      severity: "error",
      comment:
        "The sweeper schedules rounds that belong to other rooms; nothing but the runtimes imports it.",
      from: { path: "^src/", pathNot: "^src/(sweeper|local|cloud|consumers\\.ts$)" },
      to: { path: "^src/sweeper/" },
    },
    {
      name: "src-not-to-tests-or-entry-points",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench|scripts|functions|infra)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(node_modules|\\.sst|sst-env\\.d\\.ts)" },
  },
};
