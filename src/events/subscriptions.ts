import type { EventName } from './catalogue';
import { EVENT_SOURCE } from './catalogue';
import { RDS_DETAIL_TYPES, RDS_EVENT_IDS, RDS_SOURCE } from './rds';
import type { AnyStepName, CheckName } from '../schemas/steps';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../lib/tags';

/** An EventBridge event pattern (the JSON the rule carries). */
export type EventPattern = Record<string, unknown>;

export interface Subscription {
  /** The step whose queue receives the matching events. */
  step: AnyStepName;
  /** What the rule is for, in words (for the graph and the README). */
  description: string;
  /** One EventBridge rule per pattern, all targeting the step's queue. */
  patterns: { name: string; pattern: EventPattern }[];
  /** SQS → Lambda settings. */
  batchSize: number;
  /** Caps the step's concurrent invocations (protects RDS API quotas). */
  maximumConcurrency: number;
}

const domain = (...names: EventName[]): EventPattern => ({ source: [EVENT_SOURCE], 'detail-type': names });
const recheck = (check: CheckName): EventPattern => ({ source: [EVENT_SOURCE], 'detail-type': ['RecheckDue'], detail: { check: [check] } });
const rds = (detailType: string, ids: string[]): EventPattern => ({ source: [RDS_SOURCE], 'detail-type': [detailType], detail: { EventID: ids } });
/** A domain event of one restore strategy (its `detail.strategy`). */
const ofStrategy = (name: EventName, strategy: 'replace' | 'swap'): EventPattern => ({ source: [EVENT_SOURCE], 'detail-type': [name], detail: { strategy: [strategy] } });

/**
 * The pipeline, declared: which step consumes which events. The local runtime and serverless.yml
 * both read this table; the Mermaid graph is generated from it. Change the pipeline here.
 */
export const SUBSCRIPTIONS: Subscription[] = [
  {
    step: 'snapshot-check',
    description: 'find and validate the snapshot, claim the target cluster',
    patterns: [{ name: 'restore-requested', pattern: domain('RestoreRequested') }],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'copy-snapshot',
    description: 'copy the snapshot to the target region, or skip in the same region',
    patterns: [{ name: 'snapshot-validated', pattern: domain('SnapshotValidated') }],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'check-copy-status',
    description: 'wait for the copy: RDS emits no event for it, so scheduled re-checks',
    patterns: [
      { name: 'copy-started', pattern: domain('CopyStarted') },
      { name: 'recheck', pattern: recheck('copy') },
    ],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'delete-rds',
    description: 'delete the existing target cluster when asked and allowed (swap: keep it serving)',
    patterns: [
      { name: 'copy-completed', pattern: domain('CopyCompleted') },
      { name: 'source-cluster-validated', pattern: domain('SourceClusterValidated') },
    ],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'check-delete-status',
    description: 'wait for the deletion: RDS instance/cluster deleted events, safety-net re-checks',
    patterns: [
      { name: 'deletion-started', pattern: domain('ClusterDeletionStarted') },
      { name: 'recheck', pattern: recheck('delete') },
      { name: 'rds-instance-deleted', pattern: rds(RDS_DETAIL_TYPES.instance, [RDS_EVENT_IDS.instanceDeleted]) },
      { name: 'rds-cluster-deleted', pattern: rds(RDS_DETAIL_TYPES.cluster, [RDS_EVENT_IDS.clusterDeleted]) },
    ],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'restore-snapshot',
    description: 'restore the cluster from the snapshot, or clone / restore the source cluster to a point in time',
    patterns: [{ name: 'target-cleared', pattern: domain('TargetCleared') }],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'check-restore-status',
    description: 'wait for cluster and writer: RDS created/failed events, safety-net re-checks',
    patterns: [
      { name: 'restore-started', pattern: domain('ClusterRestoreStarted') },
      { name: 'recheck', pattern: recheck('restore') },
      {
        name: 'rds-cluster-created',
        pattern: rds(RDS_DETAIL_TYPES.cluster, [RDS_EVENT_IDS.clusterCreated, ...RDS_EVENT_IDS.clusterCreateFailed]),
      },
      {
        name: 'rds-instance-created',
        pattern: rds(RDS_DETAIL_TYPES.instance, [
          RDS_EVENT_IDS.instanceCreated,
          ...RDS_EVENT_IDS.instanceCreateFailed,
          RDS_EVENT_IDS.instanceFailed,
        ]),
      },
    ],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'setup-db-users',
    description: 'rotate the master password, create the app users and grants, verify a login',
    patterns: [{ name: 'cluster-available', pattern: domain('ClusterAvailable') }],
    batchSize: 1,
    maximumConcurrency: 5,
  },
  {
    step: 'swap-out',
    description: 'swap: rename the old target away, its name freed',
    patterns: [
      { name: 'users-configured', pattern: ofStrategy('UsersConfigured', 'swap') },
      { name: 'recheck', pattern: recheck('swap-out') },
      { name: 'rds-cluster-renamed', pattern: rds(RDS_DETAIL_TYPES.cluster, [RDS_EVENT_IDS.clusterRenamed]) },
    ],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'swap-in',
    description: "swap: rename the new cluster to the target's name",
    patterns: [
      { name: 'target-vacated', pattern: domain('TargetVacated') },
      { name: 'recheck', pattern: recheck('swap-in') },
      { name: 'rds-cluster-renamed', pattern: rds(RDS_DETAIL_TYPES.cluster, [RDS_EVENT_IDS.clusterRenamed]) },
    ],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'retire-cluster',
    description: 'swap: delete the old cluster under the safety rules',
    patterns: [{ name: 'clusters-swapped', pattern: domain('ClustersSwapped') }],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'archive-snapshot',
    description: 'delete (or keep) the temporary copied snapshot',
    patterns: [
      { name: 'users-configured', pattern: ofStrategy('UsersConfigured', 'replace') },
      { name: 'old-cluster-retired', pattern: domain('OldClusterRetired') },
    ],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'sns-notification',
    description: 'record the terminal status, release the target, notify once',
    patterns: [{ name: 'restore-finished', pattern: domain('RestoreSucceeded', 'RestoreFailed') }],
    batchSize: 10,
    maximumConcurrency: 5,
  },
  {
    step: 'watchdog',
    description: 'fail operations that pass STATE_MACHINE_TIMEOUT_SECONDS',
    patterns: [{ name: 'deadline', pattern: domain('OperationDeadlineReached') }],
    batchSize: 10,
    maximumConcurrency: 2,
  },
];

