import { isFault } from '../errors';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../tags';
import type { Step, StepResult } from '../step-runner';
import { FAILED_STATES } from './check-restore-status';
import { writerInstanceId } from './names';

/**
 * restore-snapshot: restores the cluster from the (copied) snapshot and creates its writer instance,
 * both tagged with the operation. A retry after a crash finds its own cluster/instance by that tag
 * (`DBClusterAlreadyExistsFault` + our tag = success) instead of failing or creating a second one.
 */
export const restoreSnapshot: Step = {
  name: 'restore-snapshot',
  mode: 'action',
  triggers: ['TargetCleared'],

  async run(ctx): Promise<StepResult> {
    const { state, deps, store } = ctx;
    const p = state.parameters;
    const s = state.snapshot_details;
    const region = p.target_region;
    if (!s.target_snapshot_id || !s.engine) throw new Error('snapshot details missing: earlier steps have not recorded them');
    const tags = { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: state.operation_id };
    const clusterId = p.target_cluster_id;
    const instanceId = writerInstanceId(clusterId);

    try {
      await ctx.retry(() =>
        deps.rds.restoreClusterFromSnapshot(region, {
          clusterId,
          snapshotId: s.target_snapshot_id!,
          engine: s.engine!,
          subnetGroup: p.db_subnet_group_name,
          securityGroupIds: p.vpc_security_group_ids,
          tags,
        }),
      );
    } catch (e) {
      if (!isFault(e, 'DBClusterAlreadyExistsFault')) throw e;
      const existing = await ctx.retry(() => deps.rds.describeCluster(region, clusterId));
      if (existing?.tags[OPERATION_TAG] !== state.operation_id) {
        return { kind: 'failed', code: 'TargetExists', message: `cluster ${clusterId} appeared in ${region} while restoring and was not made by this operation` };
      }
      // Our own cluster from an attempt that died after RestoreDBClusterFromSnapshot: if RDS has failed it
      // meanwhile, no instance can be added (InvalidDBClusterStateFault, retried until the deadline).
      if (FAILED_STATES.includes(existing.status)) {
        return { kind: 'failed', code: 'RestoreFailed', message: `cluster ${clusterId} in ${region} ended ${existing.status}` };
      }
    }

    await store.indexResource(region, instanceId, state.operation_id, ctx.now);
    try {
      await ctx.retry(() => deps.rds.createInstance(region, { instanceId, clusterId, instanceClass: p.db_instance_class, engine: s.engine!, tags }));
    } catch (e) {
      if (!isFault(e, 'DBInstanceAlreadyExistsFault')) throw e;
      const existing = await ctx.retry(() => deps.rds.describeInstance(region, instanceId));
      if (existing?.tags[OPERATION_TAG] !== state.operation_id) {
        return { kind: 'failed', code: 'TargetExists', message: `instance ${instanceId} exists in ${region} and was not made by this operation` };
      }
    }
    return {
      kind: 'done',
      event: ctx.event('ClusterRestoreStarted', { clusterId, instanceId, region: region as never }),
      status: 'RESTORE_IN_PROGRESS',
      next: 'check-restore-status',
      patch: { restore_details: { cluster_id: clusterId, instance_id: instanceId, cluster_status: 'creating', writer_endpoint: null, reader_endpoint: null } },
      audit: { type: 'RESTORE_STARTED', details: { cluster_id: clusterId, instance_id: instanceId, snapshot_id: s.target_snapshot_id, db_instance_class: p.db_instance_class } },
    };
  },
};
