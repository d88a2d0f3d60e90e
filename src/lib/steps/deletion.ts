/**
 * Deleting a cluster, its instances first: shared by delete-rds, check-delete-status and retire-cluster (a
 * module of its own, so that no step's bundle carries another step).
 */
import { isFault } from '../errors';
import type { ClusterInfo } from '../ports';
import type { StepContext } from '../step-runner';

/**
 * Deletes `members` (by default all the cluster's instances), then the cluster once it has none. Safe to
 * call again at any point. Returns the instances RDS would not delete yet — one still creating or
 * modifying is refused (InvalidDBInstanceStateFault: "The DB instance isn't in a valid state.") — which
 * check-delete-status deletes on its later wake-ups; one already deleting or gone is done.
 */
export async function startDeletion(ctx: StepContext, cluster: ClusterInfo, finalId: string | undefined, members = cluster.members): Promise<string[]> {
  const { deps, state, store } = ctx;
  const region = state.parameters.target_region;
  const notYet: string[] = [];
  for (const instanceId of members) {
    await store.indexResource(region, instanceId, state.operation_id, ctx.now);
    await ctx
      .retry(() => deps.rds.deleteInstance(region, instanceId))
      .catch(async (e) => {
        if (isFault(e, 'DBInstanceNotFoundFault')) return;
        if (!isFault(e, 'InvalidDBInstanceStateFault')) throw e;
        // Refused: already deleting (done), or creating/modifying (not yet) — Describe tells which.
        const instance = await ctx.retry(() => deps.rds.describeInstance(region, instanceId));
        if (instance && instance.status !== 'deleting') notYet.push(instanceId);
      });
  }
  if (cluster.members.length === 0 && cluster.status !== 'deleting') {
    await ctx
      .retry(() => deps.rds.deleteCluster(region, { clusterId: cluster.clusterId, finalSnapshotId: finalId }))
      .catch((e) => {
        if (!isFault(e, 'InvalidDBClusterStateFault', 'DBClusterNotFoundFault')) throw e;
      });
  }
  return notYet;
}
