import * as z from '../schemas/zod';
import { checkName, stepName, anyStepName } from '../schemas/steps';
import { clusterIdentifier, isoTimestamp, operationId, region, snapshotIdentifier } from '../schemas/identifiers';
import { restoreRequest } from '../schemas/restore-request';

/**
 * The domain events of the choreography: the one place where their names, payload schemas and
 * examples live. JSON Schema is generated from these (`aurora-restore events`), never hand-written.
 */
export const EVENT_SOURCE = 'aurora.restore';
export const SCHEMA_VERSION = 1;

const base = {
  operationId,
  occurredAt: isoTimestamp,
  schemaVersion: z.literal(SCHEMA_VERSION),
};

const snapshotRef = z.strictObject({
  snapshotId: snapshotIdentifier,
  snapshotArn: z.string().check(z.startsWith('arn:')),
  region,
});

export const errorCode = z.enum([
  'InvalidRequest',
  'SnapshotNotFound',
  'SnapshotNotAvailable',
  'TargetBusy',
  'TargetExists',
  'DeletionRefused',
  'TargetProtected',
  'UnsupportedEngine',
  'CopyFailed',
  'DeleteFailed',
  'RestoreFailed',
  'SwapFailed',
  'SourceNotRestorable',
  'KmsKeyNotAccessible',
  'InvalidParameter',
  'QuotaExceeded',
  'InsufficientCapacity',
  'UserSetupFailed',
  'PostRestoreSqlFailed',
  'ValidationFailed',
  'SecretNotFound',
  'SecretDecryptionFailed',
  'Throttled',
  'TransientFault',
  'AccessDenied',
  'Timeout',
  'StepFailedRepeatedly',
  'InternalError',
]);
export type ErrorCode = z.infer<typeof errorCode>;

export const eventSchemas = {
  RestoreRequested: z.strictObject({ ...base, request: restoreRequest }),
  SnapshotValidated: z.strictObject({
    ...base,
    snapshot: z.extend(snapshotRef, {
      sourceClusterId: clusterIdentifier,
      status: z.literal('available'),
      encrypted: z.boolean(),
      kmsKeyId: z.optional(z.string()),
      engine: z.string(),
      engineVersion: z.optional(z.string()),
      createdAt: isoTimestamp,
    }),
  }),
  /** A clone or point-in-time restore: the live source cluster was found restorable (instead of a snapshot). */
  SourceClusterValidated: z.strictObject({
    ...base,
    source: z.enum(['clone', 'point-in-time']),
    sourceCluster: z.strictObject({
      clusterId: clusterIdentifier,
      region,
      engine: z.string(),
      engineVersion: z.optional(z.string()),
      latestRestorableTime: z.optional(isoTimestamp),
    }),
    restoreTime: z.optional(isoTimestamp),
  }),
  CopyStarted: z.strictObject({ ...base, target: snapshotRef }),
  CopyCompleted: z.strictObject({ ...base, skipped: z.boolean(), snapshot: snapshotRef }),
  ClusterDeletionStarted: z.strictObject({
    ...base,
    clusterId: clusterIdentifier,
    region,
    finalSnapshotId: z.optional(snapshotIdentifier),
    /** Swap: the old cluster, renamed away, is being retired (not a target being cleared). */
    retiring: z.optional(z.boolean()),
    /** Instances being deleted first (0: the cluster's own deletion was asked for at once). */
    instances: z.optional(z.number().check(z.int(), z.gte(0))),
  }),
  /** `retained`: strategy swap, the existing target keeps serving until the new cluster takes its name. */
  TargetCleared: z.strictObject({ ...base, deleted: z.boolean(), retained: z.optional(z.boolean()), finalSnapshotId: z.optional(snapshotIdentifier) }),
  ClusterRestoreStarted: z.strictObject({ ...base, clusterId: clusterIdentifier, instanceId: clusterIdentifier, region }),
  ClusterAvailable: z.strictObject({
    ...base,
    clusterId: clusterIdentifier,
    region,
    writerEndpoint: z.string().check(z.minLength(1)),
    readerEndpoint: z.string().check(z.minLength(1)),
    port: z.number().check(z.int(), z.positive()),
  }),
  UsersConfigured: z.strictObject({
    ...base,
    users: z.array(z.string()),
    masterSecretName: z.string(),
    strategy: z.enum(['replace', 'swap']),
    /** Post-restore SQL files in order, each ran now or found in the cluster's ledger (already-ran), and the validations that passed. */
    postRestoreSql: z.optional(z.array(z.strictObject({ file: z.string(), outcome: z.enum(['ran', 'already-ran', 'ran-again']), sha256: z.string() }))),
    validationsPassed: z.optional(z.array(z.string())),
  }),
  /** Swap: the old target was renamed away (`renamed: false` when there was none); the target name is free. */
  TargetVacated: z.strictObject({ ...base, clusterId: clusterIdentifier, region, renamed: z.boolean(), retiredClusterId: z.optional(clusterIdentifier) }),
  /** Swap: the new cluster has the target's name (and endpoints). */
  ClustersSwapped: z.strictObject({
    ...base,
    clusterId: clusterIdentifier,
    region,
    fromClusterId: clusterIdentifier,
    retiredClusterId: z.optional(clusterIdentifier),
    writerEndpoint: z.string().check(z.minLength(1)),
  }),
  /** Swap: the old cluster (renamed away) was deleted under the safety rules, or there was none. */
  OldClusterRetired: z.strictObject({ ...base, deleted: z.boolean(), clusterId: z.optional(clusterIdentifier), finalSnapshotId: z.optional(snapshotIdentifier) }),
  RestoreSucceeded: z.strictObject({
    ...base,
    clusterId: clusterIdentifier,
    region,
    writerEndpoint: z.string(),
    snapshotArchive: z.enum(['deleted', 'retained', 'not-copied']),
  }),
  RestoreFailed: z.strictObject({
    ...base,
    step: anyStepName,
    code: errorCode,
    message: z.string().check(z.maxLength(2000)),
    retryable: z.boolean(),
  }),
  RecheckDue: z.strictObject({
    ...base,
    check: checkName,
    attempt: z.number().check(z.int(), z.gte(1)),
    /** What the check that armed this one saw (the copy's PercentProgress), so the next can measure the rate. */
    observed: z.optional(z.strictObject({ at: isoTimestamp, percent: z.number().check(z.int(), z.gte(0), z.lte(100)) })),
    /** When the check is due, to the second: a schedule (one-minute precision) that fires early hands over to a delayed message. */
    dueAt: z.optional(isoTimestamp),
  }),
  OperationDeadlineReached: z.strictObject({ ...base, deadline: isoTimestamp }),
} as const;

