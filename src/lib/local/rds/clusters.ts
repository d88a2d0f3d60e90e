/**
 * DB clusters: DescribeDBClusters, RestoreDBClusterFromSnapshot, DeleteDBCluster, ModifyDBCluster, and
 * the cluster lifecycles (creating → available | failed; deleting → gone, with its final snapshot).
 */
import { createHash } from 'node:crypto';
import { RDS_EVENT_IDS } from '../../../events/rds';
import { MINUTE, membersOf, tagList, tagsOf, type Action, type Plane } from './plane';
import { FINAL_SNAPSHOT_IDENTIFIER_MAX, checkClusterSettings, checkIdentifier, compareEngineVersions, idKey, rdsFault, required } from './rules';
import { REGION_DEFAULT_ENGINE_VERSION, type ClusterRecord, type RegionWorld, type SnapshotRecord } from './world';

/** Cluster states DeleteDBCluster accepts. */
const CLUSTER_DELETABLE = new Set(['available', 'failed', 'stopped', 'inaccessible-encryption-credentials']);

function endpointHash(plane: Plane, region: string): string {
  return createHash('sha256').update(`${plane.world.account}:${region}`).digest('hex').slice(0, 12);
}

export function clusterOutput(plane: Plane, region: string, c: ClusterRecord) {
  const domain = `${region}.rds.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  const hash = endpointHash(plane, region);
  const members = membersOf(plane.region(region), c.clusterId);
  return {
    DBClusterIdentifier: c.clusterId,
    DBClusterArn: plane.arn(region, 'cluster', c.clusterId),
    Status: c.status,
    Engine: c.engine,
    ...(c.engineVersion !== undefined ? { EngineVersion: c.engineVersion } : {}),
    DeletionProtection: c.deletionProtection,
    CopyTagsToSnapshot: c.copyTagsToSnapshot ?? false,
    StorageEncrypted: c.kmsKeyId !== undefined,
    ...(c.kmsKeyId !== undefined ? { KmsKeyId: c.kmsKeyId } : {}),
    Endpoint: `${c.clusterId}.cluster-${hash}.${domain}`,
    ReaderEndpoint: `${c.clusterId}.cluster-ro-${hash}.${domain}`,
    Port: c.port ?? (c.engine === 'aurora-mysql' ? 3306 : 5432),
    ...(c.serverless ? { ServerlessV2ScalingConfiguration: { MinCapacity: c.serverless.min, MaxCapacity: c.serverless.max } } : {}),
    ...(c.logExports?.length ? { EnabledCloudwatchLogsExports: [...c.logExports] } : {}),
    IAMDatabaseAuthenticationEnabled: c.iamAuth ?? false,
    DBClusterParameterGroup: c.clusterParameterGroup ?? `default.${c.engine}${(c.engineVersion ?? '').split('.')[0]}`,
    DBClusterMembers: members.map((i, n) => ({ DBInstanceIdentifier: i.instanceId, IsClusterWriter: n === 0 })),
    TagList: tagList(c.tags),
    ...restorableWindow(plane, c),
    ...(c.pendingRename ? { PendingModifiedValues: { DBClusterIdentifier: c.pendingRename } } : {}),
  };
}

/** Point-in-time restores reach back to the retention window; "The latest restorable time ... is typically within 5 minutes of the current time". */
export const LATEST_RESTORABLE_LAG_MS = 5 * 60_000;

function restorableWindow(plane: Plane, c: ClusterRecord): { EarliestRestorableTime?: Date; LatestRestorableTime?: Date } {
  // "The Latest Restorable Time and Earliest Restorable Time values return NULL until the restore operation is complete."
  if (c.earliestRestorableAtMs === undefined || c.status === 'creating') return {};
  const latest = Math.max(c.earliestRestorableAtMs, plane.nowMs() - LATEST_RESTORABLE_LAG_MS);
  return { EarliestRestorableTime: new Date(c.earliestRestorableAtMs), LatestRestorableTime: new Date(latest) };
}

function clusterOf(r: RegionWorld, id: string): ClusterRecord {
  const c = r.clusters[idKey(id)];
  if (!c) throw rdsFault('DBClusterNotFoundFault', `DBCluster ${id} not found.`, 404);
  return c;
}

const describeDBClusters: Action = (plane, region, input) => {
  const r = plane.region(region);
  if (input.DBClusterIdentifier !== undefined) return { DBClusters: [clusterOutput(plane, region, clusterOf(r, input.DBClusterIdentifier))] };
  return { DBClusters: Object.values(r.clusters).map((c) => clusterOutput(plane, region, c)) };
};

const restoreDBClusterFromSnapshot: Action = (plane, region, input) => {
  const clusterId = checkIdentifier(input.DBClusterIdentifier, 'DBClusterIdentifier');
  const engine = required<string>(input.Engine, 'Engine');
  const snapshotRef = idKey(required<string>(input.SnapshotIdentifier, 'SnapshotIdentifier'));
  const r = plane.region(region);
  if (r.clusters[clusterId]) throw rdsFault('DBClusterAlreadyExistsFault', `DB Cluster ${clusterId} already exists.`);
  const snapshotId = snapshotRef.startsWith('arn:') ? snapshotRef.split(':').slice(6).join(':') : snapshotRef;
  const snap: SnapshotRecord | undefined = r.snapshots[snapshotId];
  if (!snap) throw rdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${snapshotId} not found in ${region}.`, 404);
  if (snap.status !== 'available') {
    throw rdsFault('InvalidDBClusterSnapshotStateFault', `DBClusterSnapshot ${snapshotId} is in state ${snap.status}, expected available.`);
  }
  // "The database engine to use for the new DB cluster. Default: The same as source. Constraint: Must be compatible with the engine of the source."
  if (engine !== snap.engine) {
    throw rdsFault('InvalidParameterCombination', `Engine ${engine} does not match the snapshot's engine ${snap.engine}.`);
  }
  // "If you don't specify an engine version, the default version for the database engine in the Amazon Web
  // Services Region is used." A database cannot be downgraded: a version older than the snapshot's is refused
  // (RDS's behaviour; the API reference documents the default, not the refusal's wording).
  const engineVersion = input.EngineVersion ?? REGION_DEFAULT_ENGINE_VERSION[engine];
  if (snap.engineVersion && engineVersion && compareEngineVersions(engineVersion, snap.engineVersion) < 0) {
    throw rdsFault(
      'InvalidParameterCombination',
      `Cannot restore a DB cluster snapshot of engine version ${snap.engineVersion} to the older version ${engineVersion}${input.EngineVersion ? '' : ` (the ${region} default, used because EngineVersion was not given)`}.`,
    );
  }
  const settings = checkClusterSettings(input, snap.engine, engineVersion, r.parameterGroups ?? []);
  let kmsKeyId: string | undefined;
  if (input.KmsKeyId) kmsKeyId = plane.usableKey(region, input.KmsKeyId);
  // "If the DB snapshot or DB cluster snapshot in SnapshotIdentifier is encrypted, then the restored DB cluster is
  // encrypted using the KMS key that was used to encrypt the DB snapshot or DB cluster snapshot."
  else if (snap.encrypted) kmsKeyId = plane.usableKey(region, snap.kmsKeyId!);
  const c: ClusterRecord = {
    clusterId,
    status: 'creating',
    engine: snap.engine,
    engineVersion,
    deletionProtection: input.DeletionProtection ?? false,
    copyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
    kmsKeyId,
    tags: tagsOf(input.Tags),
    restoredFrom: snapshotId,
    completesAtMs: plane.nowMs() + plane.world.durations.restoreClusterMinutes * MINUTE,
    masterPasswordChanges: 0,
    ...settingsOf(settings),
  };
  r.clusters[clusterId] = c;
  plane.record(region, 'cluster', clusterId, null, 'creating', c.tags);
  plane.arm(region, 'cluster', clusterId, c.completesAtMs!);
  return { DBCluster: clusterOutput(plane, region, c) };
};

