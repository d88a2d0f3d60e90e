import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVENT_SOURCE } from '../../events/catalogue';
import type { EventBridgeEnvelope } from '../../events/envelope';
import { RDS_SOURCE } from '../../events/rds';
import { SUBSCRIPTIONS, forwardedRdsPattern } from '../../events/subscriptions';
import type { Config } from '../../schemas/config';
import { localConfig, scenarioConfig } from './local-config';
import { newOperationId } from '../../schemas/identifiers';
import { isTerminal, type OperationState } from '../../schemas/operation-state';
import { restoreRequest, type RestoreRequestInput } from '../../schemas/restore-request';
import { createHandlers } from '../../handlers';
import { AuditLog } from '../audit-log';
import { PgDatabaseAdmin } from '../db-admin';
import type { Dependencies } from '../dependencies';
import type { DatabaseAdmin, Logger } from '../ports';
import { domainEvent } from '../../events/catalogue';
import { budgetedRds, rdsBudgetFor } from '../rds-budget';
import { StateStore } from '../state-store';
import { LocalEventBus, LocalEventBusPort, JsonlArchive, InMemoryArchive } from './bus';
import { DefaultBuses } from './default-buses';
import { VirtualClock } from './clock';
import { startLocalDynamo, type LocalDynamo } from './dynalite';
import { NO_FAULTS, seededRandom, type FaultPlan } from './faults';
import { FileLogger, MemoryMetrics } from './observability';
import { LocalOutbox, type OutboxMessage } from './outbox';
import { startLocalPostgres, seedDemoSchema, type LocalPostgres } from './pglite';
import { SimulatedRds, type RateLimit } from './rds';
import { LocalRuntime, type RunSummary, type SqsLambdaHandler } from './runtime';
import { DEFAULT_SCENARIO, type Scenario } from './scenario';
import { DATA_FILES, ScenarioMismatchError, scenarioHash } from './data-files';
import { LocalScheduler } from './scheduler';
import { LocalSecrets } from './secrets';
import { LocalObjectStore } from './objects';
import { LocalProfileStore } from './profiles';

export interface LocalPipelineOptions {
  /** Folder where state persists between commands (tables, world, archive, outbox, secrets); in memory when absent. */
  dataDir?: string;
  /** The world to start from when the data folder has none. A data folder holding another world is refused (ScenarioMismatchError) unless `reset`. */
  scenario?: Scenario;
  /** Start the data folder afresh (deletes its operations, archive, outbox and world) when it holds another scenario. */
  reset?: boolean;
  /** Called for every line the pipeline logs at WARN or above (and INFO/DEBUG under LOG_LEVEL), e.g. throttling retries for `--verbose`. */
  onLog?: (line: { level: string; message: string; timestamp: string } & Record<string, unknown>) => void;
  /** Configuration overrides (env var names), on top of the local defaults and the process environment. */
  env?: Record<string, string>;
  /** Called for every event on the pipeline bus (domain and RDS), for live timelines. */
  onEvent?: (envelope: EventBridgeEnvelope) => void;
  onNotification?: (message: OutboxMessage) => void;
  /** Delivery faults (duplicates, reordering, scheduler delays) for chaos runs. */
  faults?: FaultPlan;
  /** The account's RDS API rate (token bucket), for fleet runs. */
  rateLimit?: RateLimit;
  /** Seed of the simulated RDS's fault randomness. */
  seed?: number;
  /** Chaos runs: wraps the dependencies the handlers see (e.g. an Rds that crashes after its side effect). */
  wrapDeps?: (deps: Dependencies) => Dependencies;
  /** Chaos runs: wraps each step's Lambda handler (e.g. one that dies after its work, before the ack). */
  wrapHandler?: (step: string, handler: SqsLambdaHandler) => SqsLambdaHandler;
  /** The saved refresh profiles file; default `profiles.json` in the data folder (in memory without one). */
  profilesFile?: string;
  /**
   * A real PostgreSQL server standing in for every simulated cluster, instead of PGlite (tests/postgres):
   * where to dial, and what RDS's ModifyDBCluster MasterUserPassword does to it (RDS applies the new
   * password to the master user; PGlite checks none).
   */
  database?: { host: string; port: number; applyMasterPassword: (password: string) => Promise<void> };
}

