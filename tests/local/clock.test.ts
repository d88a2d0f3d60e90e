import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/lib/local/clock';
import { createFaultPlan, seededRandom } from '../../src/lib/local/faults';

const T0 = Date.parse('2026-11-24T02:00:00.000Z');

describe('VirtualClock', () => {
  it('starts at the given time and only moves when advanced', () => {
    const clock = new VirtualClock({ start: new Date(T0) });
    expect(clock.now().toISOString()).toBe('2026-11-24T02:00:00.000Z');
    clock.advanceTo(T0 + 5_000);
    expect(clock.now().getTime()).toBe(T0 + 5_000);
    clock.advanceTo(T0); // never backwards
    expect(clock.now().getTime()).toBe(T0 + 5_000);
  });

  it('fires due timers in time order, ties in insertion order, at their own time', () => {
    const clock = new VirtualClock({ start: new Date(T0) });
    const fired: string[] = [];
    const at = (label: string) => () => fired.push(`${label}@${clock.now().getTime() - T0}`);
    clock.setTimer(T0 + 300, at('c'));
    clock.setTimer(T0 + 100, at('a1'));
    clock.setTimer(T0 + 100, at('a2'));
    clock.setTimer(T0 + 200, at('b'));
    const late = clock.setTimer(T0 + 1_000, at('late'));
    expect(clock.nextTimerAt()).toBe(T0 + 100);
    clock.advanceTo(T0 + 300);
    expect(fired).toEqual(['a1@100', 'a2@100', 'b@200', 'c@300']);
    expect(clock.nextTimerAt()).toBe(T0 + 1_000);
    expect(clock.cancelTimer(late)).toBe(true);
    expect(clock.nextTimerAt()).toBeUndefined();
    clock.advanceTo(T0 + 2_000);
    expect(fired).toHaveLength(4);
  });

  it('fires a timer set by a firing timer when it is due within the same advance', () => {
    const clock = new VirtualClock({ start: new Date(T0) });
    const fired: number[] = [];
    clock.setTimer(T0 + 10, () => clock.setTimer(T0 + 20, () => fired.push(clock.now().getTime() - T0)));
    clock.advanceTo(T0 + 50);
    expect(fired).toEqual([20]);
  });

  it('sleep is a virtual timer and counts its sleepers', async () => {
    const clock = new VirtualClock({ start: new Date(T0) });
    let woke = false;
    const sleeping = clock.sleep(5 * 60_000).then(() => {
      woke = true;
    });
    expect(clock.sleepers).toBe(1);
    expect(clock.nextTimerAt()).toBe(T0 + 5 * 60_000);
    const changed = clock.whenSleepersChange();
    clock.advanceTo(T0 + 60_000);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advanceTo(T0 + 5 * 60_000);
    await changed;
    await sleeping;
    expect(woke).toBe(true);
    expect(clock.sleepers).toBe(0);
  });

  it('onSleepersChange notifies until unsubscribed', async () => {
    const clock = new VirtualClock({ start: new Date(T0) });
    const counts: number[] = [];
    const off = clock.onSleepersChange(() => counts.push(clock.sleepers));
    void clock.sleep(10);
    clock.advanceTo(T0 + 10);
    off();
    void clock.sleep(10);
    expect(counts).toEqual([1, 0]);
  });

  it('rejects a non-finite start or timer time, naming the field', () => {
    expect(() => new VirtualClock({ start: new Date('nope') })).toThrow(/start/);
    const clock = new VirtualClock({ start: new Date(T0) });
    expect(() => clock.setTimer(Number.NaN, () => {})).toThrow(/atMs/);
  });
});

describe('faults', () => {
  it('seededRandom is deterministic per seed and uniform-looking', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(seededRandom(43)()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('createFaultPlan: no faults at rate 0, roughly the rate otherwise, same answers for the same seed', () => {
    const none = createFaultPlan({ seed: 1 });
    expect(Array.from({ length: 100 }, () => none.duplicateDelivery('q')).some(Boolean)).toBe(false);
    expect(none.schedulerDelayMs()).toBe(0);
    const run = () => {
      const plan = createFaultPlan({ seed: 7, duplicateDelivery: 0.3, schedulerDelayMs: 90_000 });
      return { dups: Array.from({ length: 1000 }, () => plan.duplicateDelivery('q')), delays: Array.from({ length: 50 }, () => plan.schedulerDelayMs()) };
    };
    const r1 = run();
    expect(run()).toEqual(r1);
    const rate = r1.dups.filter(Boolean).length / 1000;
    expect(rate).toBeGreaterThan(0.25);
    expect(rate).toBeLessThan(0.35);
    expect(r1.delays.every((d) => d >= 0 && d <= 90_000)).toBe(true);
    expect(new Set(createFaultPlan({ seed: 3 }).shuffle([1, 2, 3, 4, 5]))).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  it('rejects rates outside 0..1, naming the option', () => {
    expect(() => createFaultPlan({ seed: 1, reorder: 2 })).toThrow(/reorder/);
    expect(() => createFaultPlan({ seed: 1.5 })).toThrow(/seed/);
  });
});
