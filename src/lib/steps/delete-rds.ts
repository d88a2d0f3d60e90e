import { isFault } from '../errors';
import type { ClusterInfo } from '../ports';
import { replacementProblem } from '../safety';
import type { Step, StepContext, StepResult } from '../step-runner';
import { finalSnapshotId } from './names';

/**
 * delete-rds: clears the target. Nothing there → `TargetCleared` (deleted: false). Something there →
 * delete it only when the request asked for it and the safety rules allow it: its instances first,
 * then (once they are gone, here or in check-delete-status) the cluster, with a final snapshot unless
 * the request said to skip it.
 */
export const deleteRds: Step = {
  name: 'delete-rds',
  mode: 'action',
  triggers: ['CopyCompleted'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const p = state.parameters;
    const cluster = await ctx.retry(() => deps.rds.describeCluster(p.target_region, p.target_cluster_id));
    if (!cluster) {
      return {
        kind: 'done',
        event: ctx.event('TargetCleared', { deleted: false }),
        status: 'TARGET_CLEARED',
        next: 'restore-snapshot',
        patch: { restore_details: { deleted_existing_cluster: false } },
        audit: { type: 'TARGET_CLEARED', details: { cluster_id: p.target_cluster_id, existed: false } },
      };
    }
    const problem = replacementProblem(cluster, p.delete_existing, deps.config);
    if (problem) return { kind: 'failed', ...problem };

    const finalId = p.skip_final_snapshot ? undefined : finalSnapshotId(state.operation_id, cluster.clusterId);
    await startDeletion(ctx, cluster, finalId);
    return {
      kind: 'done',
      event: ctx.event('ClusterDeletionStarted', { clusterId: cluster.clusterId, region: p.target_region as never, finalSnapshotId: finalId }),
      status: 'DELETE_IN_PROGRESS',
      next: 'check-delete-status',
      patch: { restore_details: { final_snapshot_id: finalId } },
      audit: { type: 'DELETE_STARTED', details: { cluster_id: cluster.clusterId, instances: cluster.members, final_snapshot_id: finalId ?? null } },
    };
  },
};

/**
 * Deletes the cluster's instances, then the cluster once it has none. Safe to call again at any point:
 * whatever is already being deleted, or cannot be deleted yet (an instance still creating or modifying:
 * InvalidDBInstanceStateFault), is left for the next call. Shared with check-delete-status, which calls
 * it on every wake-up until the cluster is deleting.
 */
export async function startDeletion(ctx: StepContext, cluster: ClusterInfo, finalId: string | undefined): Promise<void> {
  const { deps, state, store } = ctx;
  const region = state.parameters.target_region;
  for (const instanceId of cluster.members) {
    await store.indexResource(region, instanceId, state.operation_id, ctx.now);
    await ctx
      .retry(() => deps.rds.deleteInstance(region, instanceId))
      .catch((e) => {
        if (!isFault(e, 'InvalidDBInstanceStateFault', 'DBInstanceNotFoundFault')) throw e;
      });
  }
  if (cluster.members.length === 0 && cluster.status !== 'deleting') {
    await ctx
      .retry(() => deps.rds.deleteCluster(region, { clusterId: cluster.clusterId, finalSnapshotId: finalId }))
      .catch((e) => {
        if (!isFault(e, 'InvalidDBClusterStateFault', 'DBClusterNotFoundFault')) throw e;
      });
  }
}
