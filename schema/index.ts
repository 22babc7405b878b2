export * from "./alerts";
export * from "./organisation";
export * from "./parcels";
export * from "./partner-callbacks";
export * from "./queue";
export * from "./sms";
