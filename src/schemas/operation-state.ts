import * as z from './zod';
import { errorCode } from '../events/catalogue';
import { anyStepName, STEP_NAMES, type StepName } from './steps';
import type { RestoreRequest } from './restore-request';
import type { AppUserGrant, ClusterSettings, PostRestore } from './refresh-settings';

/** Operation statuses. The only terminal ones are SUCCEEDED and FAILED. */
export const OPERATION_STATUSES = [
  'REQUESTED',
  'SNAPSHOT_VALIDATED',
  'COPY_IN_PROGRESS',
  'COPY_COMPLETED',
  'DELETE_IN_PROGRESS',
  'TARGET_CLEARED',
  'RESTORE_IN_PROGRESS',
  'CLUSTER_AVAILABLE',
  'USERS_CONFIGURED',
  'SWAP_IN_PROGRESS',
  'SWAPPED',
  'RETIRING_OLD_CLUSTER',
  'SUCCEEDED',
  'FAILED',
] as const;
export const operationStatus = z.enum(OPERATION_STATUSES);
export type OperationStatus = z.infer<typeof operationStatus>;
export const TERMINAL_STATUSES = ['SUCCEEDED', 'FAILED'] as const;
export const isTerminal = (s: string): s is 'SUCCEEDED' | 'FAILED' => (TERMINAL_STATUSES as readonly string[]).includes(s);

/** The step that acts next, as the seed's `next_step` (upper snake case), or NONE when terminal. */
export const nextStepName = (step: StepName | 'NONE') => step.toUpperCase().replaceAll('-', '_');

export const stepRecord = z.object({
  status: z.enum(['RUNNING', 'DONE', 'FAILED']),
  started_at: z.string(),
  finished_at: z.optional(z.string()),
  duration_seconds: z.optional(z.number()),
  attempts: z.number().check(z.int()),
  /** Claim token and lease of the worker running the step (crash recovery). */
  token: z.optional(z.string()),
  lease_until: z.optional(z.string()),
  /** The event the step published, republished verbatim on a repeat. */
  outcome: z.optional(z.object({ type: z.string(), detail: z.record(z.string(), z.unknown()) })),
  /** The audit line the completion wrote, rewritten identically on a repeat (in case the first write was lost). */
  audit: z.optional(z.object({ type: z.string(), details: z.optional(z.record(z.string(), z.unknown())) })),
  error: z.optional(z.object({ code: errorCode, message: z.string() })),
  /** A waiting step's live re-check (RecheckDue attempt): any other attempt is stale (src/lib/recheck.ts). */
  recheck_attempt: z.optional(z.number().check(z.int())),
  /** The id of the event whose processing armed the live re-check: its redelivery sends the same one again. */
  recheck_armed_by: z.optional(z.string()),
  /** A waiting step's current RDS lifecycle and when it began (src/lib/history.ts records its duration). */
  phase: z.optional(z.object({ name: z.string(), started_at: z.string() })),
});
export type StepRecord = z.infer<typeof stepRecord>;

/** One post-restore SQL file on the restored cluster: `ran` now, or `already-ran` (its ledger row says an earlier attempt committed it). */
export const hookRecord = z.object({
  file: z.string(),
  sha256: z.string(),
  outcome: z.enum(['ran', 'already-ran', 'ran-again']),
  statements: z.number().check(z.int()),
  at: z.string(),
});
export type HookRecord = z.infer<typeof hookRecord>;

export const operationError = z.nullable(z.object({ step: anyStepName, code: errorCode, message: z.string(), retryable: z.boolean() }));

/** The seed's metrics schema, per operation. */
export const operationMetrics = z.object({
  snapshot_validation_duration_seconds: z.optional(z.number()),
  snapshot_copy_duration_seconds: z.optional(z.number()),
  delete_duration_seconds: z.optional(z.number()),
  restore_duration_seconds: z.optional(z.number()),
  user_setup_duration_seconds: z.optional(z.number()),
  /** Swap: from the old cluster's rename to the new cluster's (the target name serves no database in between). */
  swap_duration_seconds: z.optional(z.number()),
  /** How long the target's name served no database: replace, from deleting the old cluster to the new one being available; swap, the renames. */
  target_unavailable_seconds: z.optional(z.number()),
  archive_duration_seconds: z.optional(z.number()),
  total_duration_seconds: z.optional(z.number()),
  error_count: z.number().check(z.int()),
  retry_count: z.number().check(z.int()),
});
export type OperationMetrics = z.infer<typeof operationMetrics>;

/**
 * The state object of the seed (operation_id, status, start_time, last_updated_time, parameters,
 * snapshot_details, restore_details, error, next_step), plus per-step records and metrics, stored as
 * ONE DynamoDB item so that a step's claim, its idempotency check and the terminal check are a single
 * conditional write.
 */
