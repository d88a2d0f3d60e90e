/**
 * Cluster snapshots: DescribeDBClusterSnapshots, CopyDBClusterSnapshot, DeleteDBClusterSnapshot, and
 * the copy lifecycle (copying → available; RDS emits no event when a copy finishes).
 */
import { MINUTE, tagList, tagsOf, type Action, type Plane } from './plane';
import { checkIdentifier, idKey, rdsFault, required } from './rules';
import type { SnapshotRecord } from './world';

/** A snapshot identifier, or the identifier inside a cluster-snapshot ARN (arn:aws:rds:REGION:ACCOUNT:cluster-snapshot:ID). */
function snapshotRef(ref: string): { region?: string; id: string } {
  if (!ref.startsWith('arn:')) return { id: idKey(ref) };
  const parts = ref.split(':');
  if (parts[2] !== 'rds' || parts[5] !== 'cluster-snapshot') throw rdsFault('InvalidParameterValue', `${ref} is not a valid DB cluster snapshot ARN.`);
  return { region: parts[3], id: idKey(parts.slice(6).join(':')) };
}

/**
 * How a copy's PercentProgress moves, as RDS reports it: whole percents, at 0 for a while before it
 * moves (the copy is set up, and a cross-Region copy transfers before it counts), then at a rate that is
 * not constant (four stretches of equal time, each with its own share of the work), and never 100 before
 * the copy is available. Drawn per copy from a hash of its identifier and start, so a run is reproducible
 * and no other draw of the simulator shifts. Only the documented shape is modelled — 0 to 100 in whole
 * percents — not any predictor's assumption: the plateau and the uneven stretches are there to be hard.
 */
