/**
 * "AWS mode on moto": the pipeline's REAL Lambda handlers and REAL AWS adapters against moto_server,
 * driven like Lambda's SQS event source mappings would drive them. The one substitution is the database
 * port: moto's cluster endpoints are not hosts, so setup-db-users' PgDatabaseAdmin dials a local PGlite
 * server instead (the same class the Lambda uses, with `resolveHost`).
 *
 * What moto does not do, the harness does, each in one place:
 * - Lambda's SQS polling: `EventSourcePoller` (ReceiveMessage with the mapping's batch size, real SQSEvent
 *   records, partial batch failures; visibility timeout and redrive to the DLQ are moto's own).
 * - Time: when nothing else can happen, `HarnessTime` (harness-time.ts) "advances" to the earliest thing
 *   due, without sleeping: a one-time schedule (moto's Scheduler never fires: `fireSchedule` puts its
 *   event) or a message hidden by a visibility timeout or a hand-back (ChangeMessageVisibility to 0 with
 *   the receipt handle the poller holds).
 * - RDS events: `RdsEventSource` (rds-world.ts), derived from Describe results, on each region's default
 *   bus; the forwarder stacks (one per TARGET_REGIONS region) bring them to the pipeline bus.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SubscribeCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { domainEvent } from '../../src/events/catalogue';
import { RDS_SOURCE } from '../../src/events/rds';
import { createHandlers } from '../../src/handlers';
import type { FunctionName } from '../../src/infra/permissions';
import { ALL_ADAPTERS, composeAwsDependencies, type AdapterName, type AwsAdapters, type AwsDependencies } from '../../src/lib/aws/dependencies';
import { AwsEventBus } from '../../src/lib/aws/event-bus';
import { AuditLog } from '../../src/lib/audit-log';
import { PgDatabaseAdmin } from '../../src/lib/db-admin';
import type { MessageQueue } from '../../src/lib/ports';
import type { AuditEvent } from '../../src/schemas/audit-event';
import { startLocalPostgres, seedDemoSchema, type LocalPostgres } from '../../src/lib/local/pglite';
import { StateStore } from '../../src/lib/state-store';
import { loadConfig } from '../../src/schemas/config';
import { newOperationId } from '../../src/schemas/identifiers';
import { isTerminal, type OperationState } from '../../src/schemas/operation-state';
import { restoreRequest, type RestoreRequestInput } from '../../src/schemas/restore-request';
import { HarnessTime, type Due } from './harness-time';
import type { MotoServer } from './moto-server';
import { RdsEventSource } from './rds-world';
import { accountOf, createKmsKey, provisionForwarder, provisionStack, removeForwarder, type EventSourceMapping, type ProvisionedForwarder, type ProvisionedStack } from './stack';

/**
 * Stage parameters of the moto stack (serverless.yml `params`). TARGET_REGIONS: the regions of
 * `targetKeys` (the scenario's regions other than the pipeline's). Short LAMBDA_TIMEOUT_SECONDS: the
 * claim lease of a step is that long on the wall clock, which the harness does not advance; the queues'
 * visibility timeout (6 ×) it does advance. Short in-process retries: those are real waits.
 */
export function motoStageParams(o: { pipelineKeyArn: string; targetKeys?: Record<string, string>; overrides?: Record<string, unknown> }): Record<string, unknown> {
  return {
    KMS_KEY_ID: o.pipelineKeyArn,
    VPC_ID: 'vpc-0000000a',
    SUBNET_IDS: 'subnet-0000000a,subnet-0000000b',
    SECURITY_GROUP_IDS: 'sg-0000000a',
    LOG_LEVEL: process.env.AURORA_MOTO_LOG_LEVEL ?? 'SILENT',
    LAMBDA_TIMEOUT_SECONDS: 2,
    RETRY_INTERVAL_SECONDS: 0.05,
    MAX_RECEIVE_COUNT: 5,
    TARGET_REGIONS: Object.keys(o.targetKeys ?? {}).join(','),
    TARGET_KMS_KEYS: Object.entries(o.targetKeys ?? {})
      .map(([r, k]) => `${r}=${k}`)
      .join(','),
    ...o.overrides,
  };
}

