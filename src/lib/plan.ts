/**
 * What a restore would do, without doing it (`aurora-restore plan`, `start --dry-run`): the snapshot (or
 * live source cluster) it would use, what it would copy, delete (with the safety rules' verdict for each
 * resource), create and rename (the swap strategy), and which final snapshots retention would prune — from Describe calls only, through the same
 * Rds port and the same rules the steps use (safety.ts, names.ts, retention.ts).
 */
import type { Config } from '../schemas/config';
import type { RestoreRequest } from '../schemas/restore-request';
import type { ErrorCode } from '../events/catalogue';
import type { Rds, SnapshotInfo } from './ports';
import { deletionVerdict, engineProblem, replacementProblem, requestProblem } from './safety';
import { copiedSnapshotId, finalSnapshotId, masterSecretName, retiredClusterId, temporaryClusterId, writerInstanceId } from './steps/names';
import { pipelineFinalSnapshots, retentionVerdict } from './steps/retention';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from './tags';

/** Names derived from the operation id show this suffix: the real one is known when the restore starts. */
export const PLAN_OPERATION_ID = 'restore-00000000-000000-xxxxxx';

export interface PlanAction {
  /** use | copy | delete | create | rename | rotate | archive | prune */
  action: string;
  resource: string;
  detail: string;
  /** For deletions: the safety rules' verdict. */
  verdict?: 'allowed' | 'refused';
}

export interface RestorePlan {
  request: RestoreRequest;
  /** The first refusal the restore would meet (the code it would fail with), if any. */
  refusal?: { code: ErrorCode; message: string };
  actions: PlanAction[];
}

type PlanConfig = Pick<
  Config,
  'PROTECTED_CLUSTER_PATTERN' | 'DELETION_ALLOW_LIST' | 'TARGET_KMS_KEYS' | 'FINAL_SNAPSHOT_RETENTION_COUNT' | 'FINAL_SNAPSHOT_RETENTION_DAYS' | 'APP_SECRET_NAME' | 'CLONE_SOURCE_CLUSTERS'
>;

