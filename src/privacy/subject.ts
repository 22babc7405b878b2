import { maskName, maskPhone } from "./phone";
import type { Pii } from "./pii";

interface SealedSubject {
  id: string;
  subjectPhoneEnc: string | null;
  subjectNameEnc: string | null;
  personalDataPurgedAt: Date | null;
}

/** The subject as lists and views show it: masked, or null with the time of the retention purge. */
export function maskedSubject(pii: Pii, alert: SealedSubject) {
  return {
    phone: alert.subjectPhoneEnc ? maskPhone(pii.decrypt(alert.subjectPhoneEnc)) : null,
    name: alert.subjectNameEnc ? maskName(pii.decrypt(alert.subjectNameEnc)) : null,
    purgedAt: alert.personalDataPurgedAt?.toISOString() ?? null,
  };
}

/**
 * The number of a subject whose alert is still being handled (pushed, re-warned). The retention purge
 * clears only alerts closed long ago, so a missing number here is a bug, not a state to handle.
 */
export function openSubjectPhone(pii: Pii, alert: Pick<SealedSubject, "id" | "subjectPhoneEnc">): string {
  if (alert.subjectPhoneEnc === null) throw new Error(`alert ${alert.id} is open but its subject was purged`);
  return pii.decrypt(alert.subjectPhoneEnc);
}
