import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { and, asc, eq } from "drizzle-orm";
import { type FauxqsServer, interceptLocalhostDns, startFauxqs } from "fauxqs";
import postgres from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { smsEvents, smsMessages } from "../../schema";
import { buildLambdaBundles, type LambdaBundle, lambdaEnvironment } from "../../scripts/lambda-bundles";
import type { Database } from "../../src/db/client";
import { openPostgres } from "../../src/db/postgres";
import { createPii } from "../../src/privacy/pii";
import { signPayload } from "../../src/signature";
import { QUEUE_NAMES, type QueueName } from "../../src/topology";
import { cloudWatchLogsEvent, snsDeliveryRecord } from "../support/aws-events";
import { aWarning, type Fixture, seedFixture } from "../support/fixture";
import { drain, pollOnce, REGION } from "./support/event-source";
import { LambdaFunction } from "./support/lambda-host";
import { startPostgresTlsProxy } from "./support/pg-tls-proxy";

/**
 * `npm run test:cloud`: the cloud path for real. The functions' bundles, built as SST builds them, run in
 * processes of their own as Lambda instances, against PostgreSQL behind TLS they must verify, an SQS server
 * (fauxqs) the event source below polls as Lambda's does, and SNS answered at the HTTP layer.
 */

const adminUrl = process.env.DATABASE_URL as string;
const DATABASE = `af_cloud_${process.pid}`;
const CONSUMER_TIMEOUT_MS = 20_000;

let bundles: Record<string, LambdaBundle>;
let sqsServer: FauxqsServer;
let sqs: SQSClient;
let queues: Record<QueueName, { name: string; url: string }>;
let proxy: Awaited<ReturnType<typeof startPostgresTlsProxy>>;
let env: Record<string, string>;
let database: Database;
let fixture: Fixture;
let api: LambdaFunction;
let consolePages: LambdaFunction;
let consumer: LambdaFunction;
let deliveryLog: LambdaFunction;

let restoreDns: () => void = () => {};

