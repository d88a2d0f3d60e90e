/**
 * A simulated multi-region Aurora control plane on a virtual clock, behind the AWS SDK's own RDS
 * client: `client(region)` is a real `RDSClient` whose commands are answered here, so the pipeline's
 * RDS adapter (src/lib/aws/rds.ts) runs unchanged locally and every request is checked against RDS's
 * documented rules (rules.ts) — the simulator refuses what RDS refuses. By resource:
 * snapshots.ts, clusters.ts, instances.ts; native events in events.ts; the world in world.ts.
 * - errors are the SDK's own exception classes (name = AWS fault name, `$metadata.httpStatusCode`);
 * - lifecycles (copying, creating, deleting) complete on timers of the virtual clock;
 * - RDS events are full EventBridge envelopes on the default bus of their region, optionally dropped, duplicated or late;
 * - API calls are counted per action, can be throttled by a token bucket or failed at random;
 * - `history` logs every resource transition with its virtual time, for benchmarks and chaos checks;
 * - `toJSON` / `fromJSON` persist everything, in-progress lifecycles included.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { AwsRds } from '../../aws/rds';
import type { Clock } from '../../ports';
import type { Scenario } from '../scenario';
import { clusterActions, completeCluster } from './clusters';
import { RdsEvents, rdsEventEnvelope, type EventFaults, type EventStats, type PendingDelivery, type RdsEventEnvelope } from './events';
import { completeInstance, instanceActions } from './instances';
import type { Action, ArnType, EventSource, Plane, ResourceKind } from './plane';
import { partitionOf, rdsFault, sameKey } from './rules';
import { completeSnapshot, snapshotActions } from './snapshots';
import { buildWorld, type RegionWorld, type World } from './world';

export type { RdsEventEnvelope, EventFaults, EventStats } from './events';
export type { ResourceKind } from './plane';
export { rdsFault } from './rules';
export { buildWorld, type World } from './world';

/** Calls `fn` when the virtual clock reaches `atMs` (VirtualClock.setTimer; pass it bound). `label` is for diagnostics. */
export type SetTimer = (atMs: number, fn: () => void, label?: string) => unknown;

export interface ApiFaults {
  /** Probability that a call fails with `Throttling`. */
  throttleRate: number;
  /** Probability that a call fails with `ServiceUnavailable` (503), before it has any effect. */
  transientRate: number;
  random: () => number;
}

/** The account's RDS API rate, shared by all regions: a token bucket refilled on the virtual clock. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface SimulatedRdsOptions {
  clock: Clock;
  setTimer: SetTimer;
  world: World;
  /** Receives every RDS event, on the default bus of the event's `region`. */
  emit: (envelope: RdsEventEnvelope) => void;
  faults?: ApiFaults;
  eventFaults?: EventFaults;
  rateLimit?: RateLimit;
  /** Defaults to the world's account. */
  account?: string;
}

const ACTIONS = { ...snapshotActions, ...clusterActions, ...instanceActions } satisfies Record<string, Action>;
export type RdsAction = keyof typeof ACTIONS;
export const RDS_ACTIONS = Object.keys(ACTIONS) as RdsAction[];

/** One lifecycle transition. `from: null` is a creation (with the resource's tags), `to: null` a disappearance. */
export interface LifecycleTransition {
  at: string;
  atMs: number;
  region: string;
  kind: ResourceKind;
  id: string;
  from: string | null;
  to: string | null;
  tags?: Record<string, string>;
  /** A rename (`from: 'renaming'`, `to: 'available'`): the identifier the resource had until now. */
  renamedFrom?: string;
}

export interface SimulatedRdsState {
  version: 2;
  world: World;
  calls: Record<string, number>;
  throttled: number;
  history: LifecycleTransition[];
  eventStats: EventStats;
  bucket?: { tokens: number; atMs: number };
  pendingDeliveries: PendingDelivery[];
}

export class SimulatedRds {
  readonly calls: Record<string, number> = Object.fromEntries(RDS_ACTIONS.map((a) => [a, 0]));
  throttled = 0;
  readonly history: LifecycleTransition[] = [];
  private readonly world: World;
  private readonly account: string;
  private readonly events: RdsEvents;
  private readonly clients = new Map<string, RDSClient>();
  private bucket?: { tokens: number; atMs: number };
  private readonly plane: Plane;

