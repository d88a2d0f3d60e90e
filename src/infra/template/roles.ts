/** Each function's own IAM role, from the permission table (src/infra/permissions.ts). */
import { DEAD_LETTER_STEP, SUBSCRIPTIONS } from '../../events/subscriptions';
import { masterSecretName } from '../../lib/steps/names';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../lib/tags';
import {
  MANAGED_BY_CONDITION,
  PROTECTED_DENY,
  connectsToDatabase,
  grantsOf,
  isStepFunction,
  type ConditionRef,
  type FunctionName,
  type Grant,
  type ResourceRef,
} from '../permissions';
import { account, getAtt, ids, partition, pascal, ref, region, sub, type Cfn, type Ctx } from './common';

/** The tag keys the pipeline puts on what it creates (and the only ones it may create with). */
export const PIPELINE_TAG_KEYS = [MANAGED_BY_TAG, OPERATION_TAG];

type RdsType = keyof typeof MANAGED_BY_CONDITION | 'subgrp' | 'cluster-pg' | 'pg' | 'og';

/**
 * An RDS ARN in any region (targets and sources may be in any region). The name is lowercased: RDS
 * identifiers are case-insensitive and "stored as a lowercase string" (RDS API reference), and ArnLike
 * compares case-sensitively, so an ARN naming `Legacy-Staging` would never match the real cluster.
 */
export const rdsArn = (type: RdsType, name = '*') => sub(`arn:${partition}:rds:*:${account}:${type}:${name.toLowerCase()}`);

/** The queues a function consumes: its step queue, or every DLQ for the dead-letter function. */
export function consumedQueues(fn: FunctionName): unknown[] {
  if (fn === DEAD_LETTER_STEP) return SUBSCRIPTIONS.map((s) => getAtt(ids.deadLetterQueue(s.step)));
  return isStepFunction(fn) ? [getAtt(ids.queue(fn))] : [];
}

/** The ARNs a resource reference stands for, and the RDS resource type when it names exactly one. */
export function resourcesOf(
  ctx: Ctx,
  fn: FunctionName,
  on: ResourceRef,
): { resources: unknown[]; rdsType?: keyof typeof MANAGED_BY_CONDITION; notResources?: unknown[] } {
  const { names, params } = ctx;
  const secret = (name: string) => sub(`arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-??????`);
  const allowList = params.resolved.DELETION_ALLOW_LIST;
  switch (on) {
    case 'state-table':
      return { resources: [getAtt(ids.stateTable)] };
    case 'audit-table':
      return { resources: [getAtt(ids.auditTable)] };
    case 'bus':
      return { resources: [getAtt(ids.bus)] };
    case 'schedules':
      return { resources: [sub(`arn:${partition}:scheduler:${region}:${account}:schedule/${names.schedulerGroup}/*`)] };
    case 'scheduler-role':
      return { resources: [getAtt(ids.schedulerRole)] };
    case 'topic':
      return { resources: [ref(ids.topic)] };
    case 'own-queues':
      return { resources: consumedQueues(fn) };
    case 'credential-secrets':
      // The seed's two secrets, and the application users' secrets a request may name (APP_SECRETS_PREFIX).
      return { resources: [secret(params.resolved.MASTER_SECRET_NAME), secret(params.resolved.APP_SECRET_NAME), sub(`arn:${partition}:secretsmanager:${region}:${account}:secret:${params.resolved.APP_SECRETS_PREFIX}*`)] };
    case 'hook-objects':
      // `bucket/prefix/` → the objects under it. None configured: no statement (post-restore SQL is refused by snapshot-check).
      return { resources: params.resolved.HOOK_SOURCES.map((loc) => sub(`arn:${partition}:s3:::${loc}*`)) };
    case 'profile-parameters':
      // The profiles' parameters `<PROFILES_PATH><name>`, nothing else: GetParameter "authorize[s] against the
      // parameters named in the request" (Parameter Store, how it authorizes parameter retrieval).
      return { resources: [sub(`arn:${partition}:ssm:${region}:${account}:parameter${params.resolved.PROFILES_PATH}*`)] };
    case 'profile-path':
      // GetParametersByPath "authorizes against the path in the request rather than against the parameters it returns".
      return { resources: [sub(`arn:${partition}:ssm:${region}:${account}:parameter${params.resolved.PROFILES_PATH.replace(/\/$/, '')}`)] };
    case 'cluster-secrets':
      return { resources: [secret(masterSecretName('*'))] };
    case 'pipeline-key':
      return { resources: [params.deployment.KMS_KEY_ID] };
    case 'rds-keys':
      return { resources: [...new Set([...Object.values(params.resolved.TARGET_KMS_KEYS), ...params.resolved.SOURCE_KMS_KEYS])] };
    case 'rds-clusters':
      return { resources: [rdsArn('cluster')], rdsType: 'cluster' };
    case 'rds-cluster-snapshots':
      return { resources: [rdsArn('cluster-snapshot')], rdsType: 'cluster-snapshot' };
    case 'rds-instances':
      return { resources: [rdsArn('db')], rdsType: 'db' };
    case 'copied-snapshots':
      return { resources: [rdsArn('cluster-snapshot', 'aurora-restore-*')], rdsType: 'cluster-snapshot' };
    case 'final-snapshots':
      return { resources: [rdsArn('cluster-snapshot', '*-final-*')], rdsType: 'cluster-snapshot' };
    case 'writer-instances':
      return { resources: [rdsArn('db', '*-writer')], rdsType: 'db' };
    case 'restore-inputs':
      return { resources: [rdsArn('cluster'), rdsArn('cluster-snapshot'), rdsArn('subgrp'), rdsArn('cluster-pg'), rdsArn('og')] };
    case 'instance-inputs':
      return { resources: [rdsArn('subgrp'), rdsArn('pg'), rdsArn('og')] };
    case 'allow-listed-clusters':
      return { resources: allowList.map((id) => rdsArn('cluster', id)), rdsType: 'cluster' };
    case 'allow-listed-instances':
      // RDS has no condition key naming an instance's cluster: an allow-listed cluster's instances are
      // the ones named `<cluster>-…` (src/lib/safety.ts refuses a cluster whose members are named otherwise).
      return { resources: allowList.map((id) => rdsArn('db', `${id}-*`)), rdsType: 'db' };
    case 'clone-sources':
      // Any region: a clone stays in its source's region, which may be any region the pipeline serves.
      return { resources: params.resolved.CLONE_SOURCE_CLUSTERS.map((id) => rdsArn('cluster', id)), rdsType: 'cluster' };
    case 'all-but-protected-clusters':
      return { resources: [], notResources: params.protectedNames.clusters.map((n) => rdsArn('cluster', n)) };
  }
}

