/**
 * When to look at a snapshot copy again. RDS emits no event when a cluster-snapshot copy completes, but
 * DescribeDBClusterSnapshots reports its PercentProgress ("The percentage of the estimated data that has
 * been transferred", RDS API reference, DBClusterSnapshot) in whole percents. It can sit at 0 for minutes
 * before it moves, and its rate is not constant, so the next check is planned from what was seen:
 *
 * - nothing moved yet: back off, each wait as long as the time already spent (60 s, 120 s, 240 s, …);
 * - it just started moving: look again after the same interval (at most MEASURE_MAX_SECONDS), to measure a
 *   rate from two moving points;
 * - moving: the rate of the last two checks predicts the completion. Far from it, look again at 70 % of
 *   the predicted time (the rate may change); near it (≤ NEAR_SECONDS), at the predicted completion plus
 *   a second. PercentProgress is rounded down, so (100 − p) / rate is the latest the copy can finish at
 *   that rate: the check lands just after it.
 * Every delay is bounded: at least MIN_SECONDS (no hot loop), at most the safety net `maxSeconds`.
 */
export interface CopyObservation {
  atMs: number;
  percent: number;
}

export const MIN_SECONDS = 2;
/** Below this predicted remaining time, check at the predicted completion instead of refining. */
export const NEAR_SECONDS = 90;
/** Far from completion, the next check is at this fraction of the predicted remaining time. */
export const REFINE_FRACTION = 0.7;
/** The longest wait to measure a rate once the copy moves. */
export const MEASURE_MAX_SECONDS = 120;
/** With this target's copy history, the first check is at this fraction of its usual duration. */
export const FIRST_CHECK_OF_USUAL = 0.7;

/*
 * Chosen by simulating 400 copies of 8–20 minutes with the simulator's progress model (plateau, uneven
 * rate): without history, a first check at 150 s makes 5.4 DescribeDBClusterSnapshots per copy and sees the
 * copy available a median 8.5 s after it is (mean 22 s; a 30-second poller: 15 s, ~28 calls); with history,
 * 3.8 calls and a median of 6.8 s. The tail (p90 ~50–70 s) is a last stretch faster than the one measured.
 */

export function nextCopyCheckSeconds(input: {
  /** When the copy started (CopyDBClusterSnapshot accepted it). */
  startedAtMs: number;
  /** The check before this one, if any (carried in the RecheckDue that woke this one). */
  previous?: CopyObservation;
  /** This check. */
  current: CopyObservation;
  /** The first wait when nothing has been seen (COPY_RECHECK_SECONDS). */
  firstSeconds: number;
  /** The safety net: no wait is longer (COPY_RECHECK_MAX_SECONDS). */
  maxSeconds: number;
}): number {
  const { startedAtMs, previous, current } = input;
  const clamp = (s: number) => Math.min(input.maxSeconds, Math.max(MIN_SECONDS, Math.ceil(s)));
  const sinceStart = (current.atMs - startedAtMs) / 1000;
  if (current.percent <= 0) return clamp(Math.max(input.firstSeconds, sinceStart));
  const sincePrevious = previous ? (current.atMs - previous.atMs) / 1000 : sinceStart;
  if (!previous || previous.percent <= 0 || current.percent <= previous.percent || sincePrevious <= 0) {
    // Two moving points are needed for a rate; an unchanged percentage says only that the rate is low.
    return clamp(Math.max(input.firstSeconds / 2, Math.min(MEASURE_MAX_SECONDS, sincePrevious)));
  }
  const ratePerSecond = (current.percent - previous.percent) / sincePrevious;
  const remaining = (100 - current.percent) / ratePerSecond;
  return clamp(remaining <= NEAR_SECONDS ? remaining + 1 : remaining * REFINE_FRACTION);
}
