/**
 * The swap strategy's name exchange, after the users are set up on the new cluster (built under a
 * temporary name while the old one kept serving):
 * - swap-out renames the old target away (`<target>-old-<op>`), so its name is free;
 * - swap-in renames the new cluster (`<target>-new-<op>`) to the target's name — applications keep the
 *   same endpoint host name ("When you change the DB cluster identifier, the DB cluster endpoints change").
 * Both are waits: a rename takes a while ("renaming"), completes with RDS-EVENT-0172 ("Renamed cluster from
 * `name` to `name`"), and is confirmed with DescribeDBClusters. They decide from what RDS shows, never from
 * memory, so a crash between the two renames, a duplicate or a replay finds the same situation and goes on
 * — and they rename only: the old cluster stays until retire-cluster deletes it under the safety rules.
 */
import type { Config } from '../../schemas/config';
import { isFault } from '../errors';
import { deletionVerdict } from '../safety';
import type { Step, StepContext, StepResult } from '../step-runner';
import { OPERATION_TAG } from '../tags';
import { retiredClusterId, temporaryClusterId } from './names';

const RECHECK_OUT = { check: 'swap-out', delaySeconds: (c: Config) => c.RENAME_RECHECK_SECONDS } as const;
const RECHECK_IN = { check: 'swap-in', delaySeconds: (c: Config) => c.RENAME_RECHECK_SECONDS } as const;

/** The names the swap moves between, indexed so that their RDS events (rename, deletion) find the operation. */
async function swapNames(ctx: StepContext) {
  const { state, store } = ctx;
  const p = state.parameters;
  const names = { target: p.target_cluster_id, temporary: temporaryClusterId(state.operation_id, p.target_cluster_id), retired: retiredClusterId(state.operation_id, p.target_cluster_id) };
  for (const id of [names.temporary, names.retired]) await store.indexResource(p.target_region, id, state.operation_id, ctx.now);
  return names;
}

export const swapOut: Step = {
  name: 'swap-out',
  mode: 'wait',
  recheck: RECHECK_OUT,
  triggers: ['UsersConfigured'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const region = state.parameters.target_region;
    const n = await swapNames(ctx);
    const waiting = (audit: { type: string; details: Record<string, unknown> }): StepResult => ({ kind: 'waiting', check: RECHECK_OUT.check, delaySeconds: RECHECK_OUT.delaySeconds(deps.config), audit });
    const old = await ctx.retry(() => deps.rds.describeCluster(region, n.target));
    // Free (never there, or renamed away), or already ours (swap-in ran on a replay before this record was acked).
    if (!old || old.tags[OPERATION_TAG] === state.operation_id) {
      const retired = await ctx.retry(() => deps.rds.describeCluster(region, n.retired));
      return {
        kind: 'done',
        event: ctx.event('TargetVacated', { clusterId: n.target, region: region as never, renamed: retired !== undefined, ...(retired ? { retiredClusterId: n.retired } : {}) }),
        status: 'SWAP_IN_PROGRESS',
        next: 'swap-in',
        patch: { restore_details: { retired_cluster_id: retired ? n.retired : undefined } },
        audit: { type: 'TARGET_VACATED', details: { target: n.target, renamed_to: retired ? n.retired : null } },
      };
    }
    if (old.status !== 'available') return waiting({ type: 'RENAME_PENDING', details: { cluster_id: n.target, cluster_status: old.status } });
    // The old cluster will be deleted once renamed: the safety rules are checked again before it is touched.
    const verdict = deletionVerdict(old, deps.config);
    if (!verdict.allowed) return { kind: 'failed', code: 'DeletionRefused', message: `${verdict.reason}; nothing was renamed, ${n.target} still serves and the new cluster is ${n.temporary}` };
    await ctx
      .retry(() => deps.rds.renameCluster(region, n.target, n.retired))
      .catch((e) => {
        // A repeat: the rename is already under way (the old name is still shown while it is renaming).
        if (!isFault(e, 'DBClusterAlreadyExistsFault', 'InvalidDBClusterStateFault')) throw e;
      });
    return waiting({ type: 'TARGET_RENAME_STARTED', details: { from: n.target, to: n.retired } });
  },
};

export const swapIn: Step = {
  name: 'swap-in',
  mode: 'wait',
  recheck: RECHECK_IN,
  triggers: ['TargetVacated'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const region = state.parameters.target_region;
    const n = await swapNames(ctx);
    const waiting = (audit: { type: string; details: Record<string, unknown> }): StepResult => ({ kind: 'waiting', check: RECHECK_IN.check, delaySeconds: RECHECK_IN.delaySeconds(deps.config), audit });
    const current = await ctx.retry(() => deps.rds.describeCluster(region, n.target));
    if (current) {
      if (current.tags[OPERATION_TAG] !== state.operation_id) {
        return { kind: 'failed', code: 'SwapFailed', message: `another cluster took the name ${n.target} while it was free; the new cluster is still ${n.temporary}` };
      }
      if (current.status !== 'available' || !current.endpoint) return waiting({ type: 'RENAME_PENDING', details: { cluster_id: n.target, cluster_status: current.status } });
      const retired = state.restore_details.retired_cluster_id;
      return {
        kind: 'done',
        event: ctx.event('ClustersSwapped', { clusterId: n.target, region: region as never, fromClusterId: n.temporary, ...(retired ? { retiredClusterId: retired } : {}), writerEndpoint: current.endpoint }),
        status: 'SWAPPED',
        next: 'retire-cluster',
        patch: { restore_details: { cluster_id: n.target, writer_endpoint: current.endpoint, reader_endpoint: current.readerEndpoint ?? null } },
        audit: { type: 'CLUSTERS_SWAPPED', details: { cluster_id: n.target, from: n.temporary, retired: retired ?? null, writer_endpoint: current.endpoint } },
      };
    }
    const fresh = await ctx.retry(() => deps.rds.describeCluster(region, n.temporary));
    if (!fresh) return { kind: 'failed', code: 'SwapFailed', message: `neither ${n.target} nor the new cluster ${n.temporary} exists in ${region}` };
    if (fresh.status !== 'available') return waiting({ type: 'RENAME_PENDING', details: { cluster_id: n.temporary, cluster_status: fresh.status } });
    await ctx
      .retry(() => deps.rds.renameCluster(region, n.temporary, n.target))
      .catch((e) => {
        if (!isFault(e, 'DBClusterAlreadyExistsFault', 'InvalidDBClusterStateFault')) throw e;
      });
    return waiting({ type: 'NEW_CLUSTER_RENAME_STARTED', details: { from: n.temporary, to: n.target } });
  },
};
