/**
 * Least privilege, from one table: which port calls each Lambda function makes (FUNCTION_CALLS), and
 * which IAM actions on which resources each port call needs (CALL_GRANTS, read off the SDK commands the
 * adapter method sends). A function's IAM role AND the adapters its bundle is wired with are both
 * derived from here; tests/infra checks the table against what the steps really call (local runs) and
 * against the commands the adapters really send (aws-sdk-client-mock).
 */
import type { AdapterName } from '../lib/aws/compose';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../lib/tags';
import { STEP_NAMES, type AnyStepName } from '../schemas/steps';

/** A port method, or a DynamoDB command on the state or audit table (lib-dynamodb, shared by every function). */
export type PortCall =
  | `rds.${RdsMethod}`
  | 'bus.publish'
  | 'scheduler.scheduleOnce'
  | 'scheduler.cancel'
  | 'notifier.publish'
  | 'secrets.getJson'
  | 'secrets.putJson'
  | 'db.configureUsers'
  | 'db.verifyLogin'
  | 'db.disableLogins'
  | 'db.runHook'
  | 'db.runValidation'
  | 'objects.getText'
  | 'profiles.get'
  | 'profiles.list'
  | 'queue.changeVisibility'
  | 'queue.sendDelayed'
  | `state.${'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Scan'}`
  | `audit.${'PutItem' | 'Query'}`;

type RdsMethod =
  | 'describeClusterSnapshot'
  | 'listAutomatedSnapshots'
  | 'listManualSnapshots'
  | 'copyClusterSnapshot'
  | 'deleteClusterSnapshot'
  | 'describeCluster'
  | 'deleteCluster'
  | 'restoreClusterFromSnapshot'
  | 'restoreClusterToPointInTime'
  | 'renameCluster'
  | 'describeInstance'
  | 'createInstance'
  | 'deleteInstance'
  | 'modifyClusterMasterPassword';

/** The Lambda functions: the twelve queue consumers, the HTTP API and the nightly request. */
export type FunctionName = AnyStepName | 'api' | 'nightly';

/**
 * What a resource reference in a grant stands for; src/infra/template/roles.ts turns each into ARNs
 * (RDS names lowercase: RDS stores identifiers lowercase). The RDS ones name resource TYPES and, where the
 * pipeline owns the naming, the names it gives (src/lib/steps/names.ts):
 * - `copied-snapshots`: `cluster-snapshot:aurora-restore-*` (copiedSnapshotId);
 * - `final-snapshots`: `cluster-snapshot:*-final-*` (finalSnapshotId: `<cluster>-final-<op suffix>`);
 * - `writer-instances`: `db:*-writer` (writerInstanceId);
 * - `allow-listed-clusters` / `allow-listed-instances`: `cluster:<id>` / `db:<id>-*` per DELETION_ALLOW_LIST id;
 * - `restore-inputs`: every resource RestoreDBClusterFromSnapshot authorizes (cluster, cluster snapshot, and
 *   the REQUIRED `subgrp`, `cluster-pg`, `og` of the Service Authorization Reference);
 * - `instance-inputs`: the optional resources CreateDBInstance may authorize besides the instance and cluster;
 * - `clone-sources`: `cluster:<id>` per CLONE_SOURCE_CLUSTERS id (none when the list is empty);
 * - `all-but-protected-clusters`: every resource except the clusters PROTECTED_CLUSTER_PATTERN names
 *   (written as `NotResource`): what a point-in-time restore creates under a name the request chooses.
 * `own-queues` are the queues the function consumes (its step queue; every DLQ for the dead-letter function).
 */
export type ResourceRef =
  | 'state-table'
  | 'audit-table'
  | 'bus'
  | 'schedules'
  | 'scheduler-role'
  | 'topic'
  | 'own-queues'
  | 'credential-secrets'
  | 'cluster-secrets'
  | 'hook-objects'
  | 'profile-parameters'
  | 'profile-path'
  | 'pipeline-key'
  | 'rds-keys'
  | 'rds-clusters'
  | 'rds-cluster-snapshots'
  | 'rds-instances'
  | 'copied-snapshots'
  | 'final-snapshots'
  | 'writer-instances'
  | 'restore-inputs'
  | 'instance-inputs'
  | 'allow-listed-clusters'
  | 'allow-listed-instances'
  | 'clone-sources'
  | 'all-but-protected-clusters';