export const operationState = z.object({
  operation_id: z.string(),
  status: operationStatus,
  start_time: z.string(),
  last_updated_time: z.string(),
  parameters: z.object({
    source_snapshot_id: z.optional(z.string()),
    source_cluster_id: z.optional(z.string()),
    source_snapshot_date: z.optional(z.string()),
    source_region: z.string(),
    target_region: z.string(),
    target_cluster_id: z.string(),
    db_instance_class: z.string(),
    vpc_security_group_ids: z.array(z.string()),
    db_subnet_group_name: z.optional(z.string()),
    delete_existing: z.boolean(),
    keep_snapshot: z.boolean(),
    skip_final_snapshot: z.boolean(),
    /** replace | swap (absent in operations recorded before strategies existed: replace). */
    strategy: z.optional(z.enum(['replace', 'swap'])),
    /** snapshot | clone | point-in-time (absent: snapshot). */
    source: z.optional(z.enum(['snapshot', 'clone', 'point-in-time'])),
    restore_time: z.optional(z.string()),
    requested_by: z.optional(z.string()),
    /** The saved profile the request came from. */
    profile: z.optional(z.string()),
    /** The request's `cluster`, `postRestore` and `users` as given (validated by the request schema). */
    cluster_settings: z.optional(z.custom<ClusterSettings>()),
    post_restore: z.optional(z.custom<PostRestore>()),
    app_users: z.optional(z.custom<AppUserGrant[]>()),
  }),
  snapshot_details: z.object({
    source_snapshot_id: z.optional(z.string()),
    snapshot_arn: z.optional(z.string()),
    snapshot_status: z.optional(z.string()),
    target_snapshot_id: z.optional(z.string()),
    target_snapshot_arn: z.optional(z.string()),
    copied: z.optional(z.boolean()),
    engine: z.optional(z.string()),
    /** The snapshot's engine version, passed to the restore (RDS would otherwise use the region's default). */
    engine_version: z.optional(z.string()),
    kms_key_id: z.optional(z.string()),
    archive: z.optional(z.enum(['deleted', 'retained', 'not-copied'])),
  }),
  restore_details: z.object({
    cluster_id: z.optional(z.string()),
    instance_id: z.optional(z.string()),
    cluster_status: z.optional(z.string()),
    writer_endpoint: z.optional(z.nullable(z.string())),
    reader_endpoint: z.optional(z.nullable(z.string())),
    port: z.optional(z.number()),
    deleted_existing_cluster: z.optional(z.boolean()),
    final_snapshot_id: z.optional(z.string()),
    /** Swap: the old cluster's name once renamed away, until it is retired. */
    retired_cluster_id: z.optional(z.string()),
    /** Instances delete-rds could not delete yet (creating or modifying): check-delete-status deletes them later. */
    instances_not_yet_deleted: z.optional(z.array(z.string())),
    master_secret_name: z.optional(z.string()),
    users: z.optional(z.array(z.string())),
    /** Reader instances created with the writer. */
    reader_instance_ids: z.optional(z.array(z.string())),
    /** Post-restore SQL files that ran on the restored cluster (or were found in its ledger), in order, with their SHA-256. */
    post_restore_hooks: z.optional(z.array(hookRecord)),
    /** Validation queries that passed (a failure ends the operation: its name is in the error). */
    validations_passed: z.optional(z.array(z.string())),
  }),
  error: operationError,
  next_step: z.string(),
  steps: z.record(z.string(), stepRecord),
  metrics: operationMetrics,
  notification: z.optional(z.object({ message_id: z.string(), sent_at: z.string(), outcome: z.string() })),
  /** TTL attribute (epoch seconds): state is kept STATE_TTL_DAYS (90 by default). */
  expires_at: z.number().check(z.int()),
});
export type OperationState = z.infer<typeof operationState>;

/** A new operation's state: nothing done yet, waiting for `nextStep`. The one place its blank shape is written. */
export function newOperationState(input: {
  operationId: string;
  startTime: string;
  now: Date;
  parameters: OperationState['parameters'];
  nextStep: string;
  expiresAt: number;
}): OperationState {
  return {
    operation_id: input.operationId,
    status: 'REQUESTED',
    start_time: input.startTime,
    last_updated_time: input.now.toISOString(),
    parameters: input.parameters,
    snapshot_details: {},
    restore_details: {},
    error: null,
    next_step: input.nextStep,
    steps: {},
    metrics: { error_count: 0, retry_count: 0 },
    expires_at: input.expiresAt,
  };
}

/**
 * The operation's parameters from a request. RDS identifiers are case-insensitive and stored lowercase
 * ("This parameter is stored as a lowercase string"), so they are kept lowercase from here on: the
 * target lock, the resource index, the names derived from them and the IAM ARNs all see one spelling.
 */
