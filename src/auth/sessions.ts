import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, ne } from "drizzle-orm";
import { officers, sessions } from "../../schema";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { dummyHash, verifyPassword } from "./passwords";
import { beginLoginAttempt, loginSucceeded } from "./throttle";

export interface Principal {
  officerId: string;
  stationId: string;
  postId: string | null;
  role: "officer" | "supervisor" | "admin";
  /** The password was set by an admin: this session may only change it (requireOfficer enforces it). */
  passwordChangeRequired: boolean;
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("base64url");

/** The console keeps the same session as API clients, in an HttpOnly cookie of this name. */
export const SESSION_COOKIE = "af_session";

/**
 * Checks a username and password; `clientAddress` is where the request came from (src/http/client-address.ts),
 * for the login throttle.
 */
export async function login(
  deps: Pick<Deps, "db" | "clock" | "config" | "pii">,
  input: { username: string; password: string; clientAddress: string },
): Promise<{ token: string; expiresAt: Date; passwordChangeRequired: boolean }> {
  const attempt = await beginLoginAttempt(deps, input);
  const [officer] = await deps.db.select().from(officers).where(eq(officers.username, input.username));
  const passwordOk = await verifyPassword(
    input.password,
    officer?.passwordHash ?? (await dummyHash(deps.config.PASSWORD_HASH_COST)),
  );
  const refusedDemo = officer?.demo && deps.config.NODE_ENV === "production";
  // A failure was counted when the attempt began; only a success has anything to undo.
  if (!officer || !passwordOk || officer.disabledAt || refusedDemo) {
    throw new AppError("UNAUTHENTICATED", "wrong username or password");
  }
  await loginSucceeded(deps, attempt);
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(deps.clock.now().getTime() + deps.config.SESSION_TTL_HOURS * 3600_000);
  await deps.db.insert(sessions).values({ tokenHash: hashToken(token), officerId: officer.id, expiresAt });
  return { token, expiresAt, passwordChangeRequired: officer.passwordChangeRequired };
}

/**
 * The officer behind a session token, or undefined for none (unknown, expired, officer disabled). A session
 * whose password an admin set is refused with PASSWORD_CHANGE_REQUIRED, except where `passwordChange` says
 * the caller is the way to change it.
 */
export async function authenticate(
  deps: Pick<Deps, "db" | "clock">,
  token: string,
  options: { passwordChange?: boolean } = {},
): Promise<Principal | undefined> {
  const [row] = await deps.db
    .select({
      officerId: officers.id,
      stationId: officers.stationId,
      postId: officers.postId,
      role: officers.role,
      passwordChangeRequired: officers.passwordChangeRequired,
    })
    .from(sessions)
    .innerJoin(officers, eq(officers.id, sessions.officerId))
    .where(
      and(
        eq(sessions.tokenHash, hashToken(token)),
        gt(sessions.expiresAt, deps.clock.now()),
        isNull(officers.disabledAt),
      ),
    );
  if (row?.passwordChangeRequired && !options.passwordChange) {
    throw new AppError(
      "PASSWORD_CHANGE_REQUIRED",
      "your password was set by an admin; choose your own first (POST /v1/auth/password)",
    );
  }
  return row;
}

/** Ends the session the token belongs to. Unknown or expired tokens are fine: logging out is idempotent. */
export async function logout(deps: Pick<Deps, "db">, token: string): Promise<void> {
  await deps.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
}

/** Ends an officer's sessions but the one `keepToken` belongs to (they changed their own password there). */
export async function endOtherSessionsOf(
  executor: Executor,
  officerId: string,
  keepToken: string,
): Promise<void> {
  await executor
    .delete(sessions)
    .where(and(eq(sessions.officerId, officerId), ne(sessions.tokenHash, hashToken(keepToken))));
}

/** Ends every session of an officer (disabled, or their password was reset). */
export async function endSessionsOf(executor: Executor, officerId: string): Promise<void> {
  await executor.delete(sessions).where(eq(sessions.officerId, officerId));
}