interface SavedWorld {
  version: 1;
  scenarioHash: string;
  clockMs: number;
  rds: unknown;
  schedules: ReturnType<LocalScheduler['toJSON']>;
  /** Messages still in the queues (and DLQs) when the command ended. */
  queues: ReturnType<LocalRuntime['toJSON']>;
}

const hashOf = scenarioHash;
export { DATA_FILES, ScenarioMismatchError, scenarioHash };

function wrapHandlers(handlers: Record<string, SqsLambdaHandler>, wrap?: (step: string, handler: SqsLambdaHandler) => SqsLambdaHandler) {
  return wrap ? Object.fromEntries(Object.entries(handlers).map(([step, h]) => [step, wrap(step, h)])) : handlers;
}

/** An RDS port whose master password changes reach a real database too, as RDS applies them to the master user. */
function applyingMasterPassword<T extends { modifyClusterMasterPassword(region: string, clusterId: string, password: string): Promise<void> }>(
  rds: T,
  apply: (password: string) => Promise<void>,
): T {
  const original = rds.modifyClusterMasterPassword.bind(rds);
  rds.modifyClusterMasterPassword = async (region, clusterId, password) => {
    await original(region, clusterId, password);
    await apply(password);
  };
  return rds;
}

export { localConfig };

/**
 * The whole pipeline on this machine: the same handlers and subscription table as on AWS, over a
 * local EventBridge (real pattern matching, archive, replay), SQS-like queues, a scheduler on a
 * virtual clock, a simulated multi-region Aurora, dynalite and PGlite.
 */
export class LocalPipeline {
  private constructor(
    readonly config: Config,
    readonly scenario: Scenario,
    readonly clock: VirtualClock,
    readonly bus: LocalEventBus,
    readonly runtime: LocalRuntime,
    readonly rds: SimulatedRds,
    readonly scheduler: LocalScheduler,
    readonly outbox: LocalOutbox,
    readonly store: StateStore,
    readonly audit: AuditLog,
    readonly deps: Dependencies,
    readonly metrics: MemoryMetrics,
    private readonly dynamo: LocalDynamo,
    private readonly postgres: LazyPostgres,
    private readonly options: LocalPipelineOptions,
    private readonly scenarioHash: string,
  ) {}