beforeAll(async () => {
  restoreDns = interceptLocalhostDns();
  bundles = Object.fromEntries(
    (await buildLambdaBundles(mkdtempSync(join(tmpdir(), "af-lambda-")))).map((b) => [b.name, b]),
  );
  sqsServer = await startFauxqs({ port: 0, logger: false, defaultRegion: REGION });
  const endpoint = `http://127.0.0.1:${sqsServer.port}`;
  sqs = new SQSClient({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  queues = Object.fromEntries(
    await Promise.all(
      QUEUE_NAMES.map(async (name) => {
        const created = await sqs.send(new CreateQueueCommand({ QueueName: `af-cloud-${name}` }));
        return [name, { name: `af-cloud-${name}`, url: created.QueueUrl as string }];
      }),
    ),
  ) as typeof queues;

  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
  await admin.unsafe(`create database ${DATABASE}`);
  await admin.end();
  const server = new URL(adminUrl);
  proxy = await startPostgresTlsProxy({ host: server.hostname, port: Number(server.port || 5432) });
  env = lambdaEnvironment({
    database: {
      host: proxy.host,
      port: proxy.port,
      username: decodeURIComponent(server.username || "postgres"),
      password: decodeURIComponent(server.password || "unused"),
      database: DATABASE,
    },
    caFile: proxy.caFile,
    queueUrls: Object.fromEntries(QUEUE_NAMES.map((name) => [name, queues[name].url])),
    region: REGION,
  });

  const migrate = new LambdaFunction(bundle("migrate"), env, 120_000);
  await expect(migrate.invoke({})).resolves.toEqual({ migrated: true });
  migrate.kill();

  const links = JSON.parse(env.SST_RESOURCES_JSON as string);
  const pii = createPii(
    Buffer.from(links.PiiEncryptionKey.value, "base64"),
    Buffer.from(links.PiiHashKey.value, "base64"),
  );
  const direct = new URL(adminUrl);
  direct.pathname = `/${DATABASE}`;
  database = openPostgres({ url: direct.toString(), max: 2 });
  fixture = await seedFixture({ db: database.db, pii });

  api = new LambdaFunction(bundle("api"), env, 25_000);
  consolePages = new LambdaFunction(bundle("console"), env, 25_000);
  consumer = new LambdaFunction(bundle("queue-consumer"), env, CONSUMER_TIMEOUT_MS);
  deliveryLog = new LambdaFunction(bundle("sns-delivery-log"), env, 60_000);
}, 240_000);

afterAll(async () => {
  restoreDns();
  for (const fn of [api, consolePages, consumer, deliveryLog]) fn?.kill();
  await database?.close();
  await proxy?.close();
  await sqsServer?.stop();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
  await admin.end();
});

beforeEach(() => {
  sqsServer.reset();
  consumer.publishes.length = 0;
});

function bundle(name: string): LambdaBundle {
  return bundles[name] as LambdaBundle;
}

/** A request to the API function as API Gateway (HTTP API, payload 2.0) delivers it. */
function apiEvent(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  fn: LambdaFunction = api,
) {
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: { host: "api.example.com", ...headers },
    requestContext: {
      accountId: "000000000000",
      apiId: "api",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
      requestId: "req",
      routeKey: "$default",
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
  return fn.invoke<APIGatewayProxyStructuredResultV2>(event);
}

/** POSTs a signed warning, as the upstream platform does, and returns the new alert's id. */
async function postWarning(phone: string) {
  const body = JSON.stringify({ warnings: [aWarning({ subject: { phone, name: "王某" } })] });
  const at = Math.floor(Date.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "x-signature": signPayload(fixture.source.secret, body, at),
  };
  const response = await apiEvent("POST", `/v1/feeds/${fixture.source.id}/warnings`, headers, body);
  expect(response.statusCode, `${response.body}\n${api.logs.slice(-3).join("\n")}`).toBeLessThan(300);
  const parsed = JSON.parse(response.body as string) as { results: { alertId: string }[] };
  return parsed.results[0]?.alertId as string;
}

const allQueues = () => QUEUE_NAMES.map((name) => queues[name]);
const textsTo = (phone: string) => consumer.publishes.filter((p) => p.phoneNumber === phone);

async function victimWarning(alertId: string) {
  const [row] = await database.db
    .select()
    .from(smsMessages)
    .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "victim_warning")));
  return row;
}

/** Polls the queue (as the event source does) until a message comes back, handling it; gives up after 30 s. */
async function waitForRedelivery(queue: { name: string; url: string }, fn: LambdaFunction) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { delivered, outcome } = await pollOnce(sqs, queue, fn);
    if (delivered[0]) {
      expect(outcome).toBe("done");
      return delivered[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`nothing came back on ${queue.name}`);
}

describe("the functions' bundles", () => {
  const inputs = (name: string) =>
    Object.values(bundle(name).metafile.outputs).flatMap((output) => Object.keys(output.inputs));

  it("leave out what only a station server runs, and SNS wherever nothing is sent", () => {
    for (const name of ["api", "console", "queue-consumer", "sns-delivery-log", "migrate"]) {
      const files = inputs(name);
      expect(
        files.filter((f) => /@electric-sql\/pglite|prom-client|^src\/local\/|^src\/db\/pglite/.test(f)),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => /zod\/v4\/locales\/(?!en\.js)/.test(f)),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => /credential-provider-(sso|ini|process|web-identity)/.test(f)),
        name,
      ).toEqual([]);
      expect(
        files.some((f) => f.includes("@aws-sdk/client-sns")),
        name,
      ).toBe(name === "queue-consumer");
      // Publishing goes through src/queue/sqs-client.ts; the SDK's SQS client stays with the operators' tools.
      expect(
        files.filter((f) => f.includes("@aws-sdk/client-sqs")),
        name,
      ).toEqual([]);
    }
  });

  it("give the console's pages and the JSON API a function each, neither carrying the other", () => {
    expect(inputs("api").filter((f) => f.startsWith("src/console/"))).toEqual([]);
    expect(inputs("console").filter((f) => /^src\/http\/(routes|openapi|docs)/.test(f))).toEqual([]);
    expect(inputs("console").some((f) => f.startsWith("src/console/admin-"))).toBe(true);
  });
});

