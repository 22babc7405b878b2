/**
 * API Gateway's routes to the console's function (infra/api.ts); every other request goes to the API's
 * function. Kept apart from ./surface.ts so infra/ reads it without loading the pages.
 * test/cloud/gateway-routes.test.ts checks they cover exactly what mountConsole serves.
 */
export const CONSOLE_GATEWAY_ROUTES = ["ANY /console", "ANY /console/{proxy+}", "GET /"] as const;
