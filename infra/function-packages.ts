/**
 * npm packages a function reads from disk at run time rather than importing, so SST installs them beside
 * its bundle (`nodejs.install`) instead of bundling them: the API serves Swagger UI's files at /docs
 * (src/http/docs.ts). scripts/lambda-bundles.ts copies the same packages, so test:cloud runs what deploys.
 */
export const INSTALLED_BESIDE: Partial<
  Record<"api" | "console" | "queue-consumer" | "sns-delivery-log" | "migrate", string[]>
> = {
  api: ["swagger-ui-dist"],
};
