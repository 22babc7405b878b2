import { randomBytes } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import { officers, posts } from "../../schema";
import { writeAudit } from "../audit/log";
import { stationLookup } from "../db/station-scope";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { newId } from "../ids";
import { maskPhone, normalizePhone } from "../privacy/phone";
import { hashPassword } from "./passwords";
import { assertAdmin } from "./roles";
import { endSessionsOf, type Principal } from "./sessions";

type OfficerRow = typeof officers.$inferSelect;
type AdminDeps = Pick<Deps, "db" | "clock" | "pii" | "config">;

export const OFFICER_ROLES = ["officer", "supervisor", "admin"] as const;
export const MIN_PASSWORD_LENGTH = 12;

export interface CreateOfficerInput {
  username: string;
  displayName: string;
  role: (typeof OFFICER_ROLES)[number];
  postId?: string;
  phone?: string;
  /** Omit to have one generated; it is returned once and never again. */
  password?: string;
}

/** Officer administration is the admin's job, and only for their own station. */
const ADMIN_REFUSAL = "only admins manage officers";

/** 18 random bytes: 24 base64url characters, far beyond guessing even without the login throttle. */
const generatePassword = () => randomBytes(18).toString("base64url");

/** What an admin sees: no password hash, the phone masked. */
export function officerView(deps: Pick<Deps, "pii">, o: OfficerRow) {
  return {
    id: o.id,
    username: o.username,
    displayName: o.displayName,
    role: o.role,
    postId: o.postId,
    phone: o.phoneEnc ? maskPhone(deps.pii.decrypt(o.phoneEnc)) : null,
    onDuty: o.onDuty,
    disabledAt: o.disabledAt?.toISOString() ?? null,
    createdAt: o.createdAt.toISOString(),
  };
}

export async function createOfficer(deps: AdminDeps, principal: Principal, input: CreateOfficerInput) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const phone = input.phone === undefined ? undefined : normalizePhone(input.phone);
  if (input.phone !== undefined && !phone) {
    throw new AppError("VALIDATION_FAILED", "the officer is not valid", [
      { path: "phone", message: "not a valid phone number" },
    ]);
  }
  if (input.role === "officer" && !input.postId) {
    throw new AppError("VALIDATION_FAILED", "the officer is not valid", [
      { path: "postId", message: "an officer works at a post; give the post" },
    ]);
  }
  const password = input.password ?? generatePassword();
  const passwordHash = await hashPassword(password, deps.config.PASSWORD_HASH_COST);
  const now = deps.clock.now();
  const officer = await deps.db.transaction(async (tx) => {
    if (input.postId) {
      const [post] = await tx
        .select({ id: posts.id })
        .from(posts)
        .where(and(eq(posts.id, input.postId), eq(posts.stationId, principal.stationId)));
      if (!post) {
        throw new AppError("VALIDATION_FAILED", "the officer is not valid", [
          { path: "postId", message: "no such post at your station" },
        ]);
      }
    }
    const [created] = await tx
      .insert(officers)
      .values({
        id: newId("officer"),
        stationId: principal.stationId,
        postId: input.postId ?? null,
        username: input.username,
        displayName: input.displayName,
        role: input.role,
        phoneEnc: phone ? deps.pii.encrypt(phone) : null,
        phoneHash: phone ? deps.pii.hash(phone) : null,
        passwordHash,
        passwordChangeRequired: true,
      })
      .onConflictDoNothing({ target: officers.username })
      .returning();
    if (!created) {
      throw new AppError("CONFLICT", "that username is taken", [
        { path: "username", message: "already in use" },
      ]);
    }
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: "officer.created",
      targetType: "officer",
      targetId: created.id,
      data: { username: created.username, role: created.role, postId: created.postId },
      at: now,
    });
    return created;
  });
  return {
    officer: officerView(deps, officer),
    ...(input.password === undefined ? { initialPassword: password } : {}),
  };
}

export async function listOfficers(deps: Pick<Deps, "db" | "pii">, principal: Principal) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const rows = await deps.db
    .select()
    .from(officers)
    .where(eq(officers.stationId, principal.stationId))
    .orderBy(asc(officers.username));
  return rows.map((o) => officerView(deps, o));
}

/** An officer of the admin's station (locked for a change); another station's officer is not found. */
const officerOf = stationLookup(officers, "no such officer at your station");

/** Disables the account and ends its sessions at once, so a leaver's open console stops working. */
export async function disableOfficer(deps: AdminDeps, principal: Principal, officerId: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  if (officerId === principal.officerId) {
    throw new AppError("CONFLICT", "an admin cannot disable their own account; ask another admin");
  }
  return deps.db.transaction(async (tx) => {
    const officer = await officerOf(tx, principal, officerId, { forUpdate: true });
    await endSessionsOf(tx, officerId);
    // Disabling twice keeps the first time: that is when access ended.
    if (officer.disabledAt) return officerView(deps, officer);
    const now = deps.clock.now();
    const [disabled] = await tx
      .update(officers)
      .set({ disabledAt: now, onDuty: false })
      .where(eq(officers.id, officerId))
      .returning();
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: "officer.disabled",
      targetType: "officer",
      targetId: officerId,
      data: { username: officer.username },
      at: now,
    });
    return officerView(deps, disabled as OfficerRow);
  });
}

/**
 * A new generated password, returned once; the officer's sessions end (the old password may be known), and
 * the officer must choose their own at the next login.
 */
export async function resetOfficerPassword(deps: AdminDeps, principal: Principal, officerId: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const password = generatePassword();
  const passwordHash = await hashPassword(password, deps.config.PASSWORD_HASH_COST);
  await deps.db.transaction(async (tx) => {
    const officer = await officerOf(tx, principal, officerId, { forUpdate: true });
    await tx
      .update(officers)
      .set({ passwordHash, passwordChangeRequired: true })
      .where(eq(officers.id, officerId));
    await endSessionsOf(tx, officerId);
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: "officer.password_reset",
      targetType: "officer",
      targetId: officerId,
      data: { username: officer.username },
      at: deps.clock.now(),
    });
  });
  return { officerId, password };
}
