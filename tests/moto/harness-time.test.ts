/**
 * The moto harness's time (harness-time.ts), on a fake wall clock: what comes due first, across hidden
 * messages and schedules, and how the offset keeps that order after earlier advances. No moto needed.
 */
import { describe, expect, it } from 'vitest';
import { HarnessTime } from './harness-time';

const T0 = Date.parse('2026-11-24T02:00:00Z');

function harness() {
  let now = T0;
  const time = new HarnessTime(() => now);
  return { time, tick: (ms: number) => (now += ms) };
}
const msg = (id: string, visibilityTimeoutSeconds = 1800) => ({ queueUrl: 'q', messageId: id, receiptHandle: `rh-${id}`, visibilityTimeoutSeconds });

describe('HarnessTime', () => {
  it('picks the earliest of hidden messages and schedules, and advances time to it', () => {
    const { time } = harness();
    time.received(msg('a'));
    time.handedBack('rh-a', 20);
    const first = time.earliest([{ name: 'recheck-1', atMs: T0 + 300_000 }]);
    expect(first).toMatchObject({ kind: 'message', message: { messageId: 'a', why: 'handed back' }, dueMs: T0 + 20_000 });
    time.advanceTo(first!);
    expect(time.offsetMs).toBe(20_000);
    expect(time.hiddenMessages()).toEqual([]);
    const next = time.earliest([{ name: 'recheck-1', atMs: T0 + 300_000 }]);
    expect(next).toMatchObject({ kind: 'schedule', schedule: { name: 'recheck-1' }, dueMs: T0 + 300_000 });
    time.advanceTo(next!);
    expect(time.offsetMs).toBe(300_000);
    expect(time.advances).toEqual([
      { kind: 'message', what: 'handed back: a', byMs: 20_000 },
      { kind: 'schedule', what: 'recheck-1', byMs: 280_000 },
    ]);
  });

  it('a schedule due before a hidden message fires first', () => {
    const { time } = harness();
    time.received(msg('a', 1800));
    expect(time.earliest([{ name: 's', atMs: T0 + 300_000 }])).toMatchObject({ kind: 'schedule' });
  });

  it('what is made after an advance is due relative to the advanced time, not to the wall clock', () => {
    const { time, tick } = harness();
    // A message handed back for 400 s; a schedule at +300 s fires first and, on the wall clock a moment
    // later, the pipeline arms another at +300 s. In the pipeline's time that one is due at 600 s: after the message.
    time.received(msg('a'));
    time.handedBack('rh-a', 400);
    time.advanceTo(time.earliest([{ name: 's1', atMs: T0 + 300_000 }])!);
    tick(50);
    const due = time.earliest([{ name: 's2', atMs: T0 + 50 + 300_000 }]);
    expect(due).toMatchObject({ kind: 'message', dueMs: T0 + 400_000 });
  });

  it('a deleted message and one received again are not pending; one received again counts from its new receive', () => {
    const { time, tick } = harness();
    time.received(msg('a', 12));
    time.received(msg('b', 12));
    time.deleted('rh-a');
    tick(1000);
    time.received({ ...msg('b', 12), receiptHandle: 'rh-b-2' });
    expect(time.hiddenMessages().map((h) => [h.receiptHandle, h.visibleAtMs])).toEqual([['rh-b-2', T0 + 13_000]]);
    expect(time.earliest([])).toMatchObject({ kind: 'message', message: { receiptHandle: 'rh-b-2' } });
  });

  it('a message whose timeout has passed on the wall clock is visible already: nothing to advance to', () => {
    const { time, tick } = harness();
    time.received(msg('a', 2));
    tick(2001);
    expect(time.earliest([])).toBeUndefined();
  });
});
