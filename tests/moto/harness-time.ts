/**
 * Time in the moto harness. Two things make the pipeline wait, and moto runs neither faster than the wall
 * clock: one-time schedules (moto's Scheduler never fires them) and SQS messages hidden by a visibility
 * timeout (a record that failed: the queue's visibility timeout; a record handed back: the seconds the
 * handler gave ChangeMessageVisibility). When nothing else can happen, the harness "advances time" to
 * the earliest of them, instead of waiting.
 *
 * The pipeline keeps reading the wall clock, so every due time here is first measured on it, and the
 * harness keeps `offsetMs`, how far it has moved time ahead so far: a thing made while the offset was o,
 * due at wall time t, is due at t + o in the harness's time. Advancing to the earliest thing moves the
 * offset to it (never back), so things come due in the order they would on AWS, whichever the kind.
 */

/** A message a poller received and has not deleted. */
export interface HiddenMessage {
  queueUrl: string;
  messageId: string;
  /** The receipt handle of its latest receive (the poller's). */
  receiptHandle: string;
  /** Wall time (ms) at which SQS makes it visible again. */
  visibleAtMs: number;
  /** The harness's offset when that was set. */
  offsetMs: number;
  why: 'visibility timeout' | 'handed back';
}

export interface PendingSchedule {
  name: string;
  /** Wall time (ms) of its `at()` expression. */
  atMs: number;
}

/**
 * A message a step sent itself with DelaySeconds (a re-check within 15 minutes). Moto delays it on the wall
 * clock, so the harness holds it and sends it (delay 0) when its time comes, as it fires schedules.
 */
export interface PendingDelayed {
  id: number;
  /** Wall time (ms) at which SQS would deliver it. */
  atMs: number;
  offsetMs: number;
  send: () => Promise<void>;
}

export type Due =
  | { kind: 'message'; message: HiddenMessage; dueMs: number }
  | { kind: 'schedule'; schedule: PendingSchedule; dueMs: number }
  | { kind: 'delayed'; delayed: PendingDelayed; dueMs: number };

export class HarnessTime {
  /** How far the harness has moved time ahead of the wall clock (ms). */
  offsetMs = 0;
  /** Each advance: what came due, and by how much it moved time (ms; 0 when it was already due). */
  readonly advances: { kind: Due['kind']; what: string; byMs: number }[] = [];
  private readonly hidden = new Map<string, HiddenMessage>();
  /** The offset when each schedule was first seen (it was made since the previous advance, under that offset). */
  private readonly scheduleOffsets = new Map<string, number>();
  private readonly delayed = new Map<number, PendingDelayed>();
  private nextDelayedId = 1;

  constructor(private readonly wallClock: () => number = Date.now) {}

  /** A poller received the message: it is hidden for the queue's visibility timeout, from now. */
  received(m: { queueUrl: string; messageId: string; receiptHandle: string; visibilityTimeoutSeconds: number }): void {
    // A message is received from one queue at a time (a redriven one keeps its id in its DLQ).
    for (const [handle, h] of this.hidden) if (h.messageId === m.messageId) this.hidden.delete(handle);
    this.hidden.set(m.receiptHandle, {
      queueUrl: m.queueUrl,
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      visibleAtMs: this.wallClock() + m.visibilityTimeoutSeconds * 1000,
      offsetMs: this.offsetMs,
      why: 'visibility timeout',
    });
  }

  /** The handler changed the message's visibility (a hand-back): visible `seconds` from now. */
  handedBack(receiptHandle: string, seconds: number): void {
    const h = this.hidden.get(receiptHandle);
    if (!h) return;
    h.visibleAtMs = this.wallClock() + seconds * 1000;
    h.offsetMs = this.offsetMs;
    h.why = 'handed back';
  }

  /** A step sent a delayed message: held until the harness's time reaches it (`send` delivers it then). */
  delayedSent(delaySeconds: number, send: () => Promise<void>): void {
    const id = this.nextDelayedId++;
    this.delayed.set(id, { id, atMs: this.wallClock() + delaySeconds * 1000, offsetMs: this.offsetMs, send });
  }

  /** The poller deleted the message (its record succeeded). */
  deleted(receiptHandle: string): void {
    this.hidden.delete(receiptHandle);
  }

  /** Messages still hidden on the wall clock. */
  hiddenMessages(): HiddenMessage[] {
    const now = this.wallClock();
    return [...this.hidden.values()].filter((h) => h.visibleAtMs > now);
  }

  /**
   * The earliest thing due, in the harness's time: a hidden message or a pending schedule (ties: the
   * message first, since it was already on its way). Undefined when there is neither.
   */
  earliest(schedules: PendingSchedule[]): Due | undefined {
    for (const s of schedules) if (!this.scheduleOffsets.has(s.name)) this.scheduleOffsets.set(s.name, this.offsetMs);
    const candidates: Due[] = [
      ...this.hiddenMessages().map((message) => ({ kind: 'message' as const, message, dueMs: message.visibleAtMs + message.offsetMs })),
      ...schedules.map((schedule) => ({ kind: 'schedule' as const, schedule, dueMs: schedule.atMs + this.scheduleOffsets.get(schedule.name)! })),
      ...[...this.delayed.values()].map((delayed) => ({ kind: 'delayed' as const, delayed, dueMs: delayed.atMs + delayed.offsetMs })),
    ];
    const rank = { message: 0, delayed: 1, schedule: 2 } as const;
    candidates.sort((a, b) => a.dueMs - b.dueMs || rank[a.kind] - rank[b.kind]);
    return candidates[0];
  }

  /**
   * Moves time to `due` (never back) and records it. The caller makes it happen now: ChangeMessageVisibility
   * to 0, or the schedule's event; a message made visible is no longer hidden.
   */
  advanceTo(due: Due): void {
    const byMs = Math.max(0, due.dueMs - (this.wallClock() + this.offsetMs));
    this.offsetMs += byMs;
    if (due.kind === 'message') {
      due.message.visibleAtMs = this.wallClock();
      this.advances.push({ kind: 'message', what: `${due.message.why}: ${due.message.messageId}`, byMs });
    } else if (due.kind === 'delayed') {
      this.delayed.delete(due.delayed.id);
      this.advances.push({ kind: 'delayed', what: `delayed message #${due.delayed.id}`, byMs });
    } else {
      this.scheduleOffsets.delete(due.schedule.name);
      this.advances.push({ kind: 'schedule', what: due.schedule.name, byMs });
    }
  }
}
