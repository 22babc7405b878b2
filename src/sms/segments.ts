import { SegmentedMessage } from "sms-segments-calculator";

/**
 * Parts a provider will bill: GSM-7 160/153, UCS-2 (any Chinese) 70/67, signature included.
 * Counted by a library that handles surrogate pairs and GSM extension characters correctly.
 */
export function countSegments(body: string): number {
  return new SegmentedMessage(body).segmentsCount;
}
