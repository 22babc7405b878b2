import { SCHEDULES, type ScheduleName } from "../src/topology";
import { queues } from "./queues";
import { pascal } from "./settings";

/**
 * The cloud's stand-in for the local runtime's timers (src/local/scheduler.ts): EventBridge Scheduler puts
 * each scheduled message straight on its queue, where the queue's consumer handles it like any other.
 * Scheduler rates are whole minutes, so a schedule of seconds is rounded up.
 */
const role = new aws.iam.Role("SchedulerRole", {
  assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "scheduler.amazonaws.com" }),
  inlinePolicies: [
    {
      name: "send-scheduled-messages",
      policy: $jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "sqs:SendMessage",
            Resource: Object.values(SCHEDULES).map((s) => queues[s.queue].queue.arn),
          },
        ],
      }),
    },
  ],
});

export const schedules = (
  Object.entries(SCHEDULES) as [ScheduleName, (typeof SCHEDULES)[ScheduleName]][]
).map(([name, spec]) => {
  const minutes = Math.max(1, Math.ceil(spec.everySeconds / 60));
  return new aws.scheduler.Schedule(`${pascal(name)}Schedule`, {
    scheduleExpression: `rate(${minutes} ${minutes === 1 ? "minute" : "minutes"})`,
    flexibleTimeWindow: { mode: "OFF" },
    target: {
      arn: queues[spec.queue].queue.arn,
      roleArn: role.arn,
      input: JSON.stringify({ type: spec.message, v: 1 }),
      // A lost tick is replaced by the next one; retrying an old one is pointless.
      retryPolicy: { maximumRetryAttempts: 0 },
    },
  });
});
