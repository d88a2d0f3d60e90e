import { isFault } from '../errors';
import type { ClusterInfo } from '../ports';
import { OPERATION_TAG, creationTags } from '../tags';
import type { Step, StepContext, StepResult } from '../step-runner';
import { temporaryClusterId, writerInstanceId } from './names';

/**
 * restore-snapshot: creates the new cluster, tagged with the operation — from the (copied) snapshot at its
 * engine version (without it RDS would take the region's default), or as an Aurora fast clone / point-in-
 * time copy of the live source cluster (RestoreDBClusterToPointInTime). Strategy replace restores under the
 * target's name (now free); swap under a temporary name while the old cluster keeps serving. Only the
 * cluster: RDS creates instances "only after the ... operation has completed and the DB cluster is
 * available", so check-restore-status adds the writer then. A retry after a crash finds its own cluster by
 * its tag (`DBClusterAlreadyExistsFault` + our tag = success) instead of failing.
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
    const source = p.source ?? 'snapshot';
    if (!s.engine || (source === 'snapshot' && !s.target_snapshot_id)) throw new Error('snapshot details missing: earlier steps have not recorded them');
    const clusterId = p.strategy === 'swap' ? temporaryClusterId(state.operation_id, p.target_cluster_id) : p.target_cluster_id;
    const tags = creationTags(state.operation_id, p.cluster_settings?.tags);
    const c = p.cluster_settings;
    // The request's cluster settings (absent: RDS's defaults, as before they existed).
    const settings = {
      clusterParameterGroup: c?.clusterParameterGroup,
      serverless: c?.serverless,
      cloudwatchLogsExports: c?.cloudwatchLogsExports,
      deletionProtection: c?.deletionProtection ?? false,
      iamDatabaseAuthentication: c?.iamDatabaseAuthentication ?? false,
      port: c?.port,
    };
    const network = { subnetGroup: p.db_subnet_group_name, securityGroupIds: p.vpc_security_group_ids, tags, ...settings };
    const engineVersion = c?.engineVersion ?? s.engine_version;

    try {
      await ctx.retry(
        (): Promise<ClusterInfo> =>
          source === 'snapshot'
            ? deps.rds.restoreClusterFromSnapshot(region, { clusterId, snapshotId: s.target_snapshot_id!, engine: s.engine!, engineVersion, ...network })
            : deps.rds.restoreClusterToPointInTime(region, {
                clusterId,
                sourceClusterId: p.source_cluster_id!,
                type: source === 'clone' ? 'copy-on-write' : 'full-copy',
                restoreTime: p.restore_time,
                ...network,
              }),
      );
    } catch (e) {
      if (!isFault(e, 'DBClusterAlreadyExistsFault')) throw e;
      const owned = await ownCluster(ctx, clusterId);
      if (owned) return owned;
    }
    const instanceId = writerInstanceId(clusterId);
    const from = source === 'snapshot' ? { snapshot_id: s.target_snapshot_id, engine_version: engineVersion ?? null } : { source, source_cluster_id: p.source_cluster_id, restore_time: p.restore_time ?? 'latest restorable' };
    return {
      kind: 'done',
      event: ctx.event('ClusterRestoreStarted', { clusterId, instanceId, region: region as never }),
      status: 'RESTORE_IN_PROGRESS',
      next: 'check-restore-status',
      patch: { restore_details: { cluster_id: clusterId, instance_id: instanceId, cluster_status: 'creating', writer_endpoint: null, reader_endpoint: null } },
      audit: { type: 'RESTORE_STARTED', details: { cluster_id: clusterId, instance_id: instanceId, ...from, db_instance_class: p.db_instance_class, ...(c ? { cluster_settings: c } : {}) } },
    };
  },
};

/** The cluster exists already: ours from an attempt that died after creating it (go on), or someone else's (fail). */
async function ownCluster(ctx: StepContext, clusterId: string): Promise<StepResult | undefined> {
  const region = ctx.state.parameters.target_region;
  const existing = await ctx.retry(() => ctx.deps.rds.describeCluster(region, clusterId));
  if (existing?.tags[OPERATION_TAG] === ctx.state.operation_id) return undefined; // check-restore-status takes it from here
  return { kind: 'failed', code: 'TargetExists', message: `cluster ${clusterId} appeared in ${region} while restoring and was not made by this operation` };
}
