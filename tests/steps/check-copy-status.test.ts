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
  it('the started event makes no RDS call: it arms the first check, a delayed message to the step\'s own queue', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await copying(w);
    const calls = w.sim.calls.DescribeDBClusterSnapshots ?? 0;
    expect(await w.decide('check-copy-status', id)).toMatchObject({
      kind: 'waiting',
      check: 'copy',
      delaySeconds: w.deps.config.COPY_RECHECK_SECONDS,
      audit: { type: 'COPY_PENDING', details: { status: 'copying', percent_progress: 0 } },
    });
    await w.run('check-copy-status', started);
    expect(w.sim.calls.DescribeDBClusterSnapshots ?? 0).toBe(calls);
    // Within 15 minutes: SQS SendMessage with DelaySeconds to its own queue, not a Scheduler schedule (one-minute precision).
    expect(w.scheduler.pending().filter((s) => s.name.startsWith(`${id}-copy`))).toEqual([]);
    const [sent] = w.handedBack.sent;
    expect(sent).toMatchObject({ queueArn: expect.stringMatching(/:aurora-restore-check-copy-status$/), delaySeconds: w.deps.config.COPY_RECHECK_SECONDS });
    expect(JSON.parse(sent!.body)).toMatchObject({ source: 'aurora.restore', 'detail-type': 'RecheckDue', detail: { operationId: id, check: 'copy', attempt: 1 } });
    expect((await w.state(id)).steps['check-copy-status']).toMatchObject({ status: 'RUNNING', recheck_attempt: 1 });
  });

  it('each check plans the next from PercentProgress, carrying what it saw; the copy is seen available within seconds', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await copying(w);
    await w.run('check-copy-status', started);
    const seen: { percent: number; delay: number }[] = [];
    for (let i = 0; i < 20 && (await w.state(id)).status === 'COPY_IN_PROGRESS'; i++) {
      const sent = w.handedBack.sent.at(-1)!;
      w.clock.advanceTo(w.clock.now().getTime() + sent.delaySeconds * 1000);
      const due = JSON.parse(sent.body);
      await w.run('check-copy-status', due);
      const next = w.handedBack.sent.at(-1)!;
      if (next !== sent) seen.push({ percent: JSON.parse(next.body).detail.observed.percent, delay: next.delaySeconds });
    }
    const done = (await w.state(id)).steps['check-copy-status']!;
    expect(done.status).toBe('DONE');
    const available = w.sim.history.find((h) => h.kind === 'snapshot' && h.to === 'available')!.atMs;
    // Seen available at most MEASURE_MAX_SECONDS after it was, in far fewer checks than a 30-second poll of a 12-minute copy (24).
    expect(Date.parse(done.finished_at!) - available).toBeLessThanOrEqual(120_000);
    expect(w.sim.calls.DescribeDBClusterSnapshots).toBeLessThan(12);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.delay >= 2 && s.delay <= w.deps.config.COPY_RECHECK_MAX_SECONDS)).toBe(true);
  });

  it('exactly one live re-check: a duplicate or stale RecheckDue makes no RDS call and arms nothing', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await copying(w);
    await w.run('check-copy-status', started);
    w.clock.advanceTo(w.clock.now().getTime() + 150_000);
    const first = JSON.parse(w.handedBack.sent[0]!.body);
    await w.run('check-copy-status', first); // attempt 1: checks, arms 2
    expect((await w.state(id)).steps['check-copy-status']!.recheck_attempt).toBe(2);
    const calls = w.sim.calls.DescribeDBClusterSnapshots;
    const sent = w.handedBack.sent.length;
    await w.run('check-copy-status', { ...first, id: 'another-delivery' }); // attempt 1 again (a duplicate): stale now
    expect(w.sim.calls.DescribeDBClusterSnapshots).toBe(calls);
    expect(w.handedBack.sent.length).toBe(sent);
    expect(w.metrics.counts['StaleRechecks.check-copy-status']).toBe(1);
  });

  it('a redelivery of the event that armed the live re-check sends that same re-check again (the send may have been lost)', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await copying(w);
    await w.run('check-copy-status', started);
    await w.run('check-copy-status', started); // SQS redelivers the started event: no new attempt, the same one again
    expect(w.handedBack.sent.map((s) => JSON.parse(s.body).detail.attempt)).toEqual([1, 1]);
    expect((await w.state(id)).steps['check-copy-status']!.recheck_attempt).toBe(1);
  });

  it('a wait beyond 15 minutes goes to EventBridge Scheduler a minute early; arriving early, it hands the rest to the queue', async () => {
    const w = await TestWorld.create(dynamo, { env: { COPY_RECHECK_SECONDS: '1800' } });
    const { id, started } = await copying(w);
    await w.run('check-copy-status', started);
    expect(w.handedBack.sent).toEqual([]);
    const [schedule] = w.scheduler.pending().filter((s) => s.name === `${id}-copy-1`);
    const dueAt = w.clock.now().getTime() + 1800_000;
    expect(schedule).toMatchObject({ event: { type: 'RecheckDue', detail: { attempt: 1, dueAt: new Date(dueAt).toISOString() } } });
    expect(Date.parse(schedule!.at)).toBe(dueAt - 60_000);
    w.clock.advanceTo(Date.parse(schedule!.fireAt) - 30_000); // EventBridge Scheduler fires within the minute: say 30 s early
    const calls = w.sim.calls.DescribeDBClusterSnapshots ?? 0;
    await w.run('check-copy-status', await w.publish('RecheckDue', id, schedule!.event.detail as never));
    expect(w.sim.calls.DescribeDBClusterSnapshots ?? 0).toBe(calls);
    const [handed] = w.handedBack.sent;
    expect(handed!.delaySeconds).toBe(Math.ceil((dueAt - w.clock.now().getTime()) / 1000));
    expect(JSON.parse(handed!.body).detail).toMatchObject({ attempt: 1 });
    expect(JSON.parse(handed!.body).detail.dueAt).toBeUndefined();
  });

  it('when the copy is available: CopyCompleted (not skipped) with the copy', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, targetId } = await copying(w);
    w.settleRds();
    await w.run('check-copy-status', await w.dueRecheck(id, 'check-copy-status'));
    const [completed] = w.publishedOf(id, 'CopyCompleted');
    expect(completed.detail).toMatchObject({ skipped: false, snapshot: { snapshotId: targetId, region: 'us-west-2' } });
    expect(await w.state(id)).toMatchObject({ status: 'COPY_COMPLETED', next_step: 'DELETE_RDS', snapshot_details: { snapshot_status: 'available' } });
  });

  it('when the copy vanished: CopyFailed naming it', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, targetId } = await copying(w);
    await w.rds.deleteClusterSnapshot('us-west-2', targetId); // someone deleted (cancelled) it
    const r = await w.decide('check-copy-status', id, await w.dueRecheck(id, 'check-copy-status'));
    expect(r).toMatchObject({ kind: 'failed', code: 'CopyFailed' });
    expect(r.kind === 'failed' && r.message).toBe(`the copy ${targetId} no longer exists in us-west-2`);
  });

  it('a re-check after the step is done does nothing (no RDS call, no new event)', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await copying(w);
    w.settleRds();
    await w.run('check-copy-status', await w.dueRecheck(id, 'check-copy-status'));
    const calls = w.sim.calls.DescribeDBClusterSnapshots;
    const events = w.envelopes().length;
    await w.run('check-copy-status', await w.publish('RecheckDue', id, { check: 'copy', attempt: 7 }));
    expect(w.sim.calls.DescribeDBClusterSnapshots).toBe(calls);
    expect(w.envelopes().length).toBe(events + 1); // only the RecheckDue itself
  });

  it('retries of a check that is still waiting count in the operation\'s retry_count too', async () => {
    const w = await TestWorld.create(dynamo, { rateLimit: { perSecond: 1, burst: 1 } });
    const { id } = await copying(w);
    const due = await w.dueRecheck(id, 'check-copy-status');
    await w.rds.describeClusterSnapshot('us-west-2', 'anything').catch(() => undefined); // this second's token is gone
    const before = (await w.state(id)).metrics.retry_count;
    const throttled = w.sim.throttled;
    await w.run('check-copy-status', due);
    expect(w.sim.throttled - throttled).toBe(1);
    expect(w.metrics.counts['Retries.check-copy-status']).toBe(1);
    expect((await w.state(id)).metrics.retry_count - before).toBe(1);
  });
});
