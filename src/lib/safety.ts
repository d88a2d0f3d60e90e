import type { Config } from '../schemas/config';
import type { ClusterInfo } from './ports';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from './tags';

export type DeletionVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * The deletion safety rules (ARCHITECTURE.md section 7), in one pure function that no request flag can
 * bypass: a target cluster is deleted only when the pipeline manages it (managed-by tag) or it is on the
 * explicit allow-list, never when deletion protection is on, and never when its name matches the
 * protected pattern — the pattern wins even over the allow-list.
 */
export function deletionVerdict(cluster: ClusterInfo, config: Pick<Config, 'PROTECTED_CLUSTER_PATTERN' | 'DELETION_ALLOW_LIST'>): DeletionVerdict {
  const id = cluster.clusterId;
  if (new RegExp(config.PROTECTED_CLUSTER_PATTERN, 'i').test(id)) {
    return { allowed: false, reason: `cluster ${id} matches the protected name pattern /${config.PROTECTED_CLUSTER_PATTERN}/i and is never deleted` };
  }
  if (cluster.deletionProtection) {
    return { allowed: false, reason: `cluster ${id} has deletion protection on; turn it off yourself if it really must go` };
  }
  const managed = cluster.tags[MANAGED_BY_TAG] === MANAGED_BY_VALUE;
  const allowListed = config.DELETION_ALLOW_LIST.includes(id.toLowerCase());
  if (!managed && !allowListed) {
    return {
      allowed: false,
      reason: `cluster ${id} was not created by this pipeline (no ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE} tag) and is not on DELETION_ALLOW_LIST`,
    };
  }
  if (!managed) {
    // IAM lets the pipeline delete an allow-listed cluster's instances by name only (db:<cluster>-*: RDS has no
    // condition key naming an instance's cluster). Refuse before deleting anything rather than half-way.
    const foreign = cluster.members.filter((m) => !m.toLowerCase().startsWith(`${id.toLowerCase()}-`));
    if (foreign.length > 0) {
      return {
        allowed: false,
        reason: `cluster ${id} is on DELETION_ALLOW_LIST but its instance(s) ${foreign.join(', ')} are not named ${id}-…; the pipeline may delete an allow-listed cluster's instances by that name only (tag the cluster ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE} instead)`,
      };
    }
  }
  return { allowed: true };
}

/**
 * May this request replace this existing target cluster? Checked twice: by snapshot-check before any
 * work (so a refused request fails in seconds, not after a 12-minute copy) and again by delete-rds right
 * before deleting (the world may have changed meanwhile).
 */
export function replacementProblem(
  cluster: ClusterInfo,
  deleteExisting: boolean,
  config: Pick<Config, 'PROTECTED_CLUSTER_PATTERN' | 'DELETION_ALLOW_LIST'>,
  strategy: 'replace' | 'swap' = 'replace',
): { code: 'TargetExists' | 'DeletionRefused'; message: string } | undefined {
  if (!deleteExisting) {
    return {
      code: 'TargetExists',
      message: `cluster ${cluster.clusterId} already exists in ${cluster.region}; ask for deleteExisting (--delete-existing) to replace it`,
    };
  }
  const verdict = deletionVerdict(cluster, config);
  if (!verdict.allowed) return { code: 'DeletionRefused', message: verdict.reason };
  // A swap renames the old cluster before deleting it: the allow-list names it by its old name only.
  if (strategy === 'swap' && cluster.tags[MANAGED_BY_TAG] !== MANAGED_BY_VALUE) {
    return {
      code: 'DeletionRefused',
      message: `cluster ${cluster.clusterId} is allow-listed but not tagged ${MANAGED_BY_TAG}=${MANAGED_BY_VALUE}: a swap renames it before deleting it, which the allow-list does not cover; use strategy replace, or tag it`,
    };
  }
  return undefined;
}

/** The engines whose user setup (setup-db-users, src/lib/db-admin.ts: PostgreSQL's `pg`) the pipeline supports. */
export const SUPPORTED_ENGINES = ['aurora-postgresql'] as const;

export type RequestRefusal = { code: 'TargetProtected' | 'UnsupportedEngine'; message: string };

/**
 * Refuses, at request time, a target cluster whose name matches PROTECTED_CLUSTER_PATTERN: the pipeline
 * could create it once but would refuse to delete it the next time (DeletionRefused), so every later
 * refresh of it would fail. Pure: the CLI checks it before sending, snapshot-check before doing anything.
 */
export function requestProblem(
  request: { targetClusterId?: string; target_cluster_id?: string },
  config: Pick<Config, 'PROTECTED_CLUSTER_PATTERN'>,
): RequestRefusal | undefined {
  const id = request.targetClusterId ?? request.target_cluster_id;
  if (id === undefined || !new RegExp(config.PROTECTED_CLUSTER_PATTERN, 'i').test(id)) return undefined;
  return {
    code: 'TargetProtected',
    message: `target cluster ${id} matches PROTECTED_CLUSTER_PATTERN /${config.PROTECTED_CLUSTER_PATTERN}/i: the pipeline never deletes such a cluster, so it could restore it once and never refresh it again; choose another name`,
  };
}

/**
 * Refuses a snapshot (or, for a clone or point-in-time restore, a source cluster) whose engine the user setup
 * does not speak (today: anything but aurora-postgresql), checked by snapshot-check once the source is known —
 * before anything is copied, cloned or deleted.
 */
export function engineProblem(source: { snapshotId: string; engine: string } | { clusterId: string; engine: string }): RequestRefusal | undefined {
  if ((SUPPORTED_ENGINES as readonly string[]).includes(source.engine)) return undefined;
  const what = 'snapshotId' in source ? `snapshot ${source.snapshotId}` : `source cluster ${source.clusterId}`;
  return {
    code: 'UnsupportedEngine',
    message: `${what} is ${source.engine}; the user setup supports ${SUPPORTED_ENGINES.join(', ')} only, so nothing was copied, cloned or deleted`,
  };
}
