/**
 * Handing a record back (issue: "make it visible again within seconds, not after the full visibility
 * timeout"): the policy, the Lambda handler calling ChangeMessageVisibility on the record, and the
 * local runtime honouring it, so a throttled or busy step resumes in seconds instead of 30 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as deleteRdsHandler } from '../../src/handlers/delete-rds';
import { BUSY_FIRST_SECONDS, RetryLaterError, StepBusyError, THROTTLED_BASE_SECONDS, handBackSeconds } from '../../src/lib/hand-back';
import { rdsFault } from '../../src/lib/local/rds';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { LocalPipeline } from '../../src/lib/local/pipeline';
import type { Context } from 'aws-lambda';
import { SAME_REGION, TestWorld, failingRds, sqsRecord, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const NOW = new Date('2026-11-24T02:00:00Z');
const low = () => 0;
const high = () => 1;

describe('handBackSeconds: when a failed record is visible again', () => {
  it('a busy step: within seconds the first time; afterwards when the holder’s lease runs out', () => {
    const lease = new Date(NOW.getTime() + 240_000);
    const busy = new StepBusyError('op', 'copy-snapshot', lease);
    expect(handBackSeconds(busy, 1, NOW, low)).toBe(Math.ceil(BUSY_FIRST_SECONDS / 2));
    expect(handBackSeconds(busy, 1, NOW, high)).toBe(BUSY_FIRST_SECONDS);
    expect(handBackSeconds(busy, 2, NOW, low)).toBeGreaterThanOrEqual(241);
    expect(handBackSeconds(busy, 2, NOW, high)).toBeLessThanOrEqual(241 + 25);
    // A lease about to end: never later than it.
    expect(handBackSeconds(new StepBusyError('op', 's', new Date(NOW.getTime() + 2_000)), 1, NOW, high)).toBe(2);
  });

  it('throttling: 30 s, then ×3 per receive, jittered (half fixed, half random), within SQS’s 12-hour maximum', () => {
    const e = new RetryLaterError(rdsFault('Throttling', 'Rate exceeded'));
    const range = (n: number) => [handBackSeconds(e, n, NOW, low), handBackSeconds(e, n, NOW, high)];
    expect(range(1)).toEqual([THROTTLED_BASE_SECONDS / 2, THROTTLED_BASE_SECONDS]);
    expect(range(2)).toEqual([45, 90]);
    expect(range(4)).toEqual([405, 810]);
    expect(handBackSeconds(e, 20, NOW, high)).toBe(43_200);
  });

  it('any other failure keeps the queue’s visibility timeout', () => {
    expect(handBackSeconds(new Error('socket hang up'), 1, NOW)).toBeUndefined();
  });
});

describe('the Lambda handler hands the record back', () => {
  const context = {} as Context;

  it('throttled past the retries: reports the record failed AND calls ChangeMessageVisibility on it with the delay', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const completed = await w.advance(id, 'delete-rds');
    w.deps.rds = failingRds(w.rds, 'describeCluster', () => rdsFault('Throttling', 'Rate exceeded'));
    const record = sqsRecord(completed, { queue: 'delete-rds', receiveCount: 1 });
    const response = await w.drive(deleteRdsHandler(() => w.deps)({ Records: [record] }, context));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(w.handedBack.calls).toHaveLength(1);
    const [call] = w.handedBack.calls;
    expect(call).toMatchObject({ queueArn: record.eventSourceARN, receiptHandle: record.receiptHandle });
    expect(call.seconds).toBeGreaterThanOrEqual(THROTTLED_BASE_SECONDS / 2);
    expect(call.seconds).toBeLessThanOrEqual(THROTTLED_BASE_SECONDS);
  });

  it('a failure that is not a hand-back leaves the visibility alone', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const completed = await w.advance(id, 'delete-rds');
    w.deps.rds = failingRds(w.rds, 'describeCluster', () => new Error('socket hang up'));
    const record = sqsRecord(completed, { queue: 'delete-rds' });
    const response = await w.drive(deleteRdsHandler(() => w.deps)({ Records: [record] }, context));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(w.handedBack.calls).toHaveLength(0);
  });
});

describe('in the local runtime', () => {
  it('a step throttled past its retries resumes about 30 s later, not after the 30-minute visibility timeout', async () => {
    let throttled = 0;
    const p = await LocalPipeline.open({
      wrapDeps: (deps) => ({
        ...deps,
        // delete-rds's first invocation: RDS throttles every attempt (MAX_RETRIES + 1 calls).
        rds: failingRds(deps.rds, 'deleteInstance', () => (throttled++, rdsFault('Throttling', 'Rate exceeded')), deps.config.MAX_RETRIES + 1),
      }),
    });
    try {
      const id = await p.startRestore(p.request());
      await p.runUntilTerminal([id]);
      const state = (await p.status(id))!;
      expect(state.status).toBe('SUCCEEDED');
      expect(throttled).toBe(p.config.MAX_RETRIES + 1);
      expect(state.steps['delete-rds'].attempts).toBe(2);
      const trail = await p.audit.trail(id);
      const copied = Date.parse(trail.find((a) => a.event_type === 'COPY_COMPLETED')!.timestamp);
      const deleteStarted = Date.parse(trail.find((a) => a.event_type === 'DELETE_STARTED')!.timestamp);
      // The in-process retries waited 3 + 6 + 12 s at most, the hand-back at most 30 s.
      expect(deleteStarted - copied).toBeLessThanOrEqual((21 + THROTTLED_BASE_SECONDS) * 1000);
      expect(p.metrics.counts['HandedBack.delete-rds']).toBe(1);
    } finally {
      await p.close();
    }
  });
});
