import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  campaigns,
  campaignTemplates,
  type EscalationStep,
  escalationPolicies,
  feedSources,
  jurisdictionRules,
  officers,
  partnerApiKeys,
  partners,
  posts,
  type RiskLevel,
  stations,
} from "../../schema";
import { hashPassword } from "../auth/passwords";
import { shanghaiDate } from "../calendar";
import type { Deps } from "../deps";
import { newId } from "../ids";
import { checkTemplate } from "../parcels/template-rules";
import { hashApiKey } from "../partners/keys";

export interface DemoCredentials {
  baseUrl: string;
  feedSource: { id: string; secret: string };
  partner: { id: string; apiKey: string };
  officers: { username: string; password: string; postId: string | null; role: string }[];
}

const secret = (bytes = 24) => randomBytes(bytes).toString("base64url");

/** Village posts of Sangong town, Changji; codes follow the division code of Changji city (652301). */
const DEMO_POSTS = [
  {
    key: "miaogong",
    name: "庙工村警务室",
    areaPrefix: "652301105201",
    keyword: "庙工村",
    phone: "+8613999001001",
  },
  {
    key: "ergong",
    name: "二工村警务室",
    areaPrefix: "652301105202",
    keyword: "二工村",
    phone: "+8613999001002",
  },
  {
    key: "sangong",
    name: "三工村警务室",
    areaPrefix: "652301105203",
    keyword: "三工村",
    phone: "+8613999001003",
  },
];

/** Two texts in rotation; each passes the template rules (signature, opt-out wording, no links) in one SMS part. */
const DEMO_TEMPLATES = [
  "【昌吉公安】取件提醒：自称快递客服称包裹丢失要理赔退款，让您下载App、共享屏幕或转账的，都是诈骗！拒收请回复R",
  "【昌吉公安】正规理赔退款原路退回，不会让您开通借款、刷流水或扫码转账。接到“客服”退款电话请挂断核实。拒收请回复R",
];

/**
 * The region's courier + SMS programme sends anti-theft (防盗) reminders too: parcels taken from pickup points
 * by someone else, and waybill labels thrown away whole, which give scammers a name, a number and an order.
 */
const DEMO_ANTI_THEFT_TEMPLATE =
  "【昌吉公安】防盗提醒：取件请本人到驿站核对后领取，勿让陌生人代领；面单撕毁后再丢弃，防止个人信息泄露。拒收请回复R";

const DEMO_ESCALATION: { riskLevel: RiskLevel; steps: EscalationStep[] }[] = [
  {
    riskLevel: "critical",
    steps: [
      { targets: [{ kind: "on_duty" }], waitMinutes: 2 },
      { targets: [{ kind: "post_all" }, { kind: "supervisors" }], waitMinutes: 5 },
      { targets: [{ kind: "duty_desk" }, { kind: "supervisors" }], waitMinutes: 10 },
    ],
  },
  {
    riskLevel: "high",
    steps: [
      { targets: [{ kind: "on_duty" }], waitMinutes: 5 },
      { targets: [{ kind: "supervisors" }], waitMinutes: 10 },
      { targets: [{ kind: "duty_desk" }, { kind: "supervisors" }], waitMinutes: 15 },
    ],
  },
];

/**
 * First start in local mode: a demo station with posts, jurisdiction rules, officers, a feed source
 * and a logistics partner, so the worked example in the README runs as printed. All rows are marked
 * demo and refused in production.
 */
