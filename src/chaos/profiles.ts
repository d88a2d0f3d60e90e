/** Fault profiles of a chaos run: each fault with its rate. */
export interface ChaosProfile {
  name: string;
  description: string;
  /** Queue deliveries: probability a message is delivered twice / a received batch is reordered. */
  duplicateDelivery: number;
  reorder: number;
  /** EventBridge Scheduler fires late by up to this many ms. */
  schedulerDelayMs: number;
  /** RDS events: dropped, duplicated, late (up to seconds). */
  eventDropRate: number;
  eventDuplicateRate: number;
  eventLateMaxSeconds: number;
  /** RDS API: Throttling and ServiceUnavailable rates (retried with backoff by the steps). */
  throttleRate: number;
  transientRate: number;
  /** A mutating RDS call succeeds, then the function dies before its state write. */
  crashAfterSideEffect: number;
  /** A handler runs its batch, then dies before acknowledging it. */
  crashBeforeAck: number;
  /** setup-db-users dies right after a post-restore SQL file commits (before its state write), or just before one runs. */
  crashMidHooks: number;
  /** One bus outage window (events archived, not delivered), replayed afterwards; 0 = none. */
  outageMinutes: number;
  /** When the outage starts, in virtual minutes after the requests. */
  outageStartMinute: number;
}

export const PROFILES: Record<string, ChaosProfile> = {
  calm: {
    name: 'calm',
    description: 'no faults at all: the baseline every invariant must hold on',
    duplicateDelivery: 0,
    reorder: 0,
    schedulerDelayMs: 0,
    eventDropRate: 0,
    eventDuplicateRate: 0,
    eventLateMaxSeconds: 0,
    throttleRate: 0,
    transientRate: 0,
    crashAfterSideEffect: 0,
    crashBeforeAck: 0,
    crashMidHooks: 0,
    outageMinutes: 0,
    outageStartMinute: 0,
  },
  hooks: {
    name: 'hooks',
    description: 'post-restore SQL under crashes: setup-db-users dies after half the SQL files commit (or before they run) and is redelivered; no file may run twice, no user may log in before the validations pass',
    duplicateDelivery: 0.1,
    reorder: 0.3,
    schedulerDelayMs: 0,
    eventDropRate: 0,
    eventDuplicateRate: 0,
    eventLateMaxSeconds: 0,
    throttleRate: 0,
    transientRate: 0,
    crashAfterSideEffect: 0,
    crashBeforeAck: 0.05,
    crashMidHooks: 0.5,
    outageMinutes: 0,
    outageStartMinute: 0,
  },
  hostile: {
    name: 'hostile',
    description: 'every fault at once: duplicates, reordering, late schedules, lost/duplicated/late RDS events, throttling, 503s, crashes, a bus outage',
    duplicateDelivery: 0.1,
    reorder: 0.3,
    schedulerDelayMs: 90_000,
    eventDropRate: 0.2,
    eventDuplicateRate: 0.1,
    eventLateMaxSeconds: 120,
    throttleRate: 0.08,
    transientRate: 0.03,
    crashAfterSideEffect: 0.05,
    crashBeforeAck: 0.03,
    crashMidHooks: 0.2,
    outageMinutes: 6,
    outageStartMinute: 14,
  },
};

export function profileNamed(name: string): ChaosProfile {
  const p = PROFILES[name];
  if (!p) throw new Error(`--profile: expected one of ${Object.keys(PROFILES).join(', ')}, got ${JSON.stringify(name)}`);
  return p;
}
