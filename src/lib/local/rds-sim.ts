/**
 * A simulated multi-region Aurora control plane on a virtual clock. It implements the `Rds` port with
 * the lifecycles, durations, errors and native events of RDS, so the same steps run locally as on AWS:
 * - errors are the SDK's own exception classes (name = AWS fault name, `$metadata.httpStatusCode`);
 * - lifecycles (copying, creating, deleting) complete on timers of the virtual clock;
 * - RDS events are emitted as full EventBridge envelopes, optionally dropped, duplicated or late;
 * - API calls are counted per action, can be throttled by a token bucket or failed at random;
 * - `history` logs every resource transition with its virtual time, for benchmarks and chaos checks;
 * - `toJSON` / `fromJSON` persist everything, in-progress lifecycles included.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  InvalidDBClusterSnapshotStateFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  KMSKeyNotAccessibleFault,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { RDS_DETAIL_TYPES, RDS_EVENT_IDS, RDS_SOURCE, type RdsEventDetail } from '../../events/rds';
import { clusterIdentifier, snapshotIdentifier } from '../../schemas/identifiers';
import type { ClusterInfo, Clock, CopySnapshotInput, CreateInstanceInput, InstanceInfo, Rds, RestoreClusterInput, SnapshotInfo } from '../ports';
import { buildWorld, type ClusterRecord, type InstanceRecord, type RegionWorld, type Scenario, type SnapshotRecord, type World } from './scenario';

/** Calls `fn` when the virtual clock reaches `atMs` (VirtualClock.setTimer; pass it bound). `label` is for diagnostics. */
export type SetTimer = (atMs: number, fn: () => void, label?: string) => unknown;

/** A native RDS event as EventBridge delivers it on the default bus. */
export interface RdsEventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: typeof RDS_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: RdsEventDetail;
}

export interface ApiFaults {
  /** Probability that a call fails with `Throttling`. */
  throttleRate: number;
  /** Probability that a call fails with `ServiceUnavailable` (503), before it has any effect. */
  transientRate: number;
  random: () => number;
}

export interface EventFaults {
  dropRate: number;
  duplicateRate: number;
  /** Each delivered copy is late by a random delay up to this many ms (0: on time). */
  lateMaxMs: number;
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
  emit: (envelope: RdsEventEnvelope) => void;
  faults?: ApiFaults;
  eventFaults?: EventFaults;
  rateLimit?: RateLimit;
  /** Defaults to the world's account. */
  account?: string;
}

export const RDS_ACTIONS = [
  'DescribeDBClusterSnapshots',
  'CopyDBClusterSnapshot',
  'DeleteDBClusterSnapshot',
  'DescribeDBClusters',
  'DeleteDBCluster',
  'RestoreDBClusterFromSnapshot',
  'ModifyDBCluster',
  'DescribeDBInstances',
  'CreateDBInstance',
  'DeleteDBInstance',
] as const;
export type RdsAction = (typeof RDS_ACTIONS)[number];

export type ResourceKind = 'snapshot' | 'cluster' | 'instance';

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
}

export interface EventStats {
  emitted: number;
  dropped: number;
  duplicated: number;
  late: number;
}

interface PendingDelivery {
  atMs: number;
  envelope: RdsEventEnvelope;
}

export interface SimulatedRdsState {
  version: 1;
  world: World;
  calls: Record<string, number>;
  throttled: number;
  history: LifecycleTransition[];
  eventStats: EventStats;
  bucket?: { tokens: number; atMs: number };
  pendingDeliveries: PendingDelivery[];
}

const MODELED_FAULTS: Record<string, new (o: { message: string; $metadata: Record<string, unknown> }) => Error> = {
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  InvalidDBClusterSnapshotStateFault,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  KMSKeyNotAccessibleFault,
};

/**
 * An error exactly as the SDK v3 throws it: the modeled exception class when RDS models the fault,
 * otherwise the service's base exception with the fault name (Throttling, InvalidParameterValue, ...).
 */
export function rdsFault(name: string, message: string, httpStatusCode = 400): Error {
  const $metadata = { httpStatusCode, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
  const Modeled = MODELED_FAULTS[name];
  if (Modeled) return new Modeled({ message, $metadata });
  return new RDSServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata, message });
}

