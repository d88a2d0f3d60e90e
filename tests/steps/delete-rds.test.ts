import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { finalSnapshotId } from '../../src/lib/steps/names';
import { MANAGED_BY_TAG } from '../../src/lib/tags';
import { CROSS_REGION, SAME_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const statusOf = (w: TestWorld, kind: 'cluster' | 'instance', id: string) =>
  w.sim.history.filter((h) => h.kind === kind && h.id === id).at(-1)?.to;

describe('delete-rds', () => {
  it('no cluster at the target: TargetCleared (deleted: false), nothing deleted', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    await w.advance(id, 'delete-rds');
    expect(await w.decide('delete-rds', id)).toMatchObject({
      kind: 'done',
      status: 'TARGET_CLEARED',
      next: 'restore-snapshot',
      event: { type: 'TargetCleared', detail: { deleted: false } },
      patch: { restore_details: { deleted_existing_cluster: false } },
    });
    expect(w.sim.calls.DeleteDBInstance + w.sim.calls.DeleteDBCluster).toBe(0);
  });

  it('deletes the instances first and leaves the cluster until they are gone, with a final snapshot id', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    await w.run('delete-rds', await w.advance(id, 'delete-rds'));

    const finalId = finalSnapshotId(id, 'staging');
    expect(finalId).toBe(`staging-final-${id.slice(-6)}`);
    const [started] = w.publishedOf(id, 'ClusterDeletionStarted');
    expect(started.detail).toMatchObject({ clusterId: 'staging', region: 'us-west-2', finalSnapshotId: finalId });
    expect(statusOf(w, 'instance', 'staging-writer')).toBe('deleting');
    expect(statusOf(w, 'instance', 'staging-reader')).toBe('deleting');
    expect(w.sim.calls.DeleteDBCluster).toBe(0);
    expect((await w.rds.describeCluster('us-west-2', 'staging'))!.status).toBe('available');
    expect(await w.state(id)).toMatchObject({ status: 'DELETE_IN_PROGRESS', next_step: 'CHECK_DELETE_STATUS', restore_details: { final_snapshot_id: finalId } });
    // The instances are indexed, so their RDS events find this operation.
    expect(await w.store.operationForResource('us-west-2', 'staging-writer')).toBe(id);
  });

  it('deletes a cluster without instances at once, with its final snapshot', async () => {
    const w = await TestWorld.create(dynamo, {
      mutateWorld: (world) => {
        delete world.regions['us-west-2'].instances['staging-writer'];
        delete world.regions['us-west-2'].instances['staging-reader'];
      },
    });
    const { id } = await w.request(CROSS_REGION);
    await w.run('delete-rds', await w.advance(id, 'delete-rds'));
    expect(w.sim.calls.DeleteDBCluster).toBe(1);
    expect(statusOf(w, 'cluster', 'staging')).toBe('deleting');
    expect((await w.rds.describeClusterSnapshot('us-west-2', finalSnapshotId(id, 'staging')))!.status).toBe('creating');
  });

  it('skipFinalSnapshot: no final snapshot id, none taken', async () => {
    const w = await TestWorld.create(dynamo, {
      mutateWorld: (world) => {
        delete world.regions['us-west-2'].instances['staging-writer'];
        delete world.regions['us-west-2'].instances['staging-reader'];
      },
    });
    const { id } = await w.request({ ...CROSS_REGION, skipFinalSnapshot: true });
    await w.run('delete-rds', await w.advance(id, 'delete-rds'));
    const [started] = w.publishedOf(id, 'ClusterDeletionStarted');
    expect(started.detail.finalSnapshotId).toBeUndefined();
    expect(statusOf(w, 'cluster', 'staging')).toBe('deleting');
    expect(w.sim.history.some((h) => h.kind === 'snapshot' && h.id.includes('-final-'))).toBe(false);
  });

  it('checks the safety rules again: a target that lost its managed-by tag since snapshot-check is refused, nothing deleted', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    const completed = await w.advance(id, 'delete-rds');
    w.editWorld((world) => {
      delete world.regions['us-west-2'].clusters.staging.tags[MANAGED_BY_TAG];
    });
    await w.run('delete-rds', completed);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'delete-rds', code: 'DeletionRefused' });
    expect(w.sim.calls.DeleteDBInstance + w.sim.calls.DeleteDBCluster).toBe(0);
  });
});
