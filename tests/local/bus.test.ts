import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/lib/local/clock';
import { InMemoryArchive, JsonlArchive, LocalEventBus, LocalEventBusPort, type ArchiveStore } from '../../src/lib/local/bus';
import { LocalScheduler, roundUpToMinute } from '../../src/lib/local/scheduler';
import { createFaultPlan } from '../../src/lib/local/faults';
import { domainEvent, EVENT_SOURCE, type DomainEvent } from '../../src/events/catalogue';
import { RDS_EVENT_EXAMPLES } from '../../src/events/rds';
import type { EventBridgeEnvelope } from '../../src/events/envelope';
import { parseEventBody, putEventsBatches, putEventsEntrySize } from '../../src/events/envelope';

const T0 = Date.parse('2026-11-24T02:00:00.000Z');
const OP = 'restore-20261124-020000-k3x9q2';
const MIN = 60_000;

const recheck = (clock: VirtualClock, check: 'copy' | 'delete' | 'restore', attempt = 1) => domainEvent('RecheckDue', OP, clock.now(), { check, attempt });

function busWith(archive: ArchiveStore = new InMemoryArchive()) {
  const clock = new VirtualClock({ start: new Date(T0) });
  const bus = new LocalEventBus({ clock, name: 'aurora-restore', region: 'us-west-2', archive });
  const received: Record<string, EventBridgeEnvelope[]> = { copy: [], restore: [], all: [] };
  bus.addRule({ name: 'copy', pattern: { source: [EVENT_SOURCE], 'detail-type': ['RecheckDue'], detail: { check: ['copy'] } }, target: (e) => received.copy.push(e) });
  bus.addRule({ name: 'restore', pattern: { source: [EVENT_SOURCE], detail: { check: ['restore'] } }, target: (e) => received.restore.push(e) });
  bus.addRule({ name: 'all', pattern: { source: [EVENT_SOURCE, 'aws.rds'] }, target: (e) => received.all.push(e) });
  return { clock, bus, received, port: new LocalEventBusPort({ bus }) };
}

const tempDirs: string[] = [];
afterEach(() => {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'aurora-bus-'));
  tempDirs.push(dir);
  return join(dir, 'nested', 'archive.jsonl');
};

