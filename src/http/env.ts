import type { Principal } from "../auth/sessions";
import type { Log } from "../log";

/** What middleware puts on the Hono context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Log;
    principal: Principal;
  };
}
