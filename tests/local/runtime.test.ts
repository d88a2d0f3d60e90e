import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/lib/local/clock';
import { LocalEventBus, LocalEventBusPort } from '../../src/lib/local/bus';
import { LocalScheduler } from '../../src/lib/local/scheduler';
import { LocalRuntime, type SqsLambdaHandler } from '../../src/lib/local/runtime';
import { SUBSCRIPTIONS, type Subscription } from '../../src/events/subscriptions';
import { EVENT_SOURCE, EXAMPLES, domainEvent, type EventName } from '../../src/events/catalogue';
import { parseEventBody } from '../../src/events/envelope';
import { createFaultPlan, type FaultPlan } from '../../src/lib/local/faults';

const T0 = Date.parse('2026-11-24T02:00:00.000Z');
const MIN = 60_000;
const OP = 'restore-20261124-020000-k3x9q2';

interface World {
  clock: VirtualClock;
  port: LocalEventBusPort;
  scheduler: LocalScheduler;
}

function world(options: {
  handlers: (w: World) => Record<string, SqsLambdaHandler>;
  faults?: FaultPlan;
  subscriptions?: Subscription[];
  maxReceiveCount?: number;
  visibilityTimeoutMs?: number;
  functionTimeoutMs?: number;
}) {
  const clock = new VirtualClock({ start: new Date(T0) });
  const bus = new LocalEventBus({ clock, name: 'aurora-restore', region: 'us-west-2' });
  const port = new LocalEventBusPort({ bus });
  const scheduler = new LocalScheduler({ clock, bus: port });
  const runtime = new LocalRuntime({
    clock,
    bus,
    subscriptions: options.subscriptions ?? SUBSCRIPTIONS,
    handlers: options.handlers({ clock, port, scheduler }),
    maxReceiveCount: options.maxReceiveCount,
    visibilityTimeoutMs: options.visibilityTimeoutMs,
    // Lambda refuses a queue whose visibility timeout is shorter than the function's timeout.
    functionTimeoutMs: options.functionTimeoutMs ?? Math.min(300_000, options.visibilityTimeoutMs ?? 300_000),
    faults: options.faults,
  });
  /** Puts a catalogue example event (with optional detail changes) on the bus. */
  const put = (type: EventName, changes: Record<string, unknown> = {}) =>
    bus.putEvents([{ Source: EVENT_SOURCE, DetailType: type, Detail: JSON.stringify({ ...EXAMPLES[type], ...changes }) }]);
  return { clock, bus, port, scheduler, runtime, put };
}

/** The catalogue example of an event, without the fields every event carries. */
function exampleBody<N extends EventName>(type: N) {
  const { operationId: _o, occurredAt: _t, schemaVersion: _s, ...body } = EXAMPLES[type] as Record<string, unknown>;
  return body as never;
}

const detailOf = (r: SQSRecord) => (JSON.parse(r.body) as { detail: Record<string, unknown> }).detail;