describe('LocalEventBus', () => {
  it('builds the EventBridge envelope and routes a copy to every matching rule', () => {
    const { clock, bus, received } = busWith();
    clock.advanceTo(T0 + 1234);
    const detail = { operationId: OP, check: 'copy', attempt: 1, occurredAt: new Date(T0).toISOString(), schemaVersion: 1 };
    const result = bus.putEvents([{ Source: EVENT_SOURCE, DetailType: 'RecheckDue', Detail: JSON.stringify(detail), Time: new Date(T0) }]);
    expect(result.FailedEntryCount).toBe(0);
    expect(received.copy).toHaveLength(1);
    expect(received.restore).toHaveLength(0);
    expect(received.all).toHaveLength(1);
    const env = received.copy[0];
    expect(env).toEqual({
      version: '0',
      id: (result.Entries[0] as { EventId: string }).EventId,
      'detail-type': 'RecheckDue',
      source: EVENT_SOURCE,
      account: '000000000000',
      time: new Date(T0 + 1234).toISOString(),
      region: 'us-west-2',
      resources: [],
      detail,
    });
    // Each rule gets its own copy.
    expect(received.all[0]).not.toBe(env);
    env.detail = 'mutated';
    expect((received.all[0].detail as { check: string }).check).toBe('copy');
    // What the queue delivers parses as the domain event it was.
    const parsed = parseEventBody(JSON.stringify(received.all[0]));
    expect(parsed.kind === 'domain' && parsed.event.type).toBe('RecheckDue');
  });

  it('fails only the malformed entries, like PutEvents, and refuses more than 10 entries', () => {
    const { bus, received } = busWith();
    const ok = { Source: EVENT_SOURCE, DetailType: 'X', Detail: '{"check":"copy"}' };
    const result = bus.putEvents([ok, { ...ok, Detail: 'not json' }, { ...ok, Detail: '[1]' }, { ...ok, Source: '' }]);
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries.map((e) => ('ErrorCode' in e ? e.ErrorCode : 'ok'))).toEqual(['ok', 'MalformedDetail', 'MalformedDetail', 'InvalidArgument']);
    expect(received.all).toHaveLength(1);
    expect(bus.archive.list()).toHaveLength(1);
    expect(() => bus.putEvents(Array.from({ length: 11 }, () => ok))).toThrow(/Entries: expected 1 to 10/);
  });

  it('refuses a call whose entries total 256 KB or more, sized as EventBridge documents it; the ports split their batches by size', async () => {
    const { bus, port, received } = busWith();
    // "If specified, the Time parameter is 14 bytes. The Source and DetailType parameters are the number of bytes for their UTF-8 encoded forms..."
    expect(putEventsEntrySize({ Time: new Date(), Source: 'ab', DetailType: 'é', Detail: '{}', Resources: ['r1'] })).toBe(14 + 2 + 2 + 2 + 2);
    const big = { Source: EVENT_SOURCE, DetailType: 'X', Detail: JSON.stringify({ check: 'copy', pad: 'x'.repeat(100 * 1024) }) };
    expect(() => bus.putEvents([big, big, big])).toThrow(/not less than 256 KB/);
    expect(received.all).toHaveLength(0);
    expect(putEventsBatches([big, big, big, big, big]).map((b) => b.length)).toEqual([2, 2, 1]);
    expect(() => putEventsBatches([{ ...big, Detail: 'x'.repeat(256 * 1024) }])).toThrow(/exceeds the 256 KB limit/);
    // Eleven small events: two calls of the port.
    await port.publish(Array.from({ length: 11 }, (_, n) => recheck(busWith().clock, 'copy', n + 1)));
    expect(received.copy).toHaveLength(11);
  });

  it('routes raw native envelopes (aws.rds) and archives them; rejects a non-envelope', () => {
    const { bus, received } = busWith();
    bus.putRaw(structuredClone(RDS_EVENT_EXAMPLES.clusterCreated) as unknown as EventBridgeEnvelope);
    expect(received.all.map((e) => e.source)).toEqual(['aws.rds']);
    expect(bus.archive.list()[0].id).toBe(RDS_EVENT_EXAMPLES.clusterCreated.id);
    expect(() => bus.putRaw({ source: 'aws.rds' } as unknown as EventBridgeEnvelope)).toThrow(/envelope/);
  });

  it('rejects an invalid or duplicate rule, naming it', () => {
    const { bus } = busWith();
    expect(() => bus.addRule({ name: 'bad', pattern: { source: 'x' }, target: () => {} })).toThrow(/rule bad: pattern\.source/);
    expect(() => bus.addRule({ name: 'copy', pattern: { source: ['x'] }, target: () => {} })).toThrow(/already exists/);
  });

  it('LocalEventBusPort publishes domain events in PutEvents calls of at most 10', async () => {
    const { clock, bus, received, port } = busWith();
    const calls: number[] = [];
    const original = bus.putEvents.bind(bus);
    bus.putEvents = (entries) => {
      calls.push(entries.length);
      return original(entries);
    };
    const events: DomainEvent[] = Array.from({ length: 23 }, (_, i) => recheck(clock, 'copy', i + 1));
    await port.publish(events);
    expect(calls).toEqual([10, 10, 3]);
    expect(received.copy.map((e) => (e.detail as { attempt: number }).attempt)).toEqual(events.map((_, i) => i + 1));
  });

  it('an outage window archives events without delivering them; replay delivers them, marked with replay-name', async () => {
    const { clock, bus, received, port } = busWith();
    await port.publish([recheck(clock, 'copy', 1)]); // before: delivered
    bus.setOutage(T0 + MIN, T0 + 3 * MIN);
    clock.advanceTo(T0 + MIN);
    await port.publish([recheck(clock, 'copy', 2), recheck(clock, 'restore', 2)]); // lost
    clock.advanceTo(T0 + 3 * MIN);
    await port.publish([recheck(clock, 'copy', 3)]); // after: delivered
    expect(received.copy.map((e) => (e.detail as { attempt: number }).attempt)).toEqual([1, 3]);
    expect(received.restore).toHaveLength(0);
    expect(bus.stats()).toMatchObject({ published: 4, lost: 2 });
    expect(bus.archive.list()).toHaveLength(4);

    const { replayed } = bus.replay({ name: 'recover-outage', from: new Date(T0 + MIN), to: new Date(T0 + 3 * MIN) });
    expect(replayed).toBe(2);
    expect(received.copy.map((e) => (e.detail as { attempt: number }).attempt)).toEqual([1, 3, 2]);
    expect(received.copy[2]['replay-name']).toBe('recover-outage');
    expect(received.restore.map((e) => e['replay-name'])).toEqual(['recover-outage']);
    // The replayed event keeps its id and time; replays are not archived again.
    expect(received.copy[2].id).toBe(bus.archive.list()[1].id);
    expect(bus.archive.list()).toHaveLength(4);
  });

  it('replay window is [from, to) and honours a filter', async () => {
    const { clock, bus, received, port } = busWith();
    for (let i = 0; i < 4; i++) {
      clock.advanceTo(T0 + i * MIN);
      await port.publish([recheck(clock, i % 2 === 0 ? 'copy' : 'restore', i + 1)]);
    }
    received.copy.length = 0;
    received.restore.length = 0;
    expect(bus.replay({ name: 'r', from: new Date(T0 + MIN), to: new Date(T0 + 3 * MIN) }).replayed).toBe(2);
    expect(received.restore.map((e) => (e.detail as { attempt: number }).attempt)).toEqual([2]);
    expect(received.copy.map((e) => (e.detail as { attempt: number }).attempt)).toEqual([3]);
    const only = bus.replay({ name: 'r2', from: new Date(T0), to: new Date(T0 + 10 * MIN), filter: (e) => (e.detail as { check: string }).check === 'restore' });
    expect(only.replayed).toBe(2);
    expect(() => bus.replay({ name: 'r3', from: new Date(T0 + MIN), to: new Date(T0) })).toThrow(/to: expected a time after from/);
  });

  it('JsonlArchive: one JSON line per event, reloaded by a new bus, which can replay them (across CLI invocations)', async () => {
    const path = tempFile();
    const first = busWith(new JsonlArchive(path));
    await first.port.publish([recheck(first.clock, 'copy', 1), recheck(first.clock, 'restore', 1)]);
    first.bus.putRaw(structuredClone(RDS_EVENT_EXAMPLES.clusterCreated) as unknown as EventBridgeEnvelope);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0])['detail-type']).toBe('RecheckDue');

    // A later invocation: a new archive object on the same file, a new bus.
    const second = busWith(new JsonlArchive(path));
    expect(second.bus.archive.list().map((e) => e.id)).toEqual(first.bus.archive.list().map((e) => e.id));
    const { replayed } = second.bus.replay({ name: 'again', from: new Date(T0 - MIN), to: new Date(T0 + MIN) });
    expect(replayed).toBe(2); // the RDS example carries its own (2026-11-24T02:31:07Z) time, outside the window
    expect(second.received.copy.map((e) => e['replay-name'])).toEqual(['again']);
    expect(second.received.restore).toHaveLength(1);
  });

  it('JsonlArchive rejects a corrupt file, naming the line', () => {
    const path = tempFile();
    new JsonlArchive(path); // creates the folder
    writeFileSync(path, `${JSON.stringify(RDS_EVENT_EXAMPLES.clusterCreated)}\n{"version":"0"}\n`);
    expect(() => new JsonlArchive(path)).toThrow(/archive\.jsonl:2: expected an EventBridge event envelope/);
    writeFileSync(path, 'not json\n');
    expect(() => new JsonlArchive(path)).toThrow(/archive\.jsonl:1: expected one JSON event per line/);
  });
});

