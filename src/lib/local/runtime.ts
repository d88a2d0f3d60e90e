import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Subscription } from '../../events/subscriptions';
import { DEAD_LETTER_STEP } from '../../events/subscriptions';
import type { VirtualClock } from './clock';
import type { LocalEventBus } from './bus';
import type { MessageQueue } from '../ports';
import type { FaultPlan } from './faults';
import { LocalQueue, type ReceivedMessage, type StoredMessage } from './queue';

/** A Lambda handler behind an SQS event source mapping. */
export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export const QUEUE_PREFIX = 'aurora-restore-';
const DEFAULT_FUNCTION_TIMEOUT_MS = 300_000;

export interface LocalRuntimeOptions {
  clock: VirtualClock;
  bus: LocalEventBus;
  subscriptions: Subscription[];
  /** Step name → handler, plus `dead-letter` for the messages of every step's DLQ. A step without a handler keeps its messages. */
  handlers: Partial<Record<string, SqsLambdaHandler>>;
  /** Default 6 × the function timeout (6 × 300 s), as on AWS. */
  visibilityTimeoutMs?: number;
  /** Visibility timeout of the dead-letter queues (consumed by the dead-letter function). Default: as the step queues. */
  deadLetterVisibilityTimeoutMs?: number;
  /** Receives before a message goes to the DLQ. Default 5. */
  maxReceiveCount?: number;
  /** Default: the bus region. */
  region?: string;
  faults?: FaultPlan;
  /** Lambda timeout reported by `context.getRemainingTimeInMillis()` (virtual). Default 300 s. */
  functionTimeoutMs?: number;
  /** DLQ → dead-letter handler settings. */
  deadLetterBatchSize?: number;
  deadLetterConcurrency?: number;
  /**
   * Real (wall-clock) ms the driver waits for an in-flight invocation to finish or sleep on the
   * virtual clock before it reports a stall. Default 120 s.
   */
  stallTimeoutMs?: number;
  /** Called when a handler throws (the whole batch stays in the queue). */
  onInvocationError?: (error: unknown, invocation: { step: string; messageIds: string[] }) => void;
  /** Called when a step sends itself a delayed message (a re-check within 15 minutes), with its body. */
  onDelayedMessage?: (body: string, delaySeconds: number) => void;
}

export interface StepQueues {
  queue: LocalQueue;
  deadLetter: LocalQueue;
}

export interface StepCounters {
  invocations: number;
  messages: number;
  /** Invocations that threw (their whole batch stayed in the queue). */
  errors: number;
  /** Records reported in batchItemFailures. */
  failedRecords: number;
}

export type RunStopReason = 'done' | 'idle' | 'max-virtual-time' | 'max-steps';

export interface RunSummary {
  reason: RunStopReason;
  /** Virtual time that passed during the run. */
  virtualMs: number;
  /** Clock advances made. */
  steps: number;
  /** Handler invocations and records delivered during the run, all steps. */
  invocations: number;
  messages: number;
}

export interface RunOptions {
  /** Stop before advancing the clock beyond start + maxVirtualMs. */
  maxVirtualMs?: number;
  /** Stop after this many clock advances. */
  maxSteps?: number;
}

interface Poller {
  /** The handler key (the step, or `dead-letter`). */
  step: string;
  queue: LocalQueue;
  arn: string;
  batchSize: number;
  maxConcurrency: number;
  inFlight: number;
}

/**
 * Runs the pipeline's Lambda handlers on this machine: one queue (+ DLQ) per subscription, one bus
 * rule per pattern (message body = the envelope JSON, as an EventBridge → SQS target delivers),
 * pollers that invoke handlers with real SQSEvent batches, partial batch failures, and a driver
 * that moves the virtual clock only when nothing can happen at the current instant.
 *
 * Virtual time advances only when every in-flight invocation is blocked in `clock.sleep` (or none
 * is in flight): handlers do real async I/O (dynalite over HTTP, PGlite over a socket), and time
 * must not jump while one of them awaits it. The check is `clock.sleepers >= in-flight`, so an
 * invocation that sleeps and does real I/O at the same moment (Promise.all) could let time move.
 */
export class LocalRuntime {
  readonly queues: Record<string, StepQueues> = {};
  /** The last invocation errors (at most 100), newest last. */
  readonly errors: { step: string; at: string; message: string }[] = [];
  private readonly clock: VirtualClock;
  private readonly bus: LocalEventBus;
  private readonly handlers: Partial<Record<string, SqsLambdaHandler>>;
  private readonly region: string;
  private readonly account: string;
  private readonly functionTimeoutMs: number;
  private readonly stallTimeoutMs: number;
  private readonly onInvocationError?: LocalRuntimeOptions['onInvocationError'];
  private readonly onDelayedMessage?: LocalRuntimeOptions['onDelayedMessage'];
  private readonly pollers: Poller[] = [];
  private readonly counters: Record<string, StepCounters> = {};
  private readonly inFlight = new Set<Promise<void>>();
  private readonly wakers = new Set<() => void>();

