/**
 * The seed's ten Lambda functions, reduced to their RDS work (the same calls our steps make, against the
 * same `Rds` port), so the two designs differ only in how they wait. Each returns the execution's next
 * state (Step Functions passes it to the next Task); a thrown error goes to the state's Retry/Catch.
 * No DynamoDB/SQL here: the baseline's writes are counted by the cost model (seed data flow: every
 * invocation reads the state item and writes it back plus one audit item).
 */
import type { Rds } from '../../src/lib/ports';
import { copiedSnapshotId, writerInstanceId } from '../../src/lib/steps/names';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../src/lib/tags';
import type { RestoreRequest } from '../../src/schemas/restore-request';

export interface ExecutionState {
  executionId: string;
  request: RestoreRequest;
  kmsKeyId?: string;
  snapshot?: { id: string; arn: string; engine: string; engineVersion?: string; encrypted: boolean };
  target?: { id: string; arn: string };
  copy?: 'skipped' | 'copying' | 'available' | 'failed';
  delete?: 'started' | 'cleared';
  restore?: 'creating' | 'available' | 'failed';
  endpoint?: string;
  error?: { Error: string; Cause: string };
}

export type Task = (rds: Rds, state: ExecutionState) => Promise<ExecutionState>;

const FAILED = ['failed', 'inaccessible-encryption-credentials', 'incompatible-parameters', 'incompatible-restore', 'storage-full'];

class TaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The seed's functions are idempotent: a retried task (Step Functions re-runs the whole Lambda) that
 * finds the resource it created on the previous attempt (same deterministic name, our operation tag)
 * carries on, as our steps do.
 */
async function ours<T extends { tags: Record<string, string> }>(e: Error, fault: string, describe: () => Promise<T | undefined>, executionId: string): Promise<T> {
  if (e.name !== fault) throw e;
  const existing = await describe();
  if (existing?.tags[OPERATION_TAG] !== executionId) throw e;
  return existing;
}

/**
 * What delete-rds and check-delete-status do: find the cluster; gone → cleared. delete-rds deletes its
 * instances (and the cluster when it has none); a check deletes the cluster once its instances are gone.
 */
async function clearTarget(rds: Rds, region: string, clusterId: string, first: boolean): Promise<'started' | 'cleared'> {
  const cluster = await rds.describeCluster(region, clusterId);
  if (!cluster) return 'cleared';
  if (first) {
    for (const instanceId of cluster.members) {
      await rds.deleteInstance(region, instanceId).catch((e: Error) => {
        if (e.name !== 'InvalidDBInstanceStateFault' && e.name !== 'DBInstanceNotFoundFault') throw e;
      });
    }
  }
  if (cluster.members.length === 0 && cluster.status !== 'deleting') {
    await rds.deleteCluster(region, { clusterId }).catch((e: Error) => {
      if (e.name !== 'InvalidDBClusterStateFault' && e.name !== 'DBClusterNotFoundFault') throw e;
    });
  }
  return 'started';
}

