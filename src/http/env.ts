import type { Principal } from "../auth/sessions";
import type { Log } from "../log";
import type { PartnerPrincipal } from "../partners/authenticate";

/** What middleware puts on the Hono context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Log;
    principal: Principal;
    /** Set by requirePartner (src/http/partner-auth.ts) on routes partners call with their API key. */
    partner: PartnerPrincipal;
  };
}