export interface MotoPipelineOptions {
  moto: MotoServer;
  /** The pipeline's region (the stack's). */
  region: string;
  /** Every region the scenario touches (RDS is described and its events emitted in each). */
  regions: string[];
  /** Extra stage parameters. */
  params?: Record<string, unknown>;
  /** Deploy the forwarder stack in each of TARGET_REGIONS (default true), as docs/deploy.md says to. */
  forwarders?: boolean;
  /** Where setup-db-users' PgDatabaseAdmin dials; default: the PGlite server. (A closed port: the database is down.) */
  databaseAddress?: { host: string; port: number };
  /** PGlite, when the caller started it already (its WebAssembly start-up takes seconds: start it first, beside moto). */
  postgres?: Promise<LocalPostgres>;
}

/** PGlite with the demo schema, served on loopback: the restored cluster's PostgreSQL. */
export async function startClusterPostgres(): Promise<LocalPostgres> {
  const pg = await startLocalPostgres();
  await seedDemoSchema(pg.pglite);
  return pg;
}

export interface Notification {
  subject: string;
  message: string;
  attributes: Record<string, string>;
}

export interface RunResult {
  state: OperationState;
  rounds: number;
  invocations: number;
  schedulesFired: number;
  rdsEvents: number;
  /** Hidden messages the harness made visible instead of waiting for them. */
  messagesAdvanced: number;
  /** Delayed SQS messages (re-checks within 15 minutes) the harness delivered when their time came. */
  delayedDelivered: number;
  /** How far the harness moved time ahead during the run (seconds). */
  secondsAdvanced: number;
  /** Quiet rounds spent waiting on the wall clock for a hidden message the harness had no due time for. */
  realWaits: number;
}

/** A record delivered to a function: its event (a pipeline event's detail-type, or an RDS event's EventID). */
export interface Delivery {
  fn: FunctionName;
  /** `RecheckDue`, `ClusterRestoreStarted`, … or `RDS-EVENT-0170`, … */
  trigger: string;
  operationId?: string;
  /** For an RDS event: the resource's region (from SourceArn). */
  rdsRegion?: string;
  sourceIdentifier?: string;
}

/** One Lambda function behind its SQS event source mapping(s). */
class EventSourcePoller {
  invocations = 0;
  errors: string[] = [];

  constructor(
    private readonly sqs: SQSClient,
    readonly mapping: EventSourceMapping,
    private readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>,
    private readonly region: string,
    private readonly account: string,
    private readonly time: HarnessTime,
    /** The queue's VisibilityTimeout (what hides a received message until it is deleted or handed back). */
    private readonly visibilityTimeoutSeconds: number,
    /** Where every poller logs what it delivered (shared: one delivery order). */
    private readonly deliveries: Delivery[],
  ) {}

  /** Bodies the poller had to complete (see `completeEnvelope`). */
  completedBodies = 0;