const MINUTE = 60_000;
const INSTANCE_DELETABLE = new Set(['available', 'failed', 'stopped', 'storage-full', 'incompatible-parameters']);
const CLUSTER_DELETABLE = new Set(['available', 'failed', 'stopped', 'inaccessible-encryption-credentials']);

function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Key references match by ARN, key id or alias, as KMS resolves them: all reduce to `key/<id>` or `alias/<name>`. */
function keyRef(k: string): string {
  if (k.startsWith('arn:')) return k.split(':').slice(5).join(':');
  return k.startsWith('alias/') || k.startsWith('key/') ? k : `key/${k}`;
}
const sameKey = (a: string, b: string) => keyRef(a) === keyRef(b);

export class SimulatedRds implements Rds {
  readonly calls: Record<string, number> = Object.fromEntries(RDS_ACTIONS.map((a) => [a, 0]));
  throttled = 0;
  readonly history: LifecycleTransition[] = [];
  readonly eventStats: EventStats = { emitted: 0, dropped: 0, duplicated: 0, late: 0 };
  private readonly world: World;
  private readonly account: string;
  private bucket?: { tokens: number; atMs: number };
  private pendingDeliveries: PendingDelivery[] = [];

  constructor(private readonly options: SimulatedRdsOptions) {
    this.world = structuredClone(options.world);
    this.account = options.account ?? this.world.account;
    this.rearm();
  }

  /** A simulator for a scenario's world, with its faults drawn from `random` (seed it for reproducible runs). */
  static fromScenario(
    scenario: Scenario,
    options: Omit<SimulatedRdsOptions, 'world' | 'faults' | 'eventFaults'> & { random: () => number },
  ): SimulatedRds {
    const f = scenario.faults;
    return new SimulatedRds({
      ...options,
      world: buildWorld(scenario),
      faults: { throttleRate: f.throttleRate, transientRate: f.transientRate, random: options.random },
      eventFaults: {
        dropRate: f.eventDropRate,
        duplicateRate: f.eventDuplicateRate,
        lateMaxMs: f.eventLateMaxSeconds * 1000,
        random: options.random,
      },
    });
  }

  /** Restores a simulator saved with `toJSON`, re-arming the timers of in-progress lifecycles and late events. */
  static fromJSON(json: unknown, options: Omit<SimulatedRdsOptions, 'world'>): SimulatedRds {
    const state = json as SimulatedRdsState;
    if (!state || state.version !== 1 || typeof state.world !== 'object') {
      throw new Error('simulated RDS state: expected an object saved by SimulatedRds.toJSON (version 1)');
    }
    const sim = new SimulatedRds({ ...options, world: state.world });
    Object.assign(sim.calls, state.calls);
    sim.throttled = state.throttled;
    sim.history.push(...state.history);
    Object.assign(sim.eventStats, state.eventStats);
    sim.bucket = state.bucket ? { ...state.bucket } : undefined;
    for (const d of state.pendingDeliveries) sim.deliverAt(d.atMs, d.envelope);
    return sim;
  }

  toJSON(): SimulatedRdsState {
    return structuredClone({
      version: 1 as const,
      world: this.world,
      calls: this.calls,
      throttled: this.throttled,
      history: this.history,
      eventStats: this.eventStats,
      bucket: this.bucket,
      pendingDeliveries: this.pendingDeliveries,
    });
  }

  /** Changes lifecycle durations for actions started from now on (benchmarks vary them per restore). */
  setDurations(patch: Partial<World['durations']>): void {
    Object.assign(this.world.durations, patch);
  }

  // ----------------------------------------------------------------------------------- snapshots

  async describeClusterSnapshot(region: string, snapshotId: string): Promise<SnapshotInfo | undefined> {
    this.api('DescribeDBClusterSnapshots');
    const rec = this.regionOf(region).snapshots[this.snapshotIdOf(snapshotId)];
    return rec && this.snapshotInfo(region, rec);
  }

  async listAutomatedSnapshots(region: string, clusterId: string): Promise<SnapshotInfo[]> {
    this.api('DescribeDBClusterSnapshots');
    return Object.values(this.regionOf(region).snapshots)
      .filter((s) => s.snapshotType === 'automated' && s.sourceClusterId === clusterId)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((s) => this.snapshotInfo(region, s));
  }

