import { feedSources, jurisdictionRules, officers, posts, stations } from "../../schema";
import { hashPassword } from "../../src/auth/passwords";
import type { Deps } from "../../src/deps";

export const FIXTURE_PASSWORD = "correct horse battery";
/**
 * Tests hash passwords at this scrypt cost (log2 N) instead of production's 15: microseconds instead of a
 * tenth of a second per hash and per login. test/auth/passwords.test.ts checks the production values.
 */
export const TEST_PASSWORD_HASH_COST = 4;
let passwordHash: Promise<string> | undefined;

/**
 * A small station: a duty desk and two village posts with rules, an officer each (with a phone),
 * a supervisor, an officer at another station, and a feed source. Ids are readable on purpose.
 */
export async function seedFixture(deps: Pick<Deps, "db" | "pii">) {
  passwordHash ??= hashPassword(FIXTURE_PASSWORD, TEST_PASSWORD_HASH_COST);
  const hash = await passwordHash;
  const ids = {
    station: "stn_sangong",
    otherStation: "stn_other",
    dutyDesk: "pst_duty",
    miaogong: "pst_miaogong",
    ergong: "pst_ergong",
    otherDesk: "pst_other_duty",
  };
  const phones = {
    miaogong: "+8613999001001",
    ergong: "+8613999001002",
    duty: "+8613999001000",
  };
  await deps.db.insert(stations).values([
    { id: ids.station, name: "三工派出所" },
    { id: ids.otherStation, name: "另一派出所" },
  ]);
  await deps.db.insert(posts).values([
    { id: ids.dutyDesk, stationId: ids.station, name: "值班室", isDutyDesk: true },
    { id: ids.miaogong, stationId: ids.station, name: "庙工村警务室" },
    { id: ids.ergong, stationId: ids.station, name: "二工村警务室" },
    { id: ids.otherDesk, stationId: ids.otherStation, name: "值班室", isDutyDesk: true },
  ]);
  await deps.db.insert(jurisdictionRules).values([
    {
      id: "rul_miaogong_code",
      stationId: ids.station,
      postId: ids.miaogong,
      kind: "area_prefix",
      pattern: "652301105201",
    },
    {
      id: "rul_miaogong_kw",
      stationId: ids.station,
      postId: ids.miaogong,
      kind: "address_keyword",
      pattern: "庙工村",
    },
    {
      id: "rul_ergong_kw",
      stationId: ids.station,
      postId: ids.ergong,
      kind: "address_keyword",
      pattern: "二工村",
    },
  ]);
  const officer = (
    id: string,
    username: string,
    role: "officer" | "supervisor" | "admin",
    postId: string | null,
    phone?: string,
    stationId = ids.station,
  ) => ({
    id,
    stationId,
    postId,
    username,
    displayName: username,
    role,
    phoneEnc: phone ? deps.pii.encrypt(phone) : null,
    phoneHash: phone ? deps.pii.hash(phone) : null,
    passwordHash: hash,
  });
  await deps.db
    .insert(officers)
    .values([
      officer("off_miaogong", "miaogong", "officer", ids.miaogong, phones.miaogong),
      officer("off_ergong", "ergong", "officer", ids.ergong, phones.ergong),
      officer("off_duty", "duty", "officer", ids.dutyDesk, phones.duty),
      officer("off_supervisor", "supervisor", "supervisor", null),
      officer("off_other", "other", "supervisor", null, undefined, ids.otherStation),
      officer("off_admin", "admin", "admin", null),
      officer("off_other_admin", "otheradmin", "admin", null, undefined, ids.otherStation),
    ]);
  const source = { id: "src_platform", secret: "feed-secret-for-tests", stationId: ids.station };
  await deps.db.insert(feedSources).values({
    id: source.id,
    stationId: source.stationId,
    name: "Test platform",
    secretEnc: deps.pii.encrypt(source.secret),
  });
  return { ids, phones, source, password: FIXTURE_PASSWORD };
}

export type Fixture = Awaited<ReturnType<typeof seedFixture>>;

let counter = 0;
/** A valid warning; override any field. externalIds are unique per call. */
export function aWarning(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    externalId: `YJ-2026-${String(counter).padStart(6, "0")}`,
    type: "call",
    fraudType: "fake_customer_service",
    riskLevel: "high",
    subject: { phone: "+86 138 0013 8000", name: "王某" },
    area: { code: "652301", address: "三工镇庙工村七组" },
    indicators: [{ kind: "phone", value: "+8617012345678" }],
    detectedAt: "2026-11-28T10:00:00+08:00",
    amountAtRisk: 5000000,
    ...overrides,
  };
}
