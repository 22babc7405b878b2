export * from "./alerts";
export * from "./organisation";
export * from "./queue";
export * from "./sms";
