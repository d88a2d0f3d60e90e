/**
 * The real parts the step tests run against, assembled small: a SimulatedRds on a VirtualClock, a
 * StateStore and AuditLog over dynalite (fresh tables per world), LocalSecrets, LocalScheduler,
 * LocalEventBus (whose archive is what the tests read as "published"), LocalOutbox and MemoryMetrics.
 * No step, runner or store code is replaced: a test calls `step.run(ctx)` directly (pure decision on
 * state + event) or `runStep` / a processor with a real SQS record carrying an EventBridge envelope.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import { EVENT_SOURCE, domainEvent, type DomainEvent, type EventBody, type EventName, type EventOf } from '../../src/events/catalogue';
import { parseEventBody, type EventBridgeEnvelope } from '../../src/events/envelope';
import { AuditLog } from '../../src/lib/audit-log';
import { LocalObjectStore } from '../../src/lib/local/objects';
import { LocalProfileStore } from '../../src/lib/local/profiles';
import type { Dependencies } from '../../src/lib/dependencies';
import type { MessageQueue } from '../../src/lib/ports';
import { withRetry } from '../../src/lib/errors';
import { LocalEventBus, LocalEventBusPort } from '../../src/lib/local/bus';
import { VirtualClock } from '../../src/lib/local/clock';
import { startLocalDynamo, type LocalDynamo } from '../../src/lib/local/dynalite';
import { FileLogger, MemoryMetrics } from '../../src/lib/local/observability';
import { LocalOutbox } from '../../src/lib/local/outbox';
import { localConfig } from '../../src/lib/local/pipeline';
import { SimulatedRds, type ApiFaults, type RateLimit, type SimulatedRdsOptions } from '../../src/lib/local/rds';
import { parseScenario, type ScenarioInput } from '../../src/lib/local/scenario';
import { buildWorld, type World } from '../../src/lib/local/rds/world';
import { LocalScheduler } from '../../src/lib/local/scheduler';
import { LocalSecrets } from '../../src/lib/local/secrets';
import type { DatabaseAdmin, Rds } from '../../src/lib/ports';
import { archiveSnapshot } from '../../src/lib/steps/archive-snapshot';
import { checkCopyStatus } from '../../src/lib/steps/check-copy-status';
import { checkDeleteStatus } from '../../src/lib/steps/check-delete-status';
import { checkRestoreStatus } from '../../src/lib/steps/check-restore-status';
import { copySnapshot } from '../../src/lib/steps/copy-snapshot';
import { deleteRds } from '../../src/lib/steps/delete-rds';
import { restoreSnapshot } from '../../src/lib/steps/restore-snapshot';
import { setupDbUsers } from '../../src/lib/steps/setup-db-users';
import { snapshotCheck } from '../../src/lib/steps/snapshot-check';
import { retireCluster } from '../../src/lib/steps/retire-cluster';
import { swapIn } from '../../src/lib/steps/swap-in';
import { swapOut } from '../../src/lib/steps/swap-out';
import { runStep, type Step, type StepContext } from '../../src/lib/step-runner';
import { StateStore } from '../../src/lib/state-store';
import { auditTableDefinition, stateTableDefinition } from '../../src/lib/tables';
import { newOperationId } from '../../src/schemas/identifiers';
import type { OperationState } from '../../src/schemas/operation-state';
import type { RestoreRequestInput } from '../../src/schemas/restore-request';
import type { StepName } from '../../src/schemas/steps';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';

export const CLOCK_START = '2026-11-24T02:00:00.000Z';
export const KEY_EAST = 'arn:aws:kms:us-east-1:123456789012:key/1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b';
export const KEY_WEST = 'arn:aws:kms:us-west-2:123456789012:key/6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
export const MANAGED_TAGS = { [MANAGED_BY_TAG]: MANAGED_BY_VALUE };

/**
 * us-east-1: aurora-prod (protected, engine 16.6, 3 daily automated snapshots at 00:05, one manual snapshot, KMS key);
 * us-west-2: staging (pipeline-managed, two instances), analytics (foreign), locked-down (managed but
 * deletion protection on), and an unencrypted manual snapshot of analytics.
 */