/**
 * A condition a grant holds only under (src/infra/template/roles.ts writes each as an IAM Condition):
 * - `managed`: the resource carries `aurora-restore:managed-by=aurora-restore` (RDS's `rds:<type>-tag/…` key);
 * - `pipeline-tags`: the request creates with the pipeline's tags and no others (`aws:RequestTag/…`,
 *   `aws:TagKeys`) — "If tags are specified in the create action, RDS performs additional authorization on
 *   the rds:AddTagsToResource action" (RDS user guide, "Grant permission to tag Amazon RDS resources during
 *   creation");
 * - `tags-from-request` / `inherited-tags`: `rds:TagsFromRequest` true / false — "Evaluates to true when tags
 *   are provided in these parameters. Evaluates as false when tags are implicitly inherited from source
 *   resources" (Service Authorization Reference, Amazon RDS condition keys);
 * - `to-scheduler`: `iam:PassedToService` is EventBridge Scheduler.
 */
export type ConditionRef = 'managed' | 'pipeline-tags' | 'tags-from-request' | 'inherited-tags' | 'to-scheduler';

export interface Grant {
  actions: string[];
  on: ResourceRef;
  /** Every one of these must hold (one IAM Condition block). */
  when?: ConditionRef[];
  /** A KMS key used by an AWS service on the caller's behalf: limited with kms:ViaService. */
  viaService?: 'dynamodb' | 'sns' | 'secretsmanager' | 'rds' | 's3';
}

const dynamoKey: Grant = { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], on: 'pipeline-key', viaService: 'dynamodb' };
/**
 * Customer managed keys of the snapshots (TARGET_KMS_KEYS ∪ SOURCE_KMS_KEYS): "To create an Aurora resource
 * using a customer managed key, a user must have permissions to call the following operations on the
 * customer managed key: kms:CreateGrant, kms:DescribeKey" (Aurora user guide, "Authorizing use of a customer
 * managed key"). A restore uses the snapshot's key: the source key in the same region, the target key for a
 * copy. A cross-region copy runs, through its presigned URL, as the caller in the source region, where RDS
 * uses the source snapshot's key on the caller's behalf: so copying needs the source keys as well.
 */
const rdsKeys: Grant = { actions: ['kms:CreateGrant', 'kms:DescribeKey'], on: 'rds-keys', viaService: 'rds' };
const tagOnCreate: ConditionRef[] = ['pipeline-tags', 'tags-from-request'];

/**
 * The IAM actions each port call needs, with the dependent permissions AWS documents: creating with tags
 * also needs rds:AddTagsToResource (limited to the pipeline's tags); deleting a cluster with a final
 * snapshot needs rds:CreateDBClusterSnapshot on the cluster AND on the snapshot, and — the clusters having
 * CopyTagsToSnapshot — rds:AddTagsToResource on the snapshot for the inherited tags; DeleteDBCluster itself
 * authorizes the final snapshot too (its `cluster-snapshot` resource type is required). Destructive calls
 * are limited to resources carrying the managed-by tag, plus DELETION_ALLOW_LIST clusters and their
 * `<cluster>-*` instances by ARN. Clusters and instances matching PROTECTED_CLUSTER_PATTERN are denied
 * outright (PROTECTED_DENY).
 */
