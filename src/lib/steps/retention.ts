/**
 * Final snapshot retention: every replaced target leaves a final snapshot (`<cluster>-final-<id>`), one a
 * night, which nothing else ever deletes. After a successful restore, archive-snapshot prunes the target's
 * final snapshots: those beyond the newest FINAL_SNAPSHOT_RETENTION_COUNT that are also older than
 * FINAL_SNAPSHOT_RETENTION_DAYS are deleted (COUNT 0 keeps all). Only snapshots the pipeline made qualify:
 * manual snapshots of the target cluster carrying the managed-by tag AND named like its final snapshots
 * (IAM allows DeleteDBClusterSnapshot on nothing else: `cluster-snapshot:*-final-*` with the managed-by tag).
 * A deletion that fails is reported and left for the next night; it never fails the restore.
 */
import { isFault } from '../errors';
import type { SnapshotInfo } from '../ports';
import type { StepContext } from '../step-runner';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../tags';
import { finalSnapshotId } from './names';

export interface RetentionResult {
  kept: string[];
  deleted: string[];
  /** Deletions that failed (left for the next night), with the fault name. */
  failed: { snapshotId: string; error: string }[];
}

/** Is `snapshotId` named like one of the pipeline's final snapshots of `clusterId`? (names.ts finalSnapshotId) */
export function isFinalSnapshotName(snapshotId: string, clusterId: string): boolean {
  const sample = finalSnapshotId('restore-00000000-000000-aaaaaa', clusterId);
  const prefix = sample.slice(0, -'aaaaaa'.length);
  return snapshotId.length === sample.length && snapshotId.startsWith(prefix) && /^[a-z0-9]{6}$/.test(snapshotId.slice(prefix.length));
}

/** The pipeline's own final snapshots among `snapshots` of `clusterId`: managed-by tag and final-snapshot name. */
export function pipelineFinalSnapshots(snapshots: SnapshotInfo[], clusterId: string): SnapshotInfo[] {
  return snapshots.filter(
    (s) => s.snapshotType === 'manual' && s.tags[MANAGED_BY_TAG] === MANAGED_BY_VALUE && isFinalSnapshotName(s.snapshotId, clusterId),
  );
}

/** Which of the pipeline's final snapshots the rule deletes (pure): beyond the newest `count` and older than `days`. */
export function retentionVerdict(finals: SnapshotInfo[], rule: { count: number; days: number }, now: Date): { keep: SnapshotInfo[]; remove: SnapshotInfo[] } {
  const newestFirst = [...finals].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  if (rule.count === 0) return { keep: newestFirst, remove: [] };
  const minAgeMs = rule.days * 86_400_000;
  const keep: SnapshotInfo[] = [];
  const remove: SnapshotInfo[] = [];
  newestFirst.forEach((s, i) => {
    const old = now.getTime() - Date.parse(s.createdAt) >= minAgeMs;
    // Only available snapshots are deleted (one still being created is the one this night just took).
    if (i >= rule.count && old && s.status === 'available') remove.push(s);
    else keep.push(s);
  });
  return { keep, remove };
}

/** Applies the rule to the operation's target cluster. */
export async function applyFinalSnapshotRetention(ctx: StepContext): Promise<RetentionResult> {
  const { deps, state } = ctx;
  const region = state.parameters.target_region;
  const clusterId = state.parameters.target_cluster_id;
  const rule = { count: deps.config.FINAL_SNAPSHOT_RETENTION_COUNT, days: deps.config.FINAL_SNAPSHOT_RETENTION_DAYS };
  if (rule.count === 0) return { kept: [], deleted: [], failed: [] };
  // The region's manual snapshots, by name: a swap's final snapshot is taken from the old cluster under its
  // retired name (<target>-old-<id>), so filtering by DBClusterIdentifier would miss it.
  const finals = pipelineFinalSnapshots(await ctx.retry(() => deps.rds.listManualSnapshots(region)), clusterId);
  const { keep, remove } = retentionVerdict(finals, rule, ctx.now);
  const result: RetentionResult = { kept: keep.map((s) => s.snapshotId), deleted: [], failed: [] };
  for (const s of remove) {
    try {
      await ctx.retry(() => deps.rds.deleteClusterSnapshot(region, s.snapshotId));
      result.deleted.push(s.snapshotId);
    } catch (e) {
      if (isFault(e, 'DBClusterSnapshotNotFoundFault')) continue; // already gone
      const error = (e as Error)?.name ?? 'Error';
      result.failed.push({ snapshotId: s.snapshotId, error });
      deps.logger.warn('final snapshot retention: deletion failed, left for the next run', { operationId: state.operation_id, snapshotId: s.snapshotId, error });
    }
  }
  if (result.deleted.length) deps.metrics.count('FinalSnapshotsDeleted', result.deleted.length);
  return result;
}
