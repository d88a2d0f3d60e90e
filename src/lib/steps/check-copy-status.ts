import type { Config } from '../../schemas/config';
import type { Step, StepResult } from '../step-runner';

/** How often the wait is re-checked; also when a check cannot be made now. */
const RECHECK = { check: 'copy', delaySeconds: (c: Config) => c.COPY_RECHECK_SECONDS } as const;

/**
 * check-copy-status: RDS emits no event when a cluster-snapshot copy finishes, so this wait is driven by
 * one-time re-checks every COPY_RECHECK_SECONDS, each confirmed with DescribeDBClusterSnapshots.
 */
export const checkCopyStatus: Step = {
  name: 'check-copy-status',
  mode: 'wait',
  recheck: RECHECK,
  triggers: ['CopyStarted'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const region = state.parameters.target_region;
    const id = state.snapshot_details.target_snapshot_id;
    if (!id) throw new Error('target snapshot id missing: copy-snapshot has not recorded it');
    const snapshot = await ctx.retry(() => deps.rds.describeClusterSnapshot(region, id));
    if (!snapshot) return { kind: 'failed', code: 'CopyFailed', message: `the copy ${id} no longer exists in ${region}` };
    if (snapshot.status === 'available') {
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
    return {
      kind: 'waiting',
      check: RECHECK.check,
      delaySeconds: RECHECK.delaySeconds(deps.config),
      audit: { type: 'COPY_PENDING', details: { status: snapshot.status, percent_progress: snapshot.percentProgress ?? null } },
    };
  },
};