export const SCENARIO: ScenarioInput = {
  clockStart: CLOCK_START,
  regions: {
    'us-east-1': {
      kmsKeys: [KEY_EAST],
      clusters: [
        {
          id: 'aurora-prod',
          engine: 'aurora-postgresql',
          // Newer than the region's default engine version (16.4): a restore must pass it.
          engineVersion: '16.6',
          deletionProtection: true,
          instances: [{ id: 'aurora-prod-writer' }],
          automatedSnapshots: { days: 3, hourUtc: 0, minuteUtc: 5 },
          manualSnapshots: [{ id: 'prod-manual-1' }],
        },
      ],
    },
    'us-west-2': {
      kmsKeys: [KEY_WEST],
      clusters: [
        { id: 'staging', engine: 'aurora-postgresql', tags: MANAGED_TAGS, instances: [{ id: 'staging-writer' }, { id: 'staging-reader' }] },
        { id: 'analytics', engine: 'aurora-postgresql', tags: { team: 'data' }, instances: [{ id: 'analytics-writer' }], manualSnapshots: [{ id: 'analytics-snap' }] },
        { id: 'locked-down', engine: 'aurora-postgresql', deletionProtection: true, tags: MANAGED_TAGS },
      ],
    },
  },
};

/** The same-region request most tests start from (nothing to copy, nothing at the target). */
export const SAME_REGION: RestoreRequestInput = {
  sourceClusterId: 'aurora-prod',
  sourceRegion: 'us-east-1',
  targetRegion: 'us-east-1',
  targetClusterId: 'restored',
};

/** A cross-region request onto the managed `staging` cluster. */
export const CROSS_REGION: RestoreRequestInput = {
  sourceClusterId: 'aurora-prod',
  snapshotDate: '2026-11-23',
  sourceRegion: 'us-east-1',
  targetRegion: 'us-west-2',
  targetClusterId: 'staging',
  deleteExisting: true,
};

export const STEPS: Record<Exclude<StepName, 'sns-notification'>, Step> = {
  'snapshot-check': snapshotCheck,
  'copy-snapshot': copySnapshot,
  'check-copy-status': checkCopyStatus,
  'delete-rds': deleteRds,
  'check-delete-status': checkDeleteStatus,
  'restore-snapshot': restoreSnapshot,
  'check-restore-status': checkRestoreStatus,
  'setup-db-users': setupDbUsers,
  'swap-out': swapOut,
  'swap-in': swapIn,
  'retire-cluster': retireCluster,
  'archive-snapshot': archiveSnapshot,
};

/** Which step an event starts (the pipeline's happy path). */
const STEP_FOR: Partial<Record<EventName, Step>> = Object.fromEntries(
  Object.values(STEPS).flatMap((s) => s.triggers.map((t) => [t, s] as const)),
);

/** One dynalite per test file; each world gets its own pair of tables in it. */
export function startTables(): Promise<LocalDynamo> {
  return startLocalDynamo({ stateTable: 'unused-state', auditTable: 'unused-audit' });
}

export interface WorldOptions {
  scenario?: ScenarioInput;
  /** Edits the built world before the simulator starts (e.g. a snapshot still being created). */
  mutateWorld?: (world: World) => void;
  env?: Record<string, string>;
  rateLimit?: RateLimit;
  apiFaults?: Omit<ApiFaults, 'random'>;
  db?: DatabaseAdmin;
  secrets?: LocalSecrets;
  /** Buckets of post-restore SQL: bucket → folder. */
  buckets?: Record<string, string>;
}

/** The step's queue, as far as handlers use it: records the hand-backs (ChangeMessageVisibility) and the delayed re-checks sent (SendMessage). */
export class HandBackRecorder implements MessageQueue {
  readonly calls: { queueArn: string; receiptHandle: string; seconds: number }[] = [];
  readonly sent: { queueArn: string; body: string; delaySeconds: number }[] = [];
  async changeVisibility(input: { queueArn: string; receiptHandle: string; seconds: number }): Promise<void> {
    this.calls.push(input);
  }
  async sendDelayed(input: { queueArn: string; body: string; delaySeconds: number }): Promise<void> {
    this.sent.push(input);
  }
}

let worlds = 0;

export class TestWorld {
  readonly clock: VirtualClock;
  readonly bus: LocalEventBus;
  readonly scheduler: LocalScheduler;
  readonly outbox: LocalOutbox;
  readonly secrets: LocalSecrets;
  readonly metrics = new MemoryMetrics();
  /** Records handed back to their queue (ChangeMessageVisibility), in order. */
  readonly handedBack = new HandBackRecorder();
  readonly deps: Dependencies;
  readonly store: StateStore;
  readonly audit: AuditLog;
  sim: SimulatedRds;
  private readonly simOptions: Omit<SimulatedRdsOptions, 'world'>;

