import { replacementProblem } from '../safety';
import type { Step, StepResult } from '../step-runner';
import { startDeletion } from './deletion';
import { finalSnapshotId } from './names';

/**
 * delete-rds: clears the target. Nothing there → `TargetCleared` (deleted: false). Something there →
 * delete it only when the request asked for it and the safety rules allow it: its instances first,
 * then (once they are gone, here or in check-delete-status) the cluster, with a final snapshot unless
 * the request said to skip it. Strategy swap: the existing target is checked the same way but kept
 * serving (`retained`); it is renamed away and retired once the new cluster is ready.
 */
export const deleteRds: Step = {
  name: 'delete-rds',
  mode: 'action',
  triggers: ['CopyCompleted', 'SourceClusterValidated'],

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
    const problem = replacementProblem(cluster, p.delete_existing, deps.config, p.strategy);
    if (problem) return { kind: 'failed', ...problem };
    if (p.strategy === 'swap') {
      return {
        kind: 'done',
        event: ctx.event('TargetCleared', { deleted: false, retained: true }),
        status: 'TARGET_CLEARED',
        next: 'restore-snapshot',
        patch: { restore_details: { deleted_existing_cluster: false } },
        audit: { type: 'TARGET_KEPT_UNTIL_SWAP', details: { cluster_id: cluster.clusterId, instances: cluster.members } },
      };
    }

    const finalId = p.skip_final_snapshot ? undefined : finalSnapshotId(state.operation_id, cluster.clusterId);
    const notYet = await startDeletion(ctx, cluster, finalId);
    return {
      kind: 'done',
      event: ctx.event('ClusterDeletionStarted', { clusterId: cluster.clusterId, region: p.target_region as never, finalSnapshotId: finalId, instances: cluster.members.length }),
      status: 'DELETE_IN_PROGRESS',
      next: 'check-delete-status',
      patch: { restore_details: { final_snapshot_id: finalId, instances_not_yet_deleted: notYet } },
      audit: {
        type: 'DELETE_STARTED',
        details: { cluster_id: cluster.clusterId, instances: cluster.members, instances_not_yet_deleted: notYet, final_snapshot_id: finalId ?? null },
      },
    };
  },
};