  /** Receives one batch and invokes the function with it; returns how many records were delivered. */
  async pollOnce(): Promise<number> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.mapping.queueUrl,
        MaxNumberOfMessages: Math.min(10, this.mapping.batchSize),
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return 0;
    for (const m of messages) {
      this.time.received({ queueUrl: this.mapping.queueUrl, messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, visibilityTimeoutSeconds: this.visibilityTimeoutSeconds });
    }
    const records = messages.map((m) => this.record(m));
    this.invocations += 1;
    for (const r of records) this.deliveries.push(deliveryOf(this.mapping.fn, r.body));
    let failed: Set<string> | 'all';
    try {
      const response = await this.handler({ Records: records }, this.context());
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (e) {
      // A thrown error fails the whole batch: nothing is deleted, SQS redelivers after the visibility timeout.
      failed = 'all';
      this.errors.push(`${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    if (failed !== 'all') {
      const done = messages.filter((m) => !(failed as Set<string>).has(m.MessageId!));
      if (done.length) {
        const del = await this.sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: this.mapping.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
        );
        if (del.Failed?.length) throw new Error(`DeleteMessageBatch on ${this.mapping.queueUrl}: ${JSON.stringify(del.Failed)}`);
        for (const m of done) this.time.deleted(m.ReceiptHandle!);
      }
    }
    return messages.length;
  }

  /**
   * moto bug, worked around here only: a rule target without an InputTransformer gets moto's default
   * template (events/utils.py DEFAULT_EVENT_INPUT_TEMPLATE), which leaves out `account`. EventBridge's
   * event structure reference: "The following fields appear in all events delivered to an event bus"
   * — version, id, detail-type, source, account, time, region, resources, detail. So a delivered
   * envelope without `account` gets the stack's account; nothing else in the body is touched.
   */
  private completeEnvelope(body: string): string {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return body;
    }
    if (!json || typeof json !== 'object' || !('detail-type' in json) || 'account' in json) return body;
    this.completedBodies += 1;
    const { version, id, ...rest } = json;
    return JSON.stringify({ version, id, 'detail-type': rest['detail-type'], source: rest.source, account: this.account, ...rest });
  }

  private record(m: Message): SQSRecord {
    const a = m.Attributes ?? {};
    const body = this.completeEnvelope(m.Body ?? '');
    return {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body,
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
        SentTimestamp: a.SentTimestamp ?? String(Date.now()),
        SenderId: a.SenderId ?? 'AIDAEVENTBRIDGE',
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.mapping.queueArn,
      awsRegion: this.region,
    };
  }

  private context(): Context {
    const functionName = `aurora-restore-moto-${this.mapping.fn}`;
    const deadline = Date.now() + 300_000;
    const noop = () => {};
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.region}:${this.account}:function:${functionName}`,
      memoryLimitInMB: '256',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'moto',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: noop,
      fail: noop,
      succeed: noop,
    };
  }
}

export class MotoPipeline {
  readonly notifications: Notification[] = [];
  /** aws.rds events that reached the pipeline bus (a test rule on the bus copies them to a queue); `region`: the resource's (from SourceArn). */
  readonly rdsEventsOnPipelineBus: { eventId: string; sourceIdentifier: string; region: string }[] = [];
  readonly schedulesFired: { name: string; detailType: string; at: string }[] = [];

  private constructor(
    private readonly moto: MotoServer,
    readonly stack: ProvisionedStack,
    /** The forwarder stacks, one per TARGET_REGIONS region (none when `forwarders: false`, or once removed). */
    readonly forwarders: ProvisionedForwarder[],
    readonly time: HarnessTime,
    /** Every record delivered to a function so far, in delivery order (a DLQ's records under `dead-letter`). */
    readonly deliveries: Delivery[],
    private readonly audit: AuditLog,
    readonly rdsEvents: RdsEventSource,
    /** The restored cluster's PostgreSQL (absent when `databaseAddress` points elsewhere). */
    readonly postgres: LocalPostgres | undefined,
    readonly keys: { pipeline: string; byRegion: Record<string, string> },
    private readonly pollers: EventSourcePoller[],
    private readonly deps: Map<FunctionName, AwsDependencies>,
    private readonly store: StateStore,
    private readonly taps: { notifications: string; rds: string },
    private readonly clients: { sqs: SQSClient; scheduler: SchedulerClient; events: EventBridgeClient },
  ) {}

  /** KMS keys, the stack, the seed secrets, PGlite, the pollers and the test's own taps (notifications, RDS events). */
  static async open(o: MotoPipelineOptions): Promise<MotoPipeline> {
    const { moto, region } = o;
    const account = await accountOf(moto.endpoint, region);
    const byRegion: Record<string, string> = {};
    for (const r of o.regions) byRegion[r] = await createKmsKey(moto.endpoint, r, `aurora-restore moto key ${r}`);
    const pipelineKey = byRegion[region] ?? (await createKmsKey(moto.endpoint, region, 'aurora-restore pipeline key'));
    const targetKeys = Object.fromEntries(o.regions.filter((r) => r !== region).map((r) => [r, byRegion[r]]));
    const params = motoStageParams({ pipelineKeyArn: pipelineKey, targetKeys, overrides: o.params });
    const [stack, postgres] = await Promise.all([
      provisionStack({ endpoint: moto.endpoint, region, params }),
      o.postgres ?? (o.databaseAddress ? undefined : startClusterPostgres()),
    ]);
    // The forwarder stack of each target region, after the pipeline's (its rule targets the pipeline bus).
    const forwarders =
      (o.forwarders ?? true)
        ? await Promise.all(Object.keys(targetKeys).map((r) => provisionForwarder({ endpoint: moto.endpoint, region: r, pipelineRegion: region, params })))
        : [];

    // The seed secrets, named as the functions' configuration names them.
    const config = loadConfig(stack.environment('setup-db-users'));
    const secrets = new SecretsManagerClient({ region });
    const password = () => randomBytes(18).toString('base64url');
    await secrets.send(new CreateSecretCommand({ Name: config.MASTER_SECRET_NAME, SecretString: JSON.stringify({ username: 'postgres', password: password() }) }));
    await secrets.send(
      new CreateSecretCommand({ Name: config.APP_SECRET_NAME, SecretString: JSON.stringify({ username: 'app', password: password(), privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] }) }),
    );