/** Every step queue's dead-letter queue feeds this handler, which turns a stuck message into RestoreFailed. */
export const DEAD_LETTER_STEP = 'dead-letter' as const;

/**
 * RDS events the default bus must forward to the pipeline bus: the union of what the steps consume, and
 * only those of the pipeline's own resources — "Event notifications include tags from when the message
 * was sent" (RDS user guide), so the rule matches the managed-by tag — plus the clusters of
 * DELETION_ALLOW_LIST (untagged) and their `<cluster>-…` instances. A busy account's other clusters wake
 * no step and cost nothing.
 */
export function forwardedRdsPattern(allowList: readonly string[] = []): EventPattern {
  const detailTypes = new Set<string>();
  const ids = new Set<string>();
  for (const s of SUBSCRIPTIONS) {
    for (const { pattern } of s.patterns) {
      if ((pattern.source as string[])[0] !== RDS_SOURCE) continue;
      for (const t of pattern['detail-type'] as string[]) detailTypes.add(t);
      for (const id of (pattern.detail as { EventID: string[] }).EventID) ids.add(id);
    }
  }
  const ours = { Tags: { [MANAGED_BY_TAG]: [MANAGED_BY_VALUE] } };
  const allowListed = allowList.length ? { SourceIdentifier: allowList.flatMap((id) => [id, { prefix: `${id}-` }]) } : undefined;
  return {
    source: [RDS_SOURCE],
    'detail-type': [...detailTypes].sort(),
    detail: { EventID: [...ids].sort(), ...(allowListed ? { $or: [ours, allowListed] } : ours) },
  };
}

export function subscriptionFor(step: AnyStepName): Subscription {
  const s = SUBSCRIPTIONS.find((x) => x.step === step);
  if (!s) throw new Error(`no subscription for step ${step}`);
  return s;
}
