import { isFault } from '../errors';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../tags';
import type { Step, StepResult } from '../step-runner';
import { writerInstanceId } from './names';

/**
 * restore-snapshot: restores the cluster from the (copied) snapshot, tagged with the operation, at the
 * snapshot's engine version (without it RDS would take the region's default). Only the cluster: RDS
 * creates instances "only after the RestoreDBClusterFromSnapshot operation has completed and the DB
 * cluster is available", so check-restore-status adds the writer then. A retry after a crash finds its
 * own cluster by its tag (`DBClusterAlreadyExistsFault` + our tag = success) instead of failing.
 */
export const restoreSnapshot: Step = {
  name: 'restore-snapshot',
  mode: 'action',
  triggers: ['TargetCleared'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const p = state.parameters;
    const s = state.snapshot_details;
    const region = p.target_region;
    if (!s.target_snapshot_id || !s.engine) throw new Error('snapshot details missing: earlier steps have not recorded them');
    const clusterId = p.target_cluster_id;

    try {
      await ctx.retry(() =>
        deps.rds.restoreClusterFromSnapshot(region, {
          clusterId,
          snapshotId: s.target_snapshot_id!,
          engine: s.engine!,
          engineVersion: s.engine_version,
          subnetGroup: p.db_subnet_group_name,
          securityGroupIds: p.vpc_security_group_ids,
          tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: state.operation_id },
        }),
      );
    } catch (e) {
      if (!isFault(e, 'DBClusterAlreadyExistsFault')) throw e;
      const existing = await ctx.retry(() => deps.rds.describeCluster(region, clusterId));
      if (existing?.tags[OPERATION_TAG] !== state.operation_id) {
        return { kind: 'failed', code: 'TargetExists', message: `cluster ${clusterId} appeared in ${region} while restoring and was not made by this operation` };
      }
      // Our own cluster from an attempt that died after RestoreDBClusterFromSnapshot: check-restore-status takes it from here.
    }
    const instanceId = writerInstanceId(clusterId);
    return {
      kind: 'done',
      event: ctx.event('ClusterRestoreStarted', { clusterId, instanceId, region: region as never }),
      status: 'RESTORE_IN_PROGRESS',
      next: 'check-restore-status',
      patch: { restore_details: { cluster_id: clusterId, instance_id: instanceId, cluster_status: 'creating', writer_endpoint: null, reader_endpoint: null } },
      audit: {
        type: 'RESTORE_STARTED',
        details: { cluster_id: clusterId, instance_id: instanceId, snapshot_id: s.target_snapshot_id, engine_version: s.engine_version ?? null, db_instance_class: p.db_instance_class },
      },
    };
  },
};
