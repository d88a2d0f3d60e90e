import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { deadlineScheduleName } from '../../src/lib/steps/names';
import { CROSS_REGION, SAME_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const snapshotIdOf = (r: Awaited<ReturnType<TestWorld['decide']>>) => {
  if (r.kind !== 'done' || r.event.type !== 'SnapshotValidated') throw new Error(`expected SnapshotValidated, got ${JSON.stringify(r)}`);
  return r.event.detail.snapshot.snapshotId;
};

describe('snapshot-check: finding the snapshot', () => {
  it('finds a snapshot by id and records its details', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open({ ...SAME_REGION, sourceClusterId: undefined, snapshotId: 'prod-manual-1' });
    const r = await w.decide('snapshot-check', id);
    expect(snapshotIdOf(r)).toBe('prod-manual-1');
    expect(r).toMatchObject({
      status: 'SNAPSHOT_VALIDATED',
      next: 'copy-snapshot',
      patch: { snapshot_details: { source_snapshot_id: 'prod-manual-1', engine: 'aurora-postgresql', snapshot_status: 'available' } },
    });
  });

  it('by cluster and date, picks that day\'s newest AVAILABLE automated snapshot', async () => {
    const w = await TestWorld.create(dynamo, {
      mutateWorld: (world) => {
        const snaps = world.regions['us-east-1'].snapshots;
        const base = snaps['rds:aurora-prod-2026-11-23-00-05'];
        // Later the same day: one available at 12:00, a newer one still being created at 18:00.
        snaps['rds:aurora-prod-2026-11-23-12-00'] = { ...base, snapshotId: 'rds:aurora-prod-2026-11-23-12-00', createdAt: '2026-11-23T12:00:00.000Z' };
        snaps['rds:aurora-prod-2026-11-23-18-00'] = { ...base, snapshotId: 'rds:aurora-prod-2026-11-23-18-00', createdAt: '2026-11-23T18:00:00.000Z', status: 'creating' };
      },
    });
    const { id } = await w.open({ ...SAME_REGION, snapshotDate: '2026-11-23' });
    expect(snapshotIdOf(await w.decide('snapshot-check', id))).toBe('rds:aurora-prod-2026-11-23-12-00');
  });

  it('by cluster and date, takes the snapshot of exactly that day', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open({ ...SAME_REGION, snapshotDate: '2026-11-22' });
    expect(snapshotIdOf(await w.decide('snapshot-check', id))).toBe('rds:aurora-prod-2026-11-22-00-05');
  });

  it('without a date, takes the latest automated snapshot', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open(SAME_REGION);
    expect(snapshotIdOf(await w.decide('snapshot-check', id))).toBe('rds:aurora-prod-2026-11-24-00-05');
  });

  it('fails SnapshotNotFound naming the cluster, date and region it looked in', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open({ ...SAME_REGION, snapshotDate: '2026-11-01' });
    const r = await w.decide('snapshot-check', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'SnapshotNotFound' });
    expect(r.kind === 'failed' && r.message).toBe('found no automated snapshot of aurora-prod taken on 2026-11-01 in us-east-1');
  });

  it('fails SnapshotNotFound naming the snapshot id it looked for', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open({ ...SAME_REGION, sourceClusterId: undefined, snapshotId: 'no-such-snapshot' });
    const r = await w.decide('snapshot-check', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'SnapshotNotFound' });
    expect(r.kind === 'failed' && r.message).toContain('snapshot no-such-snapshot');
    expect(r.kind === 'failed' && r.message).toContain('us-east-1');
  });

  it('fails SnapshotNotAvailable when the snapshot is not available yet', async () => {
    const w = await TestWorld.create(dynamo, {
      mutateWorld: (world) => {
        world.regions['us-east-1'].snapshots['prod-manual-1'].status = 'creating';
      },
    });
    const { id } = await w.open({ ...SAME_REGION, sourceClusterId: undefined, snapshotId: 'prod-manual-1' });
    const r = await w.decide('snapshot-check', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'SnapshotNotAvailable' });
    expect(r.kind === 'failed' && r.message).toContain('prod-manual-1 is creating');
  });
});

