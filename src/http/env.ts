import type { Principal } from "../auth/sessions";
import type { Log } from "../log";
import type { PartnerPrincipal } from "../partners/auth";

/** What middleware puts on the Hono context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Log;
    principal: Principal;
    /** Set by requirePartner (src/partners/auth.ts) on routes partners call with their API key. */
    partner: PartnerPrincipal;
  };
}