describe("the cloud functions, bundled, on SQS, SNS and PostgreSQL over verified TLS", () => {
  it("takes a warning from API Gateway through the queues to an SNS text, and marks it delivered from SNS's log", async () => {
    const victim = "+8613800138000";
    const alertId = await postWarning(victim);

    await drain(sqs, allQueues(), consumer);

    expect(textsTo(victim)).toHaveLength(1);
    expect(textsTo(victim)[0]?.message).toContain("诈骗");
    expect(textsTo(fixture.phones.miaogong)).toHaveLength(1);
    const sent = await victimWarning(alertId);
    expect(sent?.status).toBe("submitted");
    expect(sent?.providerMessageId).toBe(textsTo(victim)[0]?.messageId);

    await deliveryLog.invoke(
      cloudWatchLogsEvent([snsDeliveryRecord(textsTo(victim)[0]?.messageId as string, victim, "SUCCESS")]),
    );
    expect((await victimWarning(alertId))?.status).toBe("delivered");
  });

  it("serves the API reference with Swagger UI installed beside the bundle, as SST installs it", async () => {
    const page = await apiEvent("GET", "/docs");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("/docs/assets/swagger-ui-bundle.js");
    const script = await apiEvent("GET", "/docs/assets/swagger-ui-bundle.js");
    expect(script.statusCode).toBe(200);
    expect(String(script.body).length).toBeGreaterThan(100_000);
  });

  it("serves the console's pages from the console's function, in Chinese", async () => {
    const root = await apiEvent("GET", "/", {}, undefined, consolePages);
    expect(root.statusCode).toBe(302);
    expect(root.headers?.location).toBe("/console");
    const login = await apiEvent("GET", "/console/login", {}, undefined, consolePages);
    expect(login.statusCode, `${login.body}\n${consolePages.logs.slice(-3).join("\n")}`).toBe(200);
    expect(login.body).toContain("登录");
  });

  it("acknowledges a message that can never be handled, and logs it", async () => {
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl: queues["alert-push"].url, MessageBody: "{not json" }),
    );

    const { outcome, response } = await pollOnce(sqs, queues["alert-push"], consumer);

    expect(outcome).toBe("done");
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqsServer.inspectQueue(queues["alert-push"].name)?.messages).toMatchObject({
      ready: [],
      inflight: [],
    });
    // The instance's stdout and its answer reach this process on two pipes, in either order.
    await expect
      .poll(() => consumer.logged())
      .toContainEqual(
        expect.objectContaining({ messageId: sent.MessageId, msg: "dropping unparseable message" }),
      );
    expect(consumer.publishes).toHaveLength(0);
  });

  it("texts nobody twice when SQS delivers a batch again", async () => {
    const victim = "+8613800138011";
    const alertId = await postWarning(victim);
    // Handled, but the delete is lost: SQS gives the same batch back after its visibility timeout.
    const first = await pollOnce(sqs, queues["alert-push"], consumer, { visibilitySeconds: 2, keep: true });
    expect(first.delivered).toHaveLength(1);
    await drain(
      sqs,
      allQueues().filter((q) => q !== queues["alert-push"]),
      consumer,
    );

    const again = await waitForRedelivery(queues["alert-push"], consumer);
    await drain(sqs, allQueues(), consumer);

    expect(again.messageId).toBe(first.delivered[0]?.messageId);
    expect(textsTo(victim)).toHaveLength(1);
    expect(textsTo(fixture.phones.miaogong)).toHaveLength(1);
    expect((await victimWarning(alertId))?.status).toBe("submitted");
  });

  it("gets back the batch of a consumer that timed out, and handles it once", async () => {
    const victim = "+8613800138022";
    const alertId = await postWarning(victim);
    const slow = new LambdaFunction(bundle("queue-consumer"), env, 3_000);
    // The database stalls the push past the function's timeout; Lambda ends the instance.
    const blocker = postgres(adminUrl.replace(/\/[^/]*$/, `/${DATABASE}`), { max: 1, onnotice: () => {} });
    let held: () => void = () => {};
    const lockHeld = new Promise<void>((resolve) => {
      held = resolve;
    });
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stalled = blocker.begin(async (tx) => {
      await tx.unsafe("lock table alerts in access exclusive mode");
      held();
      await released;
    });
    await lockHeld;

    const first = await pollOnce(sqs, queues["alert-push"], slow, { visibilitySeconds: 5 });
    release();
    await stalled;
    await blocker.end();

    expect(first.outcome, JSON.stringify({ first, logs: slow.logs.slice(-3) })).toBe("timed out");
    expect(slow.publishes).toHaveLength(0);
    // Nothing was deleted: once the visibility timeout runs out, SQS hands the same message out again.
    const retried = await waitForRedelivery(queues["alert-push"], slow);
    expect(retried.attributes.ApproximateReceiveCount).toBe("2");
    await drain(sqs, allQueues(), slow);

    expect(retried.messageId).toBe(first.delivered[0]?.messageId);
    expect(slow.coldStarts).toBe(2);
    expect(slow.publishes.filter((p) => p.phoneNumber === victim)).toHaveLength(1);
    expect((await victimWarning(alertId))?.status).toBe("submitted");
    const texts = await database.db
      .select()
      .from(smsMessages)
      .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "victim_warning")));
    expect(texts).toHaveLength(1);
    slow.kill();
  }, 60_000);

  it("does not text a victim again when the consumer timed out after SNS took the text", async () => {
    const victim = "+8613800138033";
    const alertId = await postWarning(victim);
    await drain(sqs, [queues["alert-push"]], consumer);
    // SNS takes the Publish and answers late; the function's timeout comes while it waits, so nothing is
    // recorded. Lambda ends the instance holding the SMS's send lease, which (2 s here, 60 s by default) runs
    // out well before SQS hands the job out again (8 s): the instance is started first, so that its cold
    // start does not eat into that margin.
    const cutOff = new LambdaFunction(
      bundle("queue-consumer"),
      { ...env, TEST_SNS_ANSWER_DELAY_MS: "8000", SMS_SEND_LEASE_SECONDS: "2" },
      CONSUMER_TIMEOUT_MS,
    );
    await cutOff.invoke({ Records: [] });
    cutOff.endsWhenItPublishes = true;
    const first = await pollOnce(sqs, queues["sms-urgent"], cutOff, { visibilitySeconds: 8 });
    cutOff.kill();
    expect(first.outcome).toBe("timed out");
    expect(cutOff.publishes.map((p) => p.phoneNumber)).toEqual([victim]);
    expect((await victimWarning(alertId))?.status).toBe("queued");

    const retried = await waitForRedelivery(queues["sms-urgent"], consumer);
    await drain(sqs, allQueues(), consumer);

    expect(retried.messageId).toBe(first.delivered[0]?.messageId);
    // SNS cannot be asked whether it has the text, and a second warning is worse than a missing receipt.
    expect(textsTo(victim)).toEqual([]);
    const warning = await victimWarning(alertId);
    expect(warning).toMatchObject({ status: "submitted", providerMessageId: null });
    const events = await database.db
      .select({ detail: smsEvents.detail })
      .from(smsEvents)
      .where(eq(smsEvents.messageId, warning?.id as string))
      .orderBy(asc(smsEvents.id));
    expect(events.map((e) => e.detail)).toEqual([
      null,
      "its lease ran out with no outcome recorded: its sender stopped; outcome unknown",
      "outcome unknown; cannot be checked, not re-sent",
    ]);
  }, 60_000);
});