describe('LocalScheduler', () => {
  function schedulerWith(options: { delayMs?: () => number } = {}) {
    const ctx = busWith();
    const scheduler = new LocalScheduler({ clock: ctx.clock, bus: ctx.port, ...options });
    return { ...ctx, scheduler };
  }

  it('rounds up to the whole minute (one-minute precision)', () => {
    expect(roundUpToMinute(T0)).toBe(T0);
    expect(roundUpToMinute(T0 + 1)).toBe(T0 + MIN);
    expect(roundUpToMinute(T0 + 59_999)).toBe(T0 + MIN);
    expect(roundUpToMinute(T0 + MIN + 30_000)).toBe(T0 + 2 * MIN);
  });

  it('fires at the rounded-up minute, publishes on the bus, then deletes itself', async () => {
    const { clock, scheduler, received } = schedulerWith();
    await scheduler.scheduleOnce({ name: 'op-copy-1', at: new Date(T0 + 90_000), event: recheck(clock, 'copy') });
    expect(scheduler.pending()).toEqual([expect.objectContaining({ name: 'op-copy-1', at: new Date(T0 + 90_000).toISOString(), fireAt: new Date(T0 + 2 * MIN).toISOString() })]);
    expect(clock.nextTimerAt()).toBe(T0 + 2 * MIN);
    clock.advanceTo(T0 + 2 * MIN - 1);
    expect(received.copy).toHaveLength(0);
    clock.advanceTo(T0 + 2 * MIN);
    await Promise.resolve();
    expect(received.copy).toHaveLength(1);
    expect(received.copy[0].time).toBe(new Date(T0 + 2 * MIN).toISOString());
    expect(scheduler.pending()).toEqual([]);
    expect(scheduler.firedCount()).toBe(1);
  });

  it('refuses a one-time schedule whose time has passed (ValidationException); this minute is still accepted', async () => {
    const { clock, scheduler } = schedulerWith();
    clock.advanceTo(T0 + 10 * MIN);
    await expect(scheduler.scheduleOnce({ name: 'late', at: new Date(T0 + 5 * MIN), event: recheck(clock, 'copy') })).rejects.toMatchObject({ name: 'ValidationException' });
    await scheduler.scheduleOnce({ name: 'now', at: new Date(T0 + 10 * MIN - 10_000), event: recheck(clock, 'copy') });
    expect(scheduler.pending().map((s) => s.name)).toEqual(['now']);
  });

  it('is idempotent by name: a second schedule of the same name is a no-op success', async () => {
    const { clock, scheduler, received } = schedulerWith();
    await scheduler.scheduleOnce({ name: 'same', at: new Date(T0 + MIN), event: recheck(clock, 'copy', 1) });
    await scheduler.scheduleOnce({ name: 'same', at: new Date(T0 + 5 * MIN), event: recheck(clock, 'copy', 2) });
    expect(scheduler.pending()).toHaveLength(1);
    clock.advanceTo(T0 + 10 * MIN);
    expect(received.copy.map((e) => (e.detail as { attempt: number }).attempt)).toEqual([1]);
  });

  it('cancel removes a pending schedule (and cancelling an unknown one is fine)', async () => {
    const { clock, scheduler, received } = schedulerWith();
    await scheduler.scheduleOnce({ name: 'x', at: new Date(T0 + MIN), event: recheck(clock, 'copy') });
    await scheduler.cancel('x');
    await scheduler.cancel('never-existed');
    expect(clock.nextTimerAt()).toBeUndefined();
    clock.advanceTo(T0 + 10 * MIN);
    expect(received.copy).toHaveLength(0);
  });

  it('the delay fault makes schedules fire late, never early', async () => {
    const faults = createFaultPlan({ seed: 9, schedulerDelayMs: 120_000 });
    const { clock, scheduler } = schedulerWith({ delayMs: () => faults.schedulerDelayMs() });
    for (let i = 0; i < 20; i++) await scheduler.scheduleOnce({ name: `s${i}`, at: new Date(T0 + MIN), event: recheck(clock, 'copy') });
    const fireAts = scheduler.pending().map((s) => Date.parse(s.fireAt));
    expect(fireAts.every((t) => t >= T0 + MIN && t <= T0 + 3 * MIN)).toBe(true);
    expect(new Set(fireAts).size).toBeGreaterThan(1);
  });

  it('toJSON / restore carries pending schedules to a new process', async () => {
    const a = schedulerWith();
    await a.scheduler.scheduleOnce({ name: 'later', at: new Date(T0 + 5 * MIN), event: recheck(a.clock, 'restore') });
    const saved = JSON.parse(JSON.stringify(a.scheduler));

    const b = schedulerWith();
    b.scheduler.restore(saved);
    b.scheduler.restore(saved); // idempotent
    expect(b.scheduler.pending()).toEqual(a.scheduler.pending());
    b.clock.advanceTo(T0 + 5 * MIN);
    expect(b.received.restore).toHaveLength(1);
    expect(() => b.scheduler.restore([{ name: '', at: '', fireAt: 'x', event: saved[0].event }])).toThrow(/schedules/);
  });
});