export type EventName = keyof typeof eventSchemas;
export const EVENT_NAMES = Object.keys(eventSchemas) as EventName[];
export type EventDetail<N extends EventName> = z.output<(typeof eventSchemas)[N]>;
export type DomainEvent = { [N in EventName]: { type: N; detail: EventDetail<N> } }[EventName];
export type EventOf<N extends EventName> = Extract<DomainEvent, { type: N }>;

/** Payload without the envelope fields every event carries. */
export type EventBody<N extends EventName> = Omit<EventDetail<N>, 'operationId' | 'occurredAt' | 'schemaVersion'>;

/** Builds a validated domain event. Throws a zod error naming the field when the payload is wrong. */
export function domainEvent<N extends EventName>(type: N, operationId: string, occurredAt: Date, body: EventBody<N>): EventOf<N> {
  const detail = eventSchemas[type].parse({ ...body, operationId, occurredAt: occurredAt.toISOString(), schemaVersion: SCHEMA_VERSION });
  return { type, detail } as EventOf<N>;
}

export const eventNames = z.enum(EVENT_NAMES as [EventName, ...EventName[]]);

/** Who publishes each event: documentation for the graph and the README, checked against the steps by a test. */
export const PUBLISHERS: Record<EventName, string[]> = {
  RestoreRequested: ['cli', 'api', 'nightly-schedule'],
  SnapshotValidated: ['snapshot-check'],
  SourceClusterValidated: ['snapshot-check'],
  CopyStarted: ['copy-snapshot'],
  CopyCompleted: ['copy-snapshot', 'check-copy-status'],
  ClusterDeletionStarted: ['delete-rds', 'retire-cluster'],
  TargetCleared: ['delete-rds', 'check-delete-status'],
  ClusterRestoreStarted: ['restore-snapshot'],
  ClusterAvailable: ['check-restore-status'],
  UsersConfigured: ['setup-db-users'],
  TargetVacated: ['swap-out'],
  ClustersSwapped: ['swap-in'],
  OldClusterRetired: ['retire-cluster', 'check-delete-status'],
  RestoreSucceeded: ['archive-snapshot'],
  RestoreFailed: [...stepName.options, 'watchdog', 'dead-letter'],
  RecheckDue: ['scheduler'],
  OperationDeadlineReached: ['scheduler'],
};

const T = '2026-11-24T02:00:00.000Z';
const OP = 'restore-20261124-020000-k3x9q2';
const SRC_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:aurora-prod-2026-11-24-00-05';
const COPY_ARN = 'arn:aws:rds:us-west-2:123456789012:cluster-snapshot:aurora-restore-k3x9q2-aurora-prod-2026-11-24-00-05';
const b = { operationId: OP, occurredAt: T, schemaVersion: SCHEMA_VERSION } as const;