    // Test taps: the topic's notifications and the aws.rds events reaching the pipeline bus, each into a queue.
    const sqs = new SQSClient({ region });
    const events = new EventBridgeClient({ region });
    const tapQueue = async (name: string) => {
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      return { url, arn };
    };
    const notes = await tapQueue('test-tap-notifications');
    await new SNSClient({ region }).send(new SubscribeCommand({ TopicArn: stack.topicArn, Protocol: 'sqs', Endpoint: notes.arn }));
    const rdsTap = await tapQueue('test-tap-rds-events');
    await events.send(new PutRuleCommand({ Name: 'test-tap-rds-events', EventBusName: stack.busName, EventPattern: JSON.stringify({ source: [RDS_SOURCE] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'test-tap-rds-events', EventBusName: stack.busName, Targets: [{ Id: 'tap', Arn: rdsTap.arn }] }));

    // One composition per function, wired with exactly the adapters its bundle gets (infra.wiring), the
    // database port excepted: PgDatabaseAdmin over PGlite instead of moto's endpoint names.
    const deps = new Map<FunctionName, AwsDependencies>();
    const pollers: EventSourcePoller[] = [];
    const time = new HarnessTime();
    const deliveries: Delivery[] = [];
    for (const mapping of stack.eventSourceMappings) {
      let d = deps.get(mapping.fn);
      if (!d) {
        const wired = stack.infra.wiring[`src/handlers/${mapping.fn}.ts`] as AdapterName[];
        const adapters: Partial<AwsAdapters> = Object.fromEntries(wired.map((a) => [a, ALL_ADAPTERS[a]]));
        const address = o.databaseAddress ?? { host: postgres!.host, port: postgres!.port };
        if (adapters.db) adapters.db = (c) => new PgDatabaseAdmin({ resolveHost: () => address, logger: c.logger });
        const realQueue = adapters.queue;
        if (realQueue) adapters.queue = (c) => handBacksSeenBy(time, realQueue(c));
        d = composeAwsDependencies(stack.environment(mapping.fn), adapters);
        deps.set(mapping.fn, d);
      }
      const dd = d;
      const handler = createHandlers(() => dd)[mapping.fn as keyof ReturnType<typeof createHandlers>];
      if (!handler) throw new Error(`${mapping.fn}: no handler in src/handlers/index.ts`);
      const visibility = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: mapping.queueUrl, AttributeNames: ['VisibilityTimeout'] }));
      pollers.push(new EventSourcePoller(sqs, mapping, handler as never, region, account, time, Number(visibility.Attributes!.VisibilityTimeout), deliveries));
    }

