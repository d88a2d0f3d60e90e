import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/lib/local/clock';
import { LocalQueue } from '../../src/lib/local/queue';
import { createFaultPlan } from '../../src/lib/local/faults';

const T0 = Date.parse('2026-11-24T02:00:00.000Z');
const VISIBILITY = 30_000;

function setup(options: { maxReceiveCount?: number; faults?: ReturnType<typeof createFaultPlan> } = {}) {
  const clock = new VirtualClock({ start: new Date(T0) });
  const dlq = new LocalQueue({ name: 'q-dlq', clock, visibilityTimeoutMs: VISIBILITY, maxReceiveCount: 5 });
  const queue = new LocalQueue({ name: 'q', clock, visibilityTimeoutMs: VISIBILITY, maxReceiveCount: options.maxReceiveCount ?? 3, deadLetter: dlq, faults: options.faults });
  return { clock, queue, dlq };
}

describe('LocalQueue', () => {
  it('delivers in send order, hides received messages for the visibility timeout, redelivers them after', () => {
    const { clock, queue } = setup();
    const ids = ['a', 'b', 'c'].map((b) => queue.send(b));
    const first = queue.receive(2);
    expect(first.map((m) => m.body)).toEqual(['a', 'b']);
    expect(first.map((m) => m.messageId)).toEqual(ids.slice(0, 2));
    expect(first[0]).toMatchObject({ receiveCount: 1, sentAt: T0, firstReceivedAt: T0 });
    expect([queue.visibleCount(), queue.inFlightCount(), queue.size()]).toEqual([1, 2, 3]);
    expect(queue.receive(10).map((m) => m.body)).toEqual(['c']);
    expect(queue.receive(10)).toEqual([]);

    // The driver learns from the clock when they come back.
    expect(clock.nextTimerAt()).toBe(T0 + VISIBILITY);
    clock.advanceTo(T0 + VISIBILITY - 1);
    expect(queue.receive(10)).toEqual([]);
    clock.advanceTo(T0 + VISIBILITY);
    const again = queue.receive(10);
    expect(again.map((m) => [m.body, m.receiveCount])).toEqual([['a', 2], ['b', 2], ['c', 2]]);
    expect(again[0].receiptHandle).not.toBe(first[0].receiptHandle);
  });

  it('deletes with the current receipt handle only; deleted messages are gone and their timer cancelled', () => {
    const { clock, queue } = setup();
    queue.send('a');
    const [m1] = queue.receive(1);
    clock.advanceTo(T0 + VISIBILITY);
    const [m2] = queue.receive(1);
    expect(queue.delete(m1.receiptHandle)).toBe(false); // stale
    expect(queue.size()).toBe(1);
    expect(queue.delete(m2.receiptHandle)).toBe(true);
    expect(queue.size()).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('moves a message to the dead-letter queue on the receive after maxReceiveCount (SQS redrive)', () => {
    const { clock, queue, dlq } = setup({ maxReceiveCount: 3 });
    const id = queue.send('poison');
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [m] = queue.receive(1);
      counts.push(m.receiveCount);
      clock.advanceBy(VISIBILITY);
    }
    expect(counts).toEqual([1, 2, 3]);
    expect(queue.receive(1)).toEqual([]); // 4th receive: redriven instead of delivered
    expect(queue.size()).toBe(0);
    expect(dlq.list()).toEqual([expect.objectContaining({ messageId: id, body: 'poison', receiveCount: 0, deadLetterSource: 'q', sentAt: T0 })]);
    expect(dlq.receive(1)[0]).toMatchObject({ messageId: id, receiveCount: 1 });
  });

  it('redrive does not stop other visible messages from being delivered in the same receive', () => {
    const { clock, queue, dlq } = setup({ maxReceiveCount: 1 });
    queue.send('old');
    queue.receive(1);
    clock.advanceBy(VISIBILITY);
    queue.send('new');
    expect(queue.receive(10).map((m) => m.body)).toEqual(['new']);
    expect(dlq.list().map((m) => m.body)).toEqual(['old']);
  });

  it('changeVisibility makes a message visible again early', () => {
    const { queue } = setup();
    queue.send('a');
    const [m] = queue.receive(1);
    expect(queue.changeVisibility(m.receiptHandle, 0)).toBe(true);
    expect(queue.receive(1).map((x) => x.receiveCount)).toEqual([2]);
  });

  it('list() inspects without receiving; drain() empties', () => {
    const { queue } = setup();
    queue.send('a');
    queue.send('b');
    queue.receive(1);
    expect(queue.list().map((m) => [m.body, m.inFlight])).toEqual([['a', true], ['b', false]]);
    expect(queue.drain().map((m) => m.body)).toEqual(['a', 'b']);
    expect(queue.size()).toBe(0);
  });

  it('duplicate-delivery fault: each message can arrive twice, as two messages with the same body', () => {
    const { queue } = setup({ faults: createFaultPlan({ seed: 1, duplicateDelivery: 1 }) });
    queue.send('once');
    const got = queue.receive(10);
    expect(got.map((m) => m.body)).toEqual(['once', 'once']);
    expect(new Set(got.map((m) => m.messageId)).size).toBe(2);
  });

  it('reorder fault: batches come out in a seeded random order, same order for the same seed', () => {
    const order = (seed: number) => {
      const { queue } = setup({ faults: createFaultPlan({ seed, reorder: 1 }) });
      for (let i = 0; i < 10; i++) queue.send(String(i));
      return queue.receive(10).map((m) => m.body);
    };
    const a = order(5);
    expect(a).toEqual(order(5));
    expect(a).not.toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([...a].sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('toJSON / restore carries messages to a new process: ids, receive counts, and in-flight ones come back at their deadline', () => {
    const a = setup();
    const idA = a.queue.send('in-flight');
    a.queue.send('waiting');
    a.queue.receive(1);
    const saved = JSON.parse(JSON.stringify(a.queue));

    const b = setup();
    b.queue.restore(saved);
    b.queue.restore(saved); // same ids are skipped
    expect(b.queue.size()).toBe(2);
    expect(b.queue.visibleCount()).toBe(1);
    expect(b.queue.list().find((m) => m.messageId === idA)).toMatchObject({ inFlight: true, receiveCount: 1 });
    expect(b.clock.nextTimerAt()).toBe(T0 + VISIBILITY);
    b.clock.advanceTo(T0 + VISIBILITY);
    expect(b.queue.visibleCount()).toBe(2);
    expect(b.queue.receive(10).map((m) => [m.body, m.receiveCount])).toEqual([['in-flight', 2], ['waiting', 1]]);
    expect(b.queue.list()[0].messageId).toBe(idA);
    expect(() => b.queue.restore([{ body: 'x' } as never])).toThrow(/q: expected persisted messages/);
  });

  it('rejects bad options, naming the field', () => {
    const clock = new VirtualClock({ start: new Date(T0) });
    expect(() => new LocalQueue({ name: 'q', clock, visibilityTimeoutMs: 1, maxReceiveCount: 0 })).toThrow(/maxReceiveCount/);
    expect(() => new LocalQueue({ name: 'q', clock, visibilityTimeoutMs: -1, maxReceiveCount: 1 })).toThrow(/visibilityTimeoutMs/);
    const q = new LocalQueue({ name: 'q', clock, visibilityTimeoutMs: 1, maxReceiveCount: 1 });
    expect(() => q.receive(0)).toThrow(/max/);
  });
});
