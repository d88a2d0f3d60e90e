import { DescribeReplayCommand, EventBridgeClient, PutEventsCommand, StartReplayCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { domainEvent, EVENT_SOURCE } from '../../src/events/catalogue';
import { AwsArchiveReplay, AwsEventBus, PutEventsFailedError } from '../../src/lib/aws/event-bus';
import { classifyError } from '../../src/lib/errors';
import type { Clock } from '../../src/lib/ports';
import { TEST_CREDENTIALS, useDummyAwsEnv } from './sdk-test-env';

const OP = 'restore-20261124-020000-k3x9q2';
const T0 = new Date('2026-11-24T02:00:00.000Z');

/** A clock whose sleeps return at once and are recorded (virtual time). */
function recordingClock(): Clock & { sleeps: number[] } {
  let now = T0.getTime();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const events = (n: number) => Array.from({ length: n }, (_, i) => domainEvent('RecheckDue', OP, T0, { check: 'copy', attempt: i + 1 }));
const attemptOf = (e: PutEventsRequestEntry) => (JSON.parse(e.Detail ?? '{}') as { attempt: number }).attempt;
const ok = (entries: PutEventsRequestEntry[]) => ({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `id-${i}` })) });

let mock: AwsStub<any, any, any>;
const client = new EventBridgeClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS });
beforeAll(useDummyAwsEnv);
beforeEach(() => {
  mock = mockClient(EventBridgeClient);
});
afterEach(() => mock.restore());

describe('AwsEventBus', () => {

  it('puts the envelope built by toPutEventsEntry, in chunks of 10', async () => {
    mock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ok(input.Entries));
    const bus = new AwsEventBus({ client, eventBusName: 'aurora-restore', clock: recordingClock() });
    await bus.publish(events(23));
    const calls = mock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls.flat().map(attemptOf)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(calls[0][0]).toEqual({
      Source: EVENT_SOURCE,
      DetailType: 'RecheckDue',
      Detail: JSON.stringify(events(1)[0].detail),
      EventBusName: 'aurora-restore',
      Time: T0,
    });
  });

  it('publishes nothing for no events', async () => {
    await new AwsEventBus({ client, eventBusName: 'b' }).publish([]);
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('retries exactly the failed entries, with backoff on the clock', async () => {
    const clock = recordingClock();
    mock
      .on(PutEventsCommand)
      .callsFakeOnce((input: { Entries: PutEventsRequestEntry[] }) => ({
        FailedEntryCount: 2,
        Entries: input.Entries.map((e, i) =>
          attemptOf(e) === 3 || attemptOf(e) === 8
            ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
            : { EventId: `id-${i}` },
        ),
      }))
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => ok(input.Entries));
    await new AwsEventBus({ client, eventBusName: 'aurora-restore', clock, baseDelayMs: 100 }).publish(events(12));
    const calls = mock.commandCalls(PutEventsCommand).map((c) => (c.args[0].input.Entries ?? []).map(attemptOf));
    expect(calls).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [3, 8], [11, 12]]);
    expect(clock.sleeps).toEqual([100]);
  });

  it('gives up after the bounded retries and names the failed entries and their ErrorCode', async () => {
    const clock = recordingClock();
    mock.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((e, i) => (attemptOf(e) === 2 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' } : { EventId: `id-${i}` })),
    }));
    const bus = new AwsEventBus({ client, eventBusName: 'aurora-restore', clock, maxRetries: 3, baseDelayMs: 100 });
    const err = await bus.publish(events(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PutEventsFailedError);
    expect((err as Error).message).toContain('RecheckDue (InternalFailure: oops)');
    expect(mock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([3, 1, 1, 1]);
    expect(clock.sleeps).toEqual([100, 200, 400]);
    expect(classifyError(err)).toMatchObject({ code: 'TransientFault', retryable: true });
  });

  it('propagates a rejected call unchanged', async () => {
    mock.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const err = await new AwsEventBus({ client, eventBusName: 'b', clock: recordingClock() }).publish(events(1)).catch((e: unknown) => e);
    expect(classifyError(err).code).toBe('AccessDenied');
  });
});

describe('AwsArchiveReplay', () => {

  it('starts a replay of the archive onto the bus, limited to rules', async () => {
    mock.on(StartReplayCommand).resolves({ ReplayArn: 'arn:aws:events:us-east-1:123456789012:replay/r1', State: 'STARTING' });
    const status = await new AwsArchiveReplay({ client }).startReplay({
      archiveArn: 'arn:aws:events:us-east-1:123456789012:archive/aurora-restore',
      eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore',
      from: new Date('2026-11-24T02:00:00Z'),
      to: new Date('2026-11-24T03:00:00Z'),
      name: 'r1',
      ruleArns: ['arn:aws:events:us-east-1:123456789012:rule/aurora-restore/copy-snapshot'],
    });
    expect(mock.commandCalls(StartReplayCommand)[0].args[0].input).toEqual({
      ReplayName: 'r1',
      EventSourceArn: 'arn:aws:events:us-east-1:123456789012:archive/aurora-restore',
      EventStartTime: new Date('2026-11-24T02:00:00Z'),
      EventEndTime: new Date('2026-11-24T03:00:00Z'),
      Destination: {
        Arn: 'arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore',
        FilterArns: ['arn:aws:events:us-east-1:123456789012:rule/aurora-restore/copy-snapshot'],
      },
    });
    expect(status).toEqual({ name: 'r1', arn: 'arn:aws:events:us-east-1:123456789012:replay/r1', state: 'STARTING' });
  });

  it('refuses an empty time range, naming the field', async () => {
    const replay = new AwsArchiveReplay({ client });
    const t = new Date('2026-11-24T02:00:00Z');
    await expect(replay.startReplay({ archiveArn: 'a', eventBusArn: 'b', from: t, to: t, name: 'r' })).rejects.toThrow(/^to: expected a time after from/);
    expect(mock.commandCalls(StartReplayCommand)).toHaveLength(0);
  });

  it('describes a replay', async () => {
    mock.on(DescribeReplayCommand, { ReplayName: 'r1' }).resolves({
      ReplayName: 'r1',
      State: 'FAILED',
      StateReason: 'rule gone',
      EventLastReplayedTime: new Date('2026-11-24T02:30:00Z'),
    });
    expect(await new AwsArchiveReplay({ client }).describeReplay('r1')).toEqual({
      name: 'r1',
      state: 'FAILED',
      stateReason: 'rule gone',
      lastReplayedAt: '2026-11-24T02:30:00.000Z',
    });
  });
});