  private constructor(dynamo: LocalDynamo, tables: { state: string; audit: string }, options: WorldOptions) {
    const scenario = parseScenario(options.scenario ?? SCENARIO);
    this.clock = new VirtualClock({ start: new Date(scenario.clockStart) });
    const config = localConfig({
      DYNAMODB_TABLE_NAME: tables.state,
      AUDIT_TABLE_NAME: tables.audit,
      TARGET_KMS_KEYS: `us-west-2=${KEY_WEST},us-east-1=${KEY_EAST}`,
      LOG_LEVEL: 'SILENT',
      ...options.env,
    });
    this.bus = new LocalEventBus({ clock: this.clock, name: config.EVENT_BUS_NAME, region: config.REGION });
    const busPort = new LocalEventBusPort({ bus: this.bus });
    this.scheduler = new LocalScheduler({ clock: this.clock, bus: busPort });
    this.outbox = new LocalOutbox({ clock: this.clock });
    this.secrets = options.secrets ?? new LocalSecrets({ region: config.REGION });
    const world = buildWorld(scenario);
    options.mutateWorld?.(world);
    this.simOptions = {
      clock: this.clock,
      setTimer: (at, fn, label) => this.clock.setTimer(at, fn, label),
      emit: (envelope) => this.bus.putRaw(envelope),
      rateLimit: options.rateLimit,
      faults: options.apiFaults && { ...options.apiFaults, random: () => 0 },
    };
    this.sim = new SimulatedRds({ ...this.simOptions, world });
    this.deps = {
      config,
      clock: this.clock,
      rds: this.sim.adapter(),
      bus: busPort,
      scheduler: this.scheduler,
      notifier: this.outbox,
      secrets: this.secrets,
      db: options.db ?? unusedDatabase,
      objects: new LocalObjectStore(options.buckets ?? {}),
      profiles: new LocalProfileStore(),
      queue: this.handedBack,
      dynamo: dynamo.client,
      logger: new FileLogger({ level: 'SILENT', clock: this.clock }),
      metrics: this.metrics,
    };
    this.store = new StateStore({ dynamo: dynamo.client, tableName: tables.state, ttlDays: config.STATE_TTL_DAYS });
    this.audit = new AuditLog({ dynamo: dynamo.client, tableName: tables.audit, ttlDays: config.AUDIT_TTL_DAYS });
  }

