/**
 * Handing a record back to its queue. A record that cannot be processed NOW — its step is being worked
 * on by another invocation, or RDS throttling outlasted the in-process retries — is reported failed
 * (partial batch failure) AND made visible again after a short, jittered delay with SQS
 * ChangeMessageVisibility, instead of waiting out the queue's visibility timeout (6 × the function
 * timeout, 30 minutes). Every receive counts towards maxReceiveCount, so the delays grow with the
 * receive count: a throttling storm still has tens of minutes to pass before the DLQ.
 * Other failures (unknown errors, maybe bugs) keep the full visibility timeout.
 */

/** The step is being worked on by another invocation: retry when its lease may have ended. */
export class StepBusyError extends Error {
  constructor(
    operationId: string,
    step: string,
    /** Until when the other invocation's lease holds (undefined: unknown). */
    readonly leaseUntil?: Date,
  ) {
    super(`${step} of ${operationId} is being worked on by another invocation`);
    this.name = 'StepBusyError';
  }
}

/** A retryable fault (throttling, 503) outlasted the in-process retries: the message is retried later. */
export class RetryLaterError extends Error {
  constructor(readonly cause: unknown) {
    super(`retryable fault outlasted the in-process retries: ${String((cause as Error)?.message ?? cause)}`);
    this.name = 'RetryLaterError';
  }
}

/** First hand-back of a busy record: the other invocation usually finishes within seconds. */
export const BUSY_FIRST_SECONDS = 5;
/** Hand-backs after throttling: 30 s, then ×3 per receive (30, 90, 270, 810 s), jittered. */
export const THROTTLED_BASE_SECONDS = 30;
const THROTTLED_FACTOR = 3;
/** SQS: "Values range: 0 to 43200. Maximum: 12 hours." */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Seconds until a failed record is visible again, or undefined to keep the queue's visibility timeout.
 * Equal jitter (half fixed, half random) spreads records that failed together.
 */
export function handBackSeconds(error: unknown, receiveCount: number, now: Date, random: () => number = Math.random): number | undefined {
  const jitter = (base: number) => Math.ceil(base / 2 + random() * (base / 2));
  if (error instanceof StepBusyError) {
    const leaseLeft = error.leaseUntil ? Math.max(1, Math.ceil((error.leaseUntil.getTime() - now.getTime()) / 1000)) : undefined;
    // First time: the holder is most likely alive and about to finish. Later: it may have crashed, and its lease must run out.
    const base = receiveCount <= 1 ? Math.min(BUSY_FIRST_SECONDS, leaseLeft ?? BUSY_FIRST_SECONDS) : (leaseLeft ?? BUSY_FIRST_SECONDS) + 1;
    return Math.min(MAX_VISIBILITY_SECONDS, receiveCount <= 1 ? jitter(base) : base + Math.ceil(random() * Math.max(1, base / 10)));
  }
  if (error instanceof RetryLaterError) {
    const base = THROTTLED_BASE_SECONDS * THROTTLED_FACTOR ** Math.max(0, receiveCount - 1);
    return Math.min(MAX_VISIBILITY_SECONDS, jitter(base));
  }
  return undefined;
}
