import { partnerApiKeys, partners } from "../../schema";
import { hashApiKey, newApiKey } from "../../src/partners/keys";
import type { TestContext } from "./context";

export interface TestPartner {
  id: string;
  apiKey: string;
  webhookSecret: string;
}

let partnerCounter = 0;

/**
 * A logistics partner of the fixture station with one API key and a webhook secret. Overrides go to the
 * partner row (another `stationId`, a `channel`, its own `smsApi`, `partsPerSecond`, ...).
 */
export async function aPartner(
  ctx: TestContext,
  overrides: Partial<typeof partners.$inferInsert> = {},
): Promise<TestPartner> {
  partnerCounter += 1;
  const id = overrides.id ?? `par_test${partnerCounter}`;
  const webhookSecret = `webhook-secret-${partnerCounter}-for-tests`;
  const apiKey = newApiKey();
  await ctx.deps.db.insert(partners).values({
    id,
    stationId: ctx.fixture.ids.station,
    name: `Courier ${id}`,
    channel: "sns",
    webhookSecretEnc: ctx.deps.pii.encrypt(webhookSecret),
    ...overrides,
  });
  await ctx.deps.db.insert(partnerApiKeys).values({ partnerId: id, keyHash: hashApiKey(apiKey) });
  return { id, apiKey, webhookSecret };
}
