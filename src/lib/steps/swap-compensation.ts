/**
 * When a swap fails, no path may leave the target name without a cluster, and the notification must say
 * what is where. Before the operation ends FAILED this puts things right from what RDS shows:
 * - the new cluster already has the target's name: nothing to undo (it serves; the old one is wherever
 *   retire-cluster left it);
 * - the old cluster was renamed away but the new one did not take the name: the old one is renamed back;
 * - otherwise (the failure came before the swap): the old target is untouched, and the temporary cluster —
 *   only if it carries this operation's tag — is deleted, without a final snapshot.
 * Every action is idempotent (a repeat finds it done) and uses only the operation's own names.
 */
import type { Dependencies } from '../dependencies';
import { isFault } from '../errors';
import type { ClusterInfo } from '../ports';
import { deletionVerdict } from '../safety';
import { OPERATION_TAG } from '../tags';
import type { OperationState } from '../../schemas/operation-state';
import { retiredClusterId, temporaryClusterId } from './names';

/** What the compensation did, in one sentence for the operation's error and the notification. */
export async function compensateFailedSwap(deps: Dependencies, state: OperationState, options: { keepNew?: boolean } = {}): Promise<string | undefined> {
  const p = state.parameters;
  if (p.strategy !== 'swap' || !p.target_cluster_id) return undefined;
  const region = p.target_region;
  const target = p.target_cluster_id;
  const temporary = temporaryClusterId(state.operation_id, target);
  const retired = retiredClusterId(state.operation_id, target);
  const [current, fresh, old] = await Promise.all([target, temporary, retired].map((id) => deps.rds.describeCluster(region, id)));
  const ours = (c?: ClusterInfo) => c?.tags[OPERATION_TAG] === state.operation_id;

  if (ours(current)) return `The new cluster serves as ${target}${old ? `; the old cluster is kept as ${retired}` : ''}.`;
  if (fresh?.status === 'renaming') return `The new cluster ${temporary} is being renamed ${target}; the old cluster is ${old ? `kept as ${retired}` : 'gone'}.`;
  if (!current && old) {
    if (old.status === 'renaming') return `The old cluster is still being renamed ${retired}: rename it back to ${target} once it is available.`;
    const refused = await deps.rds.renameCluster(region, retired, target).then(
      () => undefined,
      (e) => {
        if (isFault(e, 'DBClusterAlreadyExistsFault', 'InvalidDBClusterStateFault')) return e as Error;
        throw e;
      },
    );
    const newOne = fresh && ours(fresh) ? `; the new cluster ${temporary} is ${await discard(deps, region, fresh)}` : '';
    // A refusal must not read as a rename under way: the target name has no cluster until someone acts.
    if (refused) return `The old cluster is kept as ${retired} (status ${old.status}); RDS refused renaming it back to ${target} (${refused.name}): rename it back by hand, ${target} has no cluster until then${newOne}.`;
    return `The old cluster is being renamed back from ${retired} to ${target}${newOne}.`;
  }
  const where = current ? `the old cluster still serves as ${target}` : `${target} did not exist before`;
  if (!fresh || !ours(fresh)) return `Nothing was swapped: ${where}.`;
  // A failed post-restore SQL run with onFailure keep: the new cluster stays for inspection (no app user can log in).
  if (options.keepNew) return `Nothing was swapped: ${where}; the new cluster ${temporary} is kept for inspection.`;
  return `Nothing was swapped: ${where}; the new cluster ${temporary} is ${await discard(deps, region, fresh)}.`;
}

/** Deletes a cluster this operation restored (its instances, then it, with no final snapshot), under the safety rules. */
export async function discard(deps: Dependencies, region: string, cluster: ClusterInfo): Promise<string> {
  const verdict = deletionVerdict(cluster, deps.config);
  if (!verdict.allowed) return `kept (${verdict.reason})`;
  const notDeletable: string[] = [];
  for (const instanceId of cluster.members) {
    await deps.rds.deleteInstance(region, instanceId).catch((e) => {
      if (isFault(e, 'InvalidDBInstanceStateFault')) notDeletable.push(instanceId);
      else if (!isFault(e, 'DBInstanceNotFoundFault')) throw e;
    });
  }
  if (cluster.status === 'deleting') return 'being deleted';
  try {
    // Its instances are deleting now: "Cluster cannot be deleted, it still contains DB instances in non-deleting state" no longer applies.
    await deps.rds.deleteCluster(region, { clusterId: cluster.clusterId });
    return 'being deleted';
  } catch (e) {
    if (!isFault(e, 'InvalidDBClusterStateFault')) throw e;
    return `not deletable yet (${notDeletable.length ? `instance ${notDeletable.join(', ')} is still being created` : `status ${cluster.status}`}): delete it by hand`;
  }
}