  static async open(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
    const scenario = options.scenario ?? DEFAULT_SCENARIO;
    const scenarioHash = hashOf(scenario);
    const dir = options.dataDir;
    let saved: SavedWorld | undefined;
    if (dir) {
      await mkdir(dir, { recursive: true });
      const file = join(dir, 'world.json');
      if (existsSync(file)) {
        const candidate = JSON.parse(await readFile(file, 'utf8')) as SavedWorld;
        if (candidate.scenarioHash === scenarioHash) saved = candidate;
        else if (options.reset) await LocalPipeline.wipe(dir);
        else throw new ScenarioMismatchError(dir); // a data folder belongs to one scenario; nothing is wiped unasked
      }
    }

    const config = scenarioConfig(scenario, options.env);
    const clock = new VirtualClock({ start: new Date(saved?.clockMs ?? Date.parse(scenario.clockStart)) });
    const archive = dir ? new JsonlArchive(join(dir, 'archive.jsonl')) : new InMemoryArchive();
    const bus = new LocalEventBus({ clock, name: config.EVENT_BUS_NAME, region: config.REGION, archive });
    const busPort = new LocalEventBusPort({ bus });
    const faults = options.faults ?? NO_FAULTS;
    const scheduler = new LocalScheduler({ clock, bus: busPort, delayMs: () => faults.schedulerDelayMs() });
    // RDS puts its events on the default bus of their region; the deployment's forwarding rules (the pipeline
    // region's, and one per TARGET_REGIONS entry) send the ones the steps consume to the pipeline bus.
    const defaultBuses = new DefaultBuses({ clock, account: scenario.account });
    for (const region of new Set([config.REGION, ...config.TARGET_REGIONS])) defaultBuses.forward(region, forwardedRdsPattern(config.DELETION_ALLOW_LIST), bus);
    const rdsOptions = {
      clock,
      setTimer: (at: number, fn: () => void) => clock.setTimer(at, fn),
      emit: (envelope: EventBridgeEnvelope) => defaultBuses.put(envelope),
      rateLimit: options.rateLimit,
    };
    // Each command of a data folder draws its own (reproducible) faults: the seed, moved on by the virtual time.
    const random = seededRandom((options.seed ?? scenario.faults.seed) + (saved ? saved.clockMs % 2_147_483_647 : 0));
    const rds = saved
      ? SimulatedRds.fromJSON(saved.rds, { ...rdsOptions, ...SimulatedRds.faultsOf(scenario, random) })
      : SimulatedRds.fromScenario(scenario, { ...rdsOptions, random });
    if (saved) scheduler.restore(saved.schedules);

    const dynamo = await startLocalDynamo({
      stateTable: config.DYNAMODB_TABLE_NAME,
      auditTable: config.AUDIT_TABLE_NAME,
      snapshotFile: dir ? join(dir, 'dynamodb.json') : undefined,
    });
    // PGlite (seconds of WebAssembly start-up) starts only when a step first needs the database: a run shows
    // its timeline at once, and runs that never reach setup-db-users never start it. With `database` (a real
    // PostgreSQL server) there is nothing to start.
    const postgres = new LazyPostgres(options.database);
    const secrets = new LocalSecrets({ dataDir: dir, region: config.REGION });
    await secrets.seedDefaults(scenario.appUserSecrets);
    const outbox = new LocalOutbox({ dataDir: dir, clock, onPublish: options.onNotification });
    const metrics = new MemoryMetrics();
    const logger = new FileLogger({ file: dir ? join(dir, 'pipeline.log') : undefined, level: config.LOG_LEVEL, clock, onLine: options.onLog });

    // The runtime (built below, over these dependencies) owns the queues the handlers hand records back to.
    let runtimeRef: LocalRuntime | undefined;
    const deps: Dependencies = {
      config,
      clock,
      rds: options.database ? applyingMasterPassword(rds.adapter(), options.database.applyMasterPassword) : rds.adapter(),
      bus: busPort,
      scheduler,
      notifier: outbox,
      secrets,
      db: postgres.admin(logger),
      objects: new LocalObjectStore(scenario.buckets),
      profiles: new LocalProfileStore(options.profilesFile ?? (dir ? join(dir, 'profiles.json') : undefined)),
      queue: {
        changeVisibility: (input) => runtimeRef!.messageQueue.changeVisibility(input),
        sendDelayed: (input) => runtimeRef!.messageQueue.sendDelayed(input),
      },
      dynamo: dynamo.client,
      logger,
      metrics,
    };
    const wrapped = options.wrapDeps ? options.wrapDeps(deps) : deps;
    // Every RDS call of the handlers takes a permit of the account's RDS call budget (RDS_CALLS_PER_SECOND),
    // as on AWS: through the handlers' own DynamoDB client, on top of whatever a chaos run wraps around RDS.
    const budget = rdsBudgetFor({ config, dynamo: wrapped.dynamo, clock: wrapped.clock, metrics: wrapped.metrics });
    const handlerDeps: Dependencies = budget ? { ...wrapped, rds: budgetedRds(wrapped.rds, budget) } : wrapped;
    const runtime = new LocalRuntime({
      clock,
      bus,
      subscriptions: SUBSCRIPTIONS,
      handlers: wrapHandlers(createHandlers(() => handlerDeps), options.wrapHandler),
      faults,
      functionTimeoutMs: config.LAMBDA_TIMEOUT_SECONDS * 1000,
      // The timeline sees a re-check within 15 minutes when it is armed (it travels on SQS, not the bus).
      onDelayedMessage: options.onEvent ? (body) => options.onEvent!(JSON.parse(body)) : undefined,
      onInvocationError: (error, invocation) => logger.error('invocation failed', { ...invocation, error: String((error as Error)?.message ?? error) }),
    });
    runtimeRef = runtime;
    if (saved?.queues) runtime.restore(saved.queues);
    if (options.onEvent) {
      bus.addRule({ name: 'timeline-tap', pattern: { source: [EVENT_SOURCE, RDS_SOURCE] }, target: options.onEvent });
    }
    const store = new StateStore({ dynamo: dynamo.client, tableName: config.DYNAMODB_TABLE_NAME, ttlDays: config.STATE_TTL_DAYS });
    const audit = new AuditLog({ dynamo: dynamo.client, tableName: config.AUDIT_TABLE_NAME, ttlDays: config.AUDIT_TTL_DAYS });
    return new LocalPipeline(config, scenario, clock, bus, runtime, rds, scheduler, outbox, store, audit, deps, metrics, dynamo, postgres, options, scenarioHash);
  }