export async function seedDemo(
  deps: Pick<Deps, "db" | "pii" | "clock" | "config">,
  baseUrl: string,
): Promise<DemoCredentials> {
  const stationId = newId("station");
  const dutyDeskId = newId("post");
  const credentials: DemoCredentials = {
    baseUrl,
    feedSource: { id: newId("feedSource"), secret: secret() },
    partner: { id: newId("partner"), apiKey: `pk_${secret()}` },
    officers: [],
  };

  await deps.db.transaction(async (tx) => {
    await tx.insert(stations).values({ id: stationId, name: "昌吉市公安局三工派出所" });
    const postRows = DEMO_POSTS.map((p) => ({ ...p, id: newId("post") }));
    await tx
      .insert(posts)
      .values([
        { id: dutyDeskId, stationId, name: "所值班室", isDutyDesk: true },
        ...postRows.map((p) => ({ id: p.id, stationId, name: p.name })),
      ]);
    await tx.insert(jurisdictionRules).values(
      postRows.flatMap((p) => [
        { id: newId("rule"), stationId, postId: p.id, kind: "area_prefix" as const, pattern: p.areaPrefix },
        { id: newId("rule"), stationId, postId: p.id, kind: "address_keyword" as const, pattern: p.keyword },
      ]),
    );

    const people = [
      ...postRows.map((p, i) => ({
        username: `officer.${p.key}`,
        displayName: `${p.name.slice(0, 3)}民警${i + 1}`,
        role: "officer" as const,
        postId: p.id,
        phone: p.phone,
      })),
      {
        username: "officer.duty",
        displayName: "值班民警",
        role: "officer" as const,
        postId: dutyDeskId,
        phone: "+8613999001000",
      },
      {
        username: "supervisor",
        displayName: "所长",
        role: "supervisor" as const,
        postId: null,
        phone: "+8613999001009",
      },
      { username: "admin", displayName: "系统管理员", role: "admin" as const, postId: null, phone: null },
    ];
    const ids = new Map<string, string>();
    for (const person of people) {
      const password = secret(9);
      ids.set(person.username, newId("officer"));
      credentials.officers.push({
        username: person.username,
        password,
        postId: person.postId,
        role: person.role,
      });
      await tx.insert(officers).values({
        id: ids.get(person.username) as string,
        stationId,
        postId: person.postId,
        username: person.username,
        displayName: person.displayName,
        role: person.role,
        phoneEnc: person.phone ? deps.pii.encrypt(person.phone) : null,
        phoneHash: person.phone ? deps.pii.hash(person.phone) : null,
        passwordHash: await hashPassword(password, deps.config.PASSWORD_HASH_COST),
        demo: true,
      });
    }

    // Urgent alerts climb step by step (README, "Escalation policies"); medium and low follow the default.
    await tx.insert(escalationPolicies).values(
      DEMO_ESCALATION.map(({ riskLevel, steps }) => ({
        stationId,
        riskLevel,
        steps,
        updatedBy: ids.get("admin") as string,
      })),
    );
    await tx.insert(feedSources).values({
      id: credentials.feedSource.id,
      stationId,
      name: "演示反诈预警平台",
      secretEnc: deps.pii.encrypt(credentials.feedSource.secret),
      demo: true,
    });
    await tx.insert(partners).values({
      id: credentials.partner.id,
      stationId,
      name: "演示快递公司（驿站）",
      // `sns`: we send its reminders on its behalf through the configured SMS channel, which locally is the
      // dev outbox, so posted parcel events show up there as parcel_reminder SMS.
      channel: "sns",
      demo: true,
    });
    await tx.insert(partnerApiKeys).values({
      partnerId: credentials.partner.id,
      keyHash: hashApiKey(credentials.partner.apiKey),
    });

    // The standing campaign of the courier + SMS programme: fake customer-service refund scams, the most
    // common pattern around parcels, over the whole town (Sangong's division code), for a year from today.
    const campaignId = newId("campaign");
    const today = deps.clock.now();
    await tx.insert(campaigns).values({
      id: campaignId,
      stationId,
      name: "防范冒充客服退款诈骗",
      areaPrefixes: ["652301105"],
      startsOn: shanghaiDate(today),
      endsOn: shanghaiDate(new Date(today.getTime() + 365 * 86_400_000)),
      priority: 10,
    });
    // The anti-theft campaign covers 三工村, where the town's pickup points are; at the same priority the more
    // specific area wins there, so both campaigns send (anti-fraud everywhere else in the town).
    const antiTheftId = newId("campaign");
    await tx.insert(campaigns).values({
      id: antiTheftId,
      stationId,
      name: "防盗提醒：驿站取件与面单",
      areaPrefixes: ["652301105203"],
      startsOn: shanghaiDate(today),
      endsOn: shanghaiDate(new Date(today.getTime() + 365 * 86_400_000)),
      priority: 10,
    });
    await tx
      .insert(campaignTemplates)
      .values(
        [
          ...DEMO_TEMPLATES.map((body) => ({ campaignId, body })),
          { campaignId: antiTheftId, body: DEMO_ANTI_THEFT_TEMPLATE },
        ].map((t) => ({ ...t, id: newId("template"), segments: checkTemplate(t.body).segments })),
      );
  });
  return credentials;
}

export function writeDemoCredentials(dataDir: string, credentials: DemoCredentials): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "demo-credentials.json");
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return file;
}
