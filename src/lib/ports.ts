/**
 * The small interfaces the steps depend on. AWS adapters live in src/lib/aws, local ones in
 * src/lib/local. No step imports an AWS SDK; no adapter contains a pipeline decision.
 */
import type { DomainEvent } from '../events/catalogue';
import type { TablePrivilege, ValidationQuery } from '../schemas/refresh-settings';
import type { RestoreRequestInput } from '../schemas/restore-request';

export interface Clock {
  now(): Date;
  /** Waits `ms` milliseconds (virtual time in the local runtime). */
  sleep(ms: number): Promise<void>;
}

export interface SnapshotInfo {
  snapshotId: string;
  snapshotArn: string;
  region: string;
  sourceClusterId: string;
  /** RDS status: creating | copying | available | deleting | failed ... */
  status: string;
  snapshotType: 'automated' | 'manual';
  createdAt: string;
  encrypted: boolean;
  kmsKeyId?: string;
  engine: string;
  engineVersion?: string;
  /** 0-100 while copying. */
  percentProgress?: number;
  tags: Record<string, string>;
}

export interface ClusterInfo {
  clusterId: string;
  clusterArn: string;
  region: string;
  /** RDS status: creating | available | deleting | failed | inaccessible-encryption-credentials ... */
  status: string;
  engine: string;
  engineVersion?: string;
  deletionProtection: boolean;
  /** The point-in-time window (absent until RDS knows it, e.g. while the cluster is being created). */
  earliestRestorableTime?: string;
  latestRestorableTime?: string;
  endpoint?: string;
  readerEndpoint?: string;
  port?: number;
  /** DB instance identifiers in the cluster. */
  members: string[];
  tags: Record<string, string>;
}

export interface InstanceInfo {
  instanceId: string;
  instanceArn: string;
  region: string;
  clusterId?: string;
  /** RDS status: creating | available | deleting | failed ... */
  status: string;
  instanceClass: string;
  tags: Record<string, string>;
}

export interface CopySnapshotInput {
  sourceRegion: string;
  targetRegion: string;
  sourceSnapshotArn: string;
  targetSnapshotId: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
}

/** The restored cluster's settings from the request (`cluster`), as the restore calls take them. */
export interface ClusterOptions {
  clusterParameterGroup?: string;
  serverless?: { minCapacity: number; maxCapacity: number };
  cloudwatchLogsExports?: string[];
  deletionProtection?: boolean;
  iamDatabaseAuthentication?: boolean;
  port?: number;
}

export interface RestoreClusterInput extends ClusterOptions {
  clusterId: string;
  snapshotId: string;
  engine: string;
  /** The snapshot's engine version (or the request's): without it RDS uses the region's default version, which may be older. */
  engineVersion?: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  kmsKeyId?: string;
  tags: Record<string, string>;
}

/** A clone (copy-on-write, at the latest restorable time) or a full copy at `restoreTime` (or the latest) of a live cluster. */
export interface RestoreToPointInTimeInput extends ClusterOptions {
  clusterId: string;
  sourceClusterId: string;
  type: 'copy-on-write' | 'full-copy';
  /** ISO time; absent: the latest restorable time (always so for copy-on-write). */
  restoreTime?: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  tags: Record<string, string>;
}

export interface CreateInstanceInput {
  instanceId: string;
  clusterId: string;
  instanceClass: string;
  engine: string;
  /** DB parameter group of the instance (its family must match the cluster's engine version). */
  parameterGroup?: string;
  /** Failover priority, 0 (first) to 15: the writer 0, readers after it. */
  promotionTier?: number;
  tags: Record<string, string>;
}

/**
 * The RDS control plane. Errors are thrown with the AWS fault name as `name`
 * (DBClusterSnapshotNotFoundFault, DBClusterAlreadyExistsFault, InvalidDBClusterStateFault,
 * Throttling, ...), exactly as the SDK throws them; `classifyError` maps them to pipeline codes.
 */
export interface Rds {
  describeClusterSnapshot(region: string, snapshotId: string): Promise<SnapshotInfo | undefined>;
  /** Automated cluster snapshots of a cluster, newest first. */
  listAutomatedSnapshots(region: string, clusterId: string): Promise<SnapshotInfo[]>;
  /** Manual cluster snapshots of a cluster (it may no longer exist: a deleted cluster's final snapshots), or of the whole region; newest first. */
  listManualSnapshots(region: string, clusterId?: string): Promise<SnapshotInfo[]>;
  copyClusterSnapshot(input: CopySnapshotInput): Promise<SnapshotInfo>;
  deleteClusterSnapshot(region: string, snapshotId: string): Promise<void>;
  describeCluster(region: string, clusterId: string): Promise<ClusterInfo | undefined>;
  deleteCluster(region: string, input: { clusterId: string; finalSnapshotId?: string }): Promise<void>;
  restoreClusterFromSnapshot(region: string, input: RestoreClusterInput): Promise<ClusterInfo>;
  restoreClusterToPointInTime(region: string, input: RestoreToPointInTimeInput): Promise<ClusterInfo>;
  /** Renames a cluster now (its endpoints follow its identifier); completes later, with RDS-EVENT-0172. */
  renameCluster(region: string, clusterId: string, newClusterId: string): Promise<void>;
  describeInstance(region: string, instanceId: string): Promise<InstanceInfo | undefined>;
  createInstance(region: string, input: CreateInstanceInput): Promise<InstanceInfo>;
  deleteInstance(region: string, instanceId: string): Promise<void>;
  modifyClusterMasterPassword(region: string, clusterId: string, password: string): Promise<void>;
}