  /** Where the simulated clusters' database listens (PGlite, started now if no step has needed it yet; or the real server given as `database`). */
  databaseAddress(): Promise<{ host: string; port: number }> {
    return this.postgres.address();
  }

  private static async wipe(dir: string): Promise<void> {
    for (const f of DATA_FILES) await rm(join(dir, f), { force: true });
  }

  /**
   * Operation ids: seeded when the pipeline is (a bench or test run is then reproducible to the id, and so
   * are the names and the simulated copy progress derived from it); random otherwise.
   */
  private idRandomSource?: () => number;
  private readonly idRandom = () => (this.idRandomSource ??= this.options.seed !== undefined ? seededRandom(this.options.seed * 7919 + 104_729) : Math.random)();

  /** The scenario's default request with the given overrides, validated (throws a zod error naming the field). */
  request(overrides: RestoreRequestInput | Record<string, unknown> = {}) {
    return restoreRequest.parse({ ...(this.scenario.request ?? {}), ...overrides });
  }

  /** Puts `RestoreRequested` on the bus, as the CLI and the API do on AWS. Returns the operation id. */
  async startRestore(request: RestoreRequestInput | Record<string, unknown>, operationId: string = newOperationId(this.clock.now(), this.idRandom)): Promise<string> {
    const valid = restoreRequest.parse(request);
    await this.deps.bus.publish([domainEvent('RestoreRequested', operationId, this.clock.now(), { request: valid })]);
    return operationId;
  }

  /**
   * Runs the world until every given operation is terminal (or nothing more can happen), or until `stop()`
   * says so (an interrupted CLI): the runtime stops at a quiet instant (every invocation finished or asleep
   * on the virtual clock) and the world is saved, so a later command resumes it.
   */
  async runUntilTerminal(operationIds: string[], options: { maxVirtualMs?: number; stop?: () => boolean } = {}): Promise<RunSummary> {
    const pending = new Set(operationIds);
    const notified = async () => {
      if (options.stop?.()) return true;
      for (const m of await this.outbox.list()) pending.delete(m.attributes.operation_id);
      return pending.size === 0;
    };
    const summary = await this.runtime.runUntil(notified, { maxVirtualMs: options.maxVirtualMs ?? 6 * 3600_000 });
    await this.save();
    return summary;
  }

