/**
 * Items 5-7 of "The CLI as a daily tool", through whole local restores: an engine whose user setup is
 * not supported is refused before anything is deleted; a target whose name the safety rules protect is
 * refused at request time (it could never be replaced); final snapshots are pruned by the retention rule,
 * and only the ones the pipeline made.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DescribeDBClusterSnapshotsCommand } from '@aws-sdk/client-rds';
import { LocalPipeline } from '../../src/lib/local/pipeline';
import { DEFAULT_SCENARIO, parseScenario, type ScenarioInput } from '../../src/lib/local/scenario';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';

const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function pipeline(scenario = DEFAULT_SCENARIO, env: Record<string, string> = {}) {
  const p = await LocalPipeline.open({ scenario, env });
  open.push(p);
  return p;
}

async function restore(p: LocalPipeline, overrides: Record<string, unknown> = {}) {
  const id = await p.startRestore(p.request(overrides));
  await p.runUntilTerminal([id]);
  return (await p.status(id))!;
}

describe('5. an engine whose user setup is not supported', () => {
  it('aurora-mysql is refused by snapshot-check (UnsupportedEngine) and the existing target is left alone', async () => {
    const input = structuredClone(DEFAULT_SCENARIO) as unknown as ScenarioInput;
    const prod = input.regions['us-east-1'].clusters![0] as { engine: string; engineVersion?: string };
    prod.engine = 'aurora-mysql';
    prod.engineVersion = '8.0.mysql_aurora.3.08.0';
    const p = await pipeline(parseScenario(input));
    const state = await restore(p);
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ step: 'snapshot-check', code: 'UnsupportedEngine' });
    expect(state.error!.message).toMatch(/aurora-mysql/);
    const staging = await p.deps.rds.describeCluster('us-west-2', 'aurora-staging');
    expect(staging?.status).toBe('available');
    expect(p.rds.calls.DeleteDBInstance + p.rds.calls.DeleteDBCluster + p.rds.calls.CopyDBClusterSnapshot).toBe(0);
  });
});

describe('6. a target the safety rules would protect', () => {
  it('is refused at request time (TargetProtected), before anything is created, saying why', async () => {
    const p = await pipeline();
    const state = await restore(p, { targetClusterId: 'staging-from-prod' });
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ step: 'snapshot-check', code: 'TargetProtected' });
    expect(state.error!.message).toMatch(/PROTECTED_CLUSTER_PATTERN/);
    expect(await p.deps.rds.describeCluster('us-west-2', 'staging-from-prod')).toBeUndefined();
    expect(p.rds.calls.CopyDBClusterSnapshot + p.rds.calls.RestoreDBClusterFromSnapshot).toBe(0);
  });

  it('follows the configured pattern', async () => {
    const p = await pipeline(DEFAULT_SCENARIO, { PROTECTED_CLUSTER_PATTERN: '^keep-' });
    expect((await restore(p, { targetClusterId: 'staging-from-prod' })).status).toBe('SUCCEEDED');
    expect((await restore(p, { targetClusterId: 'keep-this' })).error?.code).toBe('TargetProtected');
  });
});

describe('7. final snapshot retention', () => {
  const finalSnapshots = async (p: LocalPipeline) => {
    const out = await p.rds.client('us-west-2').send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'aurora-staging', SnapshotType: 'manual' }));
    return (out.DBClusterSnapshots ?? []).map((s) => ({ id: s.DBClusterSnapshotIdentifier!, tags: Object.fromEntries((s.TagList ?? []).map((t) => [t.Key, t.Value])) }));
  };

  it('keeps the newest FINAL_SNAPSHOT_RETENTION_COUNT of the pipeline\'s final snapshots per target, and never one it did not make', async () => {
    const input = structuredClone(DEFAULT_SCENARIO) as unknown as ScenarioInput;
    const staging = input.regions['us-west-2'].clusters![0] as { manualSnapshots?: unknown[] };
    staging.manualSnapshots = [
      // Named like a final snapshot, but not tagged by the pipeline: someone else's.
      { id: 'aurora-staging-final-abc123', tags: {} },
      // Tagged by the pipeline, but not named like a final snapshot.
      { id: 'aurora-staging-before-upgrade', tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE } },
    ];
    const p = await pipeline(parseScenario(input), { FINAL_SNAPSHOT_RETENTION_COUNT: '2' });
    const made: string[] = [];
    for (let night = 0; night < 5; night++) {
      const state = await restore(p, { snapshotDate: undefined });
      expect(state.status, JSON.stringify(state.error)).toBe('SUCCEEDED');
      made.push(state.restore_details.final_snapshot_id!);
    }
    const ids = (await finalSnapshots(p)).map((s) => s.id).sort();
    // The first night's final snapshot is of the seeded cluster, which carries no CopyTagsToSnapshot: untagged, kept.
    // From the second night on the cluster is the pipeline's (tags copied to its snapshots): only the newest 2 stay.
    expect(ids).toEqual(['aurora-staging-before-upgrade', 'aurora-staging-final-abc123', made[0], made[3], made[4]].sort());
  });

  it('FINAL_SNAPSHOT_RETENTION_COUNT=0 keeps every final snapshot', async () => {
    const p = await pipeline(DEFAULT_SCENARIO, { FINAL_SNAPSHOT_RETENTION_COUNT: '0' });
    for (let night = 0; night < 4; night++) expect((await restore(p, { snapshotDate: undefined })).status).toBe('SUCCEEDED');
    expect((await finalSnapshots(p)).filter((s) => s.id.includes('-final-'))).toHaveLength(4);
  });
});