export const CALL_GRANTS: Record<PortCall, Grant[]> = {
  'rds.describeClusterSnapshot': [{ actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-cluster-snapshots' }],
  'rds.listAutomatedSnapshots': [
    { actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-cluster-snapshots' },
    { actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-clusters' },
  ],
  'rds.listManualSnapshots': [
    { actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-cluster-snapshots' },
    { actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-clusters' },
  ],
  'rds.copyClusterSnapshot': [
    // The source snapshot may have any name (an automated `rds:` one); the copy carries the pipeline's tags.
    { actions: ['rds:CopyDBClusterSnapshot'], on: 'rds-cluster-snapshots', when: ['pipeline-tags'] },
    { actions: ['rds:AddTagsToResource'], on: 'copied-snapshots', when: tagOnCreate },
    rdsKeys,
  ],
  // The temporary copy, and (final snapshot retention, src/lib/steps/retention.ts) the pipeline's own final snapshots.
  'rds.deleteClusterSnapshot': [
    { actions: ['rds:DeleteDBClusterSnapshot'], on: 'copied-snapshots', when: ['managed'] },
    { actions: ['rds:DeleteDBClusterSnapshot'], on: 'final-snapshots', when: ['managed'] },
  ],
  'rds.describeCluster': [{ actions: ['rds:DescribeDBClusters'], on: 'rds-clusters' }],
  'rds.deleteCluster': [
    { actions: ['rds:CreateDBClusterSnapshot', 'rds:DeleteDBCluster'], on: 'rds-clusters', when: ['managed'] },
    { actions: ['rds:CreateDBClusterSnapshot', 'rds:DeleteDBCluster'], on: 'allow-listed-clusters' },
    { actions: ['rds:CreateDBClusterSnapshot', 'rds:DeleteDBCluster'], on: 'final-snapshots' },
    { actions: ['rds:AddTagsToResource'], on: 'final-snapshots', when: ['inherited-tags'] },
  ],
  'rds.restoreClusterFromSnapshot': [
    { actions: ['rds:RestoreDBClusterFromSnapshot'], on: 'restore-inputs', when: ['pipeline-tags'] },
    { actions: ['rds:AddTagsToResource'], on: 'rds-clusters', when: tagOnCreate },
    rdsKeys,
  ],
  /**
   * A clone or point-in-time copy of a live cluster. The Service Authorization Reference ("Actions, resources,
   * and condition keys for Amazon RDS", RestoreDBClusterToPointInTime) authorizes the action against the
   * resource types `cluster*`, `cluster-auto-backup`, `cluster-pg*`, `og*` and `subgrp*` (* = required), with
   * the request-tag keys (`aws:RequestTag/${TagKey}`, `aws:TagKeys`) at the action level: ONE `cluster` type for
   * both the source (SourceDBClusterIdentifier) and the new cluster (DBClusterIdentifier), so IAM cannot tell
   * them apart by type. The grant is therefore split by name:
   * - the source: only the clusters of CLONE_SOURCE_CLUSTERS (none when it is empty), with no tag condition
   *   (the source is read, not created or tagged; whether RDS evaluates the request's tags against it too is
   *   not documented, so the grant holds either way);
   * - the new cluster (any name the request chooses: the target, or its swap-time `<target>-new-<op>`) and the
   *   subnet group, parameter group and option group: every resource EXCEPT the protected clusters
   *   (NotResource), with the pipeline's tags. A protected cluster (the usual clone source) is therefore
   *   cloned only when it is listed. Residual: if RDS evaluates the request tags against the source as well, an
   *   unlisted, UNPROTECTED live cluster still passes the second statement; the code refuses it (snapshot-check,
   *   SourceNotRestorable). tests/infra/iam.test.ts simulates both cases.
   */
  'rds.restoreClusterToPointInTime': [
    { actions: ['rds:RestoreDBClusterToPointInTime'], on: 'clone-sources' },
    { actions: ['rds:RestoreDBClusterToPointInTime'], on: 'all-but-protected-clusters', when: ['pipeline-tags'] },
    { actions: ['rds:AddTagsToResource'], on: 'rds-clusters', when: tagOnCreate },
    rdsKeys,
  ],
  // Swap: renames only clusters the pipeline manages (ModifyDBCluster NewDBClusterIdentifier); protected names are denied.
  'rds.renameCluster': [{ actions: ['rds:ModifyDBCluster'], on: 'rds-clusters', when: ['managed'] }],
  'rds.describeInstance': [{ actions: ['rds:DescribeDBInstances'], on: 'rds-instances' }],
  'rds.createInstance': [
    { actions: ['rds:CreateDBInstance'], on: 'writer-instances', when: ['pipeline-tags'] },
    // Only into a cluster the pipeline manages (the one restore-snapshot created, tagged).
    { actions: ['rds:CreateDBInstance'], on: 'rds-clusters', when: ['managed', 'pipeline-tags'] },
    { actions: ['rds:CreateDBInstance'], on: 'instance-inputs', when: ['pipeline-tags'] },
    { actions: ['rds:AddTagsToResource'], on: 'writer-instances', when: tagOnCreate },
  ],
  'rds.deleteInstance': [
    { actions: ['rds:DeleteDBInstance'], on: 'rds-instances', when: ['managed'] },
    { actions: ['rds:DeleteDBInstance'], on: 'allow-listed-instances' },
  ],
  'rds.modifyClusterMasterPassword': [{ actions: ['rds:ModifyDBCluster'], on: 'rds-clusters', when: ['managed'] }],
  'bus.publish': [{ actions: ['events:PutEvents'], on: 'bus' }],
  'scheduler.scheduleOnce': [
    { actions: ['scheduler:CreateSchedule'], on: 'schedules' },
    { actions: ['iam:PassRole'], on: 'scheduler-role', when: ['to-scheduler'] },
  ],
  'scheduler.cancel': [{ actions: ['scheduler:DeleteSchedule'], on: 'schedules' }],
  'notifier.publish': [
    { actions: ['sns:Publish'], on: 'topic' },
    { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], on: 'pipeline-key', viaService: 'sns' },
  ],
  'secrets.getJson': [
    { actions: ['secretsmanager:GetSecretValue'], on: 'credential-secrets' },
    { actions: ['kms:Decrypt'], on: 'pipeline-key', viaService: 'secretsmanager' },
  ],
  'secrets.putJson': [
    { actions: ['secretsmanager:PutSecretValue', 'secretsmanager:CreateSecret'], on: 'cluster-secrets' },
    { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], on: 'pipeline-key', viaService: 'secretsmanager' },
  ],
  // SQL over the network (the function runs in the VPC): no AWS API call.
  'db.configureUsers': [],
  'db.verifyLogin': [],
  'db.disableLogins': [],
  'db.runHook': [],
  'db.runValidation': [],
  // Post-restore SQL files: GetObject under HOOK_SOURCES only ("you must have s3:GetObject permissions"); objects
  // encrypted with the pipeline's key (SSE-KMS) are decrypted by S3 on the caller's behalf. No s3:ListBucket: the
  // request names every file.
  'objects.getText': [
    { actions: ['s3:GetObject'], on: 'hook-objects' },
    { actions: ['kms:Decrypt'], on: 'pipeline-key', viaService: 's3' },
  ],
  // Saved refresh profiles: String parameters under PROFILES_PATH (no secret values, so no KMS key).
  'profiles.get': [{ actions: ['ssm:GetParameter'], on: 'profile-parameters' }],
  'profiles.list': [{ actions: ['ssm:GetParametersByPath'], on: 'profile-path' }],
  // Handing a record back: only on the queue(s) the function itself consumes.
  'queue.changeVisibility': [{ actions: ['sqs:ChangeMessageVisibility'], on: 'own-queues' }],
  // A re-check within 15 minutes: a delayed message to the function's own step queue (src/lib/recheck.ts).
  // The queues use SSE-SQS, so no KMS permission is needed to send.
  'queue.sendDelayed': [{ actions: ['sqs:SendMessage'], on: 'own-queues' }],
  'state.GetItem': [{ actions: ['dynamodb:GetItem'], on: 'state-table' }, dynamoKey],
  'state.PutItem': [{ actions: ['dynamodb:PutItem'], on: 'state-table' }, dynamoKey],
  'state.UpdateItem': [{ actions: ['dynamodb:UpdateItem'], on: 'state-table' }, dynamoKey],
  'state.DeleteItem': [{ actions: ['dynamodb:DeleteItem'], on: 'state-table' }, dynamoKey],
  'state.Scan': [{ actions: ['dynamodb:Scan'], on: 'state-table' }, dynamoKey],
  'audit.PutItem': [{ actions: ['dynamodb:PutItem'], on: 'audit-table' }, dynamoKey],
  'audit.Query': [{ actions: ['dynamodb:Query'], on: 'audit-table' }, dynamoKey],
};

/**
 * Denied explicitly, in every role that is granted any RDS action, on the clusters and instances whose
 * name matches PROTECTED_CLUSTER_PATTERN (src/infra/protected.ts turns the pattern into ARN wildcards): no
 * grant, tag or allow-list can make the pipeline change them. Cluster snapshots are left out on purpose
 * (a copy's name contains its source cluster's name).
 */
export const PROTECTED_DENY = {
  cluster: [
    'rds:AddTagsToResource',
    'rds:CreateDBClusterSnapshot',
    'rds:CreateDBInstance',
    'rds:DeleteDBCluster',
    'rds:FailoverDBCluster',
    'rds:ModifyDBCluster',
    'rds:RebootDBCluster',
    'rds:RemoveTagsFromResource',
    'rds:RestoreDBClusterFromSnapshot',
    'rds:StopDBCluster',
  ],
  db: [
    'rds:AddTagsToResource',
    'rds:CreateDBInstance',
    'rds:DeleteDBInstance',
    'rds:ModifyDBInstance',
    'rds:RebootDBInstance',
    'rds:RemoveTagsFromResource',
    'rds:StopDBInstance',
  ],
} as const;

/** What every step run by the step runner does: read the operation, record the step, audit, publish. */
const RUNNER: PortCall[] = ['state.GetItem', 'state.UpdateItem', 'audit.PutItem', 'bus.publish'];
/**
 * Waiting steps (check-*, swap-*) arm a re-check when the resource is not ready: a delayed message to their
 * own queue within 15 minutes, a Scheduler one-time schedule beyond (src/lib/recheck.ts).
 */
const WAITING: PortCall[] = [...RUNNER, 'scheduler.scheduleOnce', 'queue.sendDelayed'];
/** Every queue consumer may hand a record back to its own queue (SQS ChangeMessageVisibility). */
const HAND_BACK: PortCall = 'queue.changeVisibility';
/**
 * An action step refused a permit by the RDS call budget sends its message again to its own queue, delayed
 * (src/lib/step-runner.ts); the budget itself is state.UpdateItem on its item in the state table (RUNNER).
 */
const BUDGET_REQUEUE: PortCall = 'queue.sendDelayed';

/**
 * The port calls of each function (read off src/lib/steps, src/lib/step-runner.ts, src/lib/state-store.ts).
 * Change this when a step starts (or stops) calling a port: the role and the bundle's wiring follow.
 */
export const FUNCTION_CALLS: Record<FunctionName, PortCall[]> = {
  'snapshot-check': [
    ...RUNNER,
    HAND_BACK,
    BUDGET_REQUEUE,
    'state.PutItem', // create the operation, take the target lock
    'scheduler.scheduleOnce', // the operation's deadline
    'rds.describeCluster', // pre-flight check of the target
    'rds.describeClusterSnapshot',
    'rds.listAutomatedSnapshots',
  ],
  'copy-snapshot': [...RUNNER, HAND_BACK, BUDGET_REQUEUE, 'rds.copyClusterSnapshot', 'rds.describeClusterSnapshot'],
  // PutItem: the copy's duration joins this target's history (src/lib/history.ts).
  'check-copy-status': [...WAITING, HAND_BACK, 'state.PutItem', 'rds.describeClusterSnapshot'],
  // An instance RDS refuses to delete is described: already deleting, or not yet (creating/modifying)?
  'delete-rds': [...RUNNER, HAND_BACK, BUDGET_REQUEUE, 'state.PutItem', 'rds.describeCluster', 'rds.deleteInstance', 'rds.describeInstance', 'rds.deleteCluster'],
  // Deletes the members delete-rds could not (creating/modifying then; recorded in the resource index), then
  // the cluster once they are gone.
  'check-delete-status': [...WAITING, HAND_BACK, 'state.PutItem', 'rds.describeCluster', 'rds.deleteInstance', 'rds.describeInstance', 'rds.deleteCluster'],
  // The cluster only: RDS creates instances once the restored cluster is available.
  'restore-snapshot': [...RUNNER, HAND_BACK, BUDGET_REQUEUE, 'rds.restoreClusterFromSnapshot', 'rds.restoreClusterToPointInTime', 'rds.describeCluster'],
  // Creates the writer once the restored cluster is available (recording it in the resource index).
  'check-restore-status': [...WAITING, HAND_BACK, 'state.PutItem', 'rds.describeCluster', 'rds.describeInstance', 'rds.createInstance'],
  // Rotate the master password, disable the app logins, run the post-restore SQL (read from S3) and its
  // validations, then the users; progress (each SQL file) is appended to the state as it commits.
  'setup-db-users': [
    ...RUNNER,
    HAND_BACK,
    BUDGET_REQUEUE,
    'secrets.getJson',
    'secrets.putJson',
    'rds.modifyClusterMasterPassword',
    'db.disableLogins',
    'objects.getText',
    'db.runHook',
    'db.runValidation',
    'db.configureUsers',
    'db.verifyLogin',
  ],
  // Swap: rename the old target away, then the new cluster in (each name indexed for its RDS events).
  'swap-out': [...WAITING, HAND_BACK, 'state.PutItem', 'rds.describeCluster', 'rds.renameCluster'],
  'swap-in': [...WAITING, HAND_BACK, 'state.PutItem', 'rds.describeCluster', 'rds.renameCluster'],
  // Swap: delete the old cluster as delete-rds deletes a replaced target.
  'retire-cluster': [...RUNNER, HAND_BACK, BUDGET_REQUEUE, 'state.PutItem', 'rds.describeCluster', 'rds.deleteInstance', 'rds.describeInstance', 'rds.deleteCluster'],
  // Deletes the temporary copy; final snapshot retention lists the target's manual snapshots and prunes its own final ones.
  'archive-snapshot': [...RUNNER, HAND_BACK, BUDGET_REQUEUE, 'rds.deleteClusterSnapshot', 'rds.listManualSnapshots'],
  'sns-notification': [
    HAND_BACK,
    // A failed swap is put right before the operation ends (swap-compensation.ts): rename the old cluster
    // back, or delete the temporary one.
    'rds.describeCluster',
    'rds.renameCluster',
    'rds.deleteInstance',
    'rds.deleteCluster',
    'state.GetItem',
    'state.PutItem', // records a request that never became an operation
    'state.UpdateItem',
    'state.DeleteItem', // releases the target lock
    'audit.PutItem',
    'scheduler.cancel', // the operation's deadline
    'notifier.publish',
  ],
  watchdog: [HAND_BACK, 'state.GetItem', 'audit.PutItem', 'bus.publish'],
  'dead-letter': [
    HAND_BACK, // on the dead-letter queues it consumes
    'state.GetItem',
    'state.UpdateItem',
    'state.DeleteItem',
    'audit.PutItem',
    'bus.publish',
    // a dead-lettered notification: the dead-letter handler concludes the operation itself
    'scheduler.cancel',
    'notifier.publish',
  ],
  // POST /restores {"profile": …} and the profiles' schedules read the saved profile.
  api: ['state.GetItem', 'bus.publish', 'profiles.get'],
  nightly: ['bus.publish', 'profiles.get'],
};

export const FUNCTION_NAMES = Object.keys(FUNCTION_CALLS) as FunctionName[];

/** The functions that consume a step queue (one per subscription) — the others have their own triggers. */
export const isStepFunction = (f: FunctionName): f is AnyStepName => f !== 'api' && f !== 'nightly';

/** The adapters a function's bundle is wired with: the ports its calls go through (DynamoDB is always there). */
export function adaptersOf(fn: FunctionName): AdapterName[] {
  const ports = new Set<AdapterName>();
  for (const call of FUNCTION_CALLS[fn]) {
    const port = call.split('.')[0];
    if (port !== 'state' && port !== 'audit') ports.add(port as AdapterName);
  }
  return [...ports].sort();
}

/**
 * Entry file → the adapters its bundle is wired with, for every function: read by src/infra/esbuild-plugins.cjs
 * through serverless.yml (custom.wiring) and by the benchmark (bench/bundles.ts), so both build the same bundles.
 */
export function bundleWiring(): Record<string, AdapterName[]> {
  return Object.fromEntries(FUNCTION_NAMES.map((fn) => [`src/handlers/${fn}.ts`, adaptersOf(fn)]));
}

/** Functions that open database connections: they run in the VPC, with the RDS CA bundle trusted. */
export const connectsToDatabase = (fn: FunctionName): boolean => FUNCTION_CALLS[fn].some((c) => c.startsWith('db.'));

/** The grants of a function, merged by (resource, conditions, viaService): one IAM statement each, actions sorted. */
export function grantsOf(fn: FunctionName): Grant[] {
  const merged = new Map<string, Grant>();
  for (const call of FUNCTION_CALLS[fn]) {
    for (const g of CALL_GRANTS[call]) {
      const when = g.when ? [...g.when].sort() : undefined;
      const key = `${g.on}|${when?.join('+') ?? ''}|${g.viaService ?? ''}`;
      const m = merged.get(key) ?? { on: g.on, actions: [], ...(when ? { when } : {}), ...(g.viaService ? { viaService: g.viaService } : {}) };
      m.actions = [...new Set([...m.actions, ...g.actions])].sort();
      merged.set(key, m);
    }
  }
  return [...merged.values()];
}

/** The managed-by tag condition of RDS resources, by resource type (RDS's own tag condition keys). */
export const MANAGED_BY_CONDITION = {
  cluster: { [`rds:cluster-tag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE },
  'cluster-snapshot': { [`rds:cluster-snapshot-tag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE },
  db: { [`rds:db-tag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE },
} as const;

/** The step functions, in pipeline order, then the guards (stable order for generated resources). */
export const STEP_FUNCTIONS: AnyStepName[] = [...STEP_NAMES, 'watchdog', 'dead-letter'];
