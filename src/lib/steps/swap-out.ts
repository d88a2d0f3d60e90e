import { isFault } from '../errors';
import { deletionVerdict } from '../safety';
import type { Step, StepResult } from '../step-runner';
import { OPERATION_TAG } from '../tags';
import { RECHECK_OUT, renameWaiting, swapNames } from './swap';

/** swap-out: renames the old target away (`<target>-old-<op>`), so its name is free (see swap.ts). */
export const swapOut: Step = {
  name: 'swap-out',
  mode: 'wait',
  recheck: RECHECK_OUT,
  triggers: ['UsersConfigured'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const region = state.parameters.target_region;
    const n = await swapNames(ctx);
    const waiting = (audit: { type: string; details: Record<string, unknown> }) => renameWaiting(RECHECK_OUT, deps.config, audit);
    const old = await ctx.retry(() => deps.rds.describeCluster(region, n.target));
    // Free (never there, or renamed away), or already ours (swap-in ran on a replay before this record was acked).
    if (!old || old.tags[OPERATION_TAG] === state.operation_id) {
      const retired = await ctx.retry(() => deps.rds.describeCluster(region, n.retired));
      return {
        kind: 'done',
        event: ctx.event('TargetVacated', { clusterId: n.target, region: region as never, renamed: retired !== undefined, ...(retired ? { retiredClusterId: n.retired } : {}) }),
        status: 'SWAP_IN_PROGRESS',
        next: 'swap-in',
        patch: { restore_details: { retired_cluster_id: retired ? n.retired : undefined } },
        audit: { type: 'TARGET_VACATED', details: { target: n.target, renamed_to: retired ? n.retired : null } },
      };
    }
    if (old.status !== 'available') return waiting({ type: 'RENAME_PENDING', details: { cluster_id: n.target, cluster_status: old.status } });
    // The old cluster will be deleted once renamed: the safety rules are checked again before it is touched.
    const verdict = deletionVerdict(old, deps.config);
    if (!verdict.allowed) return { kind: 'failed', code: 'DeletionRefused', message: `${verdict.reason}; nothing was renamed, ${n.target} still serves and the new cluster is ${n.temporary}` };
    await ctx
      .retry(() => deps.rds.renameCluster(region, n.target, n.retired))
      .catch((e) => {
        // A repeat: the rename is already under way (the old name is still shown while it is renaming).
        if (!isFault(e, 'DBClusterAlreadyExistsFault', 'InvalidDBClusterStateFault')) throw e;
      });
    return waiting({ type: 'TARGET_RENAME_STARTED', details: { from: n.target, to: n.retired } });
  },
};
