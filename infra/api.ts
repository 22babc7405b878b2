import { CLOUD_FUNCTIONS } from "../src/topology";
import { INSTALLED_BESIDE } from "./function-packages";
import { appFunction } from "./functions";
import { migration } from "./migrations";

/** The HTTP API: every route goes to the one Hono app (functions/api.ts), as `npm start` serves it. */
export const api = new sst.aws.ApiGatewayV2("Api");

// API Gateway gives up on an integration after 30 s; answer or fail before it does.
const handler = new sst.aws.Function(
  "ApiFunction",
  appFunction({
    handler: "functions/api.handler",
    timeoutSeconds: 25,
    reservedConcurrency: CLOUD_FUNCTIONS.api.reservedConcurrency,
    install: INSTALLED_BESIDE.api,
  }),
  { dependsOn: [migration] },
);

api.route("$default", handler.arn);
