import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { writerInstanceId } from '../../src/lib/steps/names';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../src/lib/tags';
import { SAME_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const SNAPSHOT = 'rds:aurora-prod-2026-11-24-00-05';

/** An operation whose target has just been cleared (same region, nothing was there). */
async function cleared(w: TestWorld) {
  const { id } = await w.request(SAME_REGION);
  const envelope = await w.advance(id, 'restore-snapshot');
  return { id, envelope, ours: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: id } };
}

const creations = (w: TestWorld, kind: 'cluster' | 'instance', id: string) => w.sim.history.filter((h) => h.kind === kind && h.id === id && h.from === null);
const restoreOf = (tags: Record<string, string>) => ({ clusterId: 'restored', snapshotId: SNAPSHOT, engine: 'aurora-postgresql', engineVersion: '16.6', securityGroupIds: [], tags });

describe('restore-snapshot', () => {
  it('restores the cluster only, tagged with the operation, at the snapshot engine version; the writer comes once it is available', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope, ours } = await cleared(w);
    await w.run('restore-snapshot', envelope);

    const [started] = w.publishedOf(id, 'ClusterRestoreStarted');
    expect(started.detail).toMatchObject({ clusterId: 'restored', instanceId: 'restored-writer', region: 'us-east-1' });
    expect(creations(w, 'cluster', 'restored')).toEqual([expect.objectContaining({ to: 'creating', tags: ours })]);
    // "You can create DB instances only after the RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available."
    expect(creations(w, 'instance', 'restored-writer')).toEqual([]);
    expect(w.sim.calls.CreateDBInstance).toBe(0);
    // The snapshot is 16.6; without EngineVersion RDS would take the region's default 16.4 and refuse the downgrade.
    expect(w.sim.toJSON().world.regions['us-east-1'].clusters.restored.engineVersion).toBe('16.6');
    expect(await w.state(id)).toMatchObject({
      status: 'RESTORE_IN_PROGRESS',
      next_step: 'CHECK_RESTORE_STATUS',
      snapshot_details: { engine_version: '16.6' },
      restore_details: { cluster_id: 'restored', instance_id: writerInstanceId('restored'), cluster_status: 'creating' },
    });
  });

  it('a retry after a crash recognises its own cluster (DBClusterAlreadyExistsFault + our tag) and restores once', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope, ours } = await cleared(w);
    // The crashed attempt restored the cluster, then died before the state write.
    await w.rds.restoreClusterFromSnapshot('us-east-1', restoreOf(ours));
    await w.run('restore-snapshot', envelope);

    expect(w.publishedOf(id, 'ClusterRestoreStarted')).toHaveLength(1);
    expect(w.sim.calls.RestoreDBClusterFromSnapshot).toBe(2);
    expect(creations(w, 'cluster', 'restored')).toHaveLength(1);
  });

  it('a cluster of the same name that is not ours (it appeared after the target was cleared) → TargetExists', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await cleared(w);
    await w.rds.restoreClusterFromSnapshot('us-east-1', restoreOf({ team: 'other' }));
    await w.run('restore-snapshot', envelope);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'restore-snapshot', code: 'TargetExists' });
    expect(failed.detail.message).toContain('cluster restored');
  });
});
