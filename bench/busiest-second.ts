/**
 * The busiest one-second window of a stream of sends, in parts, and when it began: what a provider that
 * counts arrivals per second would have seen at worst. Every window starting at an arrival is looked at.
 * Shared by bench:sms and the multi-process limiter test, which hold the engine to the same bound.
 */
interface Send {
  at: number;
  parts: number;
}

export function busiestSecond(arrivals: readonly Send[]): Send {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  let parts = 0;
  let at = 0;
  let inWindow = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    const arrival = sorted[i] as Send;
    inWindow += arrival.parts;
    while (arrival.at - (sorted[j] as Send).at >= 1000) {
      inWindow -= (sorted[j++] as Send).parts;
    }
    if (inWindow > parts) {
      parts = inWindow;
      at = (sorted[j] as Send).at;
    }
  }
  return { parts, at };
}
