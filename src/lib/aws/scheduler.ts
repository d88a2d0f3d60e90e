import { createHash } from 'node:crypto';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { EVENT_SOURCE, type DomainEvent } from '../../events/catalogue';
import { isFault } from '../errors';
import type { RecheckScheduler } from '../ports';
import { sdkClientOptions } from './client-options';

export interface AwsRecheckSchedulerOptions {
  /** Schedule group (SCHEDULER_GROUP_NAME). */
  groupName: string;
  /** Role EventBridge Scheduler assumes to put events on the bus (SCHEDULER_ROLE_ARN). */
  roleArn: string;
  /** The pipeline bus (EVENT_BUS_ARN). */
  eventBusArn: string;
  /**
   * SQS queue for events the schedule could not deliver after its retries (SCHEDULER_DLQ_ARN); none when
   * empty. "When a schedule fails to invoke its target, EventBridge Scheduler delivers a JSON payload …
   * to an Amazon SQS standard queue that you specify" (EventBridge Scheduler user guide).
   */
  deadLetterArn?: string;
  client?: SchedulerClient;
  maxAttempts?: number;
}

const MAX_NAME = 64;
const INVALID_NAME_CHARS = /[^0-9a-zA-Z\-_.]/g;

/**
 * A valid, deterministic schedule name: at most 64 characters of [0-9a-zA-Z-_.]. A name that had to
 * be changed (too long or with other characters) ends with a hash of the original, so two different
 * requested names never map to the same schedule.
 */
export function scheduleName(name: string): string {
  const cleaned = name.replace(INVALID_NAME_CHARS, '-');
  if (cleaned === name && name.length > 0 && name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${cleaned.slice(0, MAX_NAME - hash.length - 1)}-${hash}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded UP to the whole minute (Scheduler has one-minute precision; never early). */
export function atExpression(at: Date): string {
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw new Error('at: expected a valid Date');
  const rounded = new Date(Math.ceil(ms / 60_000) * 60_000);
  return `at(${rounded.toISOString().slice(0, 19)})`;
}

/**
 * One-time re-check schedules on EventBridge Scheduler: at the given time the schedule puts the
 * domain event on the pipeline bus (templated EventBridge target), then deletes itself. Idempotent
 * by name: ConflictException (a schedule of that name exists) is success, as is cancelling a
 * schedule that no longer exists (it fired and deleted itself, or was never armed).
 */
export class AwsRecheckScheduler implements RecheckScheduler {
  private readonly client: SchedulerClient;

  constructor(private readonly options: AwsRecheckSchedulerOptions) {
    for (const [field, env] of [
      ['groupName', 'SCHEDULER_GROUP_NAME'],
      ['roleArn', 'SCHEDULER_ROLE_ARN'],
      ['eventBusArn', 'EVENT_BUS_ARN'],
    ] as const) {
      if (!options[field]) throw new Error(`${field} (${env}): required for EventBridge Scheduler, got an empty value`);
    }
    this.client = options.client ?? new SchedulerClient(sdkClientOptions({ maxAttempts: options.maxAttempts }));
  }

  async scheduleOnce(input: { name: string; at: Date; event: DomainEvent }): Promise<void> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          GroupName: this.options.groupName,
          Name: scheduleName(input.name),
          ScheduleExpression: atExpression(input.at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.options.eventBusArn,
            RoleArn: this.options.roleArn,
            EventBridgeParameters: { DetailType: input.event.type, Source: EVENT_SOURCE },
            Input: JSON.stringify(input.event.detail),
            ...(this.options.deadLetterArn ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } } : {}),
          },
        }),
      );
    } catch (err) {
      if (isFault(err, 'ConflictException')) return;
      throw err;
    }
  }

  async cancel(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ GroupName: this.options.groupName, Name: scheduleName(name) }));
    } catch (err) {
      if (isFault(err, 'ResourceNotFoundException')) return;
      throw err;
    }
  }
}