export const TASKS: Record<string, Task> = {
  async 'snapshot-check'(rds, s) {
    const r = s.request;
    const all = r.snapshotId
      ? [await rds.describeClusterSnapshot(r.sourceRegion, r.snapshotId)].filter((x) => x !== undefined)
      : await rds.listAutomatedSnapshots(r.sourceRegion, r.sourceClusterId!);
    const snap = all.find((x) => x.status === 'available');
    if (!snap) throw new TaskError('SnapshotNotFound', `no available snapshot of ${r.sourceClusterId}`);
    return { ...s, snapshot: { id: snap.snapshotId, arn: snap.snapshotArn, engine: snap.engine, engineVersion: snap.engineVersion, encrypted: snap.encrypted } };
  },

  async 'copy-snapshot'(rds, s) {
    const r = s.request;
    if (r.sourceRegion === r.targetRegion) return { ...s, copy: 'skipped', target: { id: s.snapshot!.id, arn: s.snapshot!.arn } };
    const targetId = copiedSnapshotId(s.executionId, s.snapshot!.id);
    const copy = await rds
      .copyClusterSnapshot({
        sourceRegion: r.sourceRegion,
        targetRegion: r.targetRegion,
        sourceSnapshotArn: s.snapshot!.arn,
        targetSnapshotId: targetId,
        kmsKeyId: s.snapshot!.encrypted ? s.kmsKeyId : undefined,
        tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: s.executionId },
      })
      .catch((e: Error) => ours(e, 'DBClusterSnapshotAlreadyExistsFault', () => rds.describeClusterSnapshot(r.targetRegion, targetId), s.executionId));
    return { ...s, copy: 'copying', target: { id: targetId, arn: copy.snapshotArn } };
  },

  async 'check-copy-status'(rds, s) {
    const snap = await rds.describeClusterSnapshot(s.request.targetRegion, s.target!.id);
    const copy = !snap || FAILED.includes(snap.status) ? 'failed' : snap.status === 'available' ? 'available' : 'copying';
    return { ...s, copy };
  },

  async 'delete-rds'(rds, s) {
    return { ...s, delete: await clearTarget(rds, s.request.targetRegion, s.request.targetClusterId, true) };
  },

  async 'check-delete-status'(rds, s) {
    return { ...s, delete: await clearTarget(rds, s.request.targetRegion, s.request.targetClusterId, false) };
  },

  async 'restore-snapshot'(rds, s) {
    const r = s.request;
    await rds
      .restoreClusterFromSnapshot(r.targetRegion, {
        clusterId: r.targetClusterId,
        snapshotId: s.target!.id,
        engine: s.snapshot!.engine,
        engineVersion: s.snapshot!.engineVersion,
        subnetGroup: r.subnetGroup,
        securityGroupIds: r.securityGroupIds,
        tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: s.executionId },
      })
      .catch((e: Error) => ours(e, 'DBClusterAlreadyExistsFault', () => rds.describeCluster(r.targetRegion, r.targetClusterId), s.executionId));
    return { ...s, restore: 'creating' };
  },

  /** As RDS requires, the writer is created once the restored cluster is available (a poll finds it so). */
  async 'check-restore-status'(rds, s) {
    const r = s.request;
    const cluster = await rds.describeCluster(r.targetRegion, r.targetClusterId);
    if (!cluster || FAILED.includes(cluster.status)) return { ...s, restore: 'failed' };
    if (cluster.status !== 'available' && cluster.members.length === 0) return { ...s, restore: 'creating' };
    const instanceId = writerInstanceId(r.targetClusterId);
    const instance = await rds.describeInstance(r.targetRegion, instanceId);
    if (!instance) {
      const tags = { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: s.executionId };
      await rds
        .createInstance(r.targetRegion, { instanceId, clusterId: r.targetClusterId, instanceClass: r.instanceClass ?? 'db.r6g.large', engine: s.snapshot!.engine, tags })
        .catch((e: Error) => ours(e, 'DBInstanceAlreadyExistsFault', () => rds.describeInstance(r.targetRegion, instanceId), s.executionId));
      return { ...s, restore: 'creating' };
    }
    if (FAILED.includes(instance.status)) return { ...s, restore: 'failed' };
    const done = cluster.status === 'available' && instance.status === 'available';
    return { ...s, restore: done ? 'available' : 'creating', endpoint: cluster.endpoint };
  },

  async 'setup-db-users'(rds, s) {
    // The seed rotates the master password, then runs SQL (not an RDS API call; not simulated here).
    await rds.modifyClusterMasterPassword(s.request.targetRegion, s.request.targetClusterId, 'rotated-in-the-benchmark');
    return s;
  },

  async 'archive-snapshot'(rds, s) {
    if (s.copy !== 'skipped' && s.target && !s.request.keepSnapshot) {
      await rds.deleteClusterSnapshot(s.request.targetRegion, s.target.id).catch((e: Error) => {
        if (e.name !== 'DBClusterSnapshotNotFoundFault') throw e;
      });
    }
    return s;
  },

  async 'sns-notification'(_rds, s) {
    return s; // SNS publish: same in both designs, not an RDS call.
  },
};
