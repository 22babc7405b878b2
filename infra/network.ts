import { isProduction } from "./settings";

/**
 * Private subnets for the database and the functions. The functions need a way out to SQS and SNS: a NAT
 * instance is enough for other stages, production gets managed NAT gateways (one per AZ, no single
 * instance to fail).
 */
export const vpc = new sst.aws.Vpc("Vpc", { nat: isProduction ? "managed" : "ec2" });
