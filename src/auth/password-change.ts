import { eq } from "drizzle-orm";
import { officers } from "../../schema";
import { writeAudit } from "../audit/log";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { hashPassword, verifyPassword } from "./passwords";
import { endOtherSessionsOf, type Principal } from "./sessions";
import { beginLoginAttempt, loginSucceeded } from "./throttle";

/**
 * An officer sets their own password. The current one must be given (a session left open on a shared phone
 * is not enough to take the account over), and a wrong one counts as a failed login for the username, so
 * this is no way around the login throttle. The officer's other sessions end; this one goes on.
 */
export async function changeOwnPassword(
  deps: Pick<Deps, "db" | "clock" | "config" | "pii">,
  principal: Principal,
  sessionToken: string,
  input: { currentPassword: string; newPassword: string; clientAddress: string },
): Promise<void> {
  const [officer] = await deps.db.select().from(officers).where(eq(officers.id, principal.officerId));
  if (!officer) throw new AppError("UNAUTHENTICATED", "the session's officer no longer exists");
  const attempt = await beginLoginAttempt(deps, {
    username: officer.username,
    clientAddress: input.clientAddress,
  });
  if (!(await verifyPassword(input.currentPassword, officer.passwordHash))) {
    throw new AppError("FORBIDDEN", "the current password is wrong", [
      { path: "currentPassword", message: "does not match" },
    ]);
  }
  await loginSucceeded(deps, attempt);
  if (input.newPassword === input.currentPassword) {
    throw new AppError("VALIDATION_FAILED", "the new password must differ from the current one", [
      { path: "newPassword", message: "same as the current password" },
    ]);
  }
  if (input.newPassword.toLowerCase().includes(officer.username.toLowerCase())) {
    throw new AppError("VALIDATION_FAILED", "the new password must not contain the username", [
      { path: "newPassword", message: "contains the username" },
    ]);
  }
  const passwordHash = await hashPassword(input.newPassword, deps.config.PASSWORD_HASH_COST);
  await deps.db.transaction(async (tx) => {
    await tx
      .update(officers)
      .set({ passwordHash, passwordChangeRequired: false })
      .where(eq(officers.id, officer.id));
    await endOtherSessionsOf(tx, officer.id, sessionToken);
    await writeAudit(tx, {
      stationId: officer.stationId,
      officerId: officer.id,
      action: "officer.password_changed",
      targetType: "officer",
      targetId: officer.id,
      data: { username: officer.username },
      at: deps.clock.now(),
    });
  });
}
