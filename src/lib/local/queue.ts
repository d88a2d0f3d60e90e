import { randomUUID } from 'node:crypto';
import type { VirtualClock } from './clock';
import { NO_FAULTS, type FaultPlan } from './faults';

/** A message as a consumer receives it. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** How many times this message has been received, this time included. */
  receiveCount: number;
  /** Virtual epoch ms when the message was sent. */
  sentAt: number;
  /** Virtual epoch ms of the first receive. */
  firstReceivedAt: number;
}

/** A message as the queue holds it (for inspection). */
export interface StoredMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  /** Virtual epoch ms from which the message can be received again. */
  visibleAt: number;
  inFlight: boolean;
  /** Name of the queue the message was moved from, for messages in a dead-letter queue. */
  deadLetterSource?: string;
}

interface Entry {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  firstReceivedAt?: number;
  visibleAt: number;
  receiptHandle?: string;
  timerId?: number;
  deadLetterSource?: string;
}

export interface LocalQueueOptions {
  name: string;
  clock: VirtualClock;
  /** How long a received message stays invisible before it is delivered again. */
  visibilityTimeoutMs: number;
  /** Receives after which the next receive moves the message to `deadLetter` (SQS redrive policy). */
  maxReceiveCount: number;
  deadLetter?: LocalQueue;
  faults?: FaultPlan;
}

/**
 * An SQS standard queue on the virtual clock: at-least-once delivery, visibility timeout,
 * redrive to a dead-letter queue after `maxReceiveCount` receives, optional duplicate delivery and
 * reordering faults. Receipt handles change at every receive; only the latest one deletes.
 */
export class LocalQueue {
  readonly name: string;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  readonly deadLetter?: LocalQueue;
  private readonly clock: VirtualClock;
  private readonly faults: FaultPlan;
  /** In send order; receive prefers the oldest visible messages, like a lightly loaded SQS queue. */
  private entries: Entry[] = [];

  constructor(options: LocalQueueOptions) {
    if (!options.name) throw new Error('name: expected a queue name');
    if (!(options.visibilityTimeoutMs >= 0)) throw new Error(`visibilityTimeoutMs: expected a non-negative number, got ${options.visibilityTimeoutMs}`);
    if (!(Number.isInteger(options.maxReceiveCount) && options.maxReceiveCount >= 1)) {
      throw new Error(`maxReceiveCount: expected an integer ≥ 1, got ${options.maxReceiveCount}`);
    }
    this.name = options.name;
    this.clock = options.clock;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs;
    this.maxReceiveCount = options.maxReceiveCount;
    this.deadLetter = options.deadLetter;
    this.faults = options.faults ?? NO_FAULTS;
  }

  /**
   * Sends a message; returns its id. With the duplicate-delivery fault, a second copy (its own
   * message id, as when EventBridge delivers an event twice) is enqueued too.
   */
  send(body: string, delayMs = 0): string {
    if (typeof body !== 'string') throw new Error(`body: expected a string, got ${typeof body}`);
    if (!(delayMs >= 0)) throw new Error(`delayMs: expected a non-negative number, got ${delayMs}`);
    const messageId = this.enqueue({ messageId: randomUUID(), body, sentAt: this.nowMs() }, delayMs);
    if (this.faults.duplicateDelivery(this.name)) this.enqueue({ messageId: randomUUID(), body, sentAt: this.nowMs() }, delayMs);
    return messageId;
  }

  /**
   * Receives up to `max` visible messages and hides them for the visibility timeout. A message
   * already received `maxReceiveCount` times is moved to the dead-letter queue instead.
   */
  receive(max = 10): ReceivedMessage[] {
    if (!(Number.isInteger(max) && max >= 1)) throw new Error(`max: expected an integer ≥ 1, got ${max}`);
    const now = this.nowMs();
    let candidates = this.entries.filter((e) => e.visibleAt <= now);
    if (candidates.length > 1 && this.faults.reorder(this.name)) candidates = this.faults.shuffle(candidates);
    const out: ReceivedMessage[] = [];
    for (const entry of candidates) {
      if (out.length >= max) break;
      if (this.deadLetter && entry.receiveCount >= this.maxReceiveCount) {
        this.remove(entry);
        this.deadLetter.enqueue({ messageId: entry.messageId, body: entry.body, sentAt: entry.sentAt, deadLetterSource: this.name });
        continue;
      }
      entry.receiveCount += 1;
      entry.firstReceivedAt ??= now;
      entry.receiptHandle = randomUUID();
      entry.visibleAt = now + this.visibilityTimeoutMs;
      if (entry.timerId !== undefined) this.clock.cancelTimer(entry.timerId);
      // A no-op timer: it tells the driver when this message becomes visible again.
      entry.timerId = this.clock.setTimer(entry.visibleAt, () => {}, `visible:${this.name}`);
      out.push({
        messageId: entry.messageId,
        receiptHandle: entry.receiptHandle,
        body: entry.body,
        receiveCount: entry.receiveCount,
        sentAt: entry.sentAt,
        firstReceivedAt: entry.firstReceivedAt,
      });
    }
    return out;
  }