describe('LocalRuntime', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('delivers real SQS records to the subscribed step, and a follow-up event reaches the next step', async () => {
    const seen: Record<string, SQSEvent[]> = { 'snapshot-check': [], 'copy-snapshot': [] };
    const { runtime, put, clock } = world({
      handlers: ({ clock, port }) => ({
        'snapshot-check': async (event) => {
          seen['snapshot-check'].push(event);
          for (const r of event.Records) {
            const parsed = parseEventBody(r.body);
            if (parsed.kind !== 'domain') throw new Error('expected a domain event');
            await port.publish([domainEvent('SnapshotValidated', parsed.event.detail.operationId, clock.now(), exampleBody('SnapshotValidated'))]);
          }
        },
        'copy-snapshot': async (event) => {
          seen['copy-snapshot'].push(event);
          return { batchItemFailures: [] };
        },
      }),
    });
    put('RestoreRequested');
    const summary = await runtime.runUntilIdle();

    expect(summary).toEqual({ reason: 'idle', virtualMs: 0, steps: 0, invocations: 2, messages: 2 });
    expect(seen['snapshot-check']).toHaveLength(1);
    const record = seen['snapshot-check'][0].Records[0];
    expect(record).toEqual({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: expect.any(String),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(T0), SenderId: expect.any(String), ApproximateFirstReceiveTimestamp: String(T0) },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(record.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-west-2:000000000000:aurora-restore-snapshot-check',
      awsRegion: 'us-west-2',
    });
    expect(JSON.parse(record.body)).toMatchObject({ version: '0', source: EVENT_SOURCE, 'detail-type': 'RestoreRequested', detail: EXAMPLES.RestoreRequested });
    const next = seen['copy-snapshot'][0].Records[0];
    expect(JSON.parse(next.body)['detail-type']).toBe('SnapshotValidated');
    expect(detailOf(next).operationId).toBe(OP);
    // Both messages were deleted after success.
    expect(runtime.queues['snapshot-check'].queue.size()).toBe(0);
    expect(runtime.queues['copy-snapshot'].queue.size()).toBe(0);
    expect(runtime.stats()['snapshot-check']).toMatchObject({ invocations: 1, messages: 1, errors: 0 });
    expect(clock.now().getTime()).toBe(T0);
  });

  it('a handler that sleeps 5 virtual minutes takes 5 virtual minutes and no real time; real I/O never lets the clock jump', async () => {
    const arrivals: { at: number; eventTime: number }[] = [];
    const ioClockReadings: [number, number][] = [];
    const w = world({
      handlers: ({ clock, port }) => ({
        'check-copy-status': async () => {
          await clock.sleep(5 * MIN);
          await port.publish([domainEvent('CopyCompleted', OP, clock.now(), exampleBody('CopyCompleted'))]);
        },
        // Runs while check-copy-status sleeps: it awaits real HTTP round trips, during which
        // the driver must not advance virtual time even though the other invocation is asleep.
        'check-delete-status': async () => {
          const before = clock.now().getTime();
          for (let i = 0; i < 5; i++) await (await fetch(url)).text();
          ioClockReadings.push([before, clock.now().getTime()]);
        },
        'delete-rds': async (event) => {
          arrivals.push({ at: clock.now().getTime(), eventTime: Date.parse(JSON.parse(event.Records[0].body).time) });
        },
      }),
    });
    w.put('CopyStarted');
    w.put('ClusterDeletionStarted');
    const summary = await w.runtime.runUntil(() => arrivals.length > 0);
    expect(summary.reason).toBe('done');
    expect(summary.virtualMs).toBe(5 * MIN);
    expect(arrivals).toEqual([{ at: T0 + 5 * MIN, eventTime: T0 + 5 * MIN }]);
    expect(ioClockReadings).toEqual([[T0, T0]]);
  });

  it('partial batch failure: neighbours are deleted, the failed record alone is redelivered, then dead-lettered to the dead-letter handler', async () => {
    const deliveries: { marker: string; receiveCount: string; at: number }[] = [];
    const deadLetters: SQSRecord[] = [];
    const w = world({
      maxReceiveCount: 3,
      visibilityTimeoutMs: 2 * MIN,
      handlers: ({ clock }) => ({
        'snapshot-check': async (event): Promise<SQSBatchResponse> => {
          const failures = [];
          for (const r of event.Records) {
            const marker = (detailOf(r).request as { targetClusterId: string }).targetClusterId;
            deliveries.push({ marker, receiveCount: r.attributes.ApproximateReceiveCount, at: clock.now().getTime() - T0 });
            if (marker === 'poison') failures.push({ itemIdentifier: r.messageId });
          }
          return { batchItemFailures: failures };
        },
        'dead-letter': async (event) => {
          deadLetters.push(...event.Records);
        },
      }),
    });
    for (const target of ['first', 'poison', 'last']) w.put('RestoreRequested', { request: { ...EXAMPLES.RestoreRequested.request, targetClusterId: target } });

    const summary = await w.runtime.runUntilIdle();

    expect(summary.reason).toBe('idle');
    // One batch of three first, then the poison record alone, once per visibility timeout.
    expect(deliveries).toEqual([
      { marker: 'first', receiveCount: '1', at: 0 },
      { marker: 'poison', receiveCount: '1', at: 0 },
      { marker: 'last', receiveCount: '1', at: 0 },
      { marker: 'poison', receiveCount: '2', at: 2 * MIN },
      { marker: 'poison', receiveCount: '3', at: 4 * MIN },
    ]);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0].eventSourceARN).toBe('arn:aws:sqs:us-west-2:000000000000:aurora-restore-snapshot-check-dlq');
    expect((detailOf(deadLetters[0]).request as { targetClusterId: string }).targetClusterId).toBe('poison');
    expect(summary.virtualMs).toBe(6 * MIN);
    expect(w.runtime.queues['snapshot-check'].queue.size()).toBe(0);
    expect(w.runtime.deadLettered()).toEqual([]);
    expect(w.runtime.stats()['snapshot-check']).toMatchObject({ invocations: 3, messages: 5, failedRecords: 3 });
    expect(w.runtime.stats()['dead-letter']).toMatchObject({ invocations: 1, messages: 1 });
  });

  it('a handler that throws keeps the whole batch; without a dead-letter handler the message waits in the DLQ', async () => {
    let calls = 0;
    const w = world({
      maxReceiveCount: 2,
      visibilityTimeoutMs: MIN,
      handlers: () => ({
        'copy-snapshot': async () => {
          calls += 1;
          throw new Error('boom');
        },
      }),
    });
    w.put('SnapshotValidated');
    w.put('SnapshotValidated');
    const summary = await w.runtime.runUntilIdle();
    expect(summary.reason).toBe('idle');
    expect(calls).toBe(2); // one batch of two, twice
    expect(w.runtime.stats()['copy-snapshot']).toMatchObject({ invocations: 2, messages: 4, errors: 2 });
    expect(w.runtime.errors.map((e) => [e.step, e.message])).toEqual([
      ['copy-snapshot', 'Error: boom'],
      ['copy-snapshot', 'Error: boom'],
    ]);
    expect(w.runtime.deadLettered().map((d) => d.step)).toEqual(['copy-snapshot', 'copy-snapshot']);
  });

  it('a batchItemFailures entry that names no record fails the whole batch, as on Lambda', async () => {
    const receiveCounts: string[] = [];
    const w = world({
      maxReceiveCount: 2,
      visibilityTimeoutMs: MIN,
      handlers: () => ({
        'copy-snapshot': async (event) => {
          receiveCounts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
          return receiveCounts.length === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] } : undefined;
        },
      }),
    });
    w.put('SnapshotValidated');
    await w.runtime.runUntilIdle();
    expect(receiveCounts).toEqual(['1', '2']);
    expect(w.runtime.queues['copy-snapshot'].queue.size()).toBe(0);
  });

  it('respects maximumConcurrency and batchSize of the subscription', async () => {
    let running = 0;
    let peak = 0;
    const batchSizes: number[] = [];
    const subscriptions: Subscription[] = [{ ...SUBSCRIPTIONS.find((s) => s.step === 'copy-snapshot')!, batchSize: 2, maximumConcurrency: 2 }];
    const w = world({
      subscriptions,
      handlers: ({ clock }) => ({
        'copy-snapshot': async (event) => {
          batchSizes.push(event.Records.length);
          running += 1;
          peak = Math.max(peak, running);
          await clock.sleep(MIN);
          running -= 1;
        },
      }),
    });
    for (let i = 0; i < 9; i++) w.put('SnapshotValidated');
    const summary = await w.runtime.runUntilIdle();
    expect(peak).toBe(2);
    expect(batchSizes).toEqual([2, 2, 2, 2, 1]);
    expect(summary.virtualMs).toBe(3 * MIN);
    expect(summary).toMatchObject({ invocations: 5, messages: 9 });
  });

  it('scheduled rechecks loop on the virtual clock until done(), maxVirtualMs or maxSteps', async () => {
    const attempts: number[] = [];
    const w = world({
      handlers: ({ clock, scheduler }) => ({
        // Re-arms a recheck 30 s later each time: it fires at the next whole minute.
        'check-copy-status': async (event) => {
          for (const r of event.Records) {
            const attempt = (detailOf(r).attempt as number | undefined) ?? 0;
            attempts.push(clock.now().getTime() - T0);
            await scheduler.scheduleOnce({
              name: `${OP}-copy-${attempt + 1}`,
              at: new Date(clock.now().getTime() + 30_000),
              event: domainEvent('RecheckDue', OP, clock.now(), { check: 'copy', attempt: attempt + 1 }),
            });
          }
        },
      }),
    });
    w.put('CopyStarted');
    const first = await w.runtime.runUntil(() => attempts.length >= 4);
    expect(first.reason).toBe('done');
    expect(attempts).toEqual([0, MIN, 2 * MIN, 3 * MIN]);
    const second = await w.runtime.runUntil(() => false, { maxVirtualMs: 10 * MIN });
    expect(second.reason).toBe('max-virtual-time');
    expect(second.virtualMs).toBe(10 * MIN);
    expect(attempts).toHaveLength(14);
    const third = await w.runtime.runUntil(() => false, { maxSteps: 2 });
    expect(third).toMatchObject({ reason: 'max-steps', steps: 2 });
  });

  it('refuses, as Lambda does, an event source mapping whose queue (or dead-letter queue) hides a message for less than the function timeout', () => {
    const clock = new VirtualClock({ start: new Date(T0) });
    const bus = new LocalEventBus({ clock, name: 'aurora-restore', region: 'us-west-2' });
    const base = { clock, bus, subscriptions: SUBSCRIPTIONS, handlers: {}, functionTimeoutMs: 300_000 };
    expect(() => new LocalRuntime({ ...base, visibilityTimeoutMs: 60_000 })).toThrow(
      'Queue visibility timeout: 60 seconds is less than Function timeout: 300 seconds (step queues)',
    );
    // SQS's default visibility (30 s) on the dead-letter queues, consumed by a 300 s function: the deploy blocker.
    expect(() => new LocalRuntime({ ...base, deadLetterVisibilityTimeoutMs: 30_000 })).toThrow(/30 seconds is less than Function timeout: 300 seconds \(dead-letter queues\)/);
    expect(() => new LocalRuntime({ ...base, visibilityTimeoutMs: 1_800_000, deadLetterVisibilityTimeoutMs: 1_800_000 })).not.toThrow();
  });

  it('context names the function and reports the remaining virtual time of a 300 s function', async () => {
    const seen: { name: string; remaining: number }[] = [];
    const w = world({
      handlers: ({ clock }) => ({
        watchdog: async (_e, context) => {
          seen.push({ name: context.functionName, remaining: context.getRemainingTimeInMillis() });
          await clock.sleep(MIN);
          seen.push({ name: context.functionName, remaining: context.getRemainingTimeInMillis() });
        },
      }),
    });
    w.put('OperationDeadlineReached');
    await w.runtime.runUntilIdle();
    expect(seen).toEqual([
      { name: 'aurora-restore-watchdog', remaining: 300_000 },
      { name: 'aurora-restore-watchdog', remaining: 240_000 },
    ]);
  });

  it('with the duplicate and reorder faults, steps see every event at least once, some twice, in a seeded order', async () => {
    const run = async () => {
      const seen: string[] = [];
      const w = world({
        faults: createFaultPlan({ seed: 11, duplicateDelivery: 0.5, reorder: 1 }),
        handlers: () => ({
          'copy-snapshot': async (event) => {
            seen.push(...event.Records.map((r) => (detailOf(r).snapshot as { snapshotId: string }).snapshotId));
          },
        }),
      });
      for (let i = 0; i < 8; i++) w.put('SnapshotValidated', { snapshot: { ...EXAMPLES.SnapshotValidated.snapshot, snapshotId: `snap-${i}` } });
      await w.runtime.runUntilIdle();
      return seen;
    };
    const seen = await run();
    expect(new Set(seen)).toEqual(new Set(Array.from({ length: 8 }, (_, i) => `snap-${i}`)));
    expect(seen.length).toBeGreaterThan(8);
    expect(seen).not.toEqual([...seen].sort());
    expect(await run()).toEqual(seen); // deterministic for the seed
  });

  it('toJSON / restore: messages waiting in a queue survive into a new runtime (a later CLI invocation)', async () => {
    const first = world({ handlers: () => ({}) }); // no handler: the message waits
    first.put('UsersConfigured', { strategy: 'replace' });
    await first.runtime.runUntilIdle();
    const saved = JSON.parse(JSON.stringify(first.runtime));
    expect(saved['aurora-restore-archive-snapshot']).toHaveLength(1);

    const got: string[] = [];
    const second = world({ handlers: () => ({ 'archive-snapshot': async (e) => void got.push(...e.Records.map((r) => JSON.parse(r.body)['detail-type'])) }) });
    second.runtime.restore(saved);
    await second.runtime.runUntilIdle();
    expect(got).toEqual(['UsersConfigured']);
    expect(() => second.runtime.restore({ 'no-such-queue': [] })).toThrow(/queues: expected one of/);
  });
});
