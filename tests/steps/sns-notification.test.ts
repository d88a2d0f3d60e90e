import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBridgeEnvelope } from '../../src/events/envelope';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { notifyOutcome } from '../../src/lib/steps/sns-notification';
import { CROSS_REGION, SAME_REGION, TestWorld, sqsRecord, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const notify = (w: TestWorld, envelope: EventBridgeEnvelope) => w.process(notifyOutcome, sqsRecord(envelope, { queue: 'sns-notification' }));

/** A same-region operation run to RestoreSucceeded (setup-db-users' outcome is published by hand: no database here). */
async function succeeded(w: TestWorld) {
  const { id } = await w.request(SAME_REGION);
  await w.advance(id, 'setup-db-users');
  await w.run('archive-snapshot', await w.publish('UsersConfigured', id, { users: ['app'], masterSecretName: 'aurora-restore/clusters/restored/master', strategy: 'replace' }));
  const envelope = w.lastEnvelope(id);
  expect(envelope['detail-type']).toBe('RestoreSucceeded');
  return { id, envelope };
}

describe('sns-notification', () => {
  it('on RestoreSucceeded: SUCCEEDED once, the target released, one notification', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await succeeded(w);
    expect(await w.store.lockHolder('us-east-1', 'restored')).toBe(id);
    await notify(w, envelope);

    const state = await w.state(id);
    expect(state).toMatchObject({ status: 'SUCCEEDED', next_step: 'NONE', error: null, notification: { outcome: 'SUCCEEDED' } });
    expect(state.metrics.total_duration_seconds).toBeGreaterThan(0);
    expect(await w.store.lockHolder('us-east-1', 'restored')).toBeUndefined();
    const sent = await w.outbox.list();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ subject: '[aurora-restore] SUCCEEDED: restored restored in us-east-1', attributes: { operation_id: id, status: 'SUCCEEDED' } });
    expect((await w.audit.trail(id)).map((a) => a.event_type)).toEqual(expect.arrayContaining(['OPERATION_SUCCEEDED', 'NOTIFICATION_SENT']));
    expect(w.metrics.counts.RestoreSucceeded).toBe(1);
  });

  it('the first outcome wins: a RestoreFailed after SUCCEEDED changes nothing and sends nothing', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await succeeded(w);
    await notify(w, envelope);
    const before = await w.state(id);
    w.clock.advanceBy(3600_000);
    await notify(w, await w.publish('RestoreFailed', id, { step: 'watchdog', code: 'Timeout', message: 'late watchdog', retryable: true }));
    await notify(w, envelope); // and the success again
    expect(await w.state(id)).toEqual(before);
    expect(await w.outbox.list()).toHaveLength(1);
    expect(w.metrics.counts.RestoreFailed).toBeUndefined();
  });

  it('a failure: FAILED with the step\'s error, the target released, and a late success changes nothing', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request({ ...CROSS_REGION, targetClusterId: 'analytics' });
    await w.run('snapshot-check', envelope);
    expect(await w.store.lockHolder('us-west-2', 'analytics')).toBe(id);
    const failed = w.lastEnvelope(id);
    await notify(w, failed);
    await notify(w, failed);
    await notify(w, await w.publish('RestoreSucceeded', id, { clusterId: 'analytics', region: 'us-west-2', writerEndpoint: 'x', snapshotArchive: 'not-copied' }));

    const state = await w.state(id);
    expect(state).toMatchObject({ status: 'FAILED', error: { step: 'snapshot-check', code: 'DeletionRefused', retryable: false } });
    expect(state.metrics.error_count).toBe(1); // the step's failure, not counted twice
    expect(await w.store.lockHolder('us-west-2', 'analytics')).toBeUndefined();
    const sent = await w.outbox.list();
    expect(sent).toHaveLength(1);
    expect(sent[0].subject).toBe('[aurora-restore] FAILED: analytics at snapshot-check (DeletionRefused)');
  });

  it('exactly one notification when the terminal event is delivered many times at once', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await succeeded(w);
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => notify(w, envelope)));
    // Deliveries that lost the race either saw the notification or are retried (StepBusyError).
    for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).name).toBe('StepBusyError');
    await notify(w, envelope); // the retry
    expect(await w.outbox.list()).toHaveLength(1);
    expect((await w.state(id)).notification).toBeDefined();
    expect((await w.audit.trail(id)).filter((a) => a.event_type === 'OPERATION_SUCCEEDED')).toHaveLength(1);
  });

  it('a RestoreFailed for an operation never recorded (an invalid request) still records FAILED and notifies', async () => {
    const w = await TestWorld.create(dynamo);
    const operationId = 'restore-20261124-020000-ghost1';
    await notify(w, await w.publish('RestoreFailed', operationId, { step: 'snapshot-check', code: 'InvalidRequest', message: 'detail.request.targetRegion: expected an AWS region', retryable: false }));
    expect(await w.state(operationId)).toMatchObject({ status: 'FAILED', error: { code: 'InvalidRequest', step: 'snapshot-check' }, notification: { outcome: 'FAILED' } });
    const [sent] = await w.outbox.list();
    expect(sent.attributes).toMatchObject({ operation_id: operationId, status: 'FAILED' });
    expect(sent.message).toContain('detail.request.targetRegion');
  });

  it('a RestoreSucceeded for an unknown operation is retried (thrown), not invented', async () => {
    const w = await TestWorld.create(dynamo);
    const envelope = await w.publish('RestoreSucceeded', 'restore-20261124-020000-ghost2', { clusterId: 'restored', region: 'us-east-1', writerEndpoint: 'x', snapshotArchive: 'not-copied' });
    await expect(notify(w, envelope)).rejects.toThrow('not found');
    expect(await w.outbox.list()).toHaveLength(0);
  });

  it('ignores events other than the two terminal ones', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request(SAME_REGION);
    await w.run('snapshot-check', envelope);
    await notify(w, w.lastEnvelope(id)); // SnapshotValidated
    expect((await w.state(id)).status).toBe('SNAPSHOT_VALIDATED');
    expect(await w.outbox.list()).toHaveLength(0);
  });
});
