import type { Config } from '../../schemas/config';
import { deletionVerdict } from '../safety';
import type { Step, StepResult } from '../step-runner';
import { startDeletion } from './delete-rds';

/** How often the wait is re-checked; also when a check cannot be made now. */
const RECHECK = { check: 'delete', delaySeconds: (c: Config) => c.SAFETY_RECHECK_SECONDS } as const;

/**
 * check-delete-status: woken by RDS "instance deleted" / "cluster deleted" events and by safety-net
 * re-checks. While instances remain it deletes those that could not be deleted before (an instance that
 * was creating or modifying when delete-rds ran is refused by RDS until it settles); when they are gone
 * it deletes the cluster. The safety rules are checked again before either. When the cluster is gone:
 * strategy replace, the target is clear (the restore follows); strategy swap, the old cluster — renamed
 * away and replaced — is retired (the operation ends).
 */
export const checkDeleteStatus: Step = {
  name: 'check-delete-status',
  mode: 'wait',
  recheck: RECHECK,
  triggers: ['ClusterDeletionStarted'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const p = state.parameters;
    const finalId = state.restore_details.final_snapshot_id;
    const retiring = p.strategy === 'swap';
    const clusterId = retiring ? state.restore_details.retired_cluster_id : p.target_cluster_id;
    if (!clusterId) throw new Error('retired cluster id missing: swap-out has not recorded it');
    const cluster = await ctx.retry(() => deps.rds.describeCluster(p.target_region, clusterId));
    if (!cluster && retiring) {
      return {
        kind: 'done',
        event: ctx.event('OldClusterRetired', { deleted: true, clusterId, finalSnapshotId: finalId }),
        status: 'SWAPPED',
        next: 'archive-snapshot',
        audit: { type: 'OLD_CLUSTER_RETIRED', details: { cluster_id: clusterId, final_snapshot_id: finalId ?? null } },
      };
    }
    if (!cluster) {
      return {
        kind: 'done',
        event: ctx.event('TargetCleared', { deleted: true, finalSnapshotId: finalId }),
        status: 'TARGET_CLEARED',
        next: 'restore-snapshot',
        patch: { restore_details: { deleted_existing_cluster: true } },
        audit: { type: 'TARGET_CLEARED', details: { cluster_id: p.target_cluster_id, existed: true, final_snapshot_id: finalId ?? null } },
      };
    }
    // Instances refused earlier (creating or modifying then) are deleted again; those already deleting are left to RDS.
    const notYet = cluster.members.filter((m) => state.restore_details.instances_not_yet_deleted?.includes(m));
    if (cluster.status !== 'deleting' && (cluster.members.length === 0 || notYet.length > 0)) {
      const verdict = deletionVerdict(cluster, deps.config);
      if (!verdict.allowed) return { kind: 'failed', code: 'DeletionRefused', message: verdict.reason };
      await startDeletion(ctx, cluster, finalId, notYet);
    }
    return {
      kind: 'waiting',
      check: RECHECK.check,
      delaySeconds: RECHECK.delaySeconds(deps.config),
      audit: { type: 'DELETE_PENDING', details: { cluster_status: cluster.status, instances_left: cluster.members.length } },
    };
  },
};