const deleteDBCluster: Action = (plane, region, input) => {
  const r = plane.region(region);
  const c = clusterOf(r, required<string>(input.DBClusterIdentifier, 'DBClusterIdentifier'));
  if (c.status === 'deleting') throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${c.clusterId} is already being deleted.`);
  if (!CLUSTER_DELETABLE.has(c.status)) {
    throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${c.clusterId} is in state ${c.status} and cannot be deleted.`);
  }
  // "You can't delete a DB cluster when deletion protection is enabled for it." (Aurora user guide; RDS answers
  // InvalidParameterCombination "Cannot delete protected Cluster, please disable deletion protection and try again.")
  if (c.deletionProtection) {
    throw rdsFault('InvalidParameterCombination', 'Cannot delete protected Cluster, please disable deletion protection and try again.');
  }
  // "An error occurred (InvalidDBClusterStateFault) when calling the DeleteDBCluster operation: Cluster cannot be
  // deleted, it still contains DB instances in non-deleting state." (Aurora user guide)
  if (membersOf(r, c.clusterId).some((i) => i.status !== 'deleting')) {
    throw rdsFault('InvalidDBClusterStateFault', 'Cluster cannot be deleted, it still contains DB instances in non-deleting state.');
  }
  // "You must specify a FinalDBSnapshotIdentifier parameter if SkipFinalSnapshot is disabled." (it defaults to
  // false) and "Specifying this parameter and also skipping the creation of a final DB cluster snapshot with the
  // SkipFinalShapshot parameter results in an error."
  const skip = input.SkipFinalSnapshot === true;
  if (skip && input.FinalDBSnapshotIdentifier !== undefined) {
    throw rdsFault('InvalidParameterCombination', 'FinalDBSnapshotIdentifier cannot be specified when SkipFinalSnapshot is enabled.');
  }
  if (!skip && input.FinalDBSnapshotIdentifier === undefined) {
    throw rdsFault('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is enabled.');
  }
  const finalId = skip ? undefined : checkIdentifier(input.FinalDBSnapshotIdentifier, 'FinalDBSnapshotIdentifier', FINAL_SNAPSHOT_IDENTIFIER_MAX);
  if (finalId !== undefined && r.snapshots[finalId]) {
    throw rdsFault('DBClusterSnapshotAlreadyExistsFault', `Cannot create the cluster snapshot because one with the identifier ${finalId} already exists.`);
  }
  const from = c.status;
  c.status = 'deleting';
  c.completesAtMs = plane.nowMs() + plane.world.durations.deleteClusterMinutes * MINUTE;
  plane.record(region, 'cluster', c.clusterId, from, 'deleting');
  if (finalId !== undefined) {
    c.finalSnapshotId = finalId;
    const snap: SnapshotRecord = {
      snapshotId: finalId,
      sourceClusterId: c.clusterId,
      status: 'creating',
      snapshotType: 'manual',
      createdAt: plane.now().toISOString(),
      encrypted: c.kmsKeyId !== undefined,
      kmsKeyId: c.kmsKeyId,
      engine: c.engine,
      engineVersion: c.engineVersion,
      // "CopyTagsToSnapshot: Specifies whether to copy all tags from the DB cluster to snapshots of the DB cluster."
      tags: c.copyTagsToSnapshot ? { ...c.tags } : {},
    };
    r.snapshots[finalId] = snap;
    plane.record(region, 'snapshot', finalId, null, 'creating', snap.tags);
  }
  plane.arm(region, 'cluster', c.clusterId, c.completesAtMs);
  return { DBCluster: clusterOutput(plane, region, c) };
};