export function parametersFrom(r: RestoreRequest): OperationState['parameters'] {
  return {
    source_snapshot_id: r.snapshotId?.toLowerCase(),
    source_cluster_id: r.sourceClusterId?.toLowerCase(),
    source_snapshot_date: r.snapshotDate,
    source_region: r.sourceRegion,
    target_region: r.targetRegion,
    target_cluster_id: r.targetClusterId.toLowerCase(),
    db_instance_class: r.instanceClass ?? (r.cluster?.serverless ? 'db.serverless' : 'db.r6g.large'),
    vpc_security_group_ids: r.securityGroupIds,
    db_subnet_group_name: r.subnetGroup,
    delete_existing: r.deleteExisting,
    keep_snapshot: r.keepSnapshot,
    skip_final_snapshot: r.skipFinalSnapshot,
    strategy: r.strategy,
    source: r.source,
    restore_time: r.restoreTime,
    requested_by: r.requestedBy,
    ...(r.profile ? { profile: r.profile } : {}),
    ...(r.cluster ? { cluster_settings: r.cluster } : {}),
    ...(r.postRestore ? { post_restore: r.postRestore } : {}),
    ...(r.users ? { app_users: r.users } : {}),
  };
}

const secondsBetween = (a?: string, b?: string) =>
  a && b ? Math.round((Date.parse(b) - Date.parse(a)) / 100) / 10 : undefined;

/** The seed's per-operation metrics, derived from the step records (never stored twice by hand). */
export function deriveMetrics(s: Pick<OperationState, 'steps' | 'start_time' | 'metrics'>, endTime?: string): OperationMetrics {
  const st = s.steps;
  const done = (n: StepName) => st[n]?.finished_at;
  return {
    snapshot_validation_duration_seconds: st['snapshot-check']?.duration_seconds,
    snapshot_copy_duration_seconds: secondsBetween(st['copy-snapshot']?.started_at, done('check-copy-status') ?? done('copy-snapshot')),
    // The old cluster's deletion: clearing the target (replace) or retiring it once swapped (swap).
    delete_duration_seconds: st['retire-cluster']
      ? secondsBetween(st['retire-cluster'].started_at, done('check-delete-status') ?? done('retire-cluster'))
      : secondsBetween(st['delete-rds']?.started_at, done('check-delete-status') ?? done('delete-rds')),
    restore_duration_seconds: secondsBetween(st['restore-snapshot']?.started_at, done('check-restore-status')),
    user_setup_duration_seconds: st['setup-db-users']?.duration_seconds,
    swap_duration_seconds: secondsBetween(st['swap-out']?.started_at, done('swap-in')),
    target_unavailable_seconds: targetUnavailableSeconds(st),
    archive_duration_seconds: st['archive-snapshot']?.duration_seconds,
    total_duration_seconds: secondsBetween(s.start_time, endTime),
    error_count: s.metrics.error_count,
    retry_count: s.metrics.retry_count,
  };
}

/**
 * How long the target name served no database, when there was one to replace: replace — from the old
 * cluster's deletion (its instances go first) to the new cluster and writer being available; swap — from
 * the old cluster's rename (swap-out's first check) to the new cluster having the name.
 */
function targetUnavailableSeconds(st: OperationState['steps']): number | undefined {
  const outcome = (n: StepName) => st[n]?.outcome?.detail as Record<string, unknown> | undefined;
  if (st['swap-in']?.finished_at) return outcome('swap-out')?.renamed ? secondsBetween(st['swap-out']?.started_at, st['swap-in']?.finished_at) : undefined;
  if (outcome('delete-rds') && st['delete-rds']?.outcome?.type === 'ClusterDeletionStarted') return secondsBetween(st['delete-rds']?.finished_at, st['check-restore-status']?.finished_at);
  return undefined;
}

/** Every step, in the order they appear (audit lines of one instant sort by it). */
export const PIPELINE_ORDER: readonly StepName[] = STEP_NAMES;

/** The steps only the swap strategy runs. */
export const SWAP_STEPS: readonly StepName[] = ['swap-out', 'swap-in', 'retire-cluster'];

/**
 * The order an operation's steps run in. Replace clears the target before the restore; swap restores
 * first, then swaps the names and retires the old cluster (check-delete-status follows retire-cluster).
 */
export function pipelineOrder(strategy: 'replace' | 'swap' = 'replace'): StepName[] {
  if (strategy === 'replace') return STEP_NAMES.filter((s) => !SWAP_STEPS.includes(s));
  const order: StepName[] = STEP_NAMES.filter((s) => s !== 'check-delete-status');
  order.splice(order.indexOf('retire-cluster') + 1, 0, 'check-delete-status');
  return order;
}
