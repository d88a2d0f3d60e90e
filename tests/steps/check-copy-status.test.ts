import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { CROSS_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

/** An operation whose cross-region copy has just started. */
async function copying(w: TestWorld) {
  const { id } = await w.request(CROSS_REGION);
  const started = await w.advance(id, 'check-copy-status');
  const targetId = (await w.state(id)).snapshot_details.target_snapshot_id!;
  return { id, started, targetId };
}

describe('check-copy-status', () => {
  it('while the copy is copying: waits, re-checking every COPY_RECHECK_SECONDS', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await copying(w);
    expect(await w.decide('check-copy-status', id)).toMatchObject({
      kind: 'waiting',
      check: 'copy',
      delaySeconds: w.deps.config.COPY_RECHECK_SECONDS,
      audit: { type: 'COPY_PENDING', details: { status: 'copying' } },
    });

    // Through the runner: the started event arms re-check 1, re-check 1 arms re-check 2.
    await w.run('check-copy-status', started);
    const recheck1 = w.scheduler.pending().find((s) => s.name === `${id}-copy-1`)!;
    expect(recheck1).toMatchObject({ event: { type: 'RecheckDue', detail: { check: 'copy', attempt: 1 } } });
    expect(Date.parse(recheck1.at) - w.clock.now().getTime()).toBe(w.deps.config.COPY_RECHECK_SECONDS * 1000);
    w.clock.advanceTo(Date.parse(recheck1.fireAt));
    const due = w.envelopes().at(-1)!;
    expect(due['detail-type']).toBe('RecheckDue');
    await w.run('check-copy-status', due);
    expect(w.scheduler.pending().map((s) => s.name)).toContain(`${id}-copy-2`);
    expect((await w.state(id)).status).toBe('COPY_IN_PROGRESS');
  });

  it('when the copy is available: CopyCompleted (not skipped) with the copy', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started, targetId } = await copying(w);
    w.settleRds();
    await w.run('check-copy-status', started);
    const [completed] = w.publishedOf(id, 'CopyCompleted');
    expect(completed.detail).toMatchObject({ skipped: false, snapshot: { snapshotId: targetId, region: 'us-west-2' } });
    expect(await w.state(id)).toMatchObject({ status: 'COPY_COMPLETED', next_step: 'DELETE_RDS', snapshot_details: { snapshot_status: 'available' } });
  });

  it('when the copy vanished: CopyFailed naming it', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, targetId } = await copying(w);
    await w.rds.deleteClusterSnapshot('us-west-2', targetId); // someone deleted (cancelled) it
    const r = await w.decide('check-copy-status', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'CopyFailed' });
    expect(r.kind === 'failed' && r.message).toBe(`the copy ${targetId} no longer exists in us-west-2`);
  });

  it('a re-check after the step is done does nothing (no RDS call, no new event)', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await copying(w);
    w.settleRds();
    await w.run('check-copy-status', started);
    const calls = w.sim.calls.DescribeDBClusterSnapshots;
    const events = w.envelopes().length;
    await w.run('check-copy-status', await w.publish('RecheckDue', id, { check: 'copy', attempt: 7 }));
    expect(w.sim.calls.DescribeDBClusterSnapshots).toBe(calls);
    expect(w.envelopes().length).toBe(events + 1); // only the RecheckDue itself
  });

  it('retries of a check that is still waiting count in the operation\'s retry_count too', async () => {
    const w = await TestWorld.create(dynamo, { rateLimit: { perSecond: 1, burst: 1 } });
    const { id, started } = await copying(w);
    await w.rds.describeClusterSnapshot('us-west-2', 'anything').catch(() => undefined); // this second's token is gone
    const before = (await w.state(id)).metrics.retry_count;
    const throttled = w.sim.throttled;
    await w.run('check-copy-status', started);
    expect(w.sim.throttled - throttled).toBe(1);
    expect(w.metrics.counts['Retries.check-copy-status']).toBe(1);
    expect((await w.state(id)).metrics.retry_count - before).toBe(1);
  });
});