    const rdsEvents = new RdsEventSource(o.regions);
    const store = new StateStore({
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region }), { marshallOptions: { removeUndefinedValues: true } }),
      tableName: config.DYNAMODB_TABLE_NAME,
      ttlDays: config.STATE_TTL_DAYS,
    });
    const audit = new AuditLog({ dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region })), tableName: config.AUDIT_TABLE_NAME, ttlDays: config.AUDIT_TTL_DAYS });
    return new MotoPipeline(moto, stack, forwarders, time, deliveries, audit, rdsEvents, postgres, { pipeline: pipelineKey, byRegion }, pollers, deps, store, { notifications: notes.url, rds: rdsTap.url }, {
      sqs,
      scheduler: new SchedulerClient({ region }),
      events,
    });
  }

  /** Call after seeding RDS (before each restore): what exists now produces no event. */
  async baseline(): Promise<void> {
    await this.rdsEvents.baseline();
  }

  /** Puts RestoreRequested on the pipeline bus through the real bus adapter (as the API and the CLI do). */
  async startRestore(request: RestoreRequestInput): Promise<string> {
    const valid = restoreRequest.parse(request);
    const now = new Date();
    const operationId = newOperationId(now);
    await new AwsEventBus({ eventBusName: this.stack.busName, client: this.clients.events }).publish([domainEvent('RestoreRequested', operationId, now, { request: valid })]);
    return operationId;
  }

  async state(operationId: string): Promise<OperationState | undefined> {
    return this.store.get(operationId);
  }

  /** The operation's audit trail, in order (the pipeline's own AuditLog over moto's DynamoDB). */
  async auditTrail(operationId: string): Promise<AuditEvent[]> {
    return (await this.audit.trail(operationId)).sort((a, b) => a.sk.localeCompare(b.sk));
  }

  /** Takes the forwarder stacks away (DeleteStack), as if they had never been deployed. */
  async removeForwarders(): Promise<void> {
    for (const f of this.forwarders.splice(0)) await removeForwarder(this.moto.endpoint, f);
  }

  /** The real state store of the pipeline (over moto's DynamoDB). */
  get stateStore(): StateStore {
    return this.store;
  }

  /**
   * Rounds until the operation is terminal, then until everything it set off has been delivered. A round:
   * every event source mapping polls once (in parallel, like concurrent Lambdas), then RDS events are
   * derived from Describe. When a round delivered nothing and emitted nothing, time advances to the
   * earliest thing due (`HarnessTime`): a hidden message is made visible, or a schedule fires.
   */
  async runUntilTerminal(operationId: string, limits: { maxRounds?: number; wallMs?: number } = {}): Promise<RunResult> {
    const maxRounds = limits.maxRounds ?? 400;
    const deadline = Date.now() + (limits.wallMs ?? 45_000);
    let rounds = 0;
    const invocationsBefore = this.invocationCount();
    const advancesBefore = this.time.advances.length;
    const offsetBefore = this.time.offsetMs;
    let fired = 0;
    let rdsEvents = 0;
    let realWaits = 0;
    let terminalSeen = false;
    const result = (state: OperationState): RunResult => {
      const advances = this.time.advances.slice(advancesBefore);
      return {
        state,
        rounds,
        invocations: this.invocationCount() - invocationsBefore,
        schedulesFired: fired,
        rdsEvents,
        messagesAdvanced: advances.filter((a) => a.kind === 'message').length,
        delayedDelivered: advances.filter((a) => a.kind === 'delayed').length,
        secondsAdvanced: (this.time.offsetMs - offsetBefore) / 1000,
        realWaits,
      };
    };
    for (;;) {
      if (++rounds > maxRounds || Date.now() > deadline) {
        throw new Error(`operation ${operationId} not done after ${rounds - 1} rounds: ${await this.diagnose(operationId)}`);
      }
      const delivered = (await Promise.all(this.pollers.map((p) => p.pollOnce()))).reduce((a, b) => a + b, 0);
      const emitted = await this.rdsEvents.poll();
      rdsEvents += emitted;
      await this.drainTaps();
      if (delivered || emitted) continue;

      const state = await this.state(operationId);
      if (state && isTerminal(state.status)) {
        if (terminalSeen) return result(state);
        // One more quiet round: whatever the end set off has been delivered.
        terminalSeen = true;
        continue;
      }
      const backlog = await this.backlog();
      // A message can become visible after this round's receive: moto redrives a message to its DLQ
      // when a receive on the source queue finds it over maxReceiveCount. The next round delivers it.
      if (backlog.visible > 0) continue;
      const due = this.time.earliest((await this.pendingSchedules()).map((s) => ({ name: s.name, atMs: Date.parse(s.at) })));
      if (due) {
        if (await this.advanceTo(due)) fired += due.kind === 'schedule' ? 1 : 0;
        continue;
      }
      if (backlog.hidden > 0) {
        // Hidden, but not by a receive or hand-back the harness saw: only the wall clock can show it. A bounded yield.
        realWaits += 1;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      throw new Error(`operation ${operationId} is stuck: nothing to deliver and no schedule pending: ${await this.diagnose(operationId)}`);
    }
  }

  /** Makes `due` happen now: the hidden message visible (ChangeMessageVisibility 0), or the schedule's event put. */
  private async advanceTo(due: Due): Promise<boolean> {
    this.time.advanceTo(due);
    if (due.kind === 'schedule') return this.fireSchedule(due.schedule.name);
    if (due.kind === 'delayed') {
      await due.delayed.send();
      return true;
    }
    try {
      await this.clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: due.message.queueUrl, ReceiptHandle: due.message.receiptHandle, VisibilityTimeout: 0 }));
    } catch (e) {
      // Gone meanwhile (deleted, or redriven): nothing to make visible.
      if ((e as Error).name !== 'ReceiptHandleIsInvalid') throw e;
    }
    return true;
  }

  /** Enabled one-time (`at(...)`) schedules of the pipeline's group still pending, earliest first. */
  async pendingSchedules(): Promise<{ name: string; at: string }[]> {
    const out: { name: string; at: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.clients.scheduler.send(new ListSchedulesCommand({ GroupName: this.stack.schedulerGroup, NextToken: token }));
      for (const s of page.Schedules ?? []) {
        const full = await this.clients.scheduler.send(new GetScheduleCommand({ GroupName: this.stack.schedulerGroup, Name: s.Name! }));
        const at = atOf(full.ScheduleExpression ?? '');
        // A recurring schedule (the nightly restore, rate/cron) is not part of an operation's timeline.
        if (at && full.State !== 'DISABLED') out.push({ name: s.Name!, at });
      }
      token = page.NextToken;
    } while (token);
    return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.name.localeCompare(b.name)));
  }

  /**
   * EventBridge Scheduler on moto stores schedules but never fires them. This fires a one-time schedule of
   * the pipeline's group now: its templated EventBridge target's event (Source and DetailType from
   * EventBridgeParameters, Detail = Input) goes on the target bus, and the schedule is deleted when
   * ActionAfterCompletion is DELETE. Returns false when it is not pending (any more).
   */
  async fireSchedule(name: string): Promise<boolean> {
    const next = (await this.pendingSchedules()).find((x) => x.name === name);
    if (!next) return false;
    const s = await this.clients.scheduler.send(new GetScheduleCommand({ GroupName: this.stack.schedulerGroup, Name: next.name }));
    const target = s.Target!;
    const params = target.EventBridgeParameters;
    if (!params?.Source || !params.DetailType) throw new Error(`schedule ${next.name}: expected a templated EventBridge target, got ${JSON.stringify(target)}`);
    const out = await this.clients.events.send(
      new PutEventsCommand({ Entries: [{ EventBusName: target.Arn, Source: params.Source, DetailType: params.DetailType, Detail: target.Input ?? '{}' }] }),
    );
    if (out.FailedEntryCount) throw new Error(`schedule ${next.name}: PutEvents failed: ${JSON.stringify(out.Entries)}`);
    if (s.ActionAfterCompletion === 'DELETE') await this.clients.scheduler.send(new DeleteScheduleCommand({ GroupName: this.stack.schedulerGroup, Name: next.name }));
    this.schedulesFired.push({ name: next.name, detailType: params.DetailType, at: next.at });
    return true;
  }

  /** Messages waiting in the mapped queues (step queues and DLQs): visible now, and hidden by a visibility timeout. */
  private async backlog(): Promise<{ visible: number; hidden: number }> {
    const all = await Promise.all(
      this.stack.eventSourceMappings.map((m) =>
        this.clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: m.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
        ),
      ),
    );
    return all.reduce(
      (n, a) => ({
        visible: n.visible + Number(a.Attributes?.ApproximateNumberOfMessages ?? 0),
        hidden: n.hidden + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      }),
      { visible: 0, hidden: 0 },
    );
  }

  /** Reads (and removes) what arrived in the test's tap queues. */
  async drainTaps(): Promise<void> {
    for (;;) {
      const notes = await this.receiveAll(this.taps.notifications);
      for (const body of notes) {
        const env = JSON.parse(body) as { Subject?: string; Message: string; MessageAttributes?: Record<string, { Value: string }> };
        this.notifications.push({
          subject: env.Subject ?? '',
          message: env.Message,
          attributes: Object.fromEntries(Object.entries(env.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value])),
        });
      }
      const rds = await this.receiveAll(this.taps.rds);
      for (const body of rds) {
        const e = JSON.parse(body) as { detail: { EventID: string; SourceIdentifier: string; SourceArn: string } };
        this.rdsEventsOnPipelineBus.push({ eventId: e.detail.EventID, sourceIdentifier: e.detail.SourceIdentifier, region: e.detail.SourceArn.split(':')[3] });
      }
      if (notes.length === 0 && rds.length === 0) return;
    }
  }

  private async receiveAll(url: string): Promise<string[]> {
    const out = await this.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const messages = out.Messages ?? [];
    if (messages.length) {
      await this.clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
    return messages.map((m) => m.Body ?? '');
  }

  /** Function invocations so far, all event source mappings. */
  invocationCount(): number {
    return this.pollers.reduce((n, p) => n + p.invocations, 0);
  }

  /** Handler errors per function (whole-batch failures), for failure messages. */
  invocationErrors(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const p of this.pollers) if (p.errors.length) (out[p.mapping.fn] ??= []).push(...p.errors);
    return out;
  }

  private async diagnose(operationId: string): Promise<string> {
    const state = await this.state(operationId);
    return JSON.stringify({
      status: state?.status,
      next: state?.next_step,
      error: state?.error,
      errors: this.invocationErrors(),
      schedules: await this.pendingSchedules(),
      hidden: this.time.hiddenMessages().map((h) => ({ queue: h.queueUrl.split('/').pop(), why: h.why, inSeconds: Math.round((h.visibleAtMs - Date.now()) / 1000) })),
    });
  }

  async close(): Promise<void> {
    await this.postgres?.stop();
  }
}

