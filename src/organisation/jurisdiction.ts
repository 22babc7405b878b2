import { and, asc, eq, getTableColumns, inArray, isNull } from "drizzle-orm";
import { jurisdictionRules, posts } from "../../schema";
import { chooseRoute, type Route } from "../alerts/routing";
import { auditFor } from "../audit/log";
import { assertAdmin, assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Executor } from "../db/client";
import { stationLookup } from "../db/station-scope";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { newId } from "../ids";

type AdminDeps = Pick<Deps, "db" | "clock">;
type PostRow = typeof posts.$inferSelect;
type RuleRow = typeof jurisdictionRules.$inferSelect;
export type RuleKind = RuleRow["kind"];

/**
 * The station's posts and the jurisdiction rules that route alerts to them (src/alerts/routing.ts). Admins
 * change them; admins and supervisors read them. A change applies to the next alert pushed: the push stage
 * reads the rules in its own transaction, so nothing needs reloading.
 */
const assertMayRead = (principal: Principal) =>
  assertSupervisorOrAdmin(principal, "only supervisors and admins see routing");
const ADMIN_REFUSAL = "only admins change posts and routing";

const postView = (p: PostRow) => ({
  id: p.id,
  name: p.name,
  isDutyDesk: p.isDutyDesk,
  disabledAt: p.disabledAt?.toISOString() ?? null,
  createdAt: p.createdAt.toISOString(),
});
const ruleView = (r: RuleRow) => ({
  id: r.id,
  kind: r.kind,
  pattern: r.pattern,
  postId: r.postId,
  createdAt: r.createdAt.toISOString(),
});

const auditPost = auditFor("post");
const auditRule = auditFor("jurisdiction_rule");

export async function listPosts(deps: AdminDeps, principal: Principal) {
  assertMayRead(principal);
  const rows = await deps.db
    .select()
    .from(posts)
    .where(eq(posts.stationId, principal.stationId))
    .orderBy(asc(posts.createdAt), asc(posts.id));
  return rows.map(postView);
}

/** A new post of the admin's station; the station's one duty desk is made with the station, not here. */
export async function createPost(deps: AdminDeps, principal: Principal, input: { name: string }) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(posts)
      .values({ id: newId("post"), stationId: principal.stationId, name: input.name })
      .onConflictDoNothing({ target: [posts.stationId, posts.name] })
      .returning();
    if (!created) throw nameTaken();
    const post = created as PostRow;
    await auditPost(tx, deps, principal, "post.created", post.id, { name: post.name });
    return postView(post);
  });
}

export async function renamePost(
  deps: AdminDeps,
  principal: Principal,
  postId: string,
  input: { name: string },
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const [other] = await tx
      .select({ id: posts.id })
      .from(posts)
      .where(and(eq(posts.stationId, principal.stationId), eq(posts.name, input.name)));
    if (other && other.id !== postId) throw nameTaken();
    const [renamed] = await tx
      .update(posts)
      .set({ name: input.name })
      .where(and(eq(posts.id, postId), eq(posts.stationId, principal.stationId)))
      .returning();
    if (!renamed) throw new AppError("NOT_FOUND", `no post ${postId} at your station`);
    await auditPost(tx, deps, principal, "post.renamed", postId, { name: input.name });
    return postView(renamed);
  });
}

/**
 * Disables or enables a post. A disabled post keeps its history (alerts, rules, rosters still name it) but
 * gets no new routing: its rules stop matching (`routableRules`), no officer or rule is newly put on it, and
 * no alert is transferred to it. The duty desk takes what no rule claims, so it cannot be disabled.
 */
export async function setPostDisabled(
  deps: AdminDeps,
  principal: Principal,
  postId: string,
  disabled: boolean,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const post = await stationPost(tx, principal, postId, { forUpdate: true });
    if (disabled && post.isDutyDesk) {
      throw new AppError("CONFLICT", "the duty desk takes every alert no rule claims; it cannot be disabled");
    }
    // Twice is once: the first time is when the post stopped taking alerts.
    if (Boolean(post.disabledAt) === disabled) return postView(post);
    const [changed] = await tx
      .update(posts)
      .set({ disabledAt: disabled ? deps.clock.now() : null })
      .where(eq(posts.id, postId))
      .returning();
    await auditPost(tx, deps, principal, disabled ? "post.disabled" : "post.enabled", postId, {
      name: post.name,
    });
    return postView(changed as PostRow);
  });
}

