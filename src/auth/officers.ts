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
        .select({ id: posts.id, disabledAt: posts.disabledAt })
        .from(posts)
        .where(and(eq(posts.id, input.postId), eq(posts.stationId, principal.stationId)));
      if (!post) throw invalid("postId", "no such post at your station");
      if (post.disabledAt) throw invalid("postId", "the post is disabled");
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

export interface UpdateOfficerInput {
  displayName?: string;
  /** null removes the phone (the officer is then not paged by SMS). */
  phone?: string | null;
  postId?: string | null;
  role?: (typeof OFFICER_ROLES)[number];
}

const invalid = (path: string, message: string) =>
  new AppError("VALIDATION_FAILED", "the officer is not valid", [{ path, message }]);

/**
 * Changes an officer's name, phone, post or role; fields left out stay. An officer works at an enabled post of
 * the station; an admin cannot change their own role (the station could be left without an admin). The audit
 * entry names the fields changed, never the phone number.
 */
export async function updateOfficer(
  deps: AdminDeps,
  principal: Principal,
  officerId: string,
  input: UpdateOfficerInput,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  const phone = input.phone === undefined || input.phone === null ? input.phone : normalizePhone(input.phone);
  if (phone === undefined && input.phone !== undefined) throw invalid("phone", "not a valid phone number");
  if (officerId === principal.officerId && input.role !== undefined && input.role !== principal.role) {
    throw new AppError("CONFLICT", "an admin cannot change their own role; ask another admin", [
      { path: "role", message: "your own role" },
    ]);
  }
  return deps.db.transaction(async (tx) => {
    const officer = await officerOf(tx, principal, officerId, { forUpdate: true });
    const role = input.role ?? officer.role;
    const postId = input.postId === undefined ? officer.postId : input.postId;
    if (role === "officer" && !postId) throw invalid("postId", "an officer works at a post; give the post");
    if (postId && postId !== officer.postId) {
      const [post] = await tx
        .select({ id: posts.id, disabledAt: posts.disabledAt })
        .from(posts)
        .where(and(eq(posts.id, postId), eq(posts.stationId, principal.stationId)));
      if (!post) throw invalid("postId", "no such post at your station");
      if (post.disabledAt) throw invalid("postId", "the post is disabled");
    }
    const changes: Partial<OfficerRow> = {};
    if (input.displayName !== undefined && input.displayName !== officer.displayName) {
      changes.displayName = input.displayName;
    }
    if (input.role !== undefined && input.role !== officer.role) changes.role = input.role;
    if (postId !== officer.postId) changes.postId = postId;
    if (phone !== undefined) {
      const hash = phone ? deps.pii.hash(phone) : null;
      if (hash !== officer.phoneHash) {
        changes.phoneEnc = phone ? deps.pii.encrypt(phone) : null;
        changes.phoneHash = hash;
      }
    }
    const fields = Object.keys(changes).map((k) => (k === "phoneEnc" || k === "phoneHash" ? "phone" : k));
    if (fields.length === 0) return officerView(deps, officer);
    const [updated] = await tx.update(officers).set(changes).where(eq(officers.id, officerId)).returning();
    // A new role changes what the officer's open sessions may do: they log in again.
    if (changes.role) await endSessionsOf(tx, officerId);
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: "officer.updated",
      targetType: "officer",
      targetId: officerId,
      data: {
        username: officer.username,
        fields: [...new Set(fields)],
        ...(changes.role ? { role: changes.role } : {}),
        ...(changes.postId !== undefined ? { postId: changes.postId } : {}),
      },
      at: deps.clock.now(),
    });
    return officerView(deps, updated as OfficerRow);
  });
}

/** Gives a disabled officer their access back (with the password they had); enabling twice is once. */
export async function enableOfficer(deps: AdminDeps, principal: Principal, officerId: string) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const officer = await officerOf(tx, principal, officerId, { forUpdate: true });
    if (!officer.disabledAt) return officerView(deps, officer);
    const [enabled] = await tx
      .update(officers)
      .set({ disabledAt: null })
      .where(eq(officers.id, officerId))
      .returning();
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: "officer.enabled",
      targetType: "officer",
      targetId: officerId,
      data: { username: officer.username },
      at: deps.clock.now(),
    });
    return officerView(deps, enabled as OfficerRow);
  });
}

/**
 * An admin sets an officer's on-duty switch (the same switch the officer marks themselves,
 * src/organisation/duty-self.ts): it counts within the officer's shifts and covers, or always at a post
 * without a roster. A disabled officer is never on duty.
 */
export async function setOfficerOnDuty(
  deps: AdminDeps,
  principal: Principal,
  officerId: string,
  onDuty: boolean,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const officer = await officerOf(tx, principal, officerId, { forUpdate: true });
    if (onDuty && officer.disabledAt) {
      throw new AppError("CONFLICT", "a disabled officer cannot be on duty; enable them first", [
        { path: "onDuty", message: "the officer is disabled" },
      ]);
    }
    if (officer.onDuty === onDuty) return officerView(deps, officer);
    const [changed] = await tx.update(officers).set({ onDuty }).where(eq(officers.id, officerId)).returning();
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: onDuty ? "officer.put_on_duty" : "officer.taken_off_duty",
      targetType: "officer",
      targetId: officerId,
      data: { username: officer.username },
      at: deps.clock.now(),
    });
    return officerView(deps, changed as OfficerRow);
  });
}