/** One example per event; each is validated against its schema by a test. */
export const EXAMPLES: { [N in EventName]: z.input<(typeof eventSchemas)[N]> } = {
  RestoreRequested: {
    ...b,
    request: {
      sourceClusterId: 'aurora-prod',
      snapshotDate: '2026-11-24',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      targetClusterId: 'aurora-staging',
      instanceClass: 'db.r6g.large',
      subnetGroup: 'staging-db-subnets',
      securityGroupIds: ['sg-0a1b2c3d'],
      deleteExisting: true,
      keepSnapshot: false,
      skipFinalSnapshot: false,
    },
  },
  SnapshotValidated: {
    ...b,
    snapshot: {
      snapshotId: 'rds:aurora-prod-2026-11-24-00-05',
      snapshotArn: SRC_ARN,
      region: 'us-east-1',
      sourceClusterId: 'aurora-prod',
      status: 'available',
      encrypted: true,
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/source-key',
      engine: 'aurora-postgresql',
      createdAt: '2026-11-24T00:05:00.000Z',
    },
  },
  SourceClusterValidated: {
    ...b,
    source: 'clone',
    sourceCluster: { clusterId: 'aurora-dev', region: 'us-east-1', engine: 'aurora-postgresql', engineVersion: '16.6', latestRestorableTime: '2026-11-24T01:55:00.000Z' },
  },
  CopyStarted: { ...b, target: { snapshotId: 'aurora-restore-k3x9q2-aurora-prod-2026-11-24-00-05', snapshotArn: COPY_ARN, region: 'us-west-2' } },
  CopyCompleted: { ...b, skipped: false, snapshot: { snapshotId: 'aurora-restore-k3x9q2-aurora-prod-2026-11-24-00-05', snapshotArn: COPY_ARN, region: 'us-west-2' } },
  ClusterDeletionStarted: { ...b, clusterId: 'aurora-staging', region: 'us-west-2', finalSnapshotId: 'aurora-staging-final-k3x9q2' },
  TargetCleared: { ...b, deleted: true, finalSnapshotId: 'aurora-staging-final-k3x9q2' },
  ClusterRestoreStarted: { ...b, clusterId: 'aurora-staging', instanceId: 'aurora-staging-writer', region: 'us-west-2' },
  ClusterAvailable: {
    ...b,
    clusterId: 'aurora-staging',
    region: 'us-west-2',
    writerEndpoint: 'aurora-staging.cluster-c0ffee.us-west-2.rds.amazonaws.com',
    readerEndpoint: 'aurora-staging.cluster-ro-c0ffee.us-west-2.rds.amazonaws.com',
    port: 5432,
  },
  UsersConfigured: {
    ...b,
    users: ['app', 'reporting'],
    masterSecretName: 'aurora-restore/clusters/aurora-staging/master',
    strategy: 'swap',
    postRestoreSql: [{ file: '01-mask-customers.sql', outcome: 'ran', sha256: '9f2c4b1e0a7d3c5b8e6f1a2d4c7b9e0f3a5d8c1b6e4f7a2d9c0b3e5f8a1d4c7b' }],
    validationsPassed: ['no-real-emails'],
  },
  TargetVacated: { ...b, clusterId: 'aurora-staging', region: 'us-west-2', renamed: true, retiredClusterId: 'aurora-staging-old-k3x9q2' },
  ClustersSwapped: {
    ...b,
    clusterId: 'aurora-staging',
    region: 'us-west-2',
    fromClusterId: 'aurora-staging-new-k3x9q2',
    retiredClusterId: 'aurora-staging-old-k3x9q2',
    writerEndpoint: 'aurora-staging.cluster-c0ffee.us-west-2.rds.amazonaws.com',
  },
  OldClusterRetired: { ...b, deleted: true, clusterId: 'aurora-staging-old-k3x9q2', finalSnapshotId: 'aurora-staging-final-k3x9q2' },
  RestoreSucceeded: {
    ...b,
    clusterId: 'aurora-staging',
    region: 'us-west-2',
    writerEndpoint: 'aurora-staging.cluster-c0ffee.us-west-2.rds.amazonaws.com',
    snapshotArchive: 'deleted',
  },
  RestoreFailed: { ...b, step: 'snapshot-check', code: 'SnapshotNotFound', message: 'No automated snapshot of aurora-prod on 2026-11-24 in us-east-1', retryable: false },
  RecheckDue: { ...b, check: 'copy', attempt: 3 },
  OperationDeadlineReached: { ...b, deadline: '2026-11-24T04:00:00.000Z' },
};

/** JSON Schema for every event, generated from the zod schemas. */
export function eventJsonSchemas(): Record<EventName, unknown> {
  const out = {} as Record<EventName, unknown>;
  for (const name of EVENT_NAMES) {
    out[name] = { title: name, ...z.toJSONSchema(eventSchemas[name], { io: 'input', unrepresentable: 'any' }) };
  }
  return out;
}
