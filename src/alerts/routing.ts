export interface RoutingRule {
  id: string;
  postId: string;
  kind: "area_prefix" | "address_keyword";
  pattern: string;
}

export interface Route {
  postId: string;
  /** The rule that decided, or `duty_desk`. */
  routedBy: string;
}

/**
 * Jurisdiction: the longest matching area-code prefix wins; failing that, the longest address keyword
 * found in the address; failing that, the station's duty desk. Longest-first makes a village rule beat
 * its township's without anyone ordering rules by hand.
 */
export function chooseRoute(
  rules: readonly RoutingRule[],
  dutyDeskPostId: string,
  area: { code?: string | null; address?: string | null },
): Route {
  const longest = (matches: RoutingRule[]) =>
    matches.sort((a, b) => b.pattern.length - a.pattern.length || a.id.localeCompare(b.id))[0];
  const code = area.code ?? "";
  const byCode = code
    ? longest(rules.filter((r) => r.kind === "area_prefix" && code.startsWith(r.pattern)))
    : undefined;
  if (byCode) return { postId: byCode.postId, routedBy: byCode.id };
  const address = area.address ?? "";
  const byAddress = address
    ? longest(rules.filter((r) => r.kind === "address_keyword" && address.includes(r.pattern)))
    : undefined;
  if (byAddress) return { postId: byAddress.postId, routedBy: byAddress.id };
  return { postId: dutyDeskPostId, routedBy: "duty_desk" };
}
