import { isFault } from '../errors';
import { OPERATION_TAG, creationTags } from '../tags';
import type { Step, StepResult } from '../step-runner';
import { copiedSnapshotId } from './names';

/**
 * copy-snapshot: same region → nothing to copy (`CopyCompleted`, skipped). Cross-region → copy into the
 * target region under a deterministic id, encrypted with the target region's KMS key, tagged with the
 * operation; a copy that already exists and carries our operation tag is our own earlier attempt.
 */
export const copySnapshot: Step = {
  name: 'copy-snapshot',
  mode: 'action',
  triggers: ['SnapshotValidated'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const p = state.parameters;
    const s = state.snapshot_details;
    if (!s.source_snapshot_id || !s.snapshot_arn) throw new Error('snapshot details missing: snapshot-check has not recorded them');

    if (p.source_region === p.target_region) {
      return {
        kind: 'done',
        event: ctx.event('CopyCompleted', {
          skipped: true,
          snapshot: { snapshotId: s.source_snapshot_id, snapshotArn: s.snapshot_arn, region: p.target_region as never },
        }),
        status: 'COPY_COMPLETED',
        next: 'delete-rds',
        patch: { snapshot_details: { target_snapshot_id: s.source_snapshot_id, target_snapshot_arn: s.snapshot_arn, copied: false } },
        audit: { type: 'COPY_SKIPPED', details: { reason: 'source and target region are the same' } },
      };
    }

    const targetId = copiedSnapshotId(state.operation_id, s.source_snapshot_id);
    const kmsKeyId = deps.config.TARGET_KMS_KEYS[p.target_region];
    if (s.kms_key_id && !kmsKeyId) {
      return {
        kind: 'failed',
        code: 'KmsKeyNotAccessible',
        message: `snapshot ${s.source_snapshot_id} is encrypted and no KMS key is configured for ${p.target_region} (set TARGET_KMS_KEYS=${p.target_region}=<key ARN>)`,
      };
    }
    const tags = creationTags(state.operation_id, state.parameters.cluster_settings?.tags);
    let arn: string;
    try {
      const copy = await ctx.retry(() =>
        deps.rds.copyClusterSnapshot({
          sourceRegion: p.source_region,
          targetRegion: p.target_region,
          sourceSnapshotArn: s.snapshot_arn!,
          targetSnapshotId: targetId,
          kmsKeyId: s.kms_key_id ? kmsKeyId : undefined,
          tags,
        }),
      );
      arn = copy.snapshotArn;
    } catch (e) {
      if (!isFault(e, 'DBClusterSnapshotAlreadyExistsFault')) throw e;
      const existing = await ctx.retry(() => deps.rds.describeClusterSnapshot(p.target_region, targetId));
      if (existing?.tags[OPERATION_TAG] !== state.operation_id) {
        return { kind: 'failed', code: 'CopyFailed', message: `snapshot ${targetId} already exists in ${p.target_region} and was not made by this operation` };
      }
      arn = existing.snapshotArn;
    }
    return {
      kind: 'done',
      event: ctx.event('CopyStarted', { target: { snapshotId: targetId, snapshotArn: arn, region: p.target_region as never } }),
      status: 'COPY_IN_PROGRESS',
      next: 'check-copy-status',
      patch: { snapshot_details: { target_snapshot_id: targetId, target_snapshot_arn: arn, copied: true } },
      audit: { type: 'COPY_STARTED', details: { target_snapshot_id: targetId, target_region: p.target_region } },
    };
  },
};