  constructor(options: LocalRuntimeOptions) {
    this.clock = options.clock;
    this.bus = options.bus;
    this.handlers = options.handlers;
    this.region = options.region ?? options.bus.region;
    this.account = options.bus.account;
    this.functionTimeoutMs = options.functionTimeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 120_000;
    this.onInvocationError = options.onInvocationError;
    this.onDelayedMessage = options.onDelayedMessage;
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? 6 * this.functionTimeoutMs;
    const deadLetterVisibilityMs = options.deadLetterVisibilityTimeoutMs ?? visibilityTimeoutMs;
    const maxReceiveCount = options.maxReceiveCount ?? 5;
    // Lambda: "Your function's timeout must be less than or equal to the queue's visibility timeout. Lambda
    // validates this requirement when you create or update an event source mapping and will return an error
    // if the function timeout exceeds the queue's visibility timeout." — for every consumed queue, DLQs too.
    for (const [what, ms] of [['step queues', visibilityTimeoutMs], ['dead-letter queues', deadLetterVisibilityMs]] as const) {
      if (ms < this.functionTimeoutMs) {
        throw Object.assign(
          new Error(`InvalidParameterValueException: Queue visibility timeout: ${ms / 1000} seconds is less than Function timeout: ${this.functionTimeoutMs / 1000} seconds (${what})`),
          { name: 'InvalidParameterValueException' },
        );
      }
    }

    const deadLetterPollers: Poller[] = [];
    for (const sub of options.subscriptions) {
      if (this.queues[sub.step]) throw new Error(`subscriptions: step ${sub.step} appears twice`);
      const name = `${QUEUE_PREFIX}${sub.step}`;
      const common = { clock: this.clock, visibilityTimeoutMs, faults: options.faults };
      const deadLetter = new LocalQueue({ ...common, name: `${name}-dlq`, visibilityTimeoutMs: deadLetterVisibilityMs, maxReceiveCount, faults: undefined });
      const queue = new LocalQueue({ ...common, name, maxReceiveCount, deadLetter });
      this.queues[sub.step] = { queue, deadLetter };
      this.pollers.push({ step: sub.step, queue, arn: this.queueArn(queue.name), batchSize: sub.batchSize, maxConcurrency: sub.maximumConcurrency, inFlight: 0 });
      deadLetterPollers.push({
        step: DEAD_LETTER_STEP,
        queue: deadLetter,
        arn: this.queueArn(deadLetter.name),
        batchSize: options.deadLetterBatchSize ?? 10,
        maxConcurrency: options.deadLetterConcurrency ?? 2,
        inFlight: 0,
      });
      for (const p of sub.patterns) {
        this.bus.addRule({
          name: `${name}-${p.name}`,
          pattern: p.pattern,
          target: (envelope) => {
            queue.send(JSON.stringify(envelope));
            this.wake();
          },
        });
      }
    }
    // DLQ pollers run after the step pollers in each pass, so a message redriven during a pass is delivered in it.
    this.pollers.push(...deadLetterPollers);
    for (const p of this.pollers) this.counters[p.step] ??= { invocations: 0, messages: 0, errors: 0, failedRecords: 0 };
  }

