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
  | `state.${'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Scan'}`
  | `audit.${'PutItem' | 'Query'}`;

type RdsMethod =
  | 'describeClusterSnapshot'
  | 'listAutomatedSnapshots'
  | 'copyClusterSnapshot'
  | 'deleteClusterSnapshot'
  | 'describeCluster'
  | 'deleteCluster'
  | 'restoreClusterFromSnapshot'
  | 'describeInstance'
  | 'createInstance'
  | 'deleteInstance'
  | 'modifyClusterMasterPassword';

/** The Lambda functions: the twelve queue consumers, the HTTP API and the nightly request. */
export type FunctionName = AnyStepName | 'api' | 'nightly';

/**
 * What a resource reference in a grant stands for; src/infra/template/roles.ts turns each into ARNs.
 * `managed-*` are RDS resources carrying the pipeline's managed-by tag (an IAM condition); the
 * allow-listed clusters (DELETION_ALLOW_LIST) are named by ARN.
 */
export type ResourceRef =
  | 'state-table'
  | 'audit-table'
  | 'bus'
  | 'schedules'
  | 'scheduler-role'
  | 'topic'
  | 'credential-secrets'
  | 'cluster-secrets'
  | 'pipeline-key'
  | 'rds-keys'
  | 'rds-clusters'
  | 'rds-cluster-snapshots'
  | 'rds-instances'
  | 'rds-restore-inputs'
  | 'rds-instance-inputs'
  | 'managed-clusters'
  | 'managed-cluster-snapshots'
  | 'managed-instances'
  | 'allow-listed-clusters'
  | 'allow-listed-instances';

export interface Grant {
  actions: string[];
  on: ResourceRef;
  /** A KMS key used by an AWS service on the caller's behalf: limited with kms:ViaService. */
  viaService?: 'dynamodb' | 'sns' | 'secretsmanager' | 'rds';
}

const dynamoKey: Grant = { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], on: 'pipeline-key', viaService: 'dynamodb' };
const rdsKeys: Grant = { actions: ['kms:CreateGrant', 'kms:DescribeKey'], on: 'rds-keys', viaService: 'rds' };

/**
 * The IAM actions each port call needs. RDS: creating with tags also needs rds:AddTagsToResource;
 * a cluster deletion with a final snapshot also needs rds:CreateDBClusterSnapshot; destructive calls
 * are limited to resources carrying the managed-by tag (plus DELETION_ALLOW_LIST clusters for deletion).
 */
