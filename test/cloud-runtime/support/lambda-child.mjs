/**
 * One Lambda instance: a Node process that loads a function's bundle (its cold start) and runs one
 * invocation at a time, as the Lambda runtime does, for ./lambda-host.ts. SNS is answered at the HTTP
 * layer (msw, set up before the bundle loads, as the network is there before a function starts); every
 * other request (SQS to the local SQS server) goes out for real. Each Publish is reported to the host.
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { interceptLocalhostDns } from "fauxqs";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";

const [file, region] = process.argv.slice(2);
// A test may have SNS take a Publish and answer only this much later: an instance that times out meanwhile
// has sent the text without learning so, as a request cut off after it reached AWS leaves it.
const answerDelayMs = Number(process.env.TEST_SNS_ANSWER_DELAY_MS ?? 0);

const sns = setupServer(
  http.post(`https://sns.${region}.amazonaws.com/`, async ({ request }) => {
    const form = new URLSearchParams(await request.text());
    const messageId = randomUUID();
    process.send?.({
      kind: "published",
      phoneNumber: form.get("PhoneNumber"),
      message: form.get("Message"),
      messageId,
    });
    if (answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, answerDelayMs));
    return HttpResponse.xml(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }),
);
sns.listen({ onUnhandledRequest: "bypass" });
// The SQS server names its queues sqs.<region>.localhost, as AWS names them sqs.<region>.amazonaws.com:
// the instance's resolver sends every *.localhost to this machine, as the VPC's resolves AWS's names.
interceptLocalhostDns();

const started = performance.now();
const { handler } = await import(pathToFileURL(file).href);
process.send?.({ kind: "ready", initMs: performance.now() - started });

let queue = Promise.resolve();
process.on("message", (request) => {
  queue = queue.then(async () => {
    try {
      // The context Lambda passes, as far as the functions read it: the time left before the timeout.
      const context = {
        functionName: file,
        awsRequestId: request.id,
        getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
      };
      const result = await handler(request.event, context);
      process.send?.({ kind: "result", id: request.id, result: result ?? null });
    } catch (error) {
      // drizzle wraps the driver's error: its cause says what the database (or TLS) answered.
      const cause = error?.cause ? `\ncaused by: ${error.cause?.stack ?? error.cause}` : "";
      process.send?.({ kind: "error", id: request.id, error: `${error?.stack ?? error}${cause}` });
    }
  });
});