  async copyClusterSnapshot(input: CopySnapshotInput): Promise<SnapshotInfo> {
    this.api('CopyDBClusterSnapshot');
    const crossRegion = input.sourceRegion !== input.targetRegion;
    const ref = input.sourceSnapshotArn;
    if (ref.startsWith('arn:')) {
      if (ref.split(':')[3] !== input.sourceRegion) {
        throw rdsFault('InvalidParameterValue', `The source snapshot ARN ${ref} is not in the source region ${input.sourceRegion}.`);
      }
    } else if (crossRegion) {
      throw rdsFault('InvalidParameterValue', 'SourceDBClusterSnapshotIdentifier must be an ARN when copying across regions.');
    }
    const sourceId = this.snapshotIdOf(ref);
    const source = this.regionOf(input.sourceRegion).snapshots[sourceId];
    if (!source) throw rdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${sourceId} not found in ${input.sourceRegion}.`, 404);
    if (source.status !== 'available') {
      throw rdsFault('InvalidDBClusterSnapshotStateFault', `DBClusterSnapshot ${sourceId} is in state ${source.status}, expected available.`);
    }
    this.checkManualSnapshotId(input.targetSnapshotId, 'TargetDBClusterSnapshotIdentifier');
    const target = this.regionOf(input.targetRegion);
    if (target.snapshots[input.targetSnapshotId]) {
      throw rdsFault('DBClusterSnapshotAlreadyExistsFault', `Cannot create the cluster snapshot because one with the identifier ${input.targetSnapshotId} already exists.`);
    }
    let kmsKeyId: string | undefined;
    if (source.encrypted) {
      if (input.kmsKeyId) kmsKeyId = this.usableKey(input.targetRegion, input.kmsKeyId);
      else if (crossRegion) throw rdsFault('InvalidParameterValue', 'KmsKeyId must be specified to copy an encrypted DB cluster snapshot to another region.');
      else kmsKeyId = this.usableKey(input.sourceRegion, source.kmsKeyId!);
    } else if (input.kmsKeyId) {
      throw rdsFault('InvalidParameterValue', 'KmsKeyId cannot be specified when copying an unencrypted DB cluster snapshot.');
    }
    const now = this.nowMs();
    const rec: SnapshotRecord = {
      snapshotId: input.targetSnapshotId,
      sourceClusterId: source.sourceClusterId,
      status: 'copying',
      snapshotType: 'manual',
      createdAt: source.createdAt,
      encrypted: source.encrypted,
      kmsKeyId,
      engine: source.engine,
      engineVersion: source.engineVersion,
      tags: { ...input.tags },
      startedAtMs: now,
      completesAtMs: now + this.world.durations.copyMinutes * MINUTE,
    };
    target.snapshots[rec.snapshotId] = rec;
    this.record(input.targetRegion, 'snapshot', rec.snapshotId, null, 'copying', rec.tags);
    this.arm(input.targetRegion, 'snapshot', rec.snapshotId, rec.completesAtMs!);
    return this.snapshotInfo(input.targetRegion, rec);
  }

  async deleteClusterSnapshot(region: string, snapshotId: string): Promise<void> {
    this.api('DeleteDBClusterSnapshot');
    const r = this.regionOf(region);
    const rec = r.snapshots[snapshotId];
    if (!rec) throw rdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${snapshotId} not found.`, 404);
    if (rec.snapshotType === 'automated') {
      throw rdsFault('InvalidDBClusterSnapshotStateFault', `Only manual snapshots may be deleted; ${snapshotId} is automated.`);
    }
    if (rec.status !== 'available' && rec.status !== 'copying' && rec.status !== 'failed') {
      throw rdsFault('InvalidDBClusterSnapshotStateFault', `DBClusterSnapshot ${snapshotId} is in state ${rec.status} and cannot be deleted.`);
    }
    // Deleting a snapshot that is still copying cancels the copy (its timer finds the record gone).
    delete r.snapshots[snapshotId];
    this.record(region, 'snapshot', snapshotId, rec.status, null);
  }

  // ------------------------------------------------------------------------------------ clusters

  async describeCluster(region: string, clusterId: string): Promise<ClusterInfo | undefined> {
    this.api('DescribeDBClusters');
    const rec = this.regionOf(region).clusters[clusterId];
    return rec && this.clusterInfo(region, rec);
  }

  async deleteCluster(region: string, input: { clusterId: string; finalSnapshotId?: string }): Promise<void> {
    this.api('DeleteDBCluster');
    const r = this.regionOf(region);
    const c = r.clusters[input.clusterId];
    if (!c) throw rdsFault('DBClusterNotFoundFault', `DBCluster ${input.clusterId} not found.`, 404);
    if (c.status === 'deleting') throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${c.clusterId} is already being deleted.`);
    if (!CLUSTER_DELETABLE.has(c.status)) {
      throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${c.clusterId} is in state ${c.status} and cannot be deleted.`);
    }
    if (c.deletionProtection) {
      throw rdsFault('InvalidParameterCombination', 'Cannot delete protected Cluster, please disable deletion protection and try again.');
    }
    if (this.membersOf(r, c.clusterId).some((i) => i.status !== 'deleting')) {
      throw rdsFault('InvalidDBClusterStateFault', 'Cluster cannot be deleted, it still contains DB instances in non-deleting state.');
    }
    if (input.finalSnapshotId !== undefined) {
      this.checkManualSnapshotId(input.finalSnapshotId, 'FinalDBSnapshotIdentifier');
      if (r.snapshots[input.finalSnapshotId]) {
        throw rdsFault('DBClusterSnapshotAlreadyExistsFault', `Cannot create the cluster snapshot because one with the identifier ${input.finalSnapshotId} already exists.`);
      }
    }
    const from = c.status;
    c.status = 'deleting';
    c.completesAtMs = this.nowMs() + this.world.durations.deleteClusterMinutes * MINUTE;
    this.record(region, 'cluster', c.clusterId, from, 'deleting');
    if (input.finalSnapshotId !== undefined) {
      c.finalSnapshotId = input.finalSnapshotId;
      const snap: SnapshotRecord = {
        snapshotId: input.finalSnapshotId,
        sourceClusterId: c.clusterId,
        status: 'creating',
        snapshotType: 'manual',
        createdAt: this.clock().toISOString(),
        encrypted: c.kmsKeyId !== undefined,
        kmsKeyId: c.kmsKeyId,
        engine: c.engine,
        engineVersion: c.engineVersion,
        tags: {}, // CopyTagsToSnapshot is off by default
      };
      r.snapshots[snap.snapshotId] = snap;
      this.record(region, 'snapshot', snap.snapshotId, null, 'creating', snap.tags);
    }
    this.arm(region, 'cluster', c.clusterId, c.completesAtMs);
  }

  async restoreClusterFromSnapshot(region: string, input: RestoreClusterInput): Promise<ClusterInfo> {
    this.api('RestoreDBClusterFromSnapshot');
    if (!clusterIdentifier.safeParse(input.clusterId).success) {
      throw rdsFault('InvalidParameterValue', `DBClusterIdentifier ${JSON.stringify(input.clusterId)} is not a valid identifier.`);
    }
    const r = this.regionOf(region);
    if (r.clusters[input.clusterId]) throw rdsFault('DBClusterAlreadyExistsFault', `DB Cluster ${input.clusterId} already exists.`);
    const snapshotId = this.snapshotIdOf(input.snapshotId);
    const snap = r.snapshots[snapshotId];
    if (!snap) throw rdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${snapshotId} not found in ${region}.`, 404);
    if (snap.status !== 'available') {
      throw rdsFault('InvalidDBClusterSnapshotStateFault', `DBClusterSnapshot ${snapshotId} is in state ${snap.status}, expected available.`);
    }
    if (input.engine !== snap.engine) {
      throw rdsFault('InvalidParameterCombination', `Engine ${input.engine} does not match the snapshot's engine ${snap.engine}.`);
    }
    let kmsKeyId: string | undefined;
    if (input.kmsKeyId) kmsKeyId = this.usableKey(region, input.kmsKeyId);
    else if (snap.encrypted) kmsKeyId = this.usableKey(region, snap.kmsKeyId!);
    const c: ClusterRecord = {
      clusterId: input.clusterId,
      status: 'creating',
      engine: snap.engine,
      engineVersion: snap.engineVersion,
      deletionProtection: false,
      kmsKeyId,
      tags: { ...input.tags },
      restoredFrom: snapshotId,
      completesAtMs: this.nowMs() + this.world.durations.restoreClusterMinutes * MINUTE,
      masterPasswordChanges: 0,
    };
    r.clusters[c.clusterId] = c;
    this.record(region, 'cluster', c.clusterId, null, 'creating', c.tags);
    this.arm(region, 'cluster', c.clusterId, c.completesAtMs!);
    return this.clusterInfo(region, c);
  }

  async modifyClusterMasterPassword(region: string, clusterId: string, password: string): Promise<void> {
    this.api('ModifyDBCluster');
    const c = this.regionOf(region).clusters[clusterId];
    if (!c) throw rdsFault('DBClusterNotFoundFault', `DBCluster ${clusterId} not found.`, 404);
    if (c.status !== 'available') {
      throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${clusterId} is in state ${c.status}, expected available.`);
    }
    if (password.length < 8 || password.length > 128 || /[/"@ ]/.test(password)) {
      // The message never repeats the password.
      throw rdsFault('InvalidParameterValue', 'MasterUserPassword must be 8 to 128 printable characters other than /, ", @ and space.');
    }
    // Only the fact of the change is kept, never the password nor anything derived from it.
    c.masterPasswordChanges += 1;
  }

  // ----------------------------------------------------------------------------------- instances

  async describeInstance(region: string, instanceId: string): Promise<InstanceInfo | undefined> {
    this.api('DescribeDBInstances');
    const rec = this.regionOf(region).instances[instanceId];
    return rec && this.instanceInfo(region, rec);
  }

  async createInstance(region: string, input: CreateInstanceInput): Promise<InstanceInfo> {
    this.api('CreateDBInstance');
    if (!clusterIdentifier.safeParse(input.instanceId).success) {
      throw rdsFault('InvalidParameterValue', `DBInstanceIdentifier ${JSON.stringify(input.instanceId)} is not a valid identifier.`);
    }
    const r = this.regionOf(region);
    if (r.instances[input.instanceId]) throw rdsFault('DBInstanceAlreadyExistsFault', `DB instance ${input.instanceId} already exists.`);
    const c = r.clusters[input.clusterId];
    if (!c) throw rdsFault('DBClusterNotFoundFault', `DBCluster ${input.clusterId} not found.`, 404);
    if (c.status !== 'available' && c.status !== 'creating') {
      throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${c.clusterId} is in state ${c.status}; instances can be added to an available or creating cluster.`);
    }
    if (input.engine !== c.engine) {
      throw rdsFault('InvalidParameterCombination', `Engine ${input.engine} does not match the cluster's engine ${c.engine}.`);
    }
    const own = this.nowMs() + this.world.durations.createInstanceMinutes * MINUTE;
    const i: InstanceRecord = {
      instanceId: input.instanceId,
      clusterId: c.clusterId,
      status: 'creating',
      instanceClass: input.instanceClass,
      engine: c.engine,
      tags: { ...input.tags },
      // An instance is not available before its cluster is.
      completesAtMs: c.status === 'creating' ? Math.max(own, c.completesAtMs ?? own) : own,
    };
    r.instances[i.instanceId] = i;
    this.record(region, 'instance', i.instanceId, null, 'creating', i.tags);
    this.arm(region, 'instance', i.instanceId, i.completesAtMs!);
    return this.instanceInfo(region, i);
  }

  async deleteInstance(region: string, instanceId: string): Promise<void> {
    this.api('DeleteDBInstance');
    const i = this.regionOf(region).instances[instanceId];
    if (!i) throw rdsFault('DBInstanceNotFoundFault', `DBInstance ${instanceId} not found.`, 404);
    if (i.status === 'deleting') throw rdsFault('InvalidDBInstanceStateFault', `Instance ${instanceId} is already being deleted.`);
    if (!INSTANCE_DELETABLE.has(i.status)) {
      throw rdsFault('InvalidDBInstanceStateFault', `Instance ${instanceId} is in state ${i.status} and cannot be deleted.`);
    }
    const from = i.status;
    i.status = 'deleting';
    i.waiting = undefined;
    i.completesAtMs = this.nowMs() + this.world.durations.deleteInstanceMinutes * MINUTE;
    this.record(region, 'instance', instanceId, from, 'deleting');
    this.arm(region, 'instance', instanceId, i.completesAtMs);
  }

  // ---------------------------------------------------------------------------------- lifecycles

  private arm(region: string, kind: ResourceKind, id: string, atMs: number): void {
    this.options.setTimer(Math.max(atMs, this.nowMs()), () => this.complete(region, kind, id, atMs), `rds ${region} ${kind} ${id}`);
  }

  /** Re-arms the timers of everything in progress (a restored world, or one built mid-lifecycle). */
  private rearm(): void {
    for (const [region, r] of Object.entries(this.world.regions)) {
      for (const s of Object.values(r.snapshots)) if (s.status === 'copying' && s.completesAtMs !== undefined) this.arm(region, 'snapshot', s.snapshotId, s.completesAtMs);
      for (const c of Object.values(r.clusters)) if (c.completesAtMs !== undefined && !c.waiting) this.arm(region, 'cluster', c.clusterId, c.completesAtMs);
      for (const i of Object.values(r.instances)) if (i.completesAtMs !== undefined && !i.waiting) this.arm(region, 'instance', i.instanceId, i.completesAtMs);
    }
  }

  /** A timer fired; it is stale when the resource is gone or its transition changed since it was armed. */
  private complete(region: string, kind: ResourceKind, id: string, atMs: number): void {
    const r = this.regionOf(region);
    if (kind === 'snapshot') {
      const s = r.snapshots[id];
      if (s?.status !== 'copying' || s.completesAtMs !== atMs) return;
      s.status = 'available';
      s.startedAtMs = s.completesAtMs = undefined;
      this.record(region, 'snapshot', id, 'copying', 'available');
      // No RDS event exists for a finished copy (AWS-FACTS.md).
    } else if (kind === 'cluster') {
      const c = r.clusters[id];
      if (!c || c.completesAtMs !== atMs) return;
      if (c.status === 'creating') this.finishClusterCreation(region, r, c);
      else if (c.status === 'deleting') this.finishClusterDeletion(region, r, c);
    } else {
      const i = r.instances[id];
      if (!i || i.completesAtMs !== atMs) return;
      if (i.status === 'creating') this.finishInstanceCreation(region, r, i);
      else if (i.status === 'deleting') this.finishInstanceDeletion(region, r, i);
    }
  }

  private finishClusterCreation(region: string, r: RegionWorld, c: ClusterRecord): void {
    c.completesAtMs = undefined;
    const failed = this.world.failRestoreOf.includes(c.clusterId);
    c.status = failed ? 'failed' : 'available';
    this.record(region, 'cluster', c.clusterId, 'creating', c.status);
    if (failed) {
      this.emitEvent(region, 'cluster', c.clusterId, RDS_EVENT_IDS.clusterCreateFailed[0], 'failure',
        'Your Aurora cluster could not be created because of incompatible resources.', c.tags);
    } else {
      this.emitEvent(region, 'cluster', c.clusterId, RDS_EVENT_IDS.clusterCreated, 'creation', 'DB cluster created', c.tags);
    }
    for (const i of this.membersOf(r, c.clusterId)) if (i.status === 'creating' && i.waiting) this.finishInstanceCreation(region, r, i);
  }

  private finishClusterDeletion(region: string, r: RegionWorld, c: ClusterRecord): void {
    if (this.membersOf(r, c.clusterId).length > 0) {
      c.waiting = true; // completes when its last instance is gone
      return;
    }
    delete r.clusters[c.clusterId];
    this.record(region, 'cluster', c.clusterId, 'deleting', null);
    this.emitEvent(region, 'cluster', c.clusterId, RDS_EVENT_IDS.clusterDeleted, 'deletion', 'DB cluster deleted', c.tags);
    const snap = c.finalSnapshotId ? r.snapshots[c.finalSnapshotId] : undefined;
    if (snap?.status === 'creating') {
      snap.status = 'available';
      this.record(region, 'snapshot', snap.snapshotId, 'creating', 'available');
      this.emitEvent(region, 'clusterSnapshot', snap.snapshotId, RDS_EVENT_IDS.manualSnapshotCreated, 'backup', 'Manual cluster snapshot created', snap.tags);
    }
  }

  private finishInstanceCreation(region: string, r: RegionWorld, i: InstanceRecord): void {
    const c = r.clusters[i.clusterId];
    if (c?.status === 'creating') {
      i.waiting = true; // completes with its cluster
      return;
    }
    i.completesAtMs = undefined;
    i.waiting = undefined;
    if (c?.status === 'available') {
      i.status = 'available';
      this.record(region, 'instance', i.instanceId, 'creating', 'available');
      this.emitEvent(region, 'instance', i.instanceId, RDS_EVENT_IDS.instanceCreated, 'creation', 'DB instance created', i.tags);
    } else {
      i.status = 'failed';
      this.record(region, 'instance', i.instanceId, 'creating', 'failed');
      this.emitEvent(region, 'instance', i.instanceId, RDS_EVENT_IDS.instanceCreateFailed[1], 'failure',
        `The DB instance could not be created because its cluster ${i.clusterId} is not available.`, i.tags);
    }
  }

  private finishInstanceDeletion(region: string, r: RegionWorld, i: InstanceRecord): void {
    delete r.instances[i.instanceId];
    this.record(region, 'instance', i.instanceId, 'deleting', null);
    this.emitEvent(region, 'instance', i.instanceId, RDS_EVENT_IDS.instanceDeleted, 'deletion', 'DB instance deleted', i.tags);
    const c = r.clusters[i.clusterId];
    if (c?.status === 'deleting' && c.waiting && this.membersOf(r, c.clusterId).length === 0) {
      c.waiting = undefined;
      c.completesAtMs = undefined;
      this.finishClusterDeletion(region, r, c);
    }
  }

  // -------------------------------------------------------------------------------------- events

  private emitEvent(
    region: string,
    kind: keyof typeof RDS_DETAIL_TYPES,
    id: string,
    eventId: string,
    category: string,
    message: string,
    tags: Record<string, string>,
  ): void {
    const now = this.clock();
    const arn = this.arn(region, kind === 'clusterSnapshot' ? 'cluster-snapshot' : kind === 'instance' ? 'db' : 'cluster', id);
    const envelope: RdsEventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': RDS_DETAIL_TYPES[kind],
      source: RDS_SOURCE,
      account: this.account,
      time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [arn],
      detail: {
        EventCategories: [category],
        SourceType: kind === 'cluster' ? 'CLUSTER' : kind === 'instance' ? 'DB_INSTANCE' : 'CLUSTER_SNAPSHOT',
        SourceArn: arn,
        Date: now.toISOString(),
        Message: message,
        SourceIdentifier: id,
        EventID: eventId,
        Tags: { ...tags },
      },
    };
    const f = this.options.eventFaults;
    if (!f) return this.deliverAt(this.nowMs(), envelope);
    if (f.dropRate > 0 && f.random() < f.dropRate) {
      this.eventStats.dropped++;
      return;
    }
    const copies = f.duplicateRate > 0 && f.random() < f.duplicateRate ? 2 : 1;
    if (copies === 2) this.eventStats.duplicated++;
    for (let n = 0; n < copies; n++) {
      const delay = f.lateMaxMs > 0 ? Math.floor(f.random() * f.lateMaxMs) : 0;
      if (delay > 0) this.eventStats.late++;
      this.deliverAt(this.nowMs() + delay, envelope);
    }
  }

  private deliverAt(atMs: number, envelope: RdsEventEnvelope): void {
    if (atMs <= this.nowMs()) {
      this.eventStats.emitted++;
      this.options.emit(structuredClone(envelope));
      return;
    }
    const pending: PendingDelivery = { atMs, envelope };
    this.pendingDeliveries.push(pending);
    this.options.setTimer(atMs, () => {
      const at = this.pendingDeliveries.indexOf(pending);
      if (at < 0) return;
      this.pendingDeliveries.splice(at, 1);
      this.eventStats.emitted++;
      this.options.emit(structuredClone(envelope));
    }, `rds event ${envelope.detail.EventID} ${envelope.detail.SourceIdentifier}`);
  }

  // ------------------------------------------------------------------------------------- helpers

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

  private clock(): Date {
    return this.options.clock.now();
  }

  private nowMs(): number {
    return this.options.clock.now().getTime();
  }

  private regionOf(region: string): RegionWorld {
    return (this.world.regions[region] ??= { kmsKeys: [], inaccessibleKmsKeys: [], snapshots: {}, clusters: {}, instances: {} });
  }

  private membersOf(r: RegionWorld, clusterId: string): InstanceRecord[] {
    return Object.values(r.instances).filter((i) => i.clusterId === clusterId);
  }

  /** A snapshot identifier, or the identifier inside a cluster-snapshot ARN. */
  private snapshotIdOf(ref: string): string {
    return ref.startsWith('arn:') ? ref.split(':').slice(6).join(':') : ref;
  }

  private checkManualSnapshotId(id: string, parameter: string): void {
    if (id.startsWith('rds:') || !snapshotIdentifier.safeParse(id).success) {
      throw rdsFault('InvalidParameterValue', `${parameter} ${JSON.stringify(id)} is not a valid manual snapshot identifier (letters, digits, single hyphens, no "rds:" prefix).`);
    }
  }

  /** The region's key matching `ref`, or KMSKeyNotAccessibleFault. */
  private usableKey(region: string, ref: string): string {
    const r = this.regionOf(region);
    if (r.inaccessibleKmsKeys.some((k) => sameKey(k, ref))) {
      throw rdsFault('KMSKeyNotAccessibleFault', `The specified KMS key ${ref} is not accessible in ${region}.`);
    }
    const key = r.kmsKeys.find((k) => sameKey(k, ref));
    if (!key) throw rdsFault('KMSKeyNotAccessibleFault', `The specified KMS key ${ref} does not exist or is not accessible in ${region}.`);
    return key;
  }

  private arn(region: string, type: string, id: string): string {
    return `arn:${partition(region)}:rds:${region}:${this.account}:${type}:${id}`;
  }

  private endpointHash(region: string): string {
    return createHash('sha256').update(`${this.account}:${region}`).digest('hex').slice(0, 12);
  }

  private snapshotInfo(region: string, s: SnapshotRecord): SnapshotInfo {
    let percentProgress = s.status === 'available' ? 100 : 0;
    if (s.status === 'copying' && s.startedAtMs !== undefined && s.completesAtMs !== undefined) {
      const span = Math.max(1, s.completesAtMs - s.startedAtMs);
      percentProgress = Math.min(99, Math.floor(((this.nowMs() - s.startedAtMs) / span) * 100));
    }
    return {
      snapshotId: s.snapshotId,
      snapshotArn: this.arn(region, 'cluster-snapshot', s.snapshotId),
      region,
      sourceClusterId: s.sourceClusterId,
      status: s.status,
      snapshotType: s.snapshotType,
      createdAt: s.createdAt,
      encrypted: s.encrypted,
      ...(s.kmsKeyId !== undefined && { kmsKeyId: s.kmsKeyId }),
      engine: s.engine,
      ...(s.engineVersion !== undefined && { engineVersion: s.engineVersion }),
      percentProgress,
      tags: { ...s.tags },
    };
  }

  private clusterInfo(region: string, c: ClusterRecord): ClusterInfo {
    const domain = `${region}.rds.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
    const hash = this.endpointHash(region);
    return {
      clusterId: c.clusterId,
      clusterArn: this.arn(region, 'cluster', c.clusterId),
      region,
      status: c.status,
      engine: c.engine,
      deletionProtection: c.deletionProtection,
      endpoint: `${c.clusterId}.cluster-${hash}.${domain}`,
      readerEndpoint: `${c.clusterId}.cluster-ro-${hash}.${domain}`,
      port: c.engine === 'aurora-mysql' ? 3306 : 5432,
      members: this.membersOf(this.regionOf(region), c.clusterId).map((i) => i.instanceId),
      tags: { ...c.tags },
    };
  }

  private instanceInfo(region: string, i: InstanceRecord): InstanceInfo {
    return {
      instanceId: i.instanceId,
      instanceArn: this.arn(region, 'db', i.instanceId),
      region,
      clusterId: i.clusterId,
      status: i.status,
      instanceClass: i.instanceClass,
      tags: { ...i.tags },
    };
  }

  private record(region: string, kind: ResourceKind, id: string, from: string | null, to: string | null, tags?: Record<string, string>): void {
    const now = this.clock();
    this.history.push({ at: now.toISOString(), atMs: now.getTime(), region, kind, id, from, to, ...(tags && { tags: { ...tags } }) });
  }
}