const stationPost = stationLookup(posts, "no such post at your station");

/**
 * The station's rules that still route: those of enabled posts. Push and the try-out both read them, so the
 * try-out answers what the next alert would meet.
 */
export function routableRules(executor: Executor, stationIds: string[]) {
  return executor
    .select(getTableColumns(jurisdictionRules))
    .from(jurisdictionRules)
    .innerJoin(posts, eq(posts.id, jurisdictionRules.postId))
    .where(and(inArray(jurisdictionRules.stationId, stationIds), isNull(posts.disabledAt)));
}

/** Post names are unique per station (the database says so too: posts_station_name_uq). */
const nameTaken = () =>
  new AppError("CONFLICT", "another post of your station has this name", [
    { path: "name", message: "already the name of a post of your station" },
  ]);

export async function listRules(deps: AdminDeps, principal: Principal) {
  assertMayRead(principal);
  const rows = await deps.db
    .select()
    .from(jurisdictionRules)
    .where(eq(jurisdictionRules.stationId, principal.stationId))
    .orderBy(asc(jurisdictionRules.kind), asc(jurisdictionRules.pattern));
  return rows.map(ruleView);
}

/**
 * A rule routing an area-code prefix or an address keyword to a post of the station. The same kind and
 * pattern twice would make routing depend on which was made first: refused with 409.
 */
export async function createRule(
  deps: AdminDeps,
  principal: Principal,
  input: { kind: RuleKind; pattern: string; postId: string },
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const [post] = await tx
      .select({ id: posts.id, disabledAt: posts.disabledAt })
      .from(posts)
      .where(and(eq(posts.id, input.postId), eq(posts.stationId, principal.stationId)));
    if (!post || post.disabledAt) {
      throw new AppError("VALIDATION_FAILED", "the rule is not valid", [
        { path: "postId", message: post ? "the post is disabled" : "no such post at your station" },
      ]);
    }
    const [created] = await tx
      .insert(jurisdictionRules)
      .values({ id: newId("rule"), stationId: principal.stationId, ...input })
      .onConflictDoNothing({
        target: [jurisdictionRules.stationId, jurisdictionRules.kind, jurisdictionRules.pattern],
      })
      .returning();
    if (!created) {
      throw new AppError("CONFLICT", "a rule with this kind and pattern exists; delete it first", [
        { path: "pattern", message: "already routed" },
      ]);
    }
    await auditRule(tx, deps, principal, "jurisdiction_rule.created", created.id, {
      kind: created.kind,
      pattern: created.pattern,
      postId: created.postId,
    });
    return ruleView(created);
  });
}

export async function deleteRule(deps: AdminDeps, principal: Principal, ruleId: string): Promise<void> {
  assertAdmin(principal, ADMIN_REFUSAL);
  await deps.db.transaction(async (tx) => {
    const [deleted] = await tx
      .delete(jurisdictionRules)
      .where(and(eq(jurisdictionRules.id, ruleId), eq(jurisdictionRules.stationId, principal.stationId)))
      .returning();
    if (!deleted) throw new AppError("NOT_FOUND", `no rule ${ruleId} at your station`);
    await auditRule(tx, deps, principal, "jurisdiction_rule.deleted", ruleId, {
      kind: deleted.kind,
      pattern: deleted.pattern,
      postId: deleted.postId,
    });
  });
}

/** Where an alert for this area would go now, and which rule decides: the rules can be tried before a warning comes. */
export async function tryRoute(
  deps: AdminDeps,
  principal: Principal,
  area: { code?: string; address?: string },
): Promise<Route & { postName: string }> {
  assertMayRead(principal);
  const [stationPosts, rules] = await Promise.all([
    deps.db.select().from(posts).where(eq(posts.stationId, principal.stationId)),
    routableRules(deps.db, [principal.stationId]),
  ]);
  const dutyDesk = stationPosts.find((p) => p.isDutyDesk);
  if (!dutyDesk) throw new AppError("CONFLICT", "your station has no duty desk; alerts could not be routed");
  const route = chooseRoute(rules, dutyDesk.id, area);
  const post = stationPosts.find((p) => p.id === route.postId) as PostRow;
  return { ...route, postName: post.name };
}
