/**
 * What becomes of a restored cluster whose post-restore SQL or validation failed (the request's
 * `postRestore.onFailure`), decided once, when the operation ends FAILED (sns-notification): `keep` leaves it
 * for inspection — no application user can log in, setup-db-users saw to that — and `delete` deletes it under
 * the same safety rules as any deletion, without a final snapshot (it would keep the unmasked data). A swap's
 * new cluster is handled by swap-compensation with the same choice.
 */
import type { ErrorCode } from '../../events/catalogue';
import type { OperationState } from '../../schemas/operation-state';
import type { Dependencies } from '../dependencies';
import { OPERATION_TAG } from '../tags';
import { discard } from './swap-compensation';

export const POST_RESTORE_FAILURES: readonly ErrorCode[] = ['PostRestoreSqlFailed', 'ValidationFailed'];

export const isPostRestoreFailure = (code: ErrorCode | undefined) => code !== undefined && POST_RESTORE_FAILURES.includes(code);

/** For strategy replace (swap: see compensateFailedSwap's keepNew). One sentence for the error and the notification. */
export async function settleFailedPostRestore(deps: Dependencies, state: OperationState): Promise<string | undefined> {
  const post = state.parameters.post_restore;
  const clusterId = state.restore_details.cluster_id;
  if (!post || !clusterId || !isPostRestoreFailure(state.error?.code ?? undefined)) return undefined;
  if (post.onFailure === 'keep') return `The restored cluster ${clusterId} is kept for inspection (onFailure keep); delete it when done.`;
  const region = state.parameters.target_region;
  const cluster = await deps.rds.describeCluster(region, clusterId);
  if (!cluster) return `The restored cluster ${clusterId} no longer exists.`;
  if (cluster.tags[OPERATION_TAG] !== state.operation_id) return `The cluster ${clusterId} was not restored by this operation and is kept.`;
  return `The restored cluster ${clusterId} is ${await discard(deps, region, cluster)} (onFailure delete; no final snapshot: it holds unmasked data).`;
}