export function copyProgressShape(snapshotId: string, startedAtMs: number): { zeroFraction: number; shares: number[] } {
  let h = 2166136261;
  for (const ch of `${snapshotId}@${startedAtMs}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const next = () => {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
    return ((h ^= h >>> 16) >>> 0) / 4294967296;
  };
  const zeroFraction = 0.05 + next() * 0.3;
  const weights = [0, 0, 0, 0].map(() => 0.4 + next() * 1.6);
  const total = weights.reduce((a, b) => a + b, 0);
  return { zeroFraction, shares: weights.map((w) => w / total) };
}

/** The fraction done (0..1) at `u` (0..1) of the copy's time, for a shape. */
export function copyFractionAt(shape: { zeroFraction: number; shares: number[] }, u: number): number {
  if (u <= shape.zeroFraction) return 0;
  const v = Math.min(1, (u - shape.zeroFraction) / (1 - shape.zeroFraction)) * shape.shares.length;
  let done = 0;
  for (let i = 0; i < shape.shares.length; i++) {
    if (v >= i + 1) done += shape.shares[i];
    else return done + shape.shares[i] * (v - i);
  }
  return done;
}

function percentProgress(plane: Plane, s: SnapshotRecord): number {
  if (s.status === 'available') return 100;
  if (s.status !== 'copying' || s.startedAtMs === undefined || s.completesAtMs === undefined) return 0;
  const span = Math.max(1, s.completesAtMs - s.startedAtMs);
  const u = (plane.nowMs() - s.startedAtMs) / span;
  return Math.min(99, Math.floor(copyFractionAt(copyProgressShape(s.snapshotId, s.startedAtMs), u) * 100));
}

function snapshotOutput(plane: Plane, region: string, s: SnapshotRecord) {
  return {
    DBClusterSnapshotIdentifier: s.snapshotId,
    DBClusterSnapshotArn: plane.arn(region, 'cluster-snapshot', s.snapshotId),
    DBClusterIdentifier: s.sourceClusterId,
    Status: s.status,
    SnapshotType: s.snapshotType,
    SnapshotCreateTime: new Date(s.createdAt),
    StorageEncrypted: s.encrypted,
    ...(s.kmsKeyId !== undefined ? { KmsKeyId: s.kmsKeyId } : {}),
    Engine: s.engine,
    ...(s.engineVersion !== undefined ? { EngineVersion: s.engineVersion } : {}),
    PercentProgress: percentProgress(plane, s),
    TagList: tagList(s.tags),
  };
}

/** Cluster snapshot types ("The awsbackup type does not apply to Aurora."). */
const SNAPSHOT_TYPES = ['automated', 'manual', 'shared', 'public'];

const describeDBClusterSnapshots: Action = (plane, region, input) => {
  // "MaxRecords ... Default: 100. Constraints: Minimum 20, maximum 100."
  const max = input.MaxRecords ?? 100;
  if (!Number.isInteger(max) || max < 20 || max > 100) throw rdsFault('InvalidParameterValue', `MaxRecords must be between 20 and 100, got ${max}.`);
  if (input.SnapshotType !== undefined && !SNAPSHOT_TYPES.includes(input.SnapshotType)) {
    throw rdsFault('InvalidParameterValue', `SnapshotType must be one of ${SNAPSHOT_TYPES.join(', ')}.`);
  }
  const r = plane.region(region);
  let found: SnapshotRecord[];
  if (input.DBClusterSnapshotIdentifier !== undefined) {
    // "This parameter can't be used with the DBClusterIdentifier parameter."
    if (input.DBClusterIdentifier !== undefined) {
      throw rdsFault('InvalidParameterCombination', 'DBClusterSnapshotIdentifier cannot be used with DBClusterIdentifier.');
    }
    const ref = snapshotRef(input.DBClusterSnapshotIdentifier);
    const s = ref.region === undefined || ref.region === region ? r.snapshots[ref.id] : undefined;
    // "If this identifier is for an automated snapshot, the SnapshotType parameter must also be specified."
    if (ref.id.startsWith('rds:') && input.SnapshotType !== 'automated') {
      throw rdsFault(
        'InvalidParameterCombination',
        `${input.DBClusterSnapshotIdentifier} is an automated snapshot identifier: the SnapshotType parameter must also be specified (automated).`,
      );
    }
    if (!s || (input.SnapshotType !== undefined && s.snapshotType !== input.SnapshotType)) {
      throw rdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${input.DBClusterSnapshotIdentifier} not found.`, 404);
    }
    found = [s];
  } else {
    // "If you don't specify a SnapshotType value, then both automated and manual DB cluster snapshots are returned."
    const types = input.SnapshotType ? [input.SnapshotType] : ['automated', 'manual'];
    found = Object.values(r.snapshots).filter(
      (s) => types.includes(s.snapshotType) && (input.DBClusterIdentifier === undefined || s.sourceClusterId === idKey(input.DBClusterIdentifier)),
    );
  }
  const from = input.Marker ? Number(input.Marker) : 0;
  if (!Number.isInteger(from) || from < 0) throw rdsFault('InvalidParameterValue', 'Marker is not valid.');
  const page = found.slice(from, from + max);
  return {
    DBClusterSnapshots: page.map((s) => snapshotOutput(plane, region, s)),
    ...(from + max < found.length ? { Marker: String(from + max) } : {}),
  };
};

