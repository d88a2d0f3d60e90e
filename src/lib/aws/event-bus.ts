import {
  DescribeReplayCommand,
  EventBridgeClient,
  PutEventsCommand,
  StartReplayCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { DomainEvent } from '../../events/catalogue';
import { putEventsBatches, toPutEventsEntry } from '../../events/envelope';
import type { Clock, EventBus } from '../ports';
import { sdkClientOptions } from './client-options';
import { systemClock } from './system-clock';


export interface AwsEventBusOptions {
  eventBusName: string;
  client?: EventBridgeClient;
  /** Waits between retries of failed entries (a virtual clock in tests). */
  clock?: Clock;
  /** Retries of the failed entries of a batch before giving up (default 3). */
  maxRetries?: number;
  /** First wait before retrying failed entries; doubles on each retry (default 200 ms). */
  baseDelayMs?: number;
  maxAttempts?: number;
}

/**
 * Thrown when some entries still fail after the retries. `code` is the first failed entry's
 * EventBridge ErrorCode, so `classifyError` sees ThrottlingException / InternalFailure as retryable.
 */
export class PutEventsFailedError extends Error {
  constructor(
    readonly failures: { detailType: string; errorCode: string; errorMessage?: string }[],
    readonly code = failures[0]?.errorCode ?? 'PutEventsFailed',
  ) {
    super(
      `PutEvents: ${failures.length} entr${failures.length === 1 ? 'y' : 'ies'} failed: ` +
        failures.map((f) => `${f.detailType} (${f.errorCode}${f.errorMessage ? `: ${f.errorMessage}` : ''})`).join(', '),
    );
    this.name = 'PutEventsFailedError';
  }
}

/**
 * The pipeline bus on EventBridge. A PutEvents call can succeed with some entries failed
 * (FailedEntryCount, per-entry ErrorCode, results in request order): only those entries are sent
 * again, with exponential backoff, a bounded number of times. A rejected call (throttling of the
 * whole request) is already retried by the SDK's adaptive retry and then propagates unchanged.
 */
export class AwsEventBus implements EventBus {
  private readonly client: EventBridgeClient;
  private readonly clock: Clock;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;

  constructor(private readonly options: AwsEventBusOptions) {
    this.client = options.client ?? new EventBridgeClient(sdkClientOptions({ maxAttempts: options.maxAttempts }));
    this.clock = options.clock ?? systemClock;
    this.maxRetries = options.maxRetries ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 200;
  }

  async publish(events: DomainEvent[]): Promise<void> {
    for (const batch of putEventsBatches(events.map((e) => toPutEventsEntry(e, this.options.eventBusName)))) await this.putBatch(batch);
  }

  private async putBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; ; attempt++) {
      const out = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!out.FailedEntryCount) return;
      const failed: { entry: PutEventsRequestEntry; result: PutEventsResultEntry }[] = [];
      pending.forEach((entry, i) => {
        const result = out.Entries?.[i];
        // An entry without a result is treated as failed: it cannot be shown to have been accepted.
        if (!result || result.ErrorCode || !result.EventId) failed.push({ entry, result: result ?? { ErrorCode: 'MissingResult' } });
      });
      if (failed.length === 0) return;
      if (attempt >= this.maxRetries) {
        throw new PutEventsFailedError(
          failed.map(({ entry, result }) => ({
            detailType: entry.DetailType ?? '(unknown)',
            errorCode: result.ErrorCode ?? 'Unknown',
            ...(result.ErrorMessage ? { errorMessage: result.ErrorMessage } : {}),
          })),
        );
      }
      await this.clock.sleep(this.baseDelayMs * 2 ** attempt);
      pending = failed.map((f) => f.entry);
    }
  }
}

export interface ReplayRequest {
  /** The archive the events come from. */
  archiveArn: string;
  /** The bus they are replayed to (the archive's own bus). */
  eventBusArn: string;
  from: Date;
  to: Date;
  /** Unique replay name (it appears as `replay-name` on replayed events). */
  name: string;
  /** Limit the replay to these rules. */
  ruleArns?: string[];
}

export interface ReplayStatus {
  name: string;
  arn?: string;
  /** STARTING | RUNNING | CANCELLING | COMPLETED | CANCELLED | FAILED */
  state: string;
  stateReason?: string;
  lastReplayedAt?: string;
}

export interface AwsArchiveReplayOptions {
  client?: EventBridgeClient;
  maxAttempts?: number;
}

/** Replays archived pipeline events back onto the bus (recovery after a consumer bug or outage). */
export class AwsArchiveReplay {
  private readonly client: EventBridgeClient;

  constructor(options: AwsArchiveReplayOptions = {}) {
    this.client = options.client ?? new EventBridgeClient(sdkClientOptions({ maxAttempts: options.maxAttempts }));
  }

  async startReplay(r: ReplayRequest): Promise<ReplayStatus> {
    if (!(r.from.getTime() < r.to.getTime())) throw new Error(`to: expected a time after from (${r.from.toISOString()}), got ${r.to.toISOString()}`);
    const out = await this.client.send(
      new StartReplayCommand({
        ReplayName: r.name,
        EventSourceArn: r.archiveArn,
        EventStartTime: r.from,
        EventEndTime: r.to,
        Destination: { Arn: r.eventBusArn, ...(r.ruleArns?.length ? { FilterArns: r.ruleArns } : {}) },
      }),
    );
    return {
      name: r.name,
      ...(out.ReplayArn ? { arn: out.ReplayArn } : {}),
      state: out.State ?? 'STARTING',
      ...(out.StateReason ? { stateReason: out.StateReason } : {}),
    };
  }

  async describeReplay(name: string): Promise<ReplayStatus> {
    const out = await this.client.send(new DescribeReplayCommand({ ReplayName: name }));
    return {
      name: out.ReplayName ?? name,
      ...(out.ReplayArn ? { arn: out.ReplayArn } : {}),
      state: out.State ?? 'unknown',
      ...(out.StateReason ? { stateReason: out.StateReason } : {}),
      ...(out.EventLastReplayedTime ? { lastReplayedAt: new Date(out.EventLastReplayedTime).toISOString() } : {}),
    };
  }
}
