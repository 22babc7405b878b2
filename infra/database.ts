import { vpc } from "./network";
import { isProduction } from "./settings";

/**
 * PostgreSQL, the system's truth, in the VPC's private subnets. Production puts RDS Proxy in front so
 * many Lambda instances share few server connections. "Database" is the link name src/config.ts reads.
 */
export const database = new sst.aws.Postgres("Database", {
  vpc,
  proxy: isProduction,
  multiAz: isProduction,
});
