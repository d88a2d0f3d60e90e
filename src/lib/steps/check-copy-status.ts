import type { Step, StepResult } from '../step-runner';
import { predictSeconds } from '../history';
import { FIRST_CHECK_OF_USUAL, nextCopyCheckSeconds, type CopyObservation } from './copy-progress';
import { historyOf, recordPhaseEnd } from './phase-wait';

const CHECK = 'copy' as const;

/**
 * check-copy-status: RDS emits no event when a cluster-snapshot copy finishes, so this wait is driven by
 * re-checks planned from the copy's PercentProgress (copy-progress.ts), each a DescribeDBClusterSnapshots.
 * The started event makes no call (a copy just accepted is at 0 %): it arms the first check, at 70 % of this
 * target's usual copy time when there is history (src/lib/history.ts), else after COPY_RECHECK_SECONDS.
 */
export const checkCopyStatus: Step = {
  name: 'check-copy-status',
  mode: 'wait',
  recheck: { check: CHECK, delaySeconds: (c) => c.COPY_RECHECK_SECONDS },
  triggers: ['CopyStarted'],

  async run(ctx): Promise<StepResult> {
    const { state, deps, trigger } = ctx;
    const config = deps.config;
    const region = state.parameters.target_region;
    const id = state.snapshot_details.target_snapshot_id;
    if (!id) throw new Error('target snapshot id missing: copy-snapshot has not recorded it');
    const startedAtMs = Date.parse(state.steps['copy-snapshot']?.finished_at ?? state.steps['check-copy-status']?.started_at ?? ctx.now.toISOString());
    const phase = { name: 'copy', started_at: new Date(startedAtMs).toISOString() };
    if (trigger.kind === 'domain' && trigger.event.type === 'CopyStarted') {
      const usual = predictSeconds((await historyOf(ctx).get(region, state.parameters.target_cluster_id)).copy);
      const first = usual === undefined ? config.COPY_RECHECK_SECONDS : Math.max(usual * FIRST_CHECK_OF_USUAL - (ctx.now.getTime() - startedAtMs) / 1000, 1);
      return { kind: 'waiting', check: CHECK, delaySeconds: first, phase, audit: { type: 'COPY_PENDING', details: { status: 'copying', percent_progress: 0, expected_seconds: usual ?? null } } };
    }
    const snapshot = await ctx.retry(() => deps.rds.describeClusterSnapshot(region, id));
    if (!snapshot) return { kind: 'failed', code: 'CopyFailed', message: `the copy ${id} no longer exists in ${region}` };
    if (snapshot.status === 'available') {
      await recordPhaseEnd(ctx, 'copy', deps.clock.now());
      return {
        kind: 'done',
        event: ctx.event('CopyCompleted', { skipped: false, snapshot: { snapshotId: id, snapshotArn: snapshot.snapshotArn, region: region as never } }),
        status: 'COPY_COMPLETED',
        next: 'delete-rds',
        patch: { snapshot_details: { snapshot_status: 'available' } },
        audit: { type: 'COPY_COMPLETED', details: { target_snapshot_id: id } },
      };
    }
    if (['failed', 'error', 'incompatible-restore'].includes(snapshot.status)) {
      return { kind: 'failed', code: 'CopyFailed', message: `the copy ${id} in ${region} ended ${snapshot.status}` };
    }
    const now = deps.clock.now();
    const current: CopyObservation = { atMs: now.getTime(), percent: snapshot.percentProgress ?? 0 };
    const seen = trigger.kind === 'domain' && trigger.event.type === 'RecheckDue' ? trigger.event.detail.observed : undefined;
    const previous = seen ? { atMs: Date.parse(seen.at), percent: seen.percent } : undefined;
    const delaySeconds = nextCopyCheckSeconds({ startedAtMs, previous, current, firstSeconds: config.COPY_RECHECK_SECONDS, maxSeconds: config.COPY_RECHECK_MAX_SECONDS });
    return {
      kind: 'waiting',
      check: CHECK,
      delaySeconds,
      phase,
      observed: { at: now.toISOString(), percent: current.percent },
      audit: { type: 'COPY_PENDING', details: { status: snapshot.status, percent_progress: snapshot.percentProgress ?? null, next_check_seconds: delaySeconds } },
    };
  },
};