const modifyDBCluster: Action = (plane, region, input) => {
  const r = plane.region(region);
  const c = clusterOf(r, required<string>(input.DBClusterIdentifier, 'DBClusterIdentifier'));
  // InvalidDBClusterStateFault: "The requested operation can't be performed while the cluster is in this state."
  if (c.status !== 'available') {
    throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${c.clusterId} is in state ${c.status}, expected available.`);
  }
  if (input.NewDBClusterIdentifier !== undefined) {
    // "The new DB cluster identifier for the DB cluster when renaming a DB cluster. This value is stored as a lowercase string."
    const newId = checkIdentifier(input.NewDBClusterIdentifier, 'NewDBClusterIdentifier');
    // DBClusterAlreadyExistsFault: "The user already has a DB cluster with the given identifier."
    if (r.clusters[newId] || Object.values(r.clusters).some((x) => x.renamingTo === newId)) {
      throw rdsFault('DBClusterAlreadyExistsFault', `DB Cluster ${newId} already exists.`);
    }
    // "If the ApplyImmediately parameter is disabled, then changes to the ... NewDBClusterIdentifier values are
    // applied during the next maintenance window." (it defaults to disabled)
    if (input.ApplyImmediately !== true) {
      c.pendingRename = newId;
    } else {
      c.pendingRename = undefined;
      c.status = 'renaming';
      c.renamingTo = newId;
      c.completesAtMs = plane.nowMs() + plane.world.durations.renameMinutes * MINUTE;
      plane.record(region, 'cluster', c.clusterId, 'available', 'renaming');
      plane.arm(region, 'cluster', c.clusterId, c.completesAtMs);
    }
  }
  if (input.MasterUserPassword !== undefined) {
    const password = String(input.MasterUserPassword);
    // "Constraints: Must contain from 8 to 41 characters. Can contain any printable ASCII character except "/", """, or "@"." (the message never repeats it)
    if (password.length < 8 || password.length > 41 || /[^\x21-\x7e]|[/"@]/.test(password)) {
      throw rdsFault('InvalidParameterValue', 'The parameter MasterUserPassword is not a valid password: 8 to 41 printable ASCII characters other than /, " and @.');
    }
    // Only the fact of the change is kept, never the password nor anything derived from it.
    c.masterPasswordChanges += 1;
  }
  return { DBCluster: clusterOutput(plane, region, c) };
};

const RESTORE_TYPES = ['full-copy', 'copy-on-write'];

const restoreDBClusterToPointInTime: Action = (plane, region, input) => {
  const clusterId = checkIdentifier(input.DBClusterIdentifier, 'DBClusterIdentifier');
  const r = plane.region(region);
  if (r.clusters[clusterId]) throw rdsFault('DBClusterAlreadyExistsFault', `DB Cluster ${clusterId} already exists.`);
  // "Constraints: Must match the identifier of an existing DBCluster." An ARN of another Region names no cluster
  // here: "You can't create a clone in a different AWS Region from the source Aurora DB cluster."
  const sourceRef = required<string>(input.SourceDBClusterIdentifier, 'SourceDBClusterIdentifier');
  const sourceId = sourceRef.startsWith('arn:') ? (sourceRef.split(':')[3] === region ? idKey(sourceRef.split(':').slice(6).join(':')) : '') : idKey(sourceRef);
  const source = r.clusters[sourceId];
  if (!source) throw rdsFault('DBClusterNotFoundFault', `DBCluster ${sourceRef} not found in ${region}.`, 404);
  const restoreType = input.RestoreType ?? 'full-copy';
  if (!RESTORE_TYPES.includes(restoreType)) throw rdsFault('InvalidParameterValue', `RestoreType must be full-copy or copy-on-write, got ${restoreType}.`);
  if (source.status !== 'available') {
    throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${source.clusterId} is in state ${source.status}; it cannot be restored to a point in time now.`);
  }
  // "You can't create a clone from an Aurora DB cluster that has no DB instances."
  if (restoreType === 'copy-on-write' && membersOf(r, source.clusterId).length === 0) {
    throw rdsFault('InvalidDBClusterStateFault', `DBCluster ${source.clusterId} has no DB instances: it cannot be cloned.`);
  }
  // RestoreToTime: "Can't be specified if the UseLatestRestorableTime parameter is enabled" / "Can't be specified if
  // the RestoreType parameter is copy-on-write" / "Must be specified if UseLatestRestorableTime parameter isn't provided".
  const latest = input.UseLatestRestorableTime === true;
  if (latest && input.RestoreToTime !== undefined) {
    throw rdsFault('InvalidParameterCombination', 'RestoreToTime cannot be specified with UseLatestRestorableTime.');
  }
  if (restoreType === 'copy-on-write' && input.RestoreToTime !== undefined) {
    throw rdsFault('InvalidParameterCombination', 'RestoreToTime cannot be specified with RestoreType copy-on-write.');
  }
  if (!latest && input.RestoreToTime === undefined) {
    throw rdsFault('InvalidParameterCombination', 'RestoreToTime must be specified unless UseLatestRestorableTime is enabled.');
  }
  const window = restorableWindow(plane, source);
  if (input.RestoreToTime !== undefined) {
    const t = new Date(input.RestoreToTime).getTime();
    // "Must be before the latest restorable time for the DB instance", and within the backup retention period.
    if (!Number.isFinite(t) || !window.LatestRestorableTime || t > window.LatestRestorableTime.getTime() || t < window.EarliestRestorableTime!.getTime()) {
      throw rdsFault(
        'InvalidParameterValue',
        `RestoreToTime ${new Date(input.RestoreToTime).toISOString?.() ?? input.RestoreToTime} is outside the restorable window of ${source.clusterId} (${window.EarliestRestorableTime?.toISOString()} to ${window.LatestRestorableTime?.toISOString()}).`,
      );
    }
  }
  // RestoreDBClusterToPointInTime takes no EngineVersion: the copy runs the source's.
  const settings = checkClusterSettings(input, source.engine, source.engineVersion, r.parameterGroups ?? []);
  let kmsKeyId: string | undefined;
  if (input.KmsKeyId) kmsKeyId = plane.usableKey(region, input.KmsKeyId);
  else if (source.kmsKeyId) kmsKeyId = plane.usableKey(region, source.kmsKeyId);
  const minutes = restoreType === 'copy-on-write' ? plane.world.durations.cloneMinutes : plane.world.durations.pointInTimeMinutes;
  const c: ClusterRecord = {
    clusterId,
    status: 'creating',
    engine: source.engine,
    engineVersion: source.engineVersion,
    deletionProtection: input.DeletionProtection ?? false,
    copyTagsToSnapshot: input.CopyTagsToSnapshot ?? false,
    kmsKeyId,
    tags: tagsOf(input.Tags),
    restoredFrom: `${restoreType}:${source.clusterId}`,
    completesAtMs: plane.nowMs() + minutes * MINUTE,
    masterPasswordChanges: 0,
    earliestRestorableAtMs: plane.nowMs() + minutes * MINUTE,
    ...settingsOf(settings),
  };
  r.clusters[clusterId] = c;
  plane.record(region, 'cluster', clusterId, null, 'creating', c.tags);
  plane.arm(region, 'cluster', clusterId, c.completesAtMs!);
  return { DBCluster: clusterOutput(plane, region, c) };
};

