import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVENT_SOURCE } from '../../events/catalogue';
import type { EventBridgeEnvelope } from '../../events/envelope';
import { RDS_SOURCE } from '../../events/rds';
import { SUBSCRIPTIONS, forwardedRdsPattern } from '../../events/subscriptions';
import { configSchema, loadConfig, localEnvironment, type Config } from '../../schemas/config';
import { newOperationId } from '../../schemas/identifiers';
import { isTerminal, type OperationState } from '../../schemas/operation-state';
import { restoreRequest, type RestoreRequestInput } from '../../schemas/restore-request';
import { createHandlers } from '../../handlers';
import { AuditLog } from '../audit-log';
import { PgDatabaseAdmin } from '../db-admin';
import type { Dependencies } from '../dependencies';
import { domainEvent } from '../../events/catalogue';
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
import { LocalScheduler } from './scheduler';
import { LocalSecrets } from './secrets';
import { LocalObjectStore } from './objects';
import { LocalProfileStore } from './profiles';

export interface LocalPipelineOptions {
  /** Folder where state persists between commands (tables, world, archive, outbox, secrets); in memory when absent. */
  dataDir?: string;
  /** The world to start from when the data folder has none (or a different one). */
  scenario?: Scenario;
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

const hashOf = (scenario: Scenario) => createHash('sha256').update(JSON.stringify(scenario)).digest('hex').slice(0, 16);

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

/** Configuration for the local runtime: local defaults, then the process environment, then explicit overrides. */
export function localConfig(overrides: Record<string, string> = {}): Config {
  const fromProcess: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = process.env[key];
    if (value !== undefined && value !== '') fromProcess[key] = value;
  }
  return loadConfig({ ...localEnvironment(), ...fromProcess, ...overrides });
}

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
    private readonly postgres: LocalPostgres | undefined,
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
        else await LocalPipeline.wipe(dir); // a data folder belongs to one scenario
      }
    }

    // Cross-region copies use each target region's KMS key from the scenario (on AWS: TARGET_KMS_KEYS).
    const targetKeys = Object.entries(scenario.regions)
      .filter(([, r]) => r.kmsKeys?.length)
      .map(([region, r]) => `${region}=${r.kmsKeys![0]}`)
      .join(',');
    // Restoring into a region other than the pipeline's needs its RDS events forwarded (TARGET_REGIONS): the
    // local deployment forwards every region of the scenario, as docs/deploy.md tells a real one to.
    const targetRegions = Object.keys(scenario.regions).filter((r) => r !== (options.env?.REGION ?? localConfig().REGION));
    // Clones and point-in-time restores are allowed from the scenario's clusters that have backups.
    const cloneSources = Object.values(scenario.regions).flatMap((r) => r.clusters.filter((c) => c.automatedSnapshots).map((c) => c.id));
    const config = localConfig({
      ...(targetKeys ? { TARGET_KMS_KEYS: targetKeys } : {}),
      TARGET_REGIONS: targetRegions.join(','),
      CLONE_SOURCE_CLUSTERS: cloneSources.join(','),
      // Post-restore SQL may be read from the scenario's buckets (on AWS: HOOK_SOURCES, the s3:GetObject grant).
      HOOK_SOURCES: Object.keys(scenario.buckets).map((b) => `${b}/`).join(','),
      ...options.env,
    });
    const clock = new VirtualClock({ start: new Date(saved?.clockMs ?? Date.parse(scenario.clockStart)) });
    const archive = dir ? new JsonlArchive(join(dir, 'archive.jsonl')) : new InMemoryArchive();
    const bus = new LocalEventBus({ clock, name: config.EVENT_BUS_NAME, region: config.REGION, archive });
    const busPort = new LocalEventBusPort({ bus });
    const faults = options.faults ?? NO_FAULTS;
    const scheduler = new LocalScheduler({ clock, bus: busPort, delayMs: () => faults.schedulerDelayMs() });
    // RDS puts its events on the default bus of their region; the deployment's forwarding rules (the pipeline
    // region's, and one per TARGET_REGIONS entry) send the ones the steps consume to the pipeline bus.
    const defaultBuses = new DefaultBuses({ clock, account: scenario.account });
    for (const region of new Set([config.REGION, ...config.TARGET_REGIONS])) defaultBuses.forward(region, forwardedRdsPattern(), bus);
    const rdsOptions = {
      clock,
      setTimer: (at: number, fn: () => void) => clock.setTimer(at, fn),
      emit: (envelope: EventBridgeEnvelope) => defaultBuses.put(envelope),
      rateLimit: options.rateLimit,
    };
    const random = seededRandom(options.seed ?? 1);
    const rds = saved
      ? SimulatedRds.fromJSON(saved.rds, { ...rdsOptions, faults: undefined })
      : SimulatedRds.fromScenario(scenario, { ...rdsOptions, random });
    if (saved) scheduler.restore(saved.schedules);

    const [dynamo, postgres] = await Promise.all([
      startLocalDynamo({
        stateTable: config.DYNAMODB_TABLE_NAME,
        auditTable: config.AUDIT_TABLE_NAME,
        snapshotFile: dir ? join(dir, 'dynamodb.json') : undefined,
      }),
      options.database ? Promise.resolve(undefined) : startLocalPostgres(),
    ]);
    if (postgres) await seedDemoSchema(postgres.pglite);
    const secrets = new LocalSecrets({ dataDir: dir, region: config.REGION });
    await secrets.seedDefaults(scenario.appUserSecrets);
    const dbHost = options.database ?? postgres!;
    const outbox = new LocalOutbox({ dataDir: dir, clock, onPublish: options.onNotification });
    const metrics = new MemoryMetrics();
    const logger = new FileLogger({ file: dir ? join(dir, 'pipeline.log') : undefined, level: config.LOG_LEVEL, clock });

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
      db: new PgDatabaseAdmin({ resolveHost: () => ({ host: dbHost.host, port: dbHost.port }), logger }),
      objects: new LocalObjectStore(scenario.buckets),
      profiles: new LocalProfileStore(options.profilesFile ?? (dir ? join(dir, 'profiles.json') : undefined)),
      queue: { changeVisibility: (input) => runtimeRef!.messageQueue.changeVisibility(input) },
      dynamo: dynamo.client,
      logger,
      metrics,
    };
    const handlerDeps = options.wrapDeps ? options.wrapDeps(deps) : deps;
    const runtime = new LocalRuntime({
      clock,
      bus,
      subscriptions: SUBSCRIPTIONS,
      handlers: wrapHandlers(createHandlers(() => handlerDeps), options.wrapHandler),
      faults,
      functionTimeoutMs: config.LAMBDA_TIMEOUT_SECONDS * 1000,
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

  /** Where the simulated clusters' database listens (PGlite, or the real server given as `database`). */
  get databaseAddress(): { host: string; port: number } {
    const d = this.options.database ?? this.postgres!;
    return { host: d.host, port: d.port };
  }

  private static async wipe(dir: string): Promise<void> {
    for (const f of ['world.json', 'dynamodb.json', 'archive.jsonl', 'outbox.jsonl', 'secrets.json', 'pipeline.log']) {
      await rm(join(dir, f), { force: true });
    }
  }

  /** The scenario's default request with the given overrides, validated (throws a zod error naming the field). */
  request(overrides: RestoreRequestInput | Record<string, unknown> = {}) {
    return restoreRequest.parse({ ...(this.scenario.request ?? {}), ...overrides });
  }

  /** Puts `RestoreRequested` on the bus, as the CLI and the API do on AWS. Returns the operation id. */
  async startRestore(request: RestoreRequestInput | Record<string, unknown>): Promise<string> {
    const valid = restoreRequest.parse(request);
    const operationId = newOperationId(this.clock.now());
    await this.deps.bus.publish([domainEvent('RestoreRequested', operationId, this.clock.now(), { request: valid })]);
    return operationId;
  }

  /** Runs the world until every given operation is terminal (or nothing more can happen). */
  async runUntilTerminal(operationIds: string[], options: { maxVirtualMs?: number } = {}): Promise<RunSummary> {
    const pending = new Set(operationIds);
    const notified = async () => {
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
    const file = join(dir, 'world.json');
    await writeFile(`${file}.tmp`, JSON.stringify(world));
    await rename(`${file}.tmp`, file);
    await this.dynamo.save();
  }

  async close(): Promise<void> {
    await this.save();
    await Promise.all([this.dynamo.stop(), this.postgres?.stop()]);
  }
}
