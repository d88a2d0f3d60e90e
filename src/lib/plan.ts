/**
 * What a restore would do, without doing it (`aurora-restore plan`, `start --dry-run`): the snapshot it
 * would use, what it would copy, delete (with the safety rules' verdict for each resource), create and
 * rename, and which final snapshots retention would prune — from Describe calls only, through the same
 * Rds port and the same rules the steps use (safety.ts, names.ts, retention.ts).
 */
import type { Config } from '../schemas/config';
import type { RestoreRequest } from '../schemas/restore-request';
import type { ErrorCode } from '../events/catalogue';
import type { Rds, SnapshotInfo } from './ports';
import { deletionVerdict, engineProblem, requestProblem } from './safety';
import { copiedSnapshotId, finalSnapshotId, masterSecretName, writerInstanceId } from './steps/names';
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

type PlanConfig = Pick<Config, 'PROTECTED_CLUSTER_PATTERN' | 'DELETION_ALLOW_LIST' | 'TARGET_KMS_KEYS' | 'FINAL_SNAPSHOT_RETENTION_COUNT' | 'FINAL_SNAPSHOT_RETENTION_DAYS' | 'APP_SECRET_NAME'>;

export async function planRestore(rds: Rds, config: PlanConfig, request: RestoreRequest, now: Date): Promise<RestorePlan> {
  const actions: PlanAction[] = [];
  const plan: RestorePlan = { request, actions };
  const refuse = (code: ErrorCode, message: string) => {
    plan.refusal ??= { code, message };
    return plan;
  };
  const op = PLAN_OPERATION_ID;
  const protectedTarget = requestProblem(request, config);
  if (protectedTarget) return refuse(protectedTarget.code, protectedTarget.message);

  // The target, as snapshot-check's pre-flight and delete-rds see it.
  const existing = await rds.describeCluster(request.targetRegion, request.targetClusterId);

  // The snapshot.
  let snapshot: SnapshotInfo | undefined;
  if (request.snapshotId) snapshot = await rds.describeClusterSnapshot(request.sourceRegion, request.snapshotId);
  else {
    const all = await rds.listAutomatedSnapshots(request.sourceRegion, request.sourceClusterId!);
    const day = request.snapshotDate ? all.filter((s) => new Date(s.createdAt).toISOString().slice(0, 10) === request.snapshotDate) : all;
    snapshot = day.find((s) => s.status === 'available') ?? day[0];
  }
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
  const copyId = snapshot ? copiedSnapshotId(op, snapshot.snapshotId) : undefined;
  if (request.sourceRegion === request.targetRegion) actions.push({ action: 'copy', resource: 'nothing', detail: 'source and target region are the same' });
  else if (snapshot) {
    const key = config.TARGET_KMS_KEYS[request.targetRegion];
    if (snapshot.encrypted && !key) refuse('KmsKeyNotAccessible', `snapshot ${snapshot.snapshotId} is encrypted and no KMS key is configured for ${request.targetRegion} (TARGET_KMS_KEYS)`);
    actions.push({ action: 'copy', resource: `snapshot ${copyId} (${request.targetRegion})`, detail: `from ${request.sourceRegion}${snapshot.encrypted ? `, encrypted with ${key ?? '(no key configured)'}` : ''}; tagged ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}` });
  }

  // The existing target.
  let finalId: string | undefined;
  if (existing) {
    if (!request.deleteExisting) {
      refuse('TargetExists', `cluster ${existing.clusterId} already exists in ${existing.region}; ask for deleteExisting (--delete-existing) to replace it`);
      actions.push({ action: 'delete', resource: `cluster ${existing.clusterId}`, detail: 'not asked to (--no-delete-existing): the restore would fail with TargetExists', verdict: 'refused' });
    } else {
      const verdict = deletionVerdict(existing, config);
      finalId = request.skipFinalSnapshot ? undefined : finalSnapshotId(op, existing.clusterId);
      if (!verdict.allowed) refuse('DeletionRefused', verdict.reason);
      const why = verdict.allowed
        ? existing.tags[MANAGED_BY_TAG] === MANAGED_BY_VALUE
          ? `allowed: it carries ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}, no deletion protection, name not protected`
          : 'allowed: it is on DELETION_ALLOW_LIST, no deletion protection, name not protected'
        : `refused: ${verdict.reason}`;
      for (const member of existing.members) actions.push({ action: 'delete', resource: `instance ${member}`, detail: why, verdict: verdict.allowed ? 'allowed' : 'refused' });
      actions.push({
        action: 'delete',
        resource: `cluster ${existing.clusterId} (${existing.region}, ${existing.status})`,
        detail: `${why}; ${finalId ? `final snapshot ${finalId}` : 'no final snapshot (--skip-final-snapshot)'}`,
        verdict: verdict.allowed ? 'allowed' : 'refused',
      });
    }
  }

  // What is created.
  actions.push({
    action: 'create',
    resource: `cluster ${request.targetClusterId} (${request.targetRegion})`,
    detail: `restored from ${copyId ?? 'the snapshot'}${snapshot?.engineVersion ? ` on ${snapshot.engine} ${snapshot.engineVersion}` : ''}${request.subnetGroup ? `, subnet group ${request.subnetGroup}` : ''}${request.securityGroupIds.length ? `, security groups ${request.securityGroupIds.join(',')}` : ''}; tagged ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}`,
  });
  actions.push({ action: 'create', resource: `instance ${writerInstanceId(request.targetClusterId)}`, detail: `the writer, ${request.instanceClass}, once the cluster is available` });
  actions.push({ action: 'rename', resource: 'nothing', detail: 'the cluster is restored under its own name' });
  actions.push({ action: 'rotate', resource: `secret ${masterSecretName(request.targetClusterId)}`, detail: `a new master password; application users from ${config.APP_SECRET_NAME}` });
  if (copyId) actions.push({ action: 'archive', resource: `snapshot ${copyId}`, detail: request.keepSnapshot ? 'kept (--keep-snapshot)' : 'deleted after the restore' });

  // Final snapshot retention, as archive-snapshot applies it after a success (tonight's final snapshot is the newest).
  const count = config.FINAL_SNAPSHOT_RETENTION_COUNT;
  if (count > 0) {
    const finals = pipelineFinalSnapshots(await rds.listManualSnapshots(request.targetRegion, request.targetClusterId), request.targetClusterId);
    const { remove } = retentionVerdict(finals, { count: finalId ? count - 1 : count, days: config.FINAL_SNAPSHOT_RETENTION_DAYS }, now);
    const rule = `FINAL_SNAPSHOT_RETENTION_COUNT=${count}${config.FINAL_SNAPSHOT_RETENTION_DAYS ? `, older than ${config.FINAL_SNAPSHOT_RETENTION_DAYS} days` : ''}`;
    for (const s of count - (finalId ? 1 : 0) <= 0 ? finals : remove) {
      actions.push({ action: 'prune', resource: `snapshot ${s.snapshotId}`, detail: `a final snapshot of the pipeline beyond the newest ${count} (${rule})`, verdict: 'allowed' });
    }
  }
  return plan;
}