describe('snapshot-check: pre-flight target check, before any copy', () => {
  it('TargetExists when the target exists and replacing it was not asked for', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request({ ...CROSS_REGION, deleteExisting: false });
    await w.run('snapshot-check', envelope);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'snapshot-check', code: 'TargetExists', retryable: false });
    expect(failed.detail.message).toContain('staging');
    expect(w.publishedOf(id, 'SnapshotValidated')).toHaveLength(0);
    expect((await w.state(id)).steps['snapshot-check']).toMatchObject({ status: 'FAILED', error: { code: 'TargetExists' } });
    expect(w.sim.calls.CopyDBClusterSnapshot).toBe(0);
    expect(w.sim.calls.DescribeDBClusterSnapshots).toBe(0);
  });

  it('DeletionRefused for a cluster the pipeline does not manage, even with deleteExisting', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open({ ...CROSS_REGION, targetClusterId: 'analytics' });
    const r = await w.decide('snapshot-check', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'DeletionRefused' });
    expect(r.kind === 'failed' && r.message).toContain('not created by this pipeline');
    expect(w.sim.calls.CopyDBClusterSnapshot).toBe(0);
  });

  it('DeletionRefused for a managed cluster with deletion protection on', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open({ ...CROSS_REGION, targetClusterId: 'locked-down' });
    const r = await w.decide('snapshot-check', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'DeletionRefused' });
    expect(r.kind === 'failed' && r.message).toContain('deletion protection');
  });

  it('lets a managed target through when deleteExisting is set', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.open(CROSS_REGION);
    expect(snapshotIdOf(await w.decide('snapshot-check', id))).toBe('rds:aurora-prod-2026-11-23-00-05');
  });
});

describe('snapshot-check: one operation per target, one deadline', () => {
  it('fails TargetBusy naming the live operation that holds the target; a finished one lets go', async () => {
    const w = await TestWorld.create(dynamo);
    const first = await w.request(SAME_REGION);
    await w.run('snapshot-check', first.envelope);
    expect(w.publishedOf(first.id, 'SnapshotValidated')).toHaveLength(1);

    const second = await w.request(SAME_REGION);
    await w.run('snapshot-check', second.envelope);
    const [busy] = w.publishedOf(second.id, 'RestoreFailed');
    expect(busy.detail).toMatchObject({ code: 'TargetBusy', step: 'snapshot-check' });
    expect(busy.detail.message).toContain(first.id);
    expect(await w.store.lockHolder('us-east-1', 'restored')).toBe(first.id);

    // Once the first operation has ended (even if its lock release was lost), a new one may take the target.
    await w.store.finish(first.id, { status: 'FAILED', now: w.clock.now(), error: { step: 'copy-snapshot', code: 'CopyFailed', message: 'x', retryable: false } });
    const third = await w.request(SAME_REGION);
    await w.run('snapshot-check', third.envelope);
    expect(w.publishedOf(third.id, 'SnapshotValidated')).toHaveLength(1);
    expect(await w.store.lockHolder('us-east-1', 'restored')).toBe(third.id);
  });

  it('arms the operation deadline exactly once, at start + STATE_MACHINE_TIMEOUT_SECONDS', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request(SAME_REGION);
    await w.run('snapshot-check', envelope);
    await w.run('snapshot-check', envelope); // a duplicate delivery
    await w.decide('snapshot-check', id, envelope); // and a direct re-run of the decision
    const schedules = w.scheduler.pending();
    expect(schedules.map((s) => s.name)).toEqual([deadlineScheduleName(id)]);
    const deadline = new Date(Date.parse('2026-11-24T02:00:00Z') + w.deps.config.STATE_MACHINE_TIMEOUT_SECONDS * 1000).toISOString();
    expect(schedules[0]).toMatchObject({ at: deadline, event: { type: 'OperationDeadlineReached', detail: { operationId: id, deadline } } });
    // The duplicate republished the same outcome instead of validating again.
    const validated = w.publishedOf(id, 'SnapshotValidated');
    expect(validated).toHaveLength(2);
    expect(validated[1].detail).toEqual(validated[0].detail);
  });

  it('a request that arrives after its deadline (replayed, or very late) fails Timeout at once: no schedule in the past, nothing done', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request(SAME_REGION);
    w.clock.advanceBy(w.deps.config.STATE_MACHINE_TIMEOUT_SECONDS * 1000 + 60_000);
    await w.run('snapshot-check', envelope);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'snapshot-check', code: 'Timeout', retryable: false });
    expect(failed.detail.message).toContain('arrived after its deadline');
    expect(w.scheduler.pending()).toEqual([]);
    expect(w.sim.calls.DescribeDBClusterSnapshots).toBe(0);
  });

  it('upper case in the request names the same target: one lock for Restored and restored', async () => {
    const w = await TestWorld.create(dynamo);
    const first = await w.request({ ...SAME_REGION, targetClusterId: 'Restored' });
    await w.run('snapshot-check', first.envelope);
    expect((await w.state(first.id)).parameters.target_cluster_id).toBe('restored');
    const second = await w.request(SAME_REGION);
    await w.run('snapshot-check', second.envelope);
    expect(w.publishedOf(second.id, 'RestoreFailed')[0]?.detail).toMatchObject({ code: 'TargetBusy' });
  });

  it('rejects a request whose target is busy before arming a deadline for it', async () => {
    const w = await TestWorld.create(dynamo);
    const first = await w.request(SAME_REGION);
    await w.run('snapshot-check', first.envelope);
    const second = await w.request(SAME_REGION);
    await w.run('snapshot-check', second.envelope);
    expect(w.scheduler.pending().map((s) => s.name)).toEqual([deadlineScheduleName(first.id)]);
  });
});