  queueArn(queueName: string): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${queueName}`;
  }

  /**
   * The `MessageQueue` port of the handlers: ChangeMessageVisibility on the queue (or DLQ) named by its
   * ARN. A stale receipt handle is refused as SQS refuses it (ReceiptHandleIsInvalid).
   */
  readonly messageQueue: MessageQueue = {
    changeVisibility: async ({ queueArn, receiptHandle, seconds }) => {
      const queue = this.pollers.find((p) => p.arn === queueArn)?.queue;
      if (!queue) throw Object.assign(new Error(`The specified queue ${queueArn} does not exist.`), { name: 'QueueDoesNotExist' });
      if (!(seconds >= 0 && seconds <= 43_200)) {
        throw Object.assign(new Error(`Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`), { name: 'InvalidParameterValue' });
      }
      if (!queue.changeVisibility(receiptHandle, seconds * 1000)) {
        throw Object.assign(new Error(`The receipt handle ${receiptHandle} is not valid for this message.`), { name: 'ReceiptHandleIsInvalid' });
      }
      this.wake();
    },
    sendDelayed: async ({ queueArn, body, delaySeconds }) => {
      const queue = this.pollers.find((p) => p.arn === queueArn)?.queue;
      if (!queue) throw Object.assign(new Error(`The specified queue ${queueArn} does not exist.`), { name: 'QueueDoesNotExist' });
      // "Valid values: 0 to 900. Maximum: 15 minutes." (SQS SendMessage, DelaySeconds)
      if (!(Number.isInteger(delaySeconds) && delaySeconds >= 0 && delaySeconds <= 900)) {
        throw Object.assign(new Error(`Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: Must be >= 0 and <= 900.`), { name: 'InvalidParameterValue' });
      }
      queue.send(body, delaySeconds * 1000);
      this.onDelayedMessage?.(body, delaySeconds);
      this.wake();
    },
  };

  /** Per step (and `dead-letter`): invocations, messages delivered, errors. A copy. */
  stats(): Record<string, StepCounters> {
    return structuredClone(this.counters);
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Messages of every queue and DLQ by queue name, for persistence between CLI invocations. */
  toJSON(): Record<string, StoredMessage[]> {
    const out: Record<string, StoredMessage[]> = {};
    for (const { queue, deadLetter } of Object.values(this.queues)) {
      out[queue.name] = queue.toJSON();
      out[deadLetter.name] = deadLetter.toJSON();
    }
    return out;
  }

  /** Puts persisted messages back into their queues (unknown queue names are an error). */
  restore(saved: Record<string, StoredMessage[]>): void {
    const byName = new Map(Object.values(this.queues).flatMap(({ queue, deadLetter }) => [[queue.name, queue], [deadLetter.name, deadLetter]] as const));
    for (const [name, messages] of Object.entries(saved)) {
      const queue = byName.get(name);
      if (!queue) throw new Error(`queues: expected one of ${[...byName.keys()].join(', ')}, got ${name}`);
      queue.restore(messages);
    }
  }

  /** Every message currently in a dead-letter queue, with the step whose queue it came from. */
  deadLettered(): { step: string; messageId: string; body: string }[] {
    return Object.entries(this.queues).flatMap(([step, q]) => q.deadLetter.list().map((m) => ({ step, messageId: m.messageId, body: m.body })));
  }

  /**
   * Delivers messages and advances the virtual clock until `done()` is true, the runtime is idle
   * (no timer, nothing in flight), or a limit is reached.
   */
  async runUntil(done: () => boolean | Promise<boolean>, options: RunOptions = {}): Promise<RunSummary> {
    const startMs = this.clock.now().getTime();
    const maxVirtualMs = options.maxVirtualMs ?? Infinity;
    const maxSteps = options.maxSteps ?? Infinity;
    const before = this.totals();
    let steps = 0;
    let reason: RunStopReason;
    for (;;) {
      await this.settle();
      if (await done()) {
        reason = 'done';
        break;
      }
      const next = this.clock.nextTimerAt();
      if (next === undefined) {
        if (this.inFlight.size === 0) {
          reason = 'idle';
          break;
        }
        throw new Error(`runtime: ${this.inFlight.size} invocation(s) in flight (${this.inFlightSteps()}) wait on the virtual clock but no timer is set`);
      }
      if (next - startMs > maxVirtualMs) {
        this.clock.advanceTo(startMs + maxVirtualMs);
        reason = 'max-virtual-time';
        break;
      }
      if (steps >= maxSteps) {
        reason = 'max-steps';
        break;
      }
      this.clock.advanceTo(next);
      steps += 1;
    }
    const after = this.totals();
    return {
      reason,
      virtualMs: this.clock.now().getTime() - startMs,
      steps,
      invocations: after.invocations - before.invocations,
      messages: after.messages - before.messages,
    };
  }

  /** Runs until nothing is in flight and no timer is set. */
  runUntilIdle(options: RunOptions = {}): Promise<RunSummary> {
    return this.runUntil(() => false, options);
  }

  // ------------------------------------------------------------ delivery

  /**
   * Delivers everything deliverable at the current instant and waits until every in-flight
   * invocation has finished or is asleep on the virtual clock.
   */
  private async settle(): Promise<void> {
    for (;;) {
      this.deliver();
      const quiet = this.inFlight.size === 0 || (this.clock.sleepers >= this.inFlight.size && !this.hasDeliverable());
      if (quiet) {
        // Let promise continuations (a timer's publish, a handler's last step) run, then look again.
        const marker = this.marker();
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.deliver();
        const stillQuiet = this.inFlight.size === 0 || (this.clock.sleepers >= this.inFlight.size && !this.hasDeliverable());
        if (stillQuiet && marker === this.marker()) return;
        continue;
      }
      await this.waitForProgress();
    }
  }

  /** Something that changes when work happened: in-flight count, sleepers, visible messages. */
  private marker(): string {
    return `${this.inFlight.size}/${this.clock.sleepers}/${this.pollers.reduce((n, p) => n + p.queue.visibleCount(), 0)}`;
  }

  private deliver(): void {
    let started: number;
    do {
      started = 0;
      for (const poller of this.pollers) {
        const handler = this.handlers[poller.step];
        if (!handler) continue;
        while (poller.inFlight < poller.maxConcurrency) {
          const messages = poller.queue.receive(poller.batchSize);
          if (messages.length === 0) break;
          this.invoke(poller, handler, messages);
          started += 1;
        }
      }
    } while (started > 0);
  }

  private hasDeliverable(): boolean {
    return this.pollers.some((p) => this.handlers[p.step] && p.inFlight < p.maxConcurrency && p.queue.visibleCount() > 0);
  }

  private invoke(poller: Poller, handler: SqsLambdaHandler, messages: ReceivedMessage[]): void {
    const records = messages.map((m) => this.record(poller, m));
    const context = this.context(poller.step);
    const counters = this.counters[poller.step];
    counters.invocations += 1;
    counters.messages += messages.length;
    poller.inFlight += 1;
    const run = async () => {
      let failed: Set<string> | 'all';
      try {
        const response = await handler({ Records: records }, context);
        failed = batchFailures(response, records);
        if (failed !== 'all') counters.failedRecords += failed.size;
      } catch (error) {
        failed = 'all';
        counters.errors += 1;
        this.recordError(poller.step, error, messages);
      }
      if (failed === 'all') return;
      for (const m of messages) if (!failed.has(m.messageId)) poller.queue.delete(m.receiptHandle);
    };
    const invocation: Promise<void> = run().finally(() => {
      poller.inFlight -= 1;
      this.inFlight.delete(invocation);
      this.wake();
    });
    this.inFlight.add(invocation);
  }

  private recordError(step: string, error: unknown, messages: ReceivedMessage[]): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.errors.push({ step, at: this.clock.now().toISOString(), message });
    if (this.errors.length > 100) this.errors.shift();
    try {
      this.onInvocationError?.(error, { step, messageIds: messages.map((m) => m.messageId) });
    } catch {
      /* an observer's failure must not break delivery */
    }
  }

  private record(poller: Poller, m: ReceivedMessage): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'AROAEVENTBRIDGELOCAL:events',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: poller.arn,
      awsRegion: this.region,
    };
  }

  private context(step: string): Context {
    const functionName = `${QUEUE_PREFIX}${step}`;
    const deadline = this.clock.now().getTime() + this.functionTimeoutMs;
    const noop = () => {};
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.region}:${this.account}:function:${functionName}`,
      memoryLimitInMB: '256',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - this.clock.now().getTime()),
      done: noop,
      fail: noop,
      succeed: noop,
    };
  }

  /** Waits until an invocation finishes, a sleeper count changes or a message arrives; reports a stall after stallTimeoutMs of real time. */
  private async waitForProgress(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let offSleepers: (() => void) | undefined;
    let waker: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        waker = resolve;
        this.wakers.add(resolve);
        offSleepers = this.clock.onSleepersChange(resolve);
        timer = setTimeout(
          () => reject(new Error(`runtime: invocation(s) of ${this.inFlightSteps()} neither finished nor slept on the virtual clock for ${this.stallTimeoutMs} ms of real time`)),
          this.stallTimeoutMs,
        );
        timer.unref();
      });
    } finally {
      clearTimeout(timer);
      offSleepers?.();
      if (waker) this.wakers.delete(waker);
    }
  }

  /** An invocation ended or a message arrived: wake the driver. */
  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private inFlightSteps(): string {
    return this.pollers.filter((p) => p.inFlight > 0).map((p) => `${p.step}×${p.inFlight}`).join(', ') || 'none';
  }

  private totals(): { invocations: number; messages: number } {
    return Object.values(this.counters).reduce((t, c) => ({ invocations: t.invocations + c.invocations, messages: t.messages + c.messages }), { invocations: 0, messages: 0 });
  }
}

/**
 * The records to keep from a handler's response. Like Lambda, an itemIdentifier that is empty or
 * names no record of the batch fails the whole batch.
 */
function batchFailures(response: SQSBatchResponse | void, records: SQSRecord[]): Set<string> | 'all' {
  const failures = response && Array.isArray(response.batchItemFailures) ? response.batchItemFailures : [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const f of failures) {
    if (!f || typeof f.itemIdentifier !== 'string' || !ids.has(f.itemIdentifier)) return 'all';
    failed.add(f.itemIdentifier);
  }
  return failed;
}