const settingsOf = (s: ReturnType<typeof checkClusterSettings>): Partial<ClusterRecord> => ({
  ...(s.port !== undefined ? { port: s.port } : {}),
  ...(s.serverless ? { serverless: s.serverless } : {}),
  ...(s.logExports.length ? { logExports: s.logExports } : {}),
  ...(s.iamAuth ? { iamAuth: true } : {}),
  ...(s.clusterParameterGroup ? { clusterParameterGroup: s.clusterParameterGroup.toLowerCase() } : {}),
});

export const clusterActions = {
  DescribeDBClusters: describeDBClusters,
  RestoreDBClusterFromSnapshot: restoreDBClusterFromSnapshot,
  RestoreDBClusterToPointInTime: restoreDBClusterToPointInTime,
  DeleteDBCluster: deleteDBCluster,
  ModifyDBCluster: modifyDBCluster,
} satisfies Record<string, Action>;

/** A cluster's timer fired: its creation or deletion completes, unless it changed since. */
export function completeCluster(plane: Plane, region: string, id: string, atMs: number): void {
  const r = plane.region(region);
  const c = r.clusters[id];
  if (!c || c.completesAtMs !== atMs) return;
  if (c.status === 'creating') finishCreation(plane, region, c);
  else if (c.status === 'deleting') finishDeletion(plane, region, c);
  else if (c.status === 'renaming') finishRename(plane, region, c);
}

