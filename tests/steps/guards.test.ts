import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RDS_EVENT_IDS, RDS_SOURCE } from '../../src/events/rds';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { PROCESSORS } from '../../src/lib/steps';
import { enforceDeadline, handleDeadLetter, stepOfDeadLetterQueue } from '../../src/lib/steps/guards';
import { deadlineScheduleName } from '../../src/lib/steps/names';
import { CROSS_REGION, SAME_REGION, TestWorld, sqsRecord, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const dlq = (step: string) => `arn:aws:sqs:us-east-1:000000000000:aurora-restore-${step}-dlq`;

describe('watchdog', () => {
  it('fails a running operation with Timeout naming the step it was waiting in', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    await w.advance(id, 'check-copy-status'); // the copy is running
    const deadline = w.scheduler.pending().find((s) => s.name === deadlineScheduleName(id))!;
    w.clock.advanceTo(Date.parse(deadline.fireAt));
    const reached = w.envelopes().find((e) => e['detail-type'] === 'OperationDeadlineReached')!;
    expect(reached).toBeDefined();

    await w.process(enforceDeadline, sqsRecord(reached, { queue: 'watchdog' }));
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'check-copy-status', code: 'Timeout', retryable: true });
    expect(failed.detail.message).toContain('STATE_MACHINE_TIMEOUT_SECONDS=7200');
    expect(failed.detail.message).toContain('it was at check-copy-status, status COPY_IN_PROGRESS');
    expect((await w.audit.trail(id)).some((a) => a.event_type === 'DEADLINE_REACHED')).toBe(true);

    // The failure ends the operation through sns-notification like any other.
    await w.process(PROCESSORS['sns-notification'], sqsRecord(w.lastEnvelope(id), { queue: 'sns-notification' }));
    expect(await w.state(id)).toMatchObject({ status: 'FAILED', error: { code: 'Timeout', step: 'check-copy-status' } });
  });

  it('does nothing for an operation that already ended', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    await w.advance(id, 'copy-snapshot');
    await w.store.finish(id, { status: 'SUCCEEDED', now: w.clock.now(), error: null });
    const events = w.envelopes().length;
    const reached = await w.publish('OperationDeadlineReached', id, { deadline: w.clock.now().toISOString() });
    await w.process(enforceDeadline, sqsRecord(reached, { queue: 'watchdog' }));
    expect(w.envelopes().length).toBe(events + 1);
  });

  it('ignores events that are not a deadline', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request(SAME_REGION);
    await w.run('snapshot-check', envelope);
    await w.process(enforceDeadline, sqsRecord(w.lastEnvelope(id), { queue: 'watchdog' }));
    expect(w.publishedOf(id, 'RestoreFailed')).toHaveLength(0);
  });
});