/** The IAM Condition block of a grant's conditions (merged per operator). */
export function conditionOf(when: ConditionRef[], rdsType: keyof typeof MANAGED_BY_CONDITION | undefined, fnForErrors: string): Cfn {
  const blocks: Record<string, Record<string, unknown>> = {};
  const add = (operator: string, entries: Record<string, unknown>) => Object.assign((blocks[operator] ??= {}), entries);
  for (const c of when) {
    switch (c) {
      case 'managed':
        if (!rdsType) throw new Error(`${fnForErrors}: a 'managed' grant must name one RDS resource type`);
        add('StringEquals', MANAGED_BY_CONDITION[rdsType]);
        break;
      case 'pipeline-tags':
        add('StringEquals', { [`aws:RequestTag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE });
        add('ForAllValues:StringEquals', { 'aws:TagKeys': PIPELINE_TAG_KEYS });
        break;
      case 'tags-from-request':
        add('Bool', { 'rds:TagsFromRequest': 'true' });
        break;
      case 'inherited-tags':
        add('Bool', { 'rds:TagsFromRequest': 'false' });
        break;
      case 'to-scheduler':
        add('StringEquals', { 'iam:PassedToService': 'scheduler.amazonaws.com' });
        break;
    }
  }
  return blocks;
}

function statementOf(ctx: Ctx, fn: FunctionName, g: Grant): Cfn | undefined {
  const { resources, rdsType, notResources } = resourcesOf(ctx, fn, g.on);
  if (resources.length === 0 && !notResources?.length) return undefined;
  const merged: Record<string, Record<string, unknown>> = g.when ? (conditionOf(g.when, rdsType, fn) as Record<string, Record<string, unknown>>) : {};
  if (g.viaService) {
    // "kms:ViaService … limits use of a KMS key to requests from specified AWS services" (KMS developer guide).
    if (g.viaService === 'rds') Object.assign((merged.StringLike ??= {}), { 'kms:ViaService': 'rds.*.amazonaws.com' });
    else Object.assign((merged.StringEquals ??= {}), { 'kms:ViaService': sub(`${g.viaService}.${region}.amazonaws.com`) });
  }
  return {
    Sid: pascal(`${g.on}${g.when ? `-when-${g.when.join('-')}` : ''}${g.viaService ? `-via-${g.viaService}` : ''}`).replace(/[^A-Za-z0-9]/g, ''),
    Effect: 'Allow',
    Action: g.actions,
    ...(notResources ? { NotResource: notResources } : { Resource: resources }),
    ...(Object.keys(merged).length ? { Condition: merged } : {}),
  };
}

/** The explicit Deny on protected clusters and instances (PROTECTED_CLUSTER_PATTERN), one statement per resource type. */
export function protectedDeny(ctx: Ctx): Cfn[] {
  const { clusters, instances } = ctx.params.protectedNames;
  return [
    { Sid: 'DenyProtectedClusters', Effect: 'Deny', Action: [...PROTECTED_DENY.cluster], Resource: clusters.map((n) => rdsArn('cluster', n)) },
    { Sid: 'DenyProtectedInstances', Effect: 'Deny', Action: [...PROTECTED_DENY.db], Resource: instances.map((n) => rdsArn('db', n)) },
  ];
}

/** The function's own role: its log group, its queue(s), the VPC when it needs it, its grants, and the protected Deny. */
export function functionRole(ctx: Ctx, fn: FunctionName): Cfn {
  const { names } = ctx;
  const statements: Cfn[] = [
    {
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [sub(`arn:${partition}:logs:${region}:${account}:log-group:/aws/lambda/${names.function(fn)}:*`)],
    },
  ];
  const consumed = consumedQueues(fn);
  if (consumed.length) {
    statements.push({
      Sid: 'ConsumeOwnQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: consumed,
    });
  }
  if (connectsToDatabase(fn)) {
    // Lambda's VPC networking: these EC2 actions do not support resource-level permissions.
    statements.push({
      Sid: 'VpcNetworkInterfaces',
      Effect: 'Allow',
      Action: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      Resource: '*',
    });
  }
  const grants = grantsOf(fn);
  for (const g of grants) {
    const st = statementOf(ctx, fn, g);
    if (st) statements.push(st);
  }
  if (grants.some((g) => g.actions.some((a) => a.startsWith('rds:')))) statements.push(...protectedDeny(ctx));
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `aurora-restore ${fn}: exactly the calls listed for it in src/infra/permissions.ts`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [{ PolicyName: 'least-privilege', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}