export async function planRestore(rds: Rds, config: PlanConfig, request: RestoreRequest, now: Date): Promise<RestorePlan> {
  const actions: PlanAction[] = [];
  const plan: RestorePlan = { request, actions };
  const refuse = (code: ErrorCode, message: string) => {
    plan.refusal ??= { code, message };
    return plan;
  };
  const op = PLAN_OPERATION_ID;
  const swap = request.strategy === 'swap';
  const protectedTarget = requestProblem(request, config);
  if (protectedTarget) return refuse(protectedTarget.code, protectedTarget.message);

  // The target, as snapshot-check's pre-flight and delete-rds see it.
  const existing = await rds.describeCluster(request.targetRegion, request.targetClusterId);
  const replacement = existing && replacementProblem(existing, request.deleteExisting, config, request.strategy);
  if (replacement) refuse(replacement.code, replacement.message);

  // The source: a snapshot, or the live source cluster (clone, point in time).
  let snapshot: SnapshotInfo | undefined;
  let from: string;
  if (request.source !== 'snapshot') {
    const cluster = await rds.describeCluster(request.sourceRegion, request.sourceClusterId!);
    from = request.source === 'clone' ? `a clone of ${request.sourceClusterId}` : `${request.sourceClusterId} at ${request.restoreTime ?? 'its latest restorable time'}`;
    if (!cluster) refuse('SourceNotRestorable', `found no cluster ${request.sourceClusterId} in ${request.sourceRegion}`);
    else {
      actions.push({
        action: 'use',
        resource: `cluster ${cluster.clusterId} (${request.sourceRegion})`,
        detail: `${request.source === 'clone' ? 'an Aurora clone (copy-on-write) at the latest restorable time' : `a point-in-time copy at ${request.restoreTime ?? 'the latest restorable time'}`}; ${cluster.engine}, ${cluster.status}`,
      });
      if (!config.CLONE_SOURCE_CLUSTERS.includes(cluster.clusterId)) refuse('SourceNotRestorable', `cluster ${cluster.clusterId} is not on CLONE_SOURCE_CLUSTERS`);
      const unsupported = engineProblem(cluster);
      if (unsupported) refuse(unsupported.code, unsupported.message);
      if (cluster.status !== 'available') refuse('SourceNotRestorable', `cluster ${cluster.clusterId} is ${cluster.status}, expected available`);
    }
    actions.push({ action: 'copy', resource: 'nothing', detail: `a ${request.source} restore stays in the source cluster's region` });
  } else {
    if (request.snapshotId) snapshot = await rds.describeClusterSnapshot(request.sourceRegion, request.snapshotId);
    else {
      const all = await rds.listAutomatedSnapshots(request.sourceRegion, request.sourceClusterId!);
      const day = request.snapshotDate ? all.filter((s) => new Date(s.createdAt).toISOString().slice(0, 10) === request.snapshotDate) : all;
      snapshot = day.find((s) => s.status === 'available') ?? day[0];
    }
    from = snapshot?.snapshotId ?? 'the snapshot';
    if (!snapshot) {
      const what = request.snapshotId ? `snapshot ${request.snapshotId}` : `automated snapshot of ${request.sourceClusterId}${request.snapshotDate ? ` taken on ${request.snapshotDate}` : ''}`;
      refuse('SnapshotNotFound', `found no ${what} in ${request.sourceRegion}`);
    } else {
      actions.push({
        action: 'use',
        resource: `snapshot ${snapshot.snapshotId} (${request.sourceRegion})`,
        detail: `${snapshot.engine}${snapshot.engineVersion ? ` ${snapshot.engineVersion}` : ''}, ${snapshot.encrypted ? 'encrypted' : 'not encrypted'}, ${snapshot.status}, taken ${snapshot.createdAt.slice(0, 16).replace('T', ' ')} UTC`,
      });
      const unsupported = engineProblem(snapshot);
      if (unsupported) refuse(unsupported.code, unsupported.message);
      if (snapshot.status !== 'available') refuse('SnapshotNotAvailable', `snapshot ${snapshot.snapshotId} is ${snapshot.status}, expected available`);
    }
    // The copy.
    if (request.sourceRegion === request.targetRegion) actions.push({ action: 'copy', resource: 'nothing', detail: 'source and target region are the same' });
    else if (snapshot) {
      const key = config.TARGET_KMS_KEYS[request.targetRegion];
      if (snapshot.encrypted && !key) refuse('KmsKeyNotAccessible', `snapshot ${snapshot.snapshotId} is encrypted and no KMS key is configured for ${request.targetRegion} (TARGET_KMS_KEYS)`);
      const copyId = copiedSnapshotId(op, snapshot.snapshotId);
      from = copyId;
      actions.push({ action: 'copy', resource: `snapshot ${copyId} (${request.targetRegion})`, detail: `from ${request.sourceRegion}${snapshot.encrypted ? `, encrypted with ${key ?? '(no key configured)'}` : ''}; tagged ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}` });
    }
  }
  const copyId = snapshot && request.sourceRegion !== request.targetRegion ? copiedSnapshotId(op, snapshot.snapshotId) : undefined;

  // The existing target: deleted first (replace), or renamed away and retired after the swap (swap).
  let finalId: string | undefined;
  const deletions: PlanAction[] = [];
  if (existing) {
    finalId = request.skipFinalSnapshot ? undefined : finalSnapshotId(op, existing.clusterId);
    if (!request.deleteExisting) {
      deletions.push({ action: 'delete', resource: `cluster ${existing.clusterId}`, detail: 'not asked to (--no-delete-existing): the restore would fail with TargetExists', verdict: 'refused' });
    } else {
      const verdict = deletionVerdict(existing, config);
      const why = replacement
        ? `refused: ${replacement.message}`
        : existing.tags[MANAGED_BY_TAG] === MANAGED_BY_VALUE
          ? `allowed: it carries ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}, no deletion protection, name not protected`
          : verdict.allowed
            ? 'allowed: it is on DELETION_ALLOW_LIST, no deletion protection, name not protected'
            : `refused: ${verdict.reason}`;
      const ok = !replacement ? ('allowed' as const) : ('refused' as const);
      const name = swap ? retiredClusterId(op, existing.clusterId) : existing.clusterId;
      for (const member of existing.members) deletions.push({ action: 'delete', resource: `instance ${member}`, detail: why, verdict: ok });
      deletions.push({
        action: 'delete',
        resource: `cluster ${name} (${existing.region}, ${existing.status})`,
        detail: `${swap ? `the old ${existing.clusterId}, after the swap; ` : ''}${why}; ${finalId ? `final snapshot ${finalId}` : 'no final snapshot (--skip-final-snapshot)'}`,
        verdict: ok,
      });
    }
  }
  if (!swap) actions.push(...deletions);

  // What is created, and (swap) renamed.
  const built = swap ? temporaryClusterId(op, request.targetClusterId) : request.targetClusterId;
  actions.push({
    action: 'create',
    resource: `cluster ${built} (${request.targetRegion})`,
    detail: `from ${from}${snapshot?.engineVersion ? ` on ${snapshot.engine} ${snapshot.engineVersion}` : ''}${request.subnetGroup ? `, subnet group ${request.subnetGroup}` : ''}${request.securityGroupIds.length ? `, security groups ${request.securityGroupIds.join(',')}` : ''}; tagged ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}${swap && existing ? `; ${existing.clusterId} keeps serving meanwhile` : ''}`,
  });
  actions.push({ action: 'create', resource: `instance ${writerInstanceId(built)}`, detail: `the writer, ${request.instanceClass}, once the cluster is available` });
  actions.push({ action: 'rotate', resource: `secret ${masterSecretName(built)}`, detail: `a new master password; application users from ${config.APP_SECRET_NAME}` });
  if (swap) {
    if (existing) actions.push({ action: 'rename', resource: `cluster ${existing.clusterId} → ${retiredClusterId(op, existing.clusterId)}`, detail: 'the old cluster, out of the way' });
    actions.push({ action: 'rename', resource: `cluster ${built} → ${request.targetClusterId}`, detail: 'the new cluster takes the name (and the endpoint host names)' });
    actions.push(...deletions);
  } else actions.push({ action: 'rename', resource: 'nothing', detail: 'the cluster is restored under its own name' });
  if (copyId) actions.push({ action: 'archive', resource: `snapshot ${copyId}`, detail: request.keepSnapshot ? 'kept (--keep-snapshot)' : 'deleted after the restore' });

  // Final snapshot retention, as archive-snapshot applies it after a success (tonight's final snapshot is the newest).
  const count = config.FINAL_SNAPSHOT_RETENTION_COUNT;
  if (count > 0) {
    const finals = pipelineFinalSnapshots(await rds.listManualSnapshots(request.targetRegion), request.targetClusterId);
    const keepExisting = count - (finalId ? 1 : 0);
    const days = config.FINAL_SNAPSHOT_RETENTION_DAYS;
    const prunable = keepExisting <= 0 ? finals.filter((s) => s.status === 'available' && now.getTime() - Date.parse(s.createdAt) >= days * 86_400_000) : retentionVerdict(finals, { count: keepExisting, days }, now).remove;
    for (const s of prunable) {
      actions.push({ action: 'prune', resource: `snapshot ${s.snapshotId}`, detail: `a final snapshot of the pipeline beyond the newest ${count} (FINAL_SNAPSHOT_RETENTION_COUNT=${count}${days ? `, older than ${days} days` : ''})`, verdict: 'allowed' });
    }
  }
  return plan;
}