export interface EventBus {
  /** Publishes domain events on the pipeline bus (batches of 10, failed entries retried). */
  publish(events: DomainEvent[]): Promise<void>;
}

export interface RecheckScheduler {
  /**
   * Creates a one-time schedule that puts `event` on the pipeline bus at `at` (one-minute precision on AWS).
   * Idempotent by `name`: an existing schedule of that name is success.
   */
  scheduleOnce(input: { name: string; at: Date; event: DomainEvent }): Promise<void>;
  cancel(name: string): Promise<void>;
}

/** The SQS queue a Lambda function consumes (its event source). */
export interface MessageQueue {
  /**
   * Makes a received message visible again after `seconds` (SQS ChangeMessageVisibility): how a
   * handler hands a record back to be retried soon instead of after the full visibility timeout.
   */
  changeVisibility(input: { queueArn: string; receiptHandle: string; seconds: number }): Promise<void>;
  /**
   * Sends a message to the queue, received no sooner than `delaySeconds` (0–900) later (SQS SendMessage
   * with DelaySeconds): how a waiting step re-checks itself within 15 minutes, to the second.
   */
  sendDelayed(input: { queueArn: string; body: string; delaySeconds: number }): Promise<void>;
}

export interface Notification {
  subject: string;
  message: string;
  attributes: Record<string, string>;
  /** The same notification published twice has the same id; the local outbox and FIFO topics drop the repeat. */
  deduplicationId: string;
}

export interface Notifier {
  publish(n: Notification): Promise<{ messageId: string }>;
}

export interface Secrets {
  /** Parsed JSON value of a secret; throws PipelineError `SecretNotFound` when it does not exist, `SecretDecryptionFailed` when its key cannot be used. */
  getJson(name: string): Promise<unknown>;
  /** Creates or updates a secret (KMS-encrypted on AWS) and returns its ARN. */
  putJson(name: string, value: unknown): Promise<{ arn: string }>;
}

export interface DbCredentials {
  username: string;
  password: string;
}

export interface DbEndpoint {
  host: string;
  port: number;
  database: string;
}

export interface AppUser extends DbCredentials {
  /** Privileges on all tables (present and future) of `schemas`; the others are revoked. */
  privileges: TablePrivilege[];
  /** Default: public. */
  schemas?: string[];
}

/** One post-restore SQL file, run as the master user in its own transaction with its ledger row. */
export interface SqlHook {
  operationId: string;
  /** The restored cluster (recorded in the ledger; the ledger is keyed by operation and file). */
  clusterId: string;
  file: string;
  sha256: string;
  sql: string;
  /** A re-runnable file runs again on a repeat; any other runs once per operation. */
  rerunnable: boolean;
  statementTimeoutMs: number;
}

export interface HookRun {
  /** `already-ran`: its ledger row (same operation, same file) says an earlier attempt committed it; nothing ran now. */
  outcome: 'ran' | 'already-ran' | 'ran-again';
  statements: number;
}

export interface ValidationResult {
  passed: boolean;
  /** What came back, without the value itself (it may be data): row and column counts. */
  shape: { rows: number; columns: number };
}

export interface DatabaseAdmin {
  /** Creates or updates each user (LOGIN, password) and its grants, with quoted identifiers. Idempotent. */
  configureUsers(endpoint: DbEndpoint, master: DbCredentials, users: AppUser[]): Promise<void>;
  /** Logs in as the user and checks it is who it says and may connect (and holds its privileges); throws if not. */
  verifyLogin(endpoint: DbEndpoint, user: DbCredentials | AppUser): Promise<void>;
  /**
   * Takes LOGIN away from those of `usernames` that exist and ends their sessions: nobody can log in as them
   * until configureUsers gives it back. Returns the ones that existed.
   */
  disableLogins(endpoint: DbEndpoint, master: DbCredentials, usernames: string[]): Promise<string[]>;
  /** Runs a post-restore SQL file unless its ledger row says it already ran (throws SqlHookError naming the file and statement). */
  runHook(endpoint: DbEndpoint, master: DbCredentials, hook: SqlHook): Promise<HookRun>;
  /** Runs a validation query read-only; `passed` when it returned one row of one column equal to `expect`. */
  runValidation(endpoint: DbEndpoint, master: DbCredentials, validation: ValidationQuery, timeoutMs: number): Promise<ValidationResult>;
}

/** Post-restore SQL files (S3 on AWS; locally a folder per bucket). */
export interface ObjectStore {
  /** The object's bytes as UTF-8 text; throws PipelineError PostRestoreSqlFailed when it does not exist or may not be read. */
  getText(bucket: string, key: string): Promise<string>;
}

/** A saved refresh: a named restore request, optionally with its own recurring schedule. */
export interface RefreshProfile {
  name: string;
  description?: string;
  /** EventBridge Scheduler expression, e.g. cron(0 2 * * ? *): the profile gets its own nightly schedule. */
  schedule?: string;
  timezone?: string;
  request: RestoreRequestInput;
}

/** Saved refresh profiles (SSM Parameter Store on AWS, a profiles file locally). */
export interface ProfileStore {
  /** The profile as stored (validated by the caller); undefined when there is none of that name. */
  get(name: string): Promise<unknown | undefined>;
  /** Every profile's name and stored value, by name. */
  list(): Promise<{ name: string; value: unknown }[]>;
}

export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface Metrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  seconds(name: string, value: number, dimensions?: Record<string, string>): void;
}
