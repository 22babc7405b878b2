import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull } from "drizzle-orm";
import { officers, sessions } from "../../schema";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { DUMMY_HASH, verifyPassword } from "./passwords";
import { assertNotThrottled, clearLoginFailures, recordLoginFailure } from "./throttle";

export interface Principal {
  officerId: string;
  stationId: string;
  postId: string | null;
  role: "officer" | "supervisor" | "admin";
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("base64url");

/** The console keeps the same session as API clients, in an HttpOnly cookie of this name. */
export const SESSION_COOKIE = "af_session";

export async function login(
  deps: Pick<Deps, "db" | "clock" | "config">,
  input: { username: string; password: string },
): Promise<{ token: string; expiresAt: Date }> {
  await assertNotThrottled(deps, input.username);
  const [officer] = await deps.db.select().from(officers).where(eq(officers.username, input.username));
  const passwordOk = await verifyPassword(input.password, officer?.passwordHash ?? DUMMY_HASH);
  const refusedDemo = officer?.demo && deps.config.NODE_ENV === "production";
  if (!officer || !passwordOk || officer.disabledAt || refusedDemo) {
    await recordLoginFailure(deps, input.username);
    throw new AppError("UNAUTHENTICATED", "wrong username or password");
  }
  await clearLoginFailures(deps, input.username);
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(deps.clock.now().getTime() + deps.config.SESSION_TTL_HOURS * 3600_000);
  await deps.db.insert(sessions).values({ tokenHash: hashToken(token), officerId: officer.id, expiresAt });
  return { token, expiresAt };
}

export async function authenticate(
  deps: Pick<Deps, "db" | "clock">,
  token: string,
): Promise<Principal | undefined> {
  const [row] = await deps.db
    .select({
      officerId: officers.id,
      stationId: officers.stationId,
      postId: officers.postId,
      role: officers.role,
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
  return row;
}

/** Ends the session the token belongs to. Unknown or expired tokens are fine: logging out is idempotent. */
export async function logout(deps: Pick<Deps, "db">, token: string): Promise<void> {
  await deps.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
}

/** Ends every session of an officer (disabled, or their password was reset). */
export async function endSessionsOf(executor: Executor, officerId: string): Promise<void> {
  await executor.delete(sessions).where(eq(sessions.officerId, officerId));
}
