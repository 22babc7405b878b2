import { checkConnectionBudget } from "../src/topology";
import { vpc } from "./network";
import { databaseConnectionBudget, isProduction } from "./settings";

/**
 * PostgreSQL, the system's truth, in the VPC's private subnets. Production puts RDS Proxy in front so
 * many Lambda instances share few server connections. "Database" is the link name src/config.ts reads.
 */
// A deploy whose functions could open more connections than the database takes stops here, naming them.
checkConnectionBudget(databaseConnectionBudget);

export const database = new sst.aws.Postgres("Database", {
  vpc,
  proxy: isProduction,
  multiAz: isProduction,
});