  constructor(private readonly options: SimulatedRdsOptions) {
    this.world = structuredClone(options.world);
    this.account = options.account ?? this.world.account;
    this.events = new RdsEvents({ nowMs: () => this.nowMs(), setTimer: options.setTimer, deliver: options.emit, faults: options.eventFaults });
    this.plane = this.makePlane();
    this.rearm();
  }

  get eventStats(): EventStats {
    return this.events.stats;
  }

  /** A simulator for a scenario's world, with its faults drawn from `random` (seed it for reproducible runs). */
  static fromScenario(
    scenario: Scenario,
    options: Omit<SimulatedRdsOptions, 'world' | 'faults' | 'eventFaults'> & { random: () => number },
  ): SimulatedRds {
    return new SimulatedRds({ ...options, world: buildWorld(scenario), ...SimulatedRds.faultsOf(scenario, options.random) });
  }

  /** The API and event faults a scenario asks for, drawn from `random`. */
  static faultsOf(scenario: Scenario, random: () => number): Pick<SimulatedRdsOptions, 'faults' | 'eventFaults'> {
    const f = scenario.faults;
    return {
      faults: { throttleRate: f.throttleRate, transientRate: f.transientRate, random },
      eventFaults: { dropRate: f.eventDropRate, duplicateRate: f.eventDuplicateRate, lateMaxMs: f.eventLateMaxSeconds * 1000, random },
    };
  }

  /** Restores a simulator saved with `toJSON`, re-arming the timers of in-progress lifecycles and late events. */
  static fromJSON(json: unknown, options: Omit<SimulatedRdsOptions, 'world'>): SimulatedRds {
    const state = json as SimulatedRdsState;
    if (!state || state.version !== 2 || typeof state.world !== 'object') {
      throw new Error('simulated RDS state: expected an object saved by SimulatedRds.toJSON (version 2)');
    }
    const sim = new SimulatedRds({ ...options, world: state.world });
    Object.assign(sim.calls, state.calls);
    sim.throttled = state.throttled;
    sim.history.push(...state.history);
    sim.bucket = state.bucket ? { ...state.bucket } : undefined;
    sim.events.restore(state.eventStats, state.pendingDeliveries);
    return sim;
  }

  toJSON(): SimulatedRdsState {
    return structuredClone({
      version: 2 as const,
      world: this.world,
      calls: this.calls,
      throttled: this.throttled,
      history: this.history,
      eventStats: this.events.stats,
      bucket: this.bucket,
      pendingDeliveries: this.events.toJSON(),
    });
  }

  /** Changes lifecycle durations for actions started from now on (benchmarks vary them per restore). */
  setDurations(patch: Partial<World['durations']>): void {
    Object.assign(this.world.durations, patch);
  }

  /**
   * The AWS SDK's RDS client of `region`, answered by this simulator: `send(command)` runs the
   * command's action on the region's resources (after the API's rate limit and injected faults).
   * Middleware does not run (no credentials, no presigned URL): the request itself is what is checked.
   */
  client(region: string): RDSClient {
    let c = this.clients.get(region);
    if (!c) {
      c = new RDSClient({ region, credentials: { accessKeyId: 'simulated', secretAccessKey: 'simulated' } });
      const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => this.handle(region, command.constructor.name.replace(/Command$/, ''), command.input);
      Object.assign(c, { send });
      this.clients.set(region, c);
    }
    return c;
  }

  /** The pipeline's RDS port (the AWS adapter) over this simulator's clients. */
  adapter(): AwsRds {
    return new AwsRds({ clientFor: (region) => this.client(region) });
  }

  /** Runs one RDS API action as RDS would answer it; an action the simulator does not model is refused as RDS refuses an unknown one. */
  handle(region: string, action: string, input: Record<string, unknown>): Record<string, unknown> {
    const run = (ACTIONS as Record<string, Action>)[action];
    if (!run) throw rdsFault('InvalidAction', `The action ${action} is not valid for this web service (or not simulated).`);
    this.api(action as RdsAction);
    return run(this.plane, region, structuredClone(input ?? {}));
  }

  // ---------------------------------------------------------------------------------- the plane

