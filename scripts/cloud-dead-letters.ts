/**
 * The cloud's dead letters, for an operator with AWS credentials for the stage (README, "Deploying to AWS"):
 *   npm run cloud:dead-letters -- <queue>      how many, and the first ten as published (ids and types only)
 *   npm run cloud:redrive -- <queue>           move them all back to <queue> (SQS message move task)
 *   npm run cloud:redrive -- <queue> --status  how the latest move tasks went
 * The dead-letter queue's URL comes from the deploy's outputs (.sst/outputs.json, `deadLetterQueues`), or
 * --dlq-url <url>. <queue> is a name from src/topology.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SQSClient } from "@aws-sdk/client-sqs";
import { deadLetterCount, moveStatus, peekDeadLetters, redriveDeadLetters } from "../src/cloud/dead-letters";
import { QUEUE_NAMES } from "../src/topology";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    redrive: { type: "boolean", default: false },
    status: { type: "boolean", default: false },
    "dlq-url": { type: "string" },
    "per-second": { type: "string", default: "50" },
  },
});
const [queue] = positionals;
if (!queue || !(QUEUE_NAMES as string[]).includes(queue)) {
  process.stderr.write(`name a queue: ${QUEUE_NAMES.join(", ")}\n`);
  process.exit(2);
}

function dlqUrlFromOutputs(): string | undefined {
  const file = ".sst/outputs.json";
  if (!existsSync(file)) return undefined;
  const outputs = JSON.parse(readFileSync(file, "utf8")) as { deadLetterQueues?: Record<string, string> };
  return outputs.deadLetterQueues?.[queue as string];
}

const dlqUrl = values["dlq-url"] ?? dlqUrlFromOutputs();
if (!dlqUrl) {
  process.stderr.write("no dead-letter queue URL: deploy first (.sst/outputs.json) or pass --dlq-url\n");
  process.exit(2);
}

const sqs = new SQSClient({});
if (values.status) {
  for (const task of await moveStatus(sqs, dlqUrl)) process.stdout.write(`${JSON.stringify(task)}\n`);
} else if (values.redrive) {
  const count = await deadLetterCount(sqs, dlqUrl);
  const handle = await redriveDeadLetters(sqs, dlqUrl, Number(values["per-second"]));
  process.stdout.write(`moving about ${count} message(s) back to ${queue}; task ${handle}\n`);
  process.stdout.write(`follow it with: npm run cloud:redrive -- ${queue} --status\n`);
} else {
  process.stdout.write(
    `${await deadLetterCount(sqs, dlqUrl)} dead letter(s) in ${queue}'s dead-letter queue\n`,
  );
  for (const letter of await peekDeadLetters(sqs, dlqUrl))
    process.stdout.write(`${JSON.stringify(letter)}\n`);
}