  static async create(dynamo: LocalDynamo, options: WorldOptions = {}): Promise<TestWorld> {
    const n = ++worlds;
    const tables = { state: `state-${process.pid}-${n}`, audit: `audit-${process.pid}-${n}` };
    const admin = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      await admin.send(new CreateTableCommand(stateTableDefinition(tables.state)));
      await admin.send(new CreateTableCommand(auditTableDefinition(tables.audit)));
    } finally {
      admin.destroy();
    }
    const w = new TestWorld(dynamo, tables, options);
    await w.secrets.seedDefaults();
    return w;
  }

  /** The steps' RDS port: the AWS adapter over the simulator. */
  get rds(): Rds {
    return this.deps.rds;
  }

  /**
   * Changes the simulated world between two steps ("someone changed the cluster meanwhile"): the
   * simulator is saved, edited and restored (its persistence format), and becomes the steps' Rds.
   * Only allowed while no RDS lifecycle is in progress, so no timer of the old simulator is left.
   * `api` switches API faults (throttling, 503s) or the account's rate limit on from now on.
   */
  editWorld(edit?: (world: World) => void, api: { apiFaults?: Omit<ApiFaults, 'random'>; rateLimit?: RateLimit } = {}): SimulatedRds {
    const busy = this.clock.pendingTimers().filter((t) => t.label?.startsWith('rds '));
    if (busy.length) throw new Error(`editWorld: RDS lifecycles in progress (${busy.map((t) => t.label).join(', ')})`);
    const saved = this.sim.toJSON();
    edit?.(saved.world);
    if (api.apiFaults) this.simOptions.faults = { ...api.apiFaults, random: () => 0 };
    if (api.rateLimit) this.simOptions.rateLimit = api.rateLimit;
    this.sim = SimulatedRds.fromJSON(saved, this.simOptions);
    this.deps.rds = this.sim.adapter();
    return this.sim;
  }

  // ------------------------------------------------------------------ events

  envelopes(): EventBridgeEnvelope[] {
    return this.bus.archive.list();
  }

  /** Domain events of an operation on the bus, oldest first. */
  published(operationId?: string): DomainEvent[] {
    return this.envelopes()
      .filter((e) => e.source === EVENT_SOURCE)
      .map((e) => ({ type: e['detail-type'], detail: e.detail }) as DomainEvent)
      .filter((e) => !operationId || e.detail.operationId === operationId);
  }

  /** The operation's published events of one type. */
  publishedOf<N extends EventName>(operationId: string, type: N): EventOf<N>[] {
    return this.published(operationId).filter((e): e is EventOf<N> => e.type === type);
  }

  /** The latest pipeline event of an operation (re-checks and deadlines aside), as its envelope. */
  lastEnvelope(operationId: string): EventBridgeEnvelope {
    const all = this.envelopes().filter(
      (e) =>
        e.source === EVENT_SOURCE &&
        (e.detail as { operationId?: string }).operationId === operationId &&
        !['RecheckDue', 'OperationDeadlineReached'].includes(e['detail-type']),
    );
    const last = all.at(-1);
    if (!last) throw new Error(`no event of ${operationId} on the bus`);
    return last;
  }

  /** Publishes a domain event on the bus (as the CLI or a step would) and returns its envelope. */
  async publish<N extends EventName>(type: N, operationId: string, body: EventBody<N>): Promise<EventBridgeEnvelope> {
    await this.deps.bus.publish([domainEvent(type, operationId, this.clock.now(), body)]);
    return this.envelopes().at(-1)!;
  }

  /** Puts `RestoreRequested` on the bus; returns the new operation id and the envelope. */
  async request(request: RestoreRequestInput | Record<string, unknown>): Promise<{ id: string; envelope: EventBridgeEnvelope }> {
    const id = newOperationId(this.clock.now());
    const envelope = await this.publish('RestoreRequested', id, { request: request as never });
    return { id, envelope };
  }

  /** A RestoreRequested on the bus and its operation created as snapshot-check's `init` does (nothing run yet). */
  async open(request: RestoreRequestInput | Record<string, unknown>): Promise<{ id: string; envelope: EventBridgeEnvelope }> {
    const r = await this.request(request);
    const created = await snapshotCheck.init!(this.deps, this.store, parseEventBody(JSON.stringify(r.envelope)), this.clock.now());
    if (!created) throw new Error('open: snapshot-check did not create the operation');
    return r;
  }

  // ------------------------------------------------------------------ running

  /** Runs a step through the generic runner with a real SQS record of the envelope. */
  run(step: Step | keyof typeof STEPS, envelope: EventBridgeEnvelope, record: Partial<SQSRecord> = {}): Promise<void> {
    const s = typeof step === 'string' ? STEPS[step] : step;
    return this.drive(runStep(s, this.deps, sqsRecord(envelope, { queue: s.name, ...record })));
  }

  /** Runs any record processor (sns-notification, watchdog, dead-letter) with the virtual clock driven. */
  process(processor: (deps: Dependencies, record: SQSRecord) => Promise<void>, record: SQSRecord): Promise<void> {
    return this.drive(processor(this.deps, record));
  }

  /**
   * The StepContext the runner would build, for calling `step.run(ctx)` directly: the operation's
   * current state, the parsed trigger, the configured retry policy on the virtual clock.
   */
  async context(operationId: string, trigger: EventBridgeEnvelope, stepName: StepName = 'snapshot-check'): Promise<StepContext> {
    const state = await this.state(operationId);
    const { MAX_RETRIES, RETRY_INTERVAL_SECONDS, RETRY_BACKOFF_RATE } = this.deps.config;
    return {
      stepName,
      deps: this.deps,
      store: this.store,
      audit: this.audit,
      state,
      trigger: parseEventBody(JSON.stringify(trigger)),
      now: this.clock.now(),
      retry: (fn) => withRetry(fn, { maxRetries: MAX_RETRIES, intervalSeconds: RETRY_INTERVAL_SECONDS, backoffRate: RETRY_BACKOFF_RATE }, this.clock),
      event: (type, body) => domainEvent(type, operationId, this.clock.now(), body),
    };
  }

  /** Calls `step.run` directly (the decision only: nothing is recorded or published). */
  async decide(step: Step | keyof typeof STEPS, operationId: string, trigger?: EventBridgeEnvelope) {
    const s = typeof step === 'string' ? STEPS[step] : step;
    return this.drive(s.run(await this.context(operationId, trigger ?? this.lastEnvelope(operationId), s.name)));
  }

  async state(operationId: string): Promise<OperationState> {
    const s = await this.store.get(operationId);
    if (!s) throw new Error(`operation ${operationId} not in the state table`);
    return s;
  }

  /**
   * Runs the pipeline's steps, in order, on each newest event of the operation until the next step to
   * run is `until`; returns the envelope that would start it. Waits are passed by moving the virtual
   * clock to the next RDS lifecycle timer and delivering the wait step's live re-check.
   */
  async advance(operationId: string, until: keyof typeof STEPS): Promise<EventBridgeEnvelope> {
    for (let i = 0; i < 40; i++) {
      const envelope = this.lastEnvelope(operationId);
      const type = envelope['detail-type'] as EventName;
      if (type === 'RestoreFailed') throw new Error(`advance: operation failed: ${JSON.stringify(envelope.detail)}`);
      const step = STEP_FOR[type];
      if (!step) throw new Error(`advance: no step starts on ${type}`);
      if (step.name === until) return envelope;
      await this.run(step, envelope);
      for (let waits = 0; this.lastEnvelope(operationId).id === envelope.id; waits++) {
        const next = this.nextRdsTimer();
        if (next === undefined || waits > 40) throw new Error(`advance: ${step.name} waits but nothing is in progress`);
        this.clock.advanceTo(next);
        await this.run(step, await this.dueRecheck(operationId, step.name as keyof typeof STEPS));
      }
    }
    throw new Error(`advance: did not reach ${until}`);
  }

  /**
   * The live re-check of a waiting step, published as it arrives when due (attempt 1 when none is armed
   * yet): a wait's started event only arms the first check, so a test that wants the check made sends this.
   */
  async dueRecheck(operationId: string, step: keyof typeof STEPS): Promise<EventBridgeEnvelope> {
    const check = STEPS[step].recheck?.check;
    if (!check) throw new Error(`dueRecheck: ${step} is not a waiting step`);
    const attempt = (await this.state(operationId)).steps[step]?.recheck_attempt ?? 1;
    return this.publish('RecheckDue', operationId, { check, attempt });
  }

  nextRdsTimer(): number | undefined {
    return this.clock.pendingTimers().find((t) => t.label?.startsWith('rds '))?.at;
  }

  /** Moves virtual time until every RDS lifecycle in progress has completed. */
  settleRds(): void {
    for (let next = this.nextRdsTimer(); next !== undefined; next = this.nextRdsTimer()) this.clock.advanceTo(next);
  }

  /**
   * Awaits `promise`, moving the virtual clock whenever the code under test sleeps (retry backoff),
   * exactly to the sleeper's wake-up time — no real waiting.
   */
  async drive<T>(promise: Promise<T>): Promise<T> {
    const off = this.clock.onSleepersChange(() => {
      if (this.clock.sleepers === 0) return;
      // sleep() counts itself before it sets its timer: look for the timer on the next turn.
      setImmediate(() => {
        const wake = this.clock.pendingTimers().find((t) => t.label === 'sleep');
        if (wake) this.clock.advanceTo(wake.at);
      });
    });
    try {
      return await promise;
    } finally {
      off();
    }
  }
}