  private makePlane(): Plane {
    return {
      world: this.world,
      region: (name) => this.regionOf(name),
      nowMs: () => this.nowMs(),
      now: () => this.options.clock.now(),
      arn: (region, type, id) => this.arn(region, type, id),
      record: (region, kind, id, from, to, tags) => {
        const now = this.options.clock.now();
        this.history.push({ at: now.toISOString(), atMs: now.getTime(), region, kind, id, from, to, ...(tags && { tags: { ...tags } }) });
      },
      recordRename: (region, kind, from, to) => {
        const now = this.options.clock.now();
        this.history.push({ at: now.toISOString(), atMs: now.getTime(), region, kind, id: to, from: 'renaming', to: 'available', renamedFrom: from });
      },
      arm: (region, kind, id, atMs) => this.arm(region, kind, id, atMs),
      emit: (region, source: EventSource, id, eventId, category, message, tags) =>
        this.events.emit(
          rdsEventEnvelope({
            account: this.account,
            region,
            arn: this.arn(region, source === 'clusterSnapshot' ? 'cluster-snapshot' : source === 'instance' ? 'db' : 'cluster', id),
            source,
            id,
            eventId,
            category,
            message,
            tags,
            now: this.options.clock.now(),
          }),
        ),
      usableKey: (region, ref) => {
        const r = this.regionOf(region);
        if (r.inaccessibleKmsKeys.some((k) => sameKey(k, ref))) {
          throw rdsFault('KMSKeyNotAccessibleFault', `The specified KMS key ${ref} is not accessible in ${region}.`);
        }
        const key = r.kmsKeys.find((k) => sameKey(k, ref));
        if (!key) throw rdsFault('KMSKeyNotAccessibleFault', `The specified KMS key ${ref} does not exist or is not accessible in ${region}.`);
        return key;
      },
    };
  }

  private arm(region: string, kind: ResourceKind, id: string, atMs: number): void {
    const complete = kind === 'snapshot' ? completeSnapshot : kind === 'cluster' ? completeCluster : completeInstance;
    this.options.setTimer(Math.max(atMs, this.nowMs()), () => complete(this.plane, region, id, atMs), `rds ${region} ${kind} ${id}`);
  }

  /** Re-arms the timers of everything in progress (a restored world, or one built mid-lifecycle). */
  private rearm(): void {
    for (const [region, r] of Object.entries(this.world.regions)) {
      for (const s of Object.values(r.snapshots)) if (s.status === 'copying' && s.completesAtMs !== undefined) this.arm(region, 'snapshot', s.snapshotId, s.completesAtMs);
      for (const c of Object.values(r.clusters)) if (c.completesAtMs !== undefined && !c.waiting) this.arm(region, 'cluster', c.clusterId, c.completesAtMs);
      for (const i of Object.values(r.instances)) if (i.completesAtMs !== undefined) this.arm(region, 'instance', i.instanceId, i.completesAtMs);
    }
  }

  /** Counts the call, then applies the account's rate limit and injected faults, as RDS would answer. */
  private api(action: RdsAction): void {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    if (this.options.rateLimit && !this.takeToken(this.options.rateLimit)) {
      this.throttled++;
      throw rdsFault('Throttling', 'Rate exceeded', 400);
    }
    const f = this.options.faults;
    if (f && f.throttleRate > 0 && f.random() < f.throttleRate) {
      this.throttled++;
      throw rdsFault('Throttling', 'Rate exceeded', 400);
    }
    if (f && f.transientRate > 0 && f.random() < f.transientRate) {
      throw rdsFault('ServiceUnavailable', 'Service unavailable, please retry.', 503);
    }
  }

  // Hand-written: a token bucket is a few lines, and it must run on the virtual clock.
  private takeToken(limit: RateLimit): boolean {
    const now = this.nowMs();
    const b = (this.bucket ??= { tokens: limit.burst, atMs: now });
    b.tokens = Math.min(limit.burst, b.tokens + ((now - b.atMs) / 1000) * limit.perSecond);
    b.atMs = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private nowMs(): number {
    return this.options.clock.now().getTime();
  }

  private regionOf(region: string): RegionWorld {
    return (this.world.regions[region] ??= { kmsKeys: [], inaccessibleKmsKeys: [], snapshots: {}, clusters: {}, instances: {} });
  }

  private arn(region: string, type: ArnType, id: string): string {
    return `arn:${partitionOf(region)}:rds:${region}:${this.account}:${type}:${id}`;
  }
}