  /**
   * Re-sends the archived events of [from, to) — only those of operations that have not ended, and of
   * one operation when given — then runs until those operations end. This is how an operation whose
   * events were lost (an outage) resumes; finished steps republish their outcome instead of redoing it.
   */
  async replay(input: { from: Date; to: Date; operationId?: string }): Promise<{ replayed: number; operations: string[]; summary: RunSummary }> {
    const open = (await this.store.list()).filter((s) => !isTerminal(s.status)).map((s) => s.operation_id);
    const wanted = new Set(input.operationId ? open.filter((id) => id === input.operationId) : open);
    const owner = (env: EventBridgeEnvelope) => (env.detail as { operationId?: string })?.operationId;
    const { replayed } = this.bus.replay({
      name: `replay-${this.clock.now().getTime()}`,
      from: input.from,
      to: input.to,
      // RDS events carry no operation id: they are replayed too, and ignored by operations that are done.
      filter: (env) => env.source === RDS_SOURCE || wanted.has(owner(env) ?? ''),
    });
    const summary = await this.runUntilTerminal([...wanted]);
    return { replayed, operations: [...wanted], summary };
  }

  async status(operationId: string): Promise<OperationState | undefined> {
    return this.store.get(operationId);
  }

  async list(): Promise<OperationState[]> {
    return this.store.list();
  }

  /** Persists the world (virtual time, simulated RDS, pending schedules) and the tables. */
  async save(): Promise<void> {
    const dir = this.options.dataDir;
    if (!dir) return;
    const world: SavedWorld = {
      version: 1,
      scenarioHash: this.scenarioHash,
      clockMs: this.clock.now().getTime(),
      rds: this.rds.toJSON(),
      schedules: this.scheduler.toJSON(),
      queues: this.runtime.toJSON(),
    };
    // The scenario first, then the world that names its hash: read-only commands find the folder's scenario.
    await writeAtomically(join(dir, 'scenario.json'), JSON.stringify(this.scenario));
    await this.dynamo.save();
    await writeAtomically(join(dir, 'world.json'), JSON.stringify(world));
  }

  async close(): Promise<void> {
    try {
      await this.save();
    } finally {
      await Promise.all([this.dynamo.stop(), this.postgres.stop()]);
    }
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

/**
 * PGlite, started on first use (the database port's first call), stopped with the pipeline; or the real
 * PostgreSQL server given as `database` (nothing to start or stop).
 */
class LazyPostgres {
  private started?: Promise<{ host: string; port: number; stop?: () => Promise<void> }>;

  constructor(private readonly external?: { host: string; port: number }) {}

  private get(): Promise<{ host: string; port: number; stop?: () => Promise<void> }> {
    this.started ??= this.external
      ? Promise.resolve({ host: this.external.host, port: this.external.port })
      : startLocalPostgres().then(async (pg: LocalPostgres) => {
          await seedDemoSchema(pg.pglite);
          return { host: pg.host, port: pg.port, stop: () => pg.stop() };
        });
    return this.started;
  }

  /** Where it listens (PGlite starts now if it has not yet). */
  async address(): Promise<{ host: string; port: number }> {
    const { host, port } = await this.get();
    return { host, port };
  }

  /** The DatabaseAdmin port over it: the same PgDatabaseAdmin as on AWS, dialing PGlite (or the real server). */
  admin(logger: Logger): DatabaseAdmin {
    let made: Promise<PgDatabaseAdmin> | undefined;
    const admin = () =>
      (made ??= this.get().then((pg) => new PgDatabaseAdmin({ resolveHost: () => ({ host: pg.host, port: pg.port }), logger })));
    return {
      configureUsers: async (endpoint, master, users) => (await admin()).configureUsers(endpoint, master, users),
      verifyLogin: async (endpoint, user) => (await admin()).verifyLogin(endpoint, user),
      disableLogins: async (endpoint, master, usernames) => (await admin()).disableLogins(endpoint, master, usernames),
      runHook: async (endpoint, master, hook) => (await admin()).runHook(endpoint, master, hook),
      runValidation: async (endpoint, master, validation, timeoutMs) => (await admin()).runValidation(endpoint, master, validation, timeoutMs),
    };
  }

  async stop(): Promise<void> {
    if (this.started) await (await this.started.catch(() => undefined))?.stop?.();
  }
}
