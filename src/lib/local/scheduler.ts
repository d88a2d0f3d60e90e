import type { DomainEvent } from '../../events/catalogue';
import type { EventBus, RecheckScheduler } from '../ports';
import type { VirtualClock } from './clock';

const MINUTE_MS = 60_000;

/** A pending one-time schedule, as persisted between CLI invocations. */
export interface PendingSchedule {
  name: string;
  /** The time asked for (ISO). */
  at: string;
  /** When it will fire: `at` rounded up to the minute, plus any injected delay (ISO). */
  fireAt: string;
  event: DomainEvent;
}

export interface LocalSchedulerOptions {
  clock: VirtualClock;
  /** Where schedules put their events: the bus port or a publish function. */
  bus: EventBus | ((events: DomainEvent[]) => Promise<void>);
  /** Extra delay per schedule (the scheduler-delay fault). EventBridge Scheduler fires late, never early. */
  delayMs?: () => number;
  /** Called when publishing a fired schedule fails (the event is lost, as after Scheduler's retries). */
  onError?: (error: unknown, schedule: PendingSchedule) => void;
}

/** `at` rounded up to the next whole minute (unchanged when already on a minute). */
export function roundUpToMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

/**
 * EventBridge Scheduler one-time schedules on the virtual clock. Like `at()` schedules on AWS, they
 * have one-minute precision: a schedule fires at `at` rounded UP to the next whole minute (a
 * recheck asked for 02:10:30 fires at 02:11:00), publishes its event on the bus, and deletes
 * itself (ActionAfterCompletion: DELETE). Names are unique: scheduling a name again is a no-op.
 */
export class LocalScheduler implements RecheckScheduler {
  private readonly clock: VirtualClock;
  private readonly publish: (events: DomainEvent[]) => Promise<void>;
  private readonly delayMs: () => number;
  private readonly onError: (error: unknown, schedule: PendingSchedule) => void;
  private readonly schedules = new Map<string, { schedule: PendingSchedule; timerId: number }>();
  private fired = 0;

  constructor(options: LocalSchedulerOptions) {
    this.clock = options.clock;
    const bus = options.bus;
    this.publish = typeof bus === 'function' ? bus : (events) => bus.publish(events);
    this.delayMs = options.delayMs ?? (() => 0);
    this.onError = options.onError ?? (() => {});
  }

  async scheduleOnce(input: { name: string; at: Date; event: DomainEvent }): Promise<void> {
    if (!input.name) throw new Error('name: expected a schedule name');
    const atMs = input.at.getTime();
    if (!Number.isFinite(atMs)) throw new Error(`at: expected a valid Date for schedule ${input.name}`);
    if (this.schedules.has(input.name)) return;
    // A one-time schedule whose at() time has passed is refused here. Scheduler's documentation does not say
    // what it does with one (a ValidationException is reported); no pipeline code may rely on either answer.
    if (roundUpToMinute(atMs) < this.clock.now().getTime()) {
      throw Object.assign(new Error(`ValidationException: the at() time of schedule ${input.name} (${input.at.toISOString()}) is in the past`), {
        name: 'ValidationException',
      });
    }
    const fireAtMs = roundUpToMinute(atMs) + Math.max(0, this.delayMs());
    this.add({ name: input.name, at: input.at.toISOString(), fireAt: new Date(fireAtMs).toISOString(), event: structuredClone(input.event) });
  }

  async cancel(name: string): Promise<void> {
    const entry = this.schedules.get(name);
    if (!entry) return;
    this.clock.cancelTimer(entry.timerId);
    this.schedules.delete(name);
  }

  /** Pending schedules, soonest first. */
  pending(): PendingSchedule[] {
    return [...this.schedules.values()].map((e) => structuredClone(e.schedule)).sort((a, b) => a.fireAt.localeCompare(b.fireAt));
  }

  /** How many schedules have fired since this scheduler was created. */
  firedCount(): number {
    return this.fired;
  }

  toJSON(): PendingSchedule[] {
    return this.pending();
  }

  /** Re-arms persisted schedules (those already known by name are kept as they are). */
  restore(list: PendingSchedule[]): void {
    for (const s of list) {
      if (!s.name || !Number.isFinite(Date.parse(s.fireAt))) throw new Error(`schedules: expected {name, at, fireAt, event}, got ${JSON.stringify(s).slice(0, 200)}`);
      if (!this.schedules.has(s.name)) this.add(structuredClone(s));
    }
  }

  private add(schedule: PendingSchedule): void {
    const timerId = this.clock.setTimer(Date.parse(schedule.fireAt), () => this.fire(schedule.name), `schedule:${schedule.name}`);
    this.schedules.set(schedule.name, { schedule, timerId });
  }

  private fire(name: string): void {
    const entry = this.schedules.get(name);
    if (!entry) return;
    this.schedules.delete(name);
    this.fired += 1;
    this.publish([entry.schedule.event]).catch((err) => this.onError(err, entry.schedule));
  }
}
