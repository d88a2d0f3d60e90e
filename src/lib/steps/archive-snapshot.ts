import { isFault } from '../errors';
import type { Step, StepResult } from '../step-runner';
import { applyFinalSnapshotRetention } from './retention';

/**
 * archive-snapshot: the copied snapshot was only needed for the restore; it is deleted unless the
 * request asked to keep it. A same-region restore copied nothing and the source snapshot is not ours.
 * It runs last: after the users are set up (replace), or once the old cluster is retired (swap).
 */
export const archiveSnapshot: Step = {
  name: 'archive-snapshot',
  mode: 'action',
  triggers: ['UsersConfigured', 'OldClusterRetired'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const p = state.parameters;
    const s = state.snapshot_details;
    let archive: 'deleted' | 'retained' | 'not-copied' = 'not-copied';
    if (s.copied && s.target_snapshot_id) {
      archive = p.keep_snapshot ? 'retained' : 'deleted';
      if (!p.keep_snapshot) {
        await ctx
          .retry(() => deps.rds.deleteClusterSnapshot(p.target_region, s.target_snapshot_id!))
          .catch((e) => {
            if (!isFault(e, 'DBClusterSnapshotNotFoundFault')) throw e;
          });
      }
    }
    const retention = await applyFinalSnapshotRetention(ctx);
    return {
      kind: 'done',
      event: ctx.event('RestoreSucceeded', {
        clusterId: p.target_cluster_id,
        region: p.target_region as never,
        writerEndpoint: state.restore_details.writer_endpoint ?? '',
        snapshotArchive: archive,
      }),
      status: 'USERS_CONFIGURED',
      next: 'sns-notification',
      patch: { snapshot_details: { archive } },
      audit: { type: archive === 'deleted' ? 'SNAPSHOT_DELETED' : archive === 'retained' ? 'SNAPSHOT_RETAINED' : 'SNAPSHOT_NOT_COPIED', details: { snapshot_id: s.target_snapshot_id ?? null, final_snapshots_deleted: retention.deleted } },
    };
  },
};
