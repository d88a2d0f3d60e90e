/**
 * Waits on an RDS lifecycle (a phase: deleting the instances, deleting the cluster, restoring the cluster,
 * creating the writer). RDS events end a phase; besides them, one check is armed for when this target's
 * phase is expected to end (its history, src/lib/history.ts), so a late or lost event costs seconds, not
 * the safety net. Without history, or once the expected end has passed, the safety net
 * (SAFETY_RECHECK_SECONDS) is the only re-check. A check armed this way costs an RDS call only when it
 * fires before the event: when the event comes first the wait has ended and the check is dropped unheard.
 */
import { PHASES, RefreshHistory, predictSeconds, type Phase } from '../history';
import type { CheckName } from '../../schemas/steps';
import type { StepContext, StepResult } from '../step-runner';

/** How long after the expected end the check looks: RDS's own timestamps are to the second. */
export const PREDICTION_MARGIN_SECONDS = 5;

export const historyOf = (ctx: StepContext) =>
  new RefreshHistory({ dynamo: ctx.deps.dynamo, tableName: ctx.deps.config.DYNAMODB_TABLE_NAME, ttlDays: ctx.deps.config.STATE_TTL_DAYS });

/** The phase a waiting step recorded, if it is one of ours. */
export function currentPhase(ctx: StepContext): { name: Phase; started_at: string } | undefined {
  const p = ctx.state.steps[ctx.stepName]?.phase;
  return p && (PHASES as readonly string[]).includes(p.name) ? (p as { name: Phase; started_at: string }) : undefined;
}

/** Waits for `phase` (begun at `startedAt`): the next check at its expected end, else the safety net. */
export async function phaseWaiting(
  ctx: StepContext,
  check: CheckName,
  phase: Phase,
  startedAt: string,
  audit: { type: string; details?: Record<string, unknown> },
): Promise<StepResult> {
  const { deps, state } = ctx;
  const safety = deps.config.SAFETY_RECHECK_SECONDS;
  const expected = predictSeconds((await historyOf(ctx).get(state.parameters.target_region, state.parameters.target_cluster_id))[phase]);
  let delaySeconds = safety;
  if (expected !== undefined) {
    const untilDue = (Date.parse(startedAt) + (expected + PREDICTION_MARGIN_SECONDS) * 1000 - deps.clock.now().getTime()) / 1000;
    if (untilDue > 0) delaySeconds = Math.min(safety, untilDue);
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