function deliveryOf(fn: FunctionName, body: string): Delivery {
  try {
    const e = JSON.parse(body) as { source?: string; 'detail-type'?: string; detail?: Record<string, unknown> };
    const detail = e.detail ?? {};
    if (e.source === RDS_SOURCE) {
      return { fn, trigger: String(detail.EventID), rdsRegion: String(detail.SourceArn ?? '').split(':')[3], sourceIdentifier: String(detail.SourceIdentifier) };
    }
    return { fn, trigger: String(e['detail-type']), operationId: typeof detail.operationId === 'string' ? detail.operationId : undefined };
  } catch {
    return { fn, trigger: '(not JSON)' };
  }
}

/**
 * The function's real queue adapter, and the harness told of each hand-back it made (after SQS accepted
 * it): the only record of when a handed-back message becomes visible, which SQS does not show. Rounded up
 * to whole seconds, as SQS's VisibilityTimeout is: never before SQS shows it.
 */
function handBacksSeenBy(time: HarnessTime, real: MessageQueue): MessageQueue {
  return {
    async changeVisibility(input) {
      await real.changeVisibility(input);
      time.handedBack(input.receiptHandle, Math.ceil(input.seconds));
    },
    // SQS DelaySeconds runs on moto's wall clock: the harness holds the message and sends it when its time
    // comes (the adapter's DelaySeconds request itself: tests/aws).
    async sendDelayed(input) {
      if (input.delaySeconds <= 0) return real.sendDelayed(input);
      time.delayedSent(input.delaySeconds, () => real.sendDelayed({ ...input, delaySeconds: 0 }));
    },
  };
}

/** `at(2026-11-24T02:05:00)` → `2026-11-24T02:05:00Z` (the pipeline's schedules are in UTC); anything else → ''. */
function atOf(expression: string): string {
  const m = /^at\((.+)\)$/.exec(expression);
  return m ? `${m[1]}Z` : '';
}
