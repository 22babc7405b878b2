import { AppError } from "../errors";
import type { Principal } from "./sessions";

/**
 * Administration (officers, posts and routing, feed sources, partners, campaigns) is the admin's job, for
 * their own station: anyone else is refused with 403 and `refusal`, which says what only admins may do.
 */
export function assertAdmin(principal: Pick<Principal, "role">, refusal = "admins only"): void {
  if (principal.role !== "admin") throw new AppError("FORBIDDEN", refusal);
}

/**
 * The station's oversight (reports, routing, the audit log, dead letters, quotas, campaigns) is for
 * supervisors and admins; an officer works their own alerts and is refused with 403 and `refusal`.
 */
export function assertSupervisorOrAdmin(
  principal: Pick<Principal, "role">,
  refusal = "supervisors and admins only",
): void {
  if (principal.role === "officer") throw new AppError("FORBIDDEN", refusal);
}