const copyDBClusterSnapshot: Action = (plane, region, input) => {
  const sourceRef = required<string>(input.SourceDBClusterSnapshotIdentifier, 'SourceDBClusterSnapshotIdentifier');
  const targetId = checkIdentifier(input.TargetDBClusterSnapshotIdentifier, 'TargetDBClusterSnapshotIdentifier');
  const source = snapshotRef(sourceRef);
  const sourceRegion = source.region ?? region;
  const crossRegion = sourceRegion !== region;
  // "If the source snapshot is in a different AWS Region than the copy, specify a valid DB cluster snapshot ARN."
  if (!sourceRef.startsWith('arn:') && crossRegion) {
    throw rdsFault('InvalidParameterValue', 'SourceDBClusterSnapshotIdentifier must be an ARN when copying across regions.');
  }
  const src = plane.region(sourceRegion).snapshots[source.id];
  if (!src) throw rdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${source.id} not found in ${sourceRegion}.`, 404);
  if (src.status !== 'available') {
    throw rdsFault('InvalidDBClusterSnapshotStateFault', `DBClusterSnapshot ${source.id} is in state ${src.status}, expected available.`);
  }
  const target = plane.region(region);
  if (target.snapshots[targetId]) {
    throw rdsFault('DBClusterSnapshotAlreadyExistsFault', `Cannot create the cluster snapshot because one with the identifier ${targetId} already exists.`);
  }
  let kmsKeyId: string | undefined;
  if (src.encrypted) {
    if (input.KmsKeyId) kmsKeyId = plane.usableKey(region, input.KmsKeyId);
    // "To copy an encrypted DB cluster snapshot to another Amazon Web Services Region, you must set KmsKeyId
    // to the Amazon Web Services KMS key identifier you want to use to encrypt the copy ... in the destination Region."
    else if (crossRegion) throw rdsFault('InvalidParameterValue', 'KmsKeyId must be specified to copy an encrypted DB cluster snapshot to another region.');
    else kmsKeyId = plane.usableKey(region, src.kmsKeyId!);
  } else if (input.KmsKeyId) {
    // "If you copy an unencrypted DB cluster snapshot and specify a value for the KmsKeyId parameter, an error is returned."
    throw rdsFault('InvalidParameterValue', 'KmsKeyId cannot be specified when copying an unencrypted DB cluster snapshot.');
  }
  const now = plane.nowMs();
  const rec: SnapshotRecord = {
    snapshotId: targetId,
    sourceClusterId: src.sourceClusterId,
    status: 'copying',
    snapshotType: 'manual',
    createdAt: src.createdAt,
    encrypted: src.encrypted,
    kmsKeyId,
    engine: src.engine,
    engineVersion: src.engineVersion,
    tags: { ...(input.CopyTags ? src.tags : {}), ...tagsOf(input.Tags) },
    startedAtMs: now,
    completesAtMs: now + plane.world.durations.copyMinutes * MINUTE,
  };
  target.snapshots[targetId] = rec;
  plane.record(region, 'snapshot', targetId, null, 'copying', rec.tags);
  plane.arm(region, 'snapshot', targetId, rec.completesAtMs!);
  return { DBClusterSnapshot: snapshotOutput(plane, region, rec) };
};

const deleteDBClusterSnapshot: Action = (plane, region, input) => {
  const id = idKey(required<string>(input.DBClusterSnapshotIdentifier, 'DBClusterSnapshotIdentifier'));
  const r = plane.region(region);
  const rec = r.snapshots[id];
  if (!rec) throw rdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`, 404);
  // Only manual snapshots can be deleted; automated ones expire with the backup retention period.
  if (rec.snapshotType === 'automated') {
    throw rdsFault('InvalidDBClusterSnapshotStateFault', `Only manual snapshots may be deleted; ${id} is automated.`);
  }
  if (rec.status !== 'available' && rec.status !== 'copying' && rec.status !== 'failed') {
    throw rdsFault('InvalidDBClusterSnapshotStateFault', `DBClusterSnapshot ${id} is in state ${rec.status} and cannot be deleted.`);
  }
  // Deleting a snapshot that is still copying cancels the copy (its timer finds the record gone).
  const out = snapshotOutput(plane, region, rec);
  delete r.snapshots[id];
  plane.record(region, 'snapshot', id, rec.status, null);
  return { DBClusterSnapshot: { ...out, Status: 'deleting' } };
};

export const snapshotActions = {
  DescribeDBClusterSnapshots: describeDBClusterSnapshots,
  CopyDBClusterSnapshot: copyDBClusterSnapshot,
  DeleteDBClusterSnapshot: deleteDBClusterSnapshot,
} satisfies Record<string, Action>;

/** A copy's timer fired: it is available now, unless it was deleted or re-armed meanwhile. No RDS event exists for it. */
export function completeSnapshot(plane: Plane, region: string, id: string, atMs: number): void {
  const s = plane.region(region).snapshots[id];
  if (s?.status !== 'copying' || s.completesAtMs !== atMs) return;
  s.status = 'available';
  s.startedAtMs = s.completesAtMs = undefined;
  plane.record(region, 'snapshot', id, 'copying', 'available');
}
