import { postgresVersion } from "./databases";
import { loadAverage, machine } from "./machine";

/**
 * The start of a bench that runs on PostgreSQL only: DATABASE_URL (exits with a message when it is not set),
 * after printing the machine, the server and database `name`, the date and the load average.
 */
export async function startPostgresBench(bench: string, name: string): Promise<string> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    console.error(`${bench} needs DATABASE_URL (PostgreSQL).`);
    process.exit(1);
  }
  console.log(`machine   ${machine()}`);
  console.log(`database  ${await postgresVersion(adminUrl)} (database ${name})`);
  console.log(`date      ${new Date().toISOString()}`);
  console.log(`load avg  ${loadAverage()} (1/5/15 min) at start`);
  return adminUrl;
}