export const CALL_GRANTS: Record<PortCall, Grant[]> = {
  'rds.describeClusterSnapshot': [{ actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-cluster-snapshots' }],
  'rds.listAutomatedSnapshots': [
    { actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-cluster-snapshots' },
    { actions: ['rds:DescribeDBClusterSnapshots'], on: 'rds-clusters' },
  ],
  'rds.copyClusterSnapshot': [{ actions: ['rds:CopyDBClusterSnapshot', 'rds:AddTagsToResource'], on: 'rds-cluster-snapshots' }, rdsKeys],
  'rds.deleteClusterSnapshot': [{ actions: ['rds:DeleteDBClusterSnapshot'], on: 'managed-cluster-snapshots' }],
  'rds.describeCluster': [{ actions: ['rds:DescribeDBClusters'], on: 'rds-clusters' }],
  'rds.deleteCluster': [
    { actions: ['rds:DeleteDBCluster'], on: 'managed-clusters' },
    { actions: ['rds:DeleteDBCluster'], on: 'allow-listed-clusters' },
    { actions: ['rds:CreateDBClusterSnapshot'], on: 'rds-cluster-snapshots' },
  ],
  'rds.restoreClusterFromSnapshot': [{ actions: ['rds:RestoreDBClusterFromSnapshot', 'rds:AddTagsToResource'], on: 'rds-restore-inputs' }, rdsKeys],
  'rds.describeInstance': [{ actions: ['rds:DescribeDBInstances'], on: 'rds-instances' }],
  'rds.createInstance': [{ actions: ['rds:CreateDBInstance', 'rds:AddTagsToResource'], on: 'rds-instance-inputs' }],
  'rds.deleteInstance': [
    { actions: ['rds:DeleteDBInstance'], on: 'managed-instances' },
    { actions: ['rds:DeleteDBInstance'], on: 'allow-listed-instances' },
  ],
  'rds.modifyClusterMasterPassword': [{ actions: ['rds:ModifyDBCluster'], on: 'managed-clusters' }],
  'bus.publish': [{ actions: ['events:PutEvents'], on: 'bus' }],
  'scheduler.scheduleOnce': [
    { actions: ['scheduler:CreateSchedule'], on: 'schedules' },
    { actions: ['iam:PassRole'], on: 'scheduler-role' },
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
  'state.GetItem': [{ actions: ['dynamodb:GetItem'], on: 'state-table' }, dynamoKey],
  'state.PutItem': [{ actions: ['dynamodb:PutItem'], on: 'state-table' }, dynamoKey],
  'state.UpdateItem': [{ actions: ['dynamodb:UpdateItem'], on: 'state-table' }, dynamoKey],
  'state.DeleteItem': [{ actions: ['dynamodb:DeleteItem'], on: 'state-table' }, dynamoKey],
  'state.Scan': [{ actions: ['dynamodb:Scan'], on: 'state-table' }, dynamoKey],
  'audit.PutItem': [{ actions: ['dynamodb:PutItem'], on: 'audit-table' }, dynamoKey],
  'audit.Query': [{ actions: ['dynamodb:Query'], on: 'audit-table' }, dynamoKey],
};

/** What every step run by the step runner does: read the operation, record the step, audit, publish. */
const RUNNER: PortCall[] = ['state.GetItem', 'state.UpdateItem', 'audit.PutItem', 'bus.publish'];
/** Waiting steps (check-*) arm a re-check schedule when the resource is not ready. */
const WAITING: PortCall[] = [...RUNNER, 'scheduler.scheduleOnce'];

/**
 * The port calls of each function (read off src/lib/steps, src/lib/step-runner.ts, src/lib/state-store.ts).
 * Change this when a step starts (or stops) calling a port: the role and the bundle's wiring follow.
 */
export const FUNCTION_CALLS: Record<FunctionName, PortCall[]> = {
  'snapshot-check': [
    ...RUNNER,
    'state.PutItem', // create the operation, take the target lock
    'scheduler.scheduleOnce', // the operation's deadline
    'rds.describeCluster', // pre-flight check of the target
    'rds.describeClusterSnapshot',
    'rds.listAutomatedSnapshots',
  ],
  'copy-snapshot': [...RUNNER, 'rds.copyClusterSnapshot', 'rds.describeClusterSnapshot'],
  'check-copy-status': [...WAITING, 'rds.describeClusterSnapshot'],
  'delete-rds': [...RUNNER, 'state.PutItem', 'rds.describeCluster', 'rds.deleteInstance', 'rds.deleteCluster'],
  // Deletes the cluster once its instances are gone (delete-rds deleted them).
  'check-delete-status': [...WAITING, 'rds.describeCluster', 'rds.deleteCluster'],
  'restore-snapshot': [
    ...RUNNER,
    'state.PutItem', // resource index of the writer instance
    'rds.restoreClusterFromSnapshot',
    'rds.describeCluster',
    'rds.createInstance',
    'rds.describeInstance',
  ],
  'check-restore-status': [...WAITING, 'rds.describeCluster', 'rds.describeInstance'],
  'setup-db-users': [...RUNNER, 'secrets.getJson', 'secrets.putJson', 'rds.modifyClusterMasterPassword', 'db.configureUsers', 'db.verifyLogin'],
  'archive-snapshot': [...RUNNER, 'rds.deleteClusterSnapshot'],
  'sns-notification': [
    'state.GetItem',
    'state.PutItem', // records a request that never became an operation
    'state.UpdateItem',
    'state.DeleteItem', // releases the target lock
    'audit.PutItem',
    'scheduler.cancel', // the operation's deadline
    'notifier.publish',
  ],
  watchdog: ['state.GetItem', 'audit.PutItem', 'bus.publish'],
  'dead-letter': [
    'state.GetItem',
    'state.UpdateItem',
    'state.DeleteItem',
    'audit.PutItem',
    'bus.publish',
    // a dead-lettered notification: the dead-letter handler concludes the operation itself
    'scheduler.cancel',
    'notifier.publish',
  ],
  api: ['state.GetItem', 'bus.publish'],
  nightly: ['bus.publish'],
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

/** Functions that open database connections: they run in the VPC, with the RDS CA bundle trusted. */
export const connectsToDatabase = (fn: FunctionName): boolean => FUNCTION_CALLS[fn].some((c) => c.startsWith('db.'));

/** The grants of a function, merged by (resource, viaService): one IAM statement each, actions sorted. */
export function grantsOf(fn: FunctionName): Grant[] {
  const merged = new Map<string, Grant>();
  for (const call of FUNCTION_CALLS[fn]) {
    for (const g of CALL_GRANTS[call]) {
      const key = `${g.on}|${g.viaService ?? ''}`;
      const m = merged.get(key) ?? { on: g.on, actions: [], ...(g.viaService ? { viaService: g.viaService } : {}) };
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
