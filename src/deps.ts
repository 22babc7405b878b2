import type { Clock } from "./clock";
import type { Config } from "./config";
import type { Database, Db } from "./db/client";
import type { Log } from "./log";
import type { Pii } from "./privacy/pii";
import type { QueuePort } from "./queue/port";
import type { SmsChannel } from "./sms/channels/channel";

/** Everything a use case may depend on. Use cases take `Pick<Deps, ...>` of what they need. */
export interface Deps {
  config: Config;
  database: Database;
  db: Db;
  log: Log;
  clock: Clock;
  pii: Pii;
  queue: QueuePort;
  sms: SmsChannel;
}
