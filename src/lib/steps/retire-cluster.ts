import { deletionVerdict } from '../safety';
import type { Step, StepResult } from '../step-runner';
import { startDeletion } from './deletion';
import { finalSnapshotId } from './names';

/**
 * retire-cluster (swap): once the new cluster has the target's name, the old one — renamed away by
 * swap-out — is deleted under the same safety rules as a replaced target (checked again now: managed,
 * no deletion protection, not protected by name), with a final snapshot unless the request said to skip
 * it. check-delete-status follows the deletion. No old cluster (the target did not exist): nothing to do.
 */
export const retireCluster: Step = {
  name: 'retire-cluster',
  mode: 'action',
  triggers: ['ClustersSwapped'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const p = state.parameters;
    const retiredId = state.restore_details.retired_cluster_id;
    const old = retiredId ? await ctx.retry(() => deps.rds.describeCluster(p.target_region, retiredId)) : undefined;
    if (!old) {
      return {
        kind: 'done',
        event: ctx.event('OldClusterRetired', { deleted: false }),
        status: 'SWAPPED',
        next: 'archive-snapshot',
        audit: { type: 'NO_OLD_CLUSTER', details: { retired_cluster_id: retiredId ?? null } },
      };
    }
    const verdict = deletionVerdict(old, deps.config);
    if (!verdict.allowed) {
      return {
        kind: 'failed',
        code: 'DeletionRefused',
        message: `the new cluster serves as ${p.target_cluster_id}; the old one is kept as ${old.clusterId}: ${verdict.reason}`,
      };
    }
    const finalId = p.skip_final_snapshot ? undefined : finalSnapshotId(state.operation_id, p.target_cluster_id);
    const notYet = await startDeletion(ctx, old, finalId);
    return {
      kind: 'done',
      event: ctx.event('ClusterDeletionStarted', { clusterId: old.clusterId, region: p.target_region as never, finalSnapshotId: finalId, retiring: true, instances: old.members.length }),
      status: 'RETIRING_OLD_CLUSTER',
      next: 'check-delete-status',
      patch: { restore_details: { final_snapshot_id: finalId, instances_not_yet_deleted: notYet } },
      audit: { type: 'RETIRE_STARTED', details: { cluster_id: old.clusterId, instances: old.members, final_snapshot_id: finalId ?? null } },
    };
  },
};
