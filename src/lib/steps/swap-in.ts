import { isFault } from '../errors';
import type { Step, StepResult } from '../step-runner';
import { OPERATION_TAG } from '../tags';
import { RECHECK_IN, renameWaiting, swapNames } from './swap';

/** swap-in: renames the new cluster (`<target>-new-<op>`) to the target's name (see swap.ts). */
export const swapIn: Step = {
  name: 'swap-in',
  mode: 'wait',
  recheck: RECHECK_IN,
  triggers: ['TargetVacated'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const region = state.parameters.target_region;
    const n = await swapNames(ctx);
    const waiting = (audit: { type: string; details: Record<string, unknown> }) => renameWaiting(RECHECK_IN, deps.config, audit);
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
