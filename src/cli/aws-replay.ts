/**
 * `aurora-restore replay --aws`: an EventBridge archive replay limited to the operations that have not
 * ended (AwsFilteredReplay: temporary rules narrowed to the replay and to those operations, which the
 * step queues' policies admit by name), followed to its end, and cleaned up. Everything it needs comes
 * from the stack's outputs: ARCHIVE_ARN and EVENT_BUS_ARN (the stage, the region, the account and every
 * name follow from the bus ARN: src/infra/template/common.ts namesFor), DYNAMODB_TABLE_NAME optionally.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SUBSCRIPTIONS } from '../events/subscriptions';
import { sdkClientOptions } from '../lib/aws/client-options';
import { SERVICE_NAME } from '../lib/aws/compose';
import type { ReplayStatus } from '../lib/aws/event-bus';
import { AwsFilteredReplay } from '../lib/aws/replay-filter';
import { StateStore } from '../lib/state-store';
import { isTerminal } from '../schemas/operation-state';
import { namesFor } from '../infra/template/common';

export class ReplayUsageError extends Error {}

export interface AwsReplayOptions {
  from: Date;
  to: Date;
  operationId?: string;
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Clients (tests pass mocked ones). */
  eventBridge?: EventBridgeClient;
  dynamo?: DynamoDBDocumentClient;
  now?: () => Date;
}

/** `arn:aws:events:us-east-1:123456789012:event-bus/aurora-restore-dev` → its parts and the stage's names. */
export function stackOfBus(eventBusArn: string) {
  const m = /^arn:(aws[a-z-]*):events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/.exec(eventBusArn);
  if (!m) throw new ReplayUsageError(`EVENT_BUS_ARN: expected arn:aws:events:<region>:<account>:event-bus/<name>, got ${JSON.stringify(eventBusArn)}`);
  const [, partition, region, account, bus] = m as unknown as [string, string, string, string, string];
  if (!bus.startsWith(`${SERVICE_NAME}-`)) throw new ReplayUsageError(`EVENT_BUS_ARN: expected the pipeline bus ${SERVICE_NAME}-<stage>, got ${bus}`);
  const names = namesFor(bus.slice(SERVICE_NAME.length + 1));
  const queueArns = Object.fromEntries(SUBSCRIPTIONS.map((s) => [s.step, `arn:${partition}:sqs:${region}:${account}:${names.queue(s.step)}`]));
  return { partition, region, account, names, queueArns };
}

/** Runs the replay to its end; returns its final status (undefined when there was nothing to replay). */
export async function replayOnAws(o: AwsReplayOptions): Promise<ReplayStatus | undefined> {
  const archiveArn = o.env.ARCHIVE_ARN;
  const eventBusArn = o.env.EVENT_BUS_ARN;
  if (!archiveArn || !eventBusArn) throw new ReplayUsageError('--aws: set ARCHIVE_ARN and EVENT_BUS_ARN (the stack outputs ArchiveArn and EventBusArn)');
  const stack = stackOfBus(eventBusArn);
  let operationIds: string[];
  if (o.operationId) operationIds = [o.operationId];
  else {
    const dynamo = o.dynamo ?? DynamoDBDocumentClient.from(new DynamoDBClient(sdkClientOptions({ region: stack.region })));
    const store = new StateStore({ dynamo, tableName: o.env.DYNAMODB_TABLE_NAME || stack.names.stateTable, ttlDays: 1 });
    operationIds = (await store.list()).filter((s) => !isTerminal(s.status)).map((s) => s.operation_id);
  }
  if (operationIds.length === 0) {
    o.out('nothing to replay: no operation is open');
    return undefined;
  }
  const name = `${SERVICE_NAME}-${(o.now ?? (() => new Date()))().getTime()}`;
  const replay = new AwsFilteredReplay({
    client: o.eventBridge ?? new EventBridgeClient(sdkClientOptions({ region: stack.region })),
    eventBusName: stack.names.bus,
  });
  o.out(`replay ${name}: ${operationIds.length} open operation(s), ${o.from.toISOString()} → ${o.to.toISOString()}`);
  const result = await replay.run({
    name,
    archiveArn,
    eventBusArn,
    from: o.from,
    to: o.to,
    operationIds,
    queueArns: stack.queueArns,
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    ...(o.sleep ? { sleep: o.sleep } : {}),
    onStatus: (s) => o.out(`replay ${name}: ${s.state}${s.stateReason ? ` (${s.stateReason})` : ''}${s.lastReplayedAt ? `, replayed up to ${s.lastReplayedAt}` : ''}`),
  });
  o.out(`replay ${name}: ${result.rules.length} temporary rule(s) removed`);
  return result.replay;
}

/** Nothing to replay, or a replay that COMPLETED (not CANCELLED or FAILED). */
export const replaySucceeded = (s: ReplayStatus | undefined) => !s || s.state === 'COMPLETED';