  /** Deletes the message received with `receiptHandle`; false when the handle is stale or unknown. */
  delete(receiptHandle: string): boolean {
    const entry = this.entries.find((e) => e.receiptHandle === receiptHandle);
    if (!entry) return false;
    this.remove(entry);
    return true;
  }

  /** Makes a received message visible again after `timeoutMs` (0 = now), like ChangeMessageVisibility. */
  changeVisibility(receiptHandle: string, timeoutMs: number): boolean {
    const entry = this.entries.find((e) => e.receiptHandle === receiptHandle);
    if (!entry) return false;
    if (entry.timerId !== undefined) this.clock.cancelTimer(entry.timerId);
    entry.visibleAt = this.nowMs() + Math.max(0, timeoutMs);
    entry.timerId = this.clock.setTimer(entry.visibleAt, () => {}, `visible:${this.name}`);
    return true;
  }

  visibleCount(): number {
    const now = this.nowMs();
    return this.entries.filter((e) => e.visibleAt <= now).length;
  }

  inFlightCount(): number {
    return this.size() - this.visibleCount();
  }

  size(): number {
    return this.entries.length;
  }

  /** Every message in the queue, visible or in flight, without receiving it. */
  list(): StoredMessage[] {
    const now = this.nowMs();
    return this.entries.map((e) => ({
      messageId: e.messageId,
      body: e.body,
      receiveCount: e.receiveCount,
      sentAt: e.sentAt,
      visibleAt: e.visibleAt,
      inFlight: e.visibleAt > now,
      ...(e.deadLetterSource ? { deadLetterSource: e.deadLetterSource } : {}),
    }));
  }

  /** Removes and returns every message (like a purge that shows what it purged). */
  drain(): StoredMessage[] {
    const all = this.list();
    for (const e of [...this.entries]) this.remove(e);
    return all;
  }

  /** The queue's messages, for persistence between CLI invocations (same shape as `list()`). */
  toJSON(): StoredMessage[] {
    return this.list();
  }

  /**
   * Puts persisted messages back, keeping their ids, receive counts and visibility. A message that
   * was in flight when the previous process stopped becomes visible at its visibility deadline,
   * as SQS does after a consumer dies. Messages already present (same id) are skipped.
   */
  restore(messages: StoredMessage[]): void {
    for (const m of messages) {
      if (typeof m?.messageId !== 'string' || typeof m.body !== 'string' || !Number.isFinite(m.visibleAt)) {
        throw new Error(`${this.name}: expected persisted messages {messageId, body, receiveCount, sentAt, visibleAt}, got ${JSON.stringify(m).slice(0, 200)}`);
      }
      if (this.entries.some((e) => e.messageId === m.messageId)) continue;
      const entry: Entry = {
        messageId: m.messageId,
        body: m.body,
        receiveCount: m.receiveCount ?? 0,
        sentAt: m.sentAt,
        visibleAt: m.visibleAt,
        ...(m.deadLetterSource ? { deadLetterSource: m.deadLetterSource } : {}),
      };
      if (entry.visibleAt > this.nowMs()) entry.timerId = this.clock.setTimer(entry.visibleAt, () => {}, `visible:${this.name}`);
      this.entries.push(entry);
    }
  }

  private enqueue(input: { messageId: string; body: string; sentAt: number; deadLetterSource?: string }, delayMs = 0): string {
    const entry: Entry = { ...input, receiveCount: 0, visibleAt: this.nowMs() + delayMs };
    // A delayed message (SQS DelaySeconds): a no-op timer tells the driver when it becomes visible.
    if (delayMs > 0) entry.timerId = this.clock.setTimer(entry.visibleAt, () => {}, `delayed:${this.name}`);
    this.entries.push(entry);
    return input.messageId;
  }

  private remove(entry: Entry): void {
    if (entry.timerId !== undefined) this.clock.cancelTimer(entry.timerId);
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