/** The rename completes: the cluster (and its endpoints) take the new identifier; RDS-EVENT-0172 "Renamed cluster from `name` to `name`." */
function finishRename(plane: Plane, region: string, c: ClusterRecord): void {
  const r = plane.region(region);
  const from = c.clusterId;
  const to = c.renamingTo!;
  delete r.clusters[from];
  c.clusterId = to;
  c.renamingTo = undefined;
  c.completesAtMs = undefined;
  c.status = 'available';
  r.clusters[to] = c;
  for (const i of Object.values(r.instances)) if (i.clusterId === from) i.clusterId = to;
  plane.recordRename(region, 'cluster', from, to);
  plane.emit(region, 'cluster', to, RDS_EVENT_IDS.clusterRenamed, 'notification', `Renamed cluster from ${from} to ${to}`, c.tags);
}

function finishCreation(plane: Plane, region: string, c: ClusterRecord): void {
  c.completesAtMs = undefined;
  // failRestoreOf: cluster ids, or prefixes ending in `*` (a swap's temporary cluster name ends with the operation id).
  const failed = plane.world.failRestoreOf.some((f) => (f.endsWith('*') ? c.clusterId.startsWith(f.slice(0, -1)) : f === c.clusterId));
  c.status = failed ? 'failed' : 'available';
  plane.record(region, 'cluster', c.clusterId, 'creating', c.status);
  if (failed) {
    plane.emit(region, 'cluster', c.clusterId, RDS_EVENT_IDS.clusterCreateFailed[0], 'failure', 'Your Aurora cluster could not be created because of incompatible resources.', c.tags);
  } else {
    plane.emit(region, 'cluster', c.clusterId, RDS_EVENT_IDS.clusterCreated, 'creation', 'DB cluster created', c.tags);
  }
}

/** Completes a deletion whose members are gone (otherwise it waits for the last one: see instances.ts). */
export function finishDeletion(plane: Plane, region: string, c: ClusterRecord): void {
  const r = plane.region(region);
  if (membersOf(r, c.clusterId).length > 0) {
    c.waiting = true; // completes when its last instance is gone
    return;
  }
  delete r.clusters[c.clusterId];
  plane.record(region, 'cluster', c.clusterId, 'deleting', null);
  plane.emit(region, 'cluster', c.clusterId, RDS_EVENT_IDS.clusterDeleted, 'deletion', 'DB cluster deleted', c.tags);
  const snap = c.finalSnapshotId ? r.snapshots[c.finalSnapshotId] : undefined;
  if (snap?.status === 'creating') {
    snap.status = 'available';
    plane.record(region, 'snapshot', snap.snapshotId, 'creating', 'available');
    plane.emit(region, 'clusterSnapshot', snap.snapshotId, RDS_EVENT_IDS.manualSnapshotCreated, 'backup', 'Manual cluster snapshot created', snap.tags);
  }
}
