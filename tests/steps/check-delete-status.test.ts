import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RDS_EVENT_IDS, RDS_SOURCE } from '../../src/events/rds';
import type { EventBridgeEnvelope } from '../../src/events/envelope';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { finalSnapshotId } from '../../src/lib/steps/names';
import { MANAGED_BY_TAG, OPERATION_TAG } from '../../src/lib/tags';
import { CROSS_REGION, KEY_WEST, MANAGED_TAGS, SCENARIO, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

/** An operation whose delete-rds has started deleting staging's instances. */
async function deleting(w: TestWorld) {
  const { id } = await w.request(CROSS_REGION);
  await w.run('delete-rds', await w.advance(id, 'delete-rds'));
  return { id, started: w.lastEnvelope(id) };
}

const rdsEvents = (w: TestWorld, eventId: string, source: string): EventBridgeEnvelope[] =>
  w.envelopes().filter((e) => e.source === RDS_SOURCE && (e.detail as { EventID: string; SourceIdentifier: string }).EventID === eventId && (e.detail as { SourceIdentifier: string }).SourceIdentifier === source);

describe('check-delete-status', () => {
  it('an instance that was still being created when delete-rds ran is deleted once it settles, then the cluster', async () => {
    const w = await TestWorld.create(dynamo, {
      mutateWorld: (world) => {
        const reader = world.regions['us-west-2'].instances['staging-reader'];
        reader.status = 'creating';
        reader.completesAtMs = Date.parse('2026-11-24T03:00:00Z');
      },
    });
    const { id } = await w.request(CROSS_REGION);
    await w.run('delete-rds', await w.advance(id, 'delete-rds'));
    // RDS refused the reader (InvalidDBInstanceStateFault): delete-rds recorded it for later.
    expect((await w.state(id)).restore_details.instances_not_yet_deleted).toEqual(['staging-reader']);
    expect(w.sim.history.filter((h) => h.id === 'staging-reader' && h.to === 'deleting')).toHaveLength(0);

    // Until it settles, every check finds it still there; then one deletes it, and the cluster follows.
    for (let n = 0; n < 20 && (await w.rds.describeCluster('us-west-2', 'staging')); n++) {
      const next = w.nextRdsTimer();
      if (next !== undefined) w.clock.advanceTo(next);
      await w.run('check-delete-status', await w.dueRecheck(id, 'check-delete-status'));
    }
    expect(w.sim.history.filter((h) => h.id === 'staging-reader' && h.to === 'deleting')).toHaveLength(1);
    expect(w.publishedOf(id, 'TargetCleared')[0]?.detail).toMatchObject({ deleted: true });
    expect(w.publishedOf(id, 'RestoreFailed')).toHaveLength(0);
  });

  it('while instances are being deleted: waits and leaves the cluster alone', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await deleting(w);
    expect(await w.decide('check-delete-status', id, await w.dueRecheck(id, 'check-delete-status'))).toMatchObject({
      kind: 'waiting',
      check: 'delete',
      delaySeconds: w.deps.config.SAFETY_RECHECK_SECONDS,
      audit: { details: { instances_left: 2 } },
    });
    expect(w.sim.calls.DeleteDBCluster).toBe(0);
  });

  it('deletes the cluster once its instances are gone (woken by the RDS event), then clears the target', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await deleting(w);
    w.clock.advanceBy(6 * 60_000 + 1); // both instances gone
    const instanceDeleted = rdsEvents(w, RDS_EVENT_IDS.instanceDeleted, 'staging-writer');
    expect(instanceDeleted).toHaveLength(1);
    // The RDS event names the instance only: the resource index maps it to the operation.
    await w.run('check-delete-status', instanceDeleted[0]);
    expect(w.sim.calls.DeleteDBCluster).toBe(1);
    expect((await w.rds.describeCluster('us-west-2', 'staging'))!.status).toBe('deleting');
    expect(w.publishedOf(id, 'TargetCleared')).toHaveLength(0);
    // The event re-planned the wait (now the cluster's deletion): its check replaces the pending one, still one live.
    const step = (await w.state(id)).steps['check-delete-status']!;
    expect(step).toMatchObject({ recheck_attempt: 1, phase: { name: 'delete-cluster' } });

    w.settleRds(); // the cluster is gone, its final snapshot taken
    const clusterDeleted = rdsEvents(w, RDS_EVENT_IDS.clusterDeleted, 'staging');
    expect(clusterDeleted).toHaveLength(1);
    // The cluster event maps to the operation through the target-cluster lock; RDS's "DB cluster deleted",
    // sent after our deletion began, is taken as the fact it states: no Describe.
    const describes = w.sim.calls.DescribeDBClusters;
    await w.run('check-delete-status', clusterDeleted[0]);
    expect(w.sim.calls.DescribeDBClusters).toBe(describes);
    const finalId = finalSnapshotId(id, 'staging');
    const [cleared] = w.publishedOf(id, 'TargetCleared');
    expect(cleared.detail).toMatchObject({ deleted: true, finalSnapshotId: finalId });
    expect(await w.state(id)).toMatchObject({ status: 'TARGET_CLEARED', restore_details: { deleted_existing_cluster: true } });
    expect((await w.rds.describeClusterSnapshot('us-west-2', finalId))!.status).toBe('available');
  });

  it('RDS events of a target an EARLIER operation created (its operation tag) still wake this operation', async () => {
    // The nightly refresh case: staging was restored by yesterday's operation, whose tag it still carries.
    const old = 'restore-20261123-020000-yester';
    const w = await TestWorld.create(dynamo, {
      scenario: {
        ...SCENARIO,
        regions: {
          ...SCENARIO.regions,
          'us-west-2': {
            kmsKeys: [KEY_WEST],
            clusters: [{ id: 'staging', engine: 'aurora-postgresql', tags: { ...MANAGED_TAGS, [OPERATION_TAG]: old }, instances: [{ id: 'staging-writer' }] }],
          },
        },
      },
    });
    const { id } = await deleting(w);
    w.clock.advanceBy(6 * 60_000 + 1);
    const [instanceDeleted] = rdsEvents(w, RDS_EVENT_IDS.instanceDeleted, 'staging-writer');
    expect((instanceDeleted.detail as { Tags: Record<string, string> }).Tags[OPERATION_TAG]).toBe(old);
    await w.run('check-delete-status', instanceDeleted);
    expect(w.sim.calls.DeleteDBCluster).toBe(1);
    w.settleRds();
    await w.run('check-delete-status', rdsEvents(w, RDS_EVENT_IDS.clusterDeleted, 'staging')[0]);
    expect(w.publishedOf(id, 'TargetCleared')).toHaveLength(1);
  });

  it('checks the safety rules again before deleting the cluster: changed tags → DeletionRefused, nothing deleted', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await deleting(w);
    w.settleRds(); // instances gone, no lifecycle in progress
    w.editWorld((world) => {
      const staging = world.regions['us-west-2'].clusters.staging;
      delete staging.tags[MANAGED_BY_TAG];
      staging.tags.owner = 'someone-else';
    });
    await w.run('check-delete-status', await w.dueRecheck(id, 'check-delete-status'));
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'check-delete-status', code: 'DeletionRefused' });
    expect(failed.detail.message).toContain('not created by this pipeline');
    expect(w.sim.calls.DeleteDBCluster).toBe(0);
    expect((await w.rds.describeCluster('us-west-2', 'staging'))!.status).toBe('available');
  });

  it('deletion protection switched on meanwhile → DeletionRefused', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await deleting(w);
    w.settleRds();
    w.editWorld((world) => {
      world.regions['us-west-2'].clusters.staging.deletionProtection = true;
    });
    const r = await w.decide('check-delete-status', id, await w.dueRecheck(id, 'check-delete-status'));
    expect(r).toMatchObject({ kind: 'failed', code: 'DeletionRefused' });
    expect(r.kind === 'failed' && r.message).toContain('deletion protection');
    expect(w.sim.calls.DeleteDBCluster).toBe(0);
  });

  it('cluster already gone: TargetCleared (deleted: true)', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await deleting(w);
    w.settleRds();
    await w.rds.deleteCluster('us-west-2', { clusterId: 'staging' }); // someone else finished the job
    w.settleRds();
    const r = await w.decide('check-delete-status', id, await w.dueRecheck(id, 'check-delete-status'));
    expect(r).toMatchObject({ kind: 'done', status: 'TARGET_CLEARED', event: { type: 'TargetCleared', detail: { deleted: true } } });
  });
});
