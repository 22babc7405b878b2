import { randomBytes } from "node:crypto";
import { count, eq, isNotNull, sql } from "drizzle-orm";
import { officers, posts, stations } from "../../schema";
import { writeAudit } from "../audit/log";
import { hashPassword } from "../auth/passwords";
import { SMS_SIGNATURE_PATTERN } from "../config";
import type { Deps } from "../deps";
import { newId } from "../ids";
import { isMainlandMobile, normalizePhone } from "../privacy/phone";

/**
 * Going live on an empty database (`npm run setup`, like `goalert add-user --admin`): the station, its duty
 * desk (which takes every alert no jurisdiction rule claims) and its first admin. Nothing else: no demo rows,
 * no officers, no feed source; the admin adds those in the console.
 */
export interface BootstrapInput {
  stationName: string;
  /** 短信签名, e.g. 【昌吉公安】; stored on the station, where the server reads it (src/local/signature.ts). */
  signature: string;
  adminUsername: string;
  /** The admin's mobile, for the notices an admin is sent. */
  adminPhone: string;
  adminDisplayName?: string;
  /** A second station on the same database only when asked for by name: a repeated setup is a mistake. */
  anotherStation?: boolean;
}

export interface BootstrapResult {
  stationId: string;
  dutyDeskId: string;
  adminId: string;
  adminUsername: string;
  /** Shown once; the admin must replace it at first login (officers.password_change_required). */
  oneTimePassword: string;
}

/** Why setup refused, in both languages: the person running it reads a terminal, not a console page. */
export class BootstrapError extends Error {
  constructor(
    readonly field: string,
    readonly zh: string,
    readonly en: string,
  ) {
    super(`${field}: ${en}`);
  }
}

/** The same rule as POST /v1/officers (src/http/routes/officers.ts), so the admin can be managed later. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

const generatePassword = () => randomBytes(18).toString("base64url");

export function checkBootstrapInput(input: BootstrapInput): { phone: string } {
  if (input.stationName.trim().length < 2 || input.stationName.trim().length > 100) {
    throw new BootstrapError(
      "station",
      "派出所名称需 2 至 100 个字",
      "the station name must be 2-100 characters",
    );
  }
  if (!SMS_SIGNATURE_PATTERN.test(input.signature)) {
    throw new BootstrapError(
      "signature",
      "短信签名须为【】括起的 2 至 12 个字，例如【昌吉公安】",
      "the SMS signature must be 2-12 characters in 【】, like 【昌吉公安】",
    );
  }
  if (!USERNAME_PATTERN.test(input.adminUsername)) {
    throw new BootstrapError(
      "admin",
      "用户名须为 3 至 64 个小写字母、数字或 . _ -，以字母或数字开头",
      "the username must be 3-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  }
  const phone = normalizePhone(input.adminPhone);
  if (!phone || !isMainlandMobile(phone)) {
    throw new BootstrapError(
      "admin-phone",
      "手机号无效：请填写 11 位大陆手机号，例如 13800138000",
      "not a valid mainland mobile number; give 11 digits like 13800138000",
    );
  }
  return { phone };
}

export async function bootstrapStation(
  deps: Pick<Deps, "db" | "pii" | "clock" | "config">,
  input: BootstrapInput,
): Promise<BootstrapResult> {
  const { phone } = checkBootstrapInput(input);
  const oneTimePassword = generatePassword();
  const passwordHash = await hashPassword(oneTimePassword, deps.config.PASSWORD_HASH_COST);
  const ids = { stationId: newId("station"), dutyDeskId: newId("post"), adminId: newId("officer") };

  await deps.db.transaction(async (tx) => {
    // Two setups at once must not both see an empty database: the second waits here, then sees the first.
    await tx.execute(sql`lock table stations in share row exclusive mode`);
    const [{ value: existing } = { value: 0 }] = await tx.select({ value: count() }).from(stations);
    if (existing > 0 && !input.anotherStation) {
      throw new BootstrapError(
        "another-station",
        "数据库中已有派出所，未创建新的；确需再建一个所，请加 --another-station",
        "a station exists already; nothing was created. To add another one, pass --another-station",
      );
    }
    const signatures = await tx
      .selectDistinct({ signature: stations.smsSignature })
      .from(stations)
      .where(isNotNull(stations.smsSignature));
    const other = signatures.find((s) => s.signature !== input.signature);
    if (other) {
      // One server sends with one signature (SMS_SIGNATURE); a second one would silently never be used.
      throw new BootstrapError(
        "signature",
        `本服务器已使用短信签名 ${other.signature}，新所须使用同一签名`,
        `this server sends with the signature ${other.signature}; a new station must use the same one`,
      );
    }
    const [taken] = await tx
      .select({ id: officers.id })
      .from(officers)
      .where(eq(officers.username, input.adminUsername));
    if (taken) {
      throw new BootstrapError("admin", "该用户名已被使用", "that username is taken");
    }
    await tx
      .insert(stations)
      .values({ id: ids.stationId, name: input.stationName.trim(), smsSignature: input.signature });
    await tx
      .insert(posts)
      .values({ id: ids.dutyDeskId, stationId: ids.stationId, name: "所值班室", isDutyDesk: true });
    await tx.insert(officers).values({
      id: ids.adminId,
      stationId: ids.stationId,
      username: input.adminUsername,
      displayName: input.adminDisplayName?.trim() || "系统管理员",
      role: "admin",
      phoneEnc: deps.pii.encrypt(phone),
      phoneHash: deps.pii.hash(phone),
      passwordHash,
      passwordChangeRequired: true,
    });
    await writeAudit(tx, {
      stationId: ids.stationId,
      officerId: null,
      action: "officer.created",
      targetType: "officer",
      targetId: ids.adminId,
      data: { username: input.adminUsername, role: "admin", via: "setup" },
      at: deps.clock.now(),
    });
  });
  return { ...ids, adminUsername: input.adminUsername, oneTimePassword };
}
