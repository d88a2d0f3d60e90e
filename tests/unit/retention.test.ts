import { describe, expect, it } from 'vitest';
import { finalSnapshotId } from '../../src/lib/steps/names';
import { isFinalSnapshotName, pipelineFinalSnapshots, retentionVerdict } from '../../src/lib/steps/retention';
import { engineProblem, requestProblem } from '../../src/lib/safety';
import type { SnapshotInfo } from '../../src/lib/ports';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';

const snap = (snapshotId: string, createdAt: string, tags: Record<string, string> = { [MANAGED_BY_TAG]: MANAGED_BY_VALUE }, status = 'available'): SnapshotInfo => ({
  snapshotId,
  snapshotArn: `arn:aws:rds:us-west-2:123456789012:cluster-snapshot:${snapshotId}`,
  region: 'us-west-2',
  sourceClusterId: 'aurora-staging',
  status,
  snapshotType: 'manual',
  createdAt,
  encrypted: true,
  engine: 'aurora-postgresql',
  tags,
});

describe('final snapshot retention (pure parts)', () => {
  it('recognises final snapshot names of the cluster only, long names included', () => {
    const long = 'orders-staging-eu-replacement-target-with-a-very-long-name-x';
    for (const cluster of ['aurora-staging', long]) {
      expect(isFinalSnapshotName(finalSnapshotId('restore-20261124-020000-q0e54n', cluster), cluster)).toBe(true);
    }
    expect(isFinalSnapshotName('aurora-staging-final-q0e54n', 'aurora-stag')).toBe(false);
    expect(isFinalSnapshotName('aurora-staging-final-q0e54n-copy', 'aurora-staging')).toBe(false);
    expect(isFinalSnapshotName('aurora-staging-before-upgrade', 'aurora-staging')).toBe(false);
  });

  it('only tagged and final-named manual snapshots qualify', () => {
    const all = [snap('aurora-staging-final-aaaaaa', '2026-11-20T02:00:00Z'), snap('aurora-staging-final-bbbbbb', '2026-11-21T02:00:00Z', {}), snap('aurora-staging-manual', '2026-11-21T02:00:00Z')];
    expect(pipelineFinalSnapshots(all, 'aurora-staging').map((s) => s.snapshotId)).toEqual(['aurora-staging-final-aaaaaa']);
  });

  it('deletes beyond the newest COUNT only when also older than DAYS; never one not available', () => {
    const now = new Date('2026-11-30T03:00:00Z');
    const finals = [1, 2, 3, 4, 5].map((d) => snap(`aurora-staging-final-aaaaa${d}`, `2026-11-2${d}T02:00:00Z`));
    expect(retentionVerdict(finals, { count: 2, days: 0 }, now).remove.map((s) => s.snapshotId)).toEqual(['aurora-staging-final-aaaaa3', 'aurora-staging-final-aaaaa2', 'aurora-staging-final-aaaaa1']);
    expect(retentionVerdict(finals, { count: 2, days: 8 }, now).remove.map((s) => s.snapshotId)).toEqual(['aurora-staging-final-aaaaa2', 'aurora-staging-final-aaaaa1']);
    expect(retentionVerdict(finals, { count: 0, days: 0 }, now).remove).toEqual([]);
    const creating = [...finals, snap('aurora-staging-final-zzzzzz', '2026-11-19T02:00:00Z', undefined, 'creating')];
    expect(retentionVerdict(creating, { count: 1, days: 0 }, now).remove.map((s) => s.snapshotId)).not.toContain('aurora-staging-final-zzzzzz');
  });
});

describe('request-time refusals', () => {
  it('a target matching PROTECTED_CLUSTER_PATTERN is refused, case-insensitively', () => {
    expect(requestProblem({ targetClusterId: 'staging-from-PROD' }, { PROTECTED_CLUSTER_PATTERN: 'prod' })?.code).toBe('TargetProtected');
    expect(requestProblem({ target_cluster_id: 'staging' }, { PROTECTED_CLUSTER_PATTERN: 'prod' })).toBeUndefined();
  });
  it('only aurora-postgresql snapshots are accepted', () => {
    expect(engineProblem({ snapshotId: 's', engine: 'aurora-mysql' })?.code).toBe('UnsupportedEngine');
    expect(engineProblem({ snapshotId: 's', engine: 'aurora-postgresql' })).toBeUndefined();
  });
});
