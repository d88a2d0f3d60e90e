import type { Clock } from '../ports';

interface Timer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
  label?: string;
}

export interface VirtualClockOptions {
  /** The virtual time the clock starts at. */
  start: Date;
}

/**
 * A clock whose time moves only when the driver says so (`advanceTo`). `sleep` is a virtual timer,
 * so a 40-minute restore simulates in seconds. Hand-written (a sorted timer list): fake-timer
 * libraries patch globals, and the local runtime must keep real timers and I/O working.
 */
export class VirtualClock implements Clock {
  private nowMs: number;
  private timers: Timer[] = [];
  private nextId = 1;
  private seq = 0;
  private sleeping = 0;
  private sleepListeners = new Set<() => void>();

  constructor(options: VirtualClockOptions) {
    const ms = options.start.getTime();
    if (!Number.isFinite(ms)) throw new Error('start: expected a valid Date');
    this.nowMs = ms;
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  nowMsValue(): number {
    return this.nowMs;
  }

  /** Invocations currently blocked in `sleep()`: the driver advances time only when everything in flight sleeps. */
  get sleepers(): number {
    return this.sleeping;
  }

  /** Calls `listener` whenever the `sleepers` count changes (lets the driver wait without polling). Returns the unsubscribe function. */
  onSleepersChange(listener: () => void): () => void {
    this.sleepListeners.add(listener);
    return () => this.sleepListeners.delete(listener);
  }

  /** Resolves the next time the `sleepers` count changes. */
  whenSleepersChange(): Promise<void> {
    return new Promise((resolve) => {
      const off = this.onSleepersChange(() => {
        off();
        resolve();
      });
    });
  }

  sleep(ms: number): Promise<void> {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    return new Promise((resolve) => {
      this.setSleeping(this.sleeping + 1);
      this.setTimer(
        this.nowMs + delay,
        () => {
          this.setSleeping(this.sleeping - 1);
          resolve();
        },
        'sleep',
      );
    });
  }

  /** Calls `fn` when the clock reaches `atMs` (a past time fires at the next advance). Returns the timer id. */
  setTimer(atMs: number, fn: () => void, label?: string): number {
    if (!Number.isFinite(atMs)) throw new Error(`atMs: expected a finite epoch millisecond value, got ${atMs}`);
    const timer: Timer = { id: this.nextId++, at: Math.max(atMs, this.nowMs), seq: this.seq++, fn, label };
    // Keep the list sorted by (at, seq): insert after every timer due at or before `at`.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    return timer.id;
  }

  cancelTimer(id: number): boolean {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i < 0) return false;
    this.timers.splice(i, 1);
    return true;
  }

  nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }

  /** Pending timers (for inspection and diagnostics). */
  pendingTimers(): { id: number; at: number; label?: string }[] {
    return this.timers.map(({ id, at, label }) => ({ id, at, label }));
  }

  /**
   * Moves time forward to `ms`, firing every timer due by then in time order (ties in the order
   * they were set). Timers set by a firing timer are fired too if due. Time never goes backwards.
   */
  advanceTo(ms: number): void {
    if (!Number.isFinite(ms)) throw new Error(`ms: expected a finite epoch millisecond value, got ${ms}`);
    while (this.timers.length > 0 && this.timers[0].at <= ms) {
      const timer = this.timers.shift()!;
      this.nowMs = Math.max(this.nowMs, timer.at);
      timer.fn();
    }
    this.nowMs = Math.max(this.nowMs, ms);
  }

  /** Advances by `ms` milliseconds from now. */
  advanceBy(ms: number): void {
    this.advanceTo(this.nowMs + ms);
  }

  private setSleeping(n: number): void {
    this.sleeping = n;
    for (const listener of [...this.sleepListeners]) listener();
  }
}
