import { CONSOLE_GATEWAY_ROUTES } from "../src/console/gateway-routes";
import { CLOUD_FUNCTIONS } from "../src/topology";
import { INSTALLED_BESIDE } from "./function-packages";
import { appFunction } from "./functions";
import { migration } from "./migrations";

/**
 * One API Gateway, two functions, each bundling only its own surface (src/http/app.ts joins them for
 * `npm start`): the console's pages (functions/console.ts) and everything else, the JSON API with its
 * OpenAPI document and /docs (functions/api.ts). API Gateway sends a request to its most specific route.
 */
export const api = new sst.aws.ApiGatewayV2("Api");

// API Gateway gives up on an integration after 30 s; answer or fail before it does.
const apiFunction = new sst.aws.Function(
  "ApiFunction",
  appFunction({
    handler: "functions/api.handler",
    timeoutSeconds: 25,
    reservedConcurrency: CLOUD_FUNCTIONS.api.reservedConcurrency,
    install: INSTALLED_BESIDE.api,
  }),
  { dependsOn: [migration] },
);

const consoleFunction = new sst.aws.Function(
  "ConsoleFunction",
  appFunction({
    handler: "functions/console.handler",
    timeoutSeconds: 25,
    reservedConcurrency: CLOUD_FUNCTIONS.console.reservedConcurrency,
  }),
  { dependsOn: [migration] },
);

for (const route of CONSOLE_GATEWAY_ROUTES) api.route(route, consoleFunction.arn);
api.route("$default", apiFunction.arn);