/** setup-db-users tests pass a PgDatabaseAdmin; every other step must not touch a database. */
const noDatabase = async (): Promise<never> => {
  throw new Error('no database in this test world');
};
const unusedDatabase: DatabaseAdmin = {
  configureUsers: noDatabase,
  verifyLogin: noDatabase,
  disableLogins: noDatabase,
  runHook: noDatabase,
  runValidation: noDatabase,
};

/** An SQS record as Lambda receives it from the step's queue (EventBridge rule target). */
export function sqsRecord(envelope: EventBridgeEnvelope | string, options: Partial<SQSRecord> & { queue?: string; receiveCount?: number } = {}): SQSRecord {
  const body = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
  const { queue = 'snapshot-check', receiveCount = 1, ...rest } = options;
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.parse(CLOCK_START)),
      SenderId: 'AROAEVENTBRIDGE:events',
      ApproximateFirstReceiveTimestamp: String(Date.parse(CLOCK_START)),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:aurora-restore-${queue}`,
    awsRegion: 'us-east-1',
    ...rest,
  };
}

/**
 * The Rds port with one call failing as a broken network or SDK would (a plain Error, not an AWS
 * fault): fault injection at the AWS boundary, over the real simulator. `times` failures, then real.
 */
export function failingRds(rds: Rds, method: keyof Rds, error: () => Error, times = Infinity): Rds & { failures: number } {
  let failures = 0;
  return new Proxy(rds as Rds & { failures: number }, {
    get(target, prop, receiver) {
      if (prop === 'failures') return failures;
      const value = Reflect.get(target, prop, receiver);
      if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        if (failures < times) {
          failures++;
          throw error();
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
