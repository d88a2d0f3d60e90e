/** Each function's own IAM role, from the permission table (src/infra/permissions.ts). */
import { DEAD_LETTER_STEP, SUBSCRIPTIONS } from '../../events/subscriptions';
import { masterSecretName } from '../../lib/steps/names';
import { MANAGED_BY_CONDITION, grantsOf, connectsToDatabase, isStepFunction, type FunctionName, type Grant, type ResourceRef } from '../permissions';
import { account, getAtt, ids, partition, pascal, ref, region, sub, type Cfn, type Ctx } from './common';

const rdsArn = (type: string, id = '*') => sub(`arn:${partition}:rds:*:${account}:${type}:${id}`);

export function resourcesOf(ctx: Ctx, on: ResourceRef): { resources: unknown[]; condition?: Cfn } {
  const { names, params } = ctx;
  const secret = (name: string) => sub(`arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-??????`);
  const keys = [...new Set([params.deployment.KMS_KEY_ID, ...Object.values(params.resolved.TARGET_KMS_KEYS)])];
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
      return { resources: [getAtt(ids.schedulerRole)], condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } };
    case 'topic':
      return { resources: [ref(ids.topic)] };
    case 'credential-secrets':
      return { resources: [secret(params.resolved.MASTER_SECRET_NAME), secret(params.resolved.APP_SECRET_NAME)] };
    case 'cluster-secrets':
      return { resources: [secret(masterSecretName('*'))] };
    case 'pipeline-key':
      return { resources: [params.deployment.KMS_KEY_ID] };
    case 'rds-keys':
      return { resources: keys };
    case 'rds-clusters':
      return { resources: [rdsArn('cluster')] };
    case 'rds-cluster-snapshots':
      return { resources: [rdsArn('cluster-snapshot')] };
    case 'rds-instances':
      return { resources: [rdsArn('db')] };
    case 'rds-restore-inputs':
      return { resources: [rdsArn('cluster'), rdsArn('cluster-snapshot'), rdsArn('subgrp'), rdsArn('cluster-pg')] };
    case 'rds-instance-inputs':
      return { resources: [rdsArn('db'), rdsArn('cluster'), rdsArn('subgrp'), rdsArn('pg'), rdsArn('og')] };
    case 'managed-clusters':
      return { resources: [rdsArn('cluster')], condition: { StringEquals: MANAGED_BY_CONDITION.cluster } };
    case 'managed-cluster-snapshots':
      return { resources: [rdsArn('cluster-snapshot')], condition: { StringEquals: MANAGED_BY_CONDITION['cluster-snapshot'] } };
    case 'managed-instances':
      return { resources: [rdsArn('db')], condition: { StringEquals: MANAGED_BY_CONDITION.db } };
    case 'allow-listed-clusters':
      return { resources: allowList.map((id) => rdsArn('cluster', id)) };
    case 'allow-listed-instances':
      // The instances of an allow-listed cluster carry no tag of ours and RDS has no condition key naming
      // an instance's cluster: with an allow-list, instance deletion is guarded by the code's safety rules.
      return { resources: allowList.length ? [rdsArn('db')] : [] };
  }
}

export function statementOf(ctx: Ctx, g: Grant): Cfn | undefined {
  const { resources, condition } = resourcesOf(ctx, g.on);
  if (resources.length === 0) return undefined;
  const via = g.viaService
    ? g.viaService === 'rds'
      ? { StringLike: { 'kms:ViaService': 'rds.*.amazonaws.com' } }
      : { StringEquals: { 'kms:ViaService': sub(`${g.viaService}.${region}.amazonaws.com`) } }
    : undefined;
  const merged = { ...(condition ?? {}), ...(via ?? {}) };
  return {
    Sid: pascal(`${g.on}${g.viaService ? `-via-${g.viaService}` : ''}`).replace(/[^A-Za-z0-9]/g, ''),
    Effect: 'Allow',
    Action: g.actions,
    Resource: resources,
    ...(Object.keys(merged).length ? { Condition: merged } : {}),
  };
}

/** The function's own role: its log group, its queue(s), the VPC when it needs it, and its grants. */
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
  const consumed =
    fn === DEAD_LETTER_STEP ? SUBSCRIPTIONS.map((s) => getAtt(ids.deadLetterQueue(s.step))) : isStepFunction(fn) ? [getAtt(ids.queue(fn))] : [];
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
  for (const g of grantsOf(fn)) {
    const st = statementOf(ctx, g);
    if (st) statements.push(st);
  }
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
