/**
 * Waits on an RDS lifecycle (a phase: deleting the instances, deleting the cluster, restoring the cluster,
 * creating the writer). RDS events end a phase; besides them, checks are armed across the window in which
 * this target's phase is expected to end (its history, src/lib/history.ts): the first at the window's
 * start, then every WINDOW_CHECK_SECONDS until its end, so a late or lost event costs seconds, not the
 * safety net. Without history, or once the window has passed, the safety net (SAFETY_RECHECK_SECONDS) is
 * the only re-check. A check armed this way costs an RDS call only when it fires before the event: when
 * the event comes first the wait has ended and the check is dropped unheard (src/lib/recheck.ts).
 */
import { PHASES, RefreshHistory, predictWindow, type Phase } from '../history';
import type { CheckName } from '../../schemas/steps';
import type { StepContext, StepResult } from '../step-runner';

/**
 * Spacing of the checks inside the expected window. With RDS events 0–60 s late, a check every 10 s
 * takes the mean reaction inside the window from ~30 s (the event alone) to ~5 s (E[min(U(0,60), U(0,10))]),
 * for one call per 10 s of window before the phase ends. Measured on the bench's nightly scenario (6 targets
 * × 6 nights, nights 2+, mean added time and RDS calls per restore): every 15 s, 54 s at 37 calls; every 15 s
 * in a window widened by 1/n, 42 s at 44; every 10 s, 33 s at 44; 30-second polling, 79 s at 129.
 */
export const WINDOW_CHECK_SECONDS = 10;

export const historyOf = (ctx: StepContext) =>
  new RefreshHistory({ dynamo: ctx.deps.dynamo, tableName: ctx.deps.config.DYNAMODB_TABLE_NAME, ttlDays: ctx.deps.config.STATE_TTL_DAYS });

/** The phase a waiting step recorded, if it is one of ours. */
export function currentPhase(ctx: StepContext): { name: Phase; started_at: string } | undefined {
  const p = ctx.state.steps[ctx.stepName]?.phase;
  return p && (PHASES as readonly string[]).includes(p.name) ? (p as { name: Phase; started_at: string }) : undefined;
}

/** Waits for `phase` (begun at `startedAt`): the next check inside its expected window, else the safety net. */
export async function phaseWaiting(
  ctx: StepContext,
  check: CheckName,
  phase: Phase,
  startedAt: string,
  audit: { type: string; details?: Record<string, unknown> },
): Promise<Extract<StepResult, { kind: 'waiting' }>> {
  const { deps, state } = ctx;
  const safety = deps.config.SAFETY_RECHECK_SECONDS;
  const window = predictWindow((await historyOf(ctx).get(state.parameters.target_region, state.parameters.target_cluster_id))[phase]);
  const expected = window?.expected;
  let delaySeconds = safety;
  if (window) {
    const elapsed = (deps.clock.now().getTime() - Date.parse(startedAt)) / 1000;
    if (elapsed < window.from) delaySeconds = Math.min(safety, Math.ceil(window.from - elapsed));
    else if (elapsed < window.to) delaySeconds = Math.min(safety, WINDOW_CHECK_SECONDS);
  }
  return {
    kind: 'waiting',
    check,
    delaySeconds,
    phase: { name: phase, started_at: startedAt },
    audit: { type: audit.type, details: { ...audit.details, phase, expected_seconds: expected ?? null } },
  };
}

/**
 * Records how long `phase` took on this target, when it is the phase the step was waiting for: from its
 * start to `endedAt` (the RDS event's own time when an event ended it, else now).
 */
export async function recordPhaseEnd(ctx: StepContext, phase: Phase, endedAt: Date): Promise<void> {
  const current = ctx.state.steps[ctx.stepName]?.phase;
  if (current?.name !== phase) return;
  const seconds = (endedAt.getTime() - Date.parse(current.started_at)) / 1000;
  await historyOf(ctx).record(ctx.state.parameters.target_region, ctx.state.parameters.target_cluster_id, phase, seconds, ctx.deps.clock.now());
}

/** When an RDS event for `sourceId` woke the step: the time RDS gives for it (never later than now). */
export function eventTime(ctx: StepContext, sourceId: string): Date {
  const now = ctx.deps.clock.now();
  if (ctx.trigger.kind !== 'rds' || ctx.trigger.detail.SourceIdentifier.replace(/^rds:/, '').toLowerCase() !== sourceId.toLowerCase()) return now;
  const at = Date.parse(ctx.trigger.detail.Date);
  return Number.isFinite(at) && at < now.getTime() ? new Date(at) : now;
}