describe('dead-letter', () => {
  it('takes the step from the DLQ ARN', () => {
    expect(stepOfDeadLetterQueue(dlq('check-copy-status'))).toBe('check-copy-status');
    expect(stepOfDeadLetterQueue(dlq('sns-notification'))).toBe('sns-notification');
    expect(stepOfDeadLetterQueue('arn:aws:sqs:us-east-1:000000000000:prod-aurora-restore-restore-snapshot-dlq')).toBe('restore-snapshot');
    expect(stepOfDeadLetterQueue('arn:aws:sqs:us-east-1:000000000000:something-else')).toBe('dead-letter');
  });

  it('turns a message that kept failing into RestoreFailed StepFailedRepeatedly for its step', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const cleared = await w.advance(id, 'restore-snapshot');
    await w.process(handleDeadLetter, sqsRecord(cleared, { eventSourceARN: dlq('restore-snapshot'), receiveCount: 5 }));
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'restore-snapshot', code: 'StepFailedRepeatedly', retryable: true });
    expect(failed.detail.message).toBe('a message for restore-snapshot failed 5 times and was moved to its dead-letter queue');
    expect((await w.audit.trail(id)).find((a) => a.event_type === 'DEAD_LETTER')).toMatchObject({ details: { step: 'restore-snapshot' } });
    expect(w.metrics.counts['DeadLetters.restore-snapshot']).toBe(1);
  });

  it('finds the operation of a dead RDS event through the resource index', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    await w.run('delete-rds', await w.advance(id, 'delete-rds'));
    w.clock.advanceBy(6 * 60_000 + 1);
    const instanceDeleted = w.envelopes().find((e) => e.source === RDS_SOURCE && (e.detail as { EventID: string }).EventID === RDS_EVENT_IDS.instanceDeleted)!;
    await w.process(handleDeadLetter, sqsRecord(instanceDeleted, { eventSourceARN: dlq('check-delete-status'), receiveCount: 5 }));
    expect(w.publishedOf(id, 'RestoreFailed')[0].detail).toMatchObject({ step: 'check-delete-status', code: 'StepFailedRepeatedly' });
  });

  it('for the sns-notification DLQ: concludes the operation itself with the outcome it carried, notifies once, releases the target', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request(SAME_REGION);
    await w.run('snapshot-check', envelope);
    expect(await w.store.lockHolder('us-east-1', 'restored')).toBe(id);
    const events = w.envelopes().length;
    const failed = await w.publish('RestoreFailed', id, { step: 'copy-snapshot', code: 'CopyFailed', message: 'x', retryable: false });
    await w.process(handleDeadLetter, sqsRecord(failed, { eventSourceARN: dlq('sns-notification'), receiveCount: 5 }));

    expect(await w.state(id)).toMatchObject({ status: 'FAILED', error: { step: 'copy-snapshot', code: 'CopyFailed' }, notification: { outcome: 'FAILED' } });
    expect(await w.store.lockHolder('us-east-1', 'restored')).toBeUndefined();
    expect(w.envelopes().length).toBe(events + 1); // only the RestoreFailed we put there: no loop back
    expect((await w.outbox.list()).filter((m) => m.attributes.operation_id === id)).toHaveLength(1);
    // a second copy of the dead letter changes nothing
    await w.process(handleDeadLetter, sqsRecord(failed, { eventSourceARN: dlq('sns-notification'), receiveCount: 5 }));
    expect((await w.outbox.list()).filter((m) => m.attributes.operation_id === id)).toHaveLength(1);
  });

  it('for the sns-notification DLQ with the notifier still down: the operation still ends and the target is released', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request(SAME_REGION);
    await w.run('snapshot-check', envelope);
    w.deps.notifier = { publish: async () => { throw Object.assign(new Error('KMS key disabled'), { name: 'KMSDisabledException' }); } };
    const succeeded = await w.publish('RestoreSucceeded', id, { clusterId: 'restored', region: 'us-east-1', writerEndpoint: 'e', snapshotArchive: 'not-copied' });
    await w.process(handleDeadLetter, sqsRecord(succeeded, { eventSourceARN: dlq('sns-notification'), receiveCount: 5 }));
    expect((await w.state(id)).status).toBe('SUCCEEDED');
    expect(await w.store.lockHolder('us-east-1', 'restored')).toBeUndefined();
    expect((w.deps.metrics as unknown as { counts: Record<string, number> }).counts.NotificationFailures).toBe(1);
  });

  it('a request that died before its operation was written still ends in RestoreFailed', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.request(SAME_REGION);
    await w.process(handleDeadLetter, sqsRecord(envelope, { eventSourceARN: dlq('snapshot-check'), receiveCount: 5 }));
    expect(w.publishedOf(id, 'RestoreFailed')[0].detail).toMatchObject({ step: 'snapshot-check', code: 'StepFailedRepeatedly' });
    await w.process(PROCESSORS['sns-notification'], sqsRecord(w.lastEnvelope(id), { queue: 'sns-notification' }));
    expect(await w.state(id)).toMatchObject({ status: 'FAILED', notification: { outcome: 'FAILED' } });
  });

  it('leaves a terminal operation alone, and drops an unreadable dead letter', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const validated = await w.advance(id, 'copy-snapshot');
    await w.store.finish(id, { status: 'SUCCEEDED', now: w.clock.now(), error: null });
    const events = w.envelopes().length;
    await w.process(handleDeadLetter, sqsRecord(validated, { eventSourceARN: dlq('copy-snapshot') }));
    await w.process(handleDeadLetter, sqsRecord('not json', { eventSourceARN: dlq('copy-snapshot') }));
    expect(w.envelopes().length).toBe(events);
    expect((await w.state(id)).status).toBe('SUCCEEDED');
  });
});
