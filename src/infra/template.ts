/**
 * The AWS deployment, generated from the code's own tables: one rule per pattern of every subscription
 * (src/events/subscriptions.ts) into that step's SQS queue, each function's IAM role from
 * src/infra/permissions.ts, the tables from src/lib/tables.ts. serverless.yml takes `functions`,
 * `resources` and the bundles' wiring from here (through src/infra/serverless.cjs), so the deployment
 * cannot drift from the pipeline: change a table, and the next `serverless package` follows.
 */
import { DEAD_LETTER_STEP, SUBSCRIPTIONS, forwardedRdsPattern, type Subscription } from '../events/subscriptions';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lib/aws/compose';
import { masterSecretName } from '../lib/steps/names';
import { TTL_ATTRIBUTE, auditTableDefinition, stateTableDefinition } from '../lib/tables';
import { STEP_NAMES, type AnyStepName } from '../schemas/steps';
import { parseStageParams, type StageParams } from './params';
import {
  FUNCTION_NAMES,
  MANAGED_BY_CONDITION,
  adaptersOf,
  connectsToDatabase,
  grantsOf,
  isStepFunction,
  type FunctionName,
  type Grant,
  type ResourceRef,
} from './permissions';

type Cfn = Record<string, unknown>;

export interface StageInput {
  service?: string;
  stage: string;
  /** The stage's params (serverless.yml `params.default` merged with `params.<stage>` and --param). */
  params: Record<string, unknown>;
}

/** The Lambda runtime's bundle of Amazon CA certificates (RDS included); Node.js 20 does not load it by default. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';
/** SQS: a queue's visibility timeout must cover the function's retries of one batch. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** API Gateway HTTP APIs wait at most 30 s for the integration. */
export const API_TIMEOUT_SECONDS = 29;
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

const pascal = (s: string) => s.replace(/(^|[-_:/ ])([a-z0-9])/gi, (_, __, c: string) => c.toUpperCase());
const camel = (s: string) => pascal(s).replace(/^./, (c) => c.toLowerCase());
const sub = (s: string) => ({ 'Fn::Sub': s });
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const ref = (id: string) => ({ Ref: id });
const account = '${AWS::AccountId}';
const partition = '${AWS::Partition}';
const region = '${AWS::Region}';

/** The names of everything, in one place. Queue names end in `aurora-restore-<step>[-dlq]` (see stepOfDeadLetterQueue). */
export function namesFor(stage: string, service = SERVICE_NAME) {
  const prefix = `${service}-${stage}`;
  return {
    prefix,
    bus: prefix,
    archive: prefix,
    schedulerGroup: prefix,
    stateTable: `${prefix}-state`,
    auditTable: `${prefix}-audit`,
    topic: `${prefix}-notifications`,
    metricsService: prefix,
    function: (fn: FunctionName) => `${prefix}-${fn}`,
    functionKey: (fn: FunctionName) => camel(fn),
    /** osls' logical id of a function (its key, normalized). */
    functionLogicalId: (fn: FunctionName) => `${pascal(fn)}LambdaFunction`,
    queue: (step: AnyStepName) => `${stage}-${SERVICE_NAME}-${step}`,
    deadLetterQueue: (step: AnyStepName) => `${stage}-${SERVICE_NAME}-${step}-dlq`,
  };
}

/** Logical ids of the generated resources. */
export const ids = {
  bus: 'PipelineEventBus',
  archive: 'PipelineEventArchive',
  forwardRule: 'RdsEventsForwardRule',
  forwardRole: 'RdsEventsForwardRole',
  schedulerGroup: 'RecheckScheduleGroup',
  schedulerRole: 'SchedulerRole',
  nightlySchedule: 'NightlyRestoreSchedule',
  nightlyRole: 'NightlyScheduleRole',
  stateTable: 'StateTable',
  auditTable: 'AuditTable',
  topic: 'NotificationTopic',
  dashboard: 'PipelineDashboard',
  queue: (step: AnyStepName) => `${pascal(step)}Queue`,
  deadLetterQueue: (step: AnyStepName) => `${pascal(step)}DeadLetterQueue`,
  queuePolicy: (step: AnyStepName) => `${pascal(step)}QueuePolicy`,
  rule: (step: AnyStepName, pattern: string) => `${pascal(step)}${pascal(pattern)}Rule`,
  role: (fn: FunctionName) => `${pascal(fn)}Role`,
  errorsAlarm: (fn: FunctionName) => `${pascal(fn)}ErrorsAlarm`,
  deadLetterAlarm: (step: AnyStepName) => `${pascal(step)}DeadLetterAlarm`,
  restoreFailedAlarm: 'RestoreFailedAlarm',
  longRestoreAlarm: 'LongRestoreAlarm',
  throttlingAlarm: 'ThrottlingAlarm',
};

/** The whole generated part of serverless.yml. */
export interface Infrastructure {
  functions: Record<string, Cfn>;
  resources: { Resources: Record<string, Cfn>; Outputs: Record<string, Cfn> };
  /** Entry file → the adapters its bundle is wired with (read by src/infra/esbuild-plugins.cjs). */
  wiring: Record<string, string[]>;
}

export function buildInfrastructure(input: StageInput): Infrastructure {
  const names = namesFor(input.stage, input.service);
  // Values only CloudFormation knows, so the runtime's own schema can check everything else now.
  const placeholders = {
    ENVIRONMENT: input.stage,
    REGION: 'us-east-1',
    DYNAMODB_TABLE_NAME: names.stateTable,
    SNS_TOPIC_ARN: `arn:aws:sns:us-east-1:000000000000:${names.topic}`,
  };
  const params = parseStageParams(input.params, placeholders);
  const ctx = { names, params, stage: input.stage };

  const Resources: Record<string, Cfn> = {
    ...busAndForwarding(ctx),
    ...scheduler(ctx),
    ...tables(ctx),
    ...topic(ctx),
  };
  for (const s of SUBSCRIPTIONS) Object.assign(Resources, stepQueue(ctx, s));
  for (const fn of FUNCTION_NAMES) Resources[ids.role(fn)] = functionRole(ctx, fn);
  Object.assign(Resources, nightly(ctx), alarms(ctx), dashboard(ctx));

  const functions: Record<string, Cfn> = {};
  const wiring: Record<string, string[]> = {};
  for (const fn of FUNCTION_NAMES) {
    functions[names.functionKey(fn)] = functionDefinition(ctx, fn);
    wiring[`src/handlers/${fn}.ts`] = adaptersOf(fn);
  }

  const Outputs: Record<string, Cfn> = {
    EventBusName: { Value: ref(ids.bus) },
    EventBusArn: { Value: getAtt(ids.bus) },
    ArchiveArn: { Value: getAtt(ids.archive) },
    StateTableName: { Value: ref(ids.stateTable) },
    AuditTableName: { Value: ref(ids.auditTable) },
    NotificationTopicArn: { Value: ref(ids.topic) },
    SchedulerGroupName: { Value: ref(ids.schedulerGroup) },
  };
  return { functions, resources: { Resources, Outputs }, wiring };
}

interface Ctx {
  names: ReturnType<typeof namesFor>;
  params: StageParams;
  stage: string;
}

function timeoutOf(ctx: Ctx, fn: FunctionName): number {
  return fn === 'api' ? API_TIMEOUT_SECONDS : ctx.params.resolved.LAMBDA_TIMEOUT_SECONDS;
}

// ---------------------------------------------------------------------------------------------- bus

function busAndForwarding({ names, params }: Ctx): Record<string, Cfn> {
  return {
    [ids.bus]: { Type: 'AWS::Events::EventBus', Properties: { Name: names.bus } },
    [ids.archive]: {
      Type: 'AWS::Events::Archive',
      Properties: {
        ArchiveName: names.archive,
        SourceArn: getAtt(ids.bus),
        Description: 'Every event of the pipeline bus, for replays (aurora-restore replay --aws)',
        RetentionDays: params.deployment.ARCHIVE_RETENTION_DAYS,
      },
    },
    // RDS events reach the account's default bus only: forward the ones the steps subscribe to.
    [ids.forwardRule]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: 'Forwards the aws.rds events the pipeline steps consume to the pipeline bus',
        EventPattern: forwardedRdsPattern(),
        State: 'ENABLED',
        Targets: [{ Id: 'pipeline-bus', Arn: getAtt(ids.bus), RoleArn: getAtt(ids.forwardRole) }],
      },
    },
    [ids.forwardRole]: serviceRole('events.amazonaws.com', [{ Sid: 'PutOnPipelineBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: getAtt(ids.bus) }]),
  };
}

function serviceRole(service: string, statements: Cfn[]): Cfn {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: service },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': sub(account) } },
          },
        ],
      },
      Policies: [{ PolicyName: 'least-privilege', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

// ---------------------------------------------------------------------------------------- scheduler

function scheduler({ names }: Ctx): Record<string, Cfn> {
  return {
    [ids.schedulerGroup]: { Type: 'AWS::Scheduler::ScheduleGroup', Properties: { Name: names.schedulerGroup } },
    // One-time re-check and deadline schedules put their event on the pipeline bus, and may do nothing else.
    [ids.schedulerRole]: serviceRole('scheduler.amazonaws.com', [
      { Sid: 'PutOnPipelineBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: getAtt(ids.bus) },
    ]),
  };
}

// ------------------------------------------------------------------------------------------- tables

function tables({ names, params }: Ctx): Record<string, Cfn> {
  const table = (def: ReturnType<typeof stateTableDefinition>): Cfn => ({
    Type: 'AWS::DynamoDB::Table',
    // The audit trail and the operations outlive the stack: deleting it keeps the tables.
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      TableName: def.TableName,
      AttributeDefinitions: def.AttributeDefinitions,
      KeySchema: def.KeySchema,
      BillingMode: def.BillingMode,
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: params.deployment.KMS_KEY_ID },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    },
  });
  return {
    [ids.stateTable]: table(stateTableDefinition(names.stateTable)),
    [ids.auditTable]: table(auditTableDefinition(names.auditTable)),
  };
}

function topic({ names, params }: Ctx): Record<string, Cfn> {
  return {
    [ids.topic]: { Type: 'AWS::SNS::Topic', Properties: { TopicName: names.topic, KmsMasterKeyId: params.deployment.KMS_KEY_ID } },
  };
}

// ------------------------------------------------------------------------------------------- queues

function stepQueue(ctx: Ctx, s: Subscription): Record<string, Cfn> {
  const { names, params } = ctx;
  const out: Record<string, Cfn> = {
    [ids.deadLetterQueue(s.step)]: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: names.deadLetterQueue(s.step), SqsManagedSseEnabled: true, MessageRetentionPeriod: DLQ_RETENTION_SECONDS },
    },
    [ids.queue(s.step)]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.queue(s.step),
        // SSE with SQS-owned keys: EventBridge can deliver to it without a key policy of ours.
        SqsManagedSseEnabled: true,
        VisibilityTimeout: VISIBILITY_TIMEOUT_FACTOR * timeoutOf(ctx, s.step),
        RedrivePolicy: { deadLetterTargetArn: getAtt(ids.deadLetterQueue(s.step)), maxReceiveCount: params.deployment.MAX_RECEIVE_COUNT },
      },
    },
  };
  for (const p of s.patterns) {
    out[ids.rule(s.step, p.name)] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: `${s.step}: ${p.name} (${s.description})`.slice(0, 512),
        EventBusName: ref(ids.bus),
        EventPattern: p.pattern,
        State: 'ENABLED',
        Targets: [{ Id: 'step-queue', Arn: getAtt(ids.queue(s.step)), RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 } }],
      },
    };
  }
  out[ids.queuePolicy(s.step)] = {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [ref(ids.queue(s.step))],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EventBridgeRulesOfThisStep',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: getAtt(ids.queue(s.step)),
            Condition: { ArnEquals: { 'aws:SourceArn': s.patterns.map((p) => getAtt(ids.rule(s.step, p.name))) } },
          },
        ],
      },
    },
  };
  return out;
}

// ---------------------------------------------------------------------------------------- functions

function environmentOf(ctx: Ctx, fn: FunctionName): Record<string, unknown> {
  const { names, params } = ctx;
  return {
    ENVIRONMENT: ctx.stage,
    REGION: ref('AWS::Region'),
    DYNAMODB_TABLE_NAME: names.stateTable,
    AUDIT_TABLE_NAME: names.auditTable,
    SNS_TOPIC_ARN: ref(ids.topic),
    EVENT_BUS_NAME: names.bus,
    EVENT_BUS_ARN: getAtt(ids.bus),
    SCHEDULER_GROUP_NAME: names.schedulerGroup,
    SCHEDULER_ROLE_ARN: getAtt(ids.schedulerRole),
    ...params.config,
    LAMBDA_TIMEOUT_SECONDS: String(timeoutOf(ctx, fn)),
    LAMBDA_MEMORY_SIZE: String(params.resolved.LAMBDA_MEMORY_SIZE),
    POWERTOOLS_SERVICE_NAME: names.metricsService,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    NODE_OPTIONS: '--enable-source-maps',
    ...(connectsToDatabase(fn) ? { NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE } : {}),
  };
}

function functionDefinition(ctx: Ctx, fn: FunctionName): Cfn {
  const { names, params } = ctx;
  const def: Cfn = {
    name: names.function(fn),
    handler: `src/handlers/${fn}.handler`,
    description: isStepFunction(fn) ? `aurora-restore step ${fn}` : fn === 'api' ? 'aurora-restore HTTP API' : 'aurora-restore recurring restore request',
    role: ids.role(fn),
    timeout: timeoutOf(ctx, fn),
    memorySize: params.resolved.LAMBDA_MEMORY_SIZE,
    environment: environmentOf(ctx, fn),
    // esbuild's metafiles stay in .esbuild/ for scripts/package-report.mjs; the zip holds the bundle and its map.
    package: { patterns: ['!**/*-meta.json'] },
  };
  // Only a function that talks SQL needs the VPC (with NAT or VPC endpoints for its AWS calls).
  if (connectsToDatabase(fn)) def.vpc = { securityGroupIds: params.resolved.SECURITY_GROUP_IDS, subnetIds: params.resolved.SUBNET_IDS };
  if (fn === 'api') {
    def.events = [
      { httpApi: { method: 'POST', path: '/restores', authorizer: { type: 'aws_iam' } } },
      { httpApi: { method: 'GET', path: '/restores/{id}', authorizer: { type: 'aws_iam' } } },
    ];
  } else if (fn === DEAD_LETTER_STEP) {
    def.events = SUBSCRIPTIONS.map((s) => ({
      sqs: { arn: getAtt(ids.deadLetterQueue(s.step)), batchSize: 10, maximumConcurrency: 2, functionResponseType: 'ReportBatchItemFailures' },
    }));
  } else if (isStepFunction(fn)) {
    const s = SUBSCRIPTIONS.find((x) => x.step === fn);
    if (!s) throw new Error(`${fn}: no subscription in src/events/subscriptions.ts`);
    def.events = [
      {
        sqs: {
          arn: getAtt(ids.queue(fn)),
          batchSize: s.batchSize,
          maximumConcurrency: s.maximumConcurrency,
          functionResponseType: 'ReportBatchItemFailures',
        },
      },
    ];
  }
  return def;
}

// -------------------------------------------------------------------------------------------- roles

const rdsArn = (type: string, id = '*') => sub(`arn:${partition}:rds:*:${account}:${type}:${id}`);

function resourcesOf(ctx: Ctx, on: ResourceRef): { resources: unknown[]; condition?: Cfn } {
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

function statementOf(ctx: Ctx, g: Grant): Cfn | undefined {
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
function functionRole(ctx: Ctx, fn: FunctionName): Cfn {
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

// ------------------------------------------------------------------------------------------ nightly

function nightly(ctx: Ctx): Record<string, Cfn> {
  const { names, params } = ctx;
  if (!params.deployment.NIGHTLY_SCHEDULE || !params.nightlyRequest) return {};
  const fnArn = getAtt(names.functionLogicalId('nightly'));
  return {
    [ids.nightlyRole]: serviceRole('scheduler.amazonaws.com', [{ Sid: 'InvokeNightly', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: fnArn }]),
    [ids.nightlySchedule]: {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: `${names.prefix}-nightly`,
        GroupName: ref(ids.schedulerGroup),
        Description: 'Recurring restore: the nightly function puts RestoreRequested with a fresh operation id',
        ScheduleExpression: params.deployment.NIGHTLY_SCHEDULE,
        ScheduleExpressionTimezone: params.deployment.NIGHTLY_TIMEZONE,
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: { Arn: fnArn, RoleArn: getAtt(ids.nightlyRole), Input: JSON.stringify(params.nightlyRequest), RetryPolicy: { MaximumRetryAttempts: 3 } },
      },
    },
  };
}

// ----------------------------------------------------------------------------------------- alarms

const FIVE_MINUTES = 300;

function alarm(ctx: Ctx, name: string, description: string, props: Cfn): Cfn {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${ctx.names.prefix}-${name}`,
      AlarmDescription: description,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(ids.topic)],
      ...props,
    },
  };
}

/** A metric of our EMF namespace (Powertools adds the `service` dimension to every metric). */
function pipelineMetric(ctx: Ctx, metric: string, stat: string, dimensions: Record<string, string> = {}): Cfn {
  return {
    Metric: {
      Namespace: METRICS_NAMESPACE,
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: ctx.names.metricsService }, ...Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }))],
    },
    Period: FIVE_MINUTES,
    Stat: stat,
  };
}

/** Functions that retry RDS calls (the throttling alarm adds up their throttled retries). */
export const RDS_STEPS = STEP_NAMES.filter((s) => grantsOf(s).some((g) => g.actions.some((a) => a.startsWith('rds:'))));

function alarms(ctx: Ctx): Record<string, Cfn> {
  const { names, params } = ctx;
  const out: Record<string, Cfn> = {};
  for (const s of SUBSCRIPTIONS) {
    const queue = (metric: string, stat: string, id: string): Cfn => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: { Namespace: 'AWS/SQS', MetricName: metric, Dimensions: [{ Name: 'QueueName', Value: getAtt(ids.deadLetterQueue(s.step), 'QueueName') }] },
        Period: 60,
        Stat: stat,
      },
    });
    // The dead-letter function drains the DLQ at once, so "received" counts what arrived; "visible" what it could not take.
    out[ids.deadLetterAlarm(s.step)] = alarm(ctx, `${s.step}-dead-letters`, `A message for ${s.step} failed repeatedly and reached its dead-letter queue`, {
      Threshold: 1,
      Metrics: [
        queue('NumberOfMessagesReceived', 'Sum', 'received'),
        queue('ApproximateNumberOfMessagesVisible', 'Maximum', 'visible'),
        { Id: 'deadletters', Label: `${s.step} dead letters`, Expression: 'FILL(received, 0) + FILL(visible, 0)', ReturnData: true },
      ],
    });
  }
  for (const fn of FUNCTION_NAMES) {
    out[ids.errorsAlarm(fn)] = alarm(ctx, `${fn}-errors`, `The ${fn} function failed (invocation errors)`, {
      Threshold: 1,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: names.function(fn) }],
      Statistic: 'Sum',
      Period: FIVE_MINUTES,
    });
  }
  const single = (metric: string, stat: string) => {
    const m = pipelineMetric(ctx, metric, stat) as { Metric: Cfn; Stat: string; Period: number };
    return { ...m.Metric, Statistic: m.Stat, Period: m.Period };
  };
  out[ids.restoreFailedAlarm] = alarm(ctx, 'restore-failed', 'A restore operation ended FAILED', { Threshold: 1, ...single('RestoreFailed', 'Sum') });
  out[ids.longRestoreAlarm] = alarm(ctx, 'restore-too-long', `A restore took longer than ${params.deployment.LONG_RESTORE_SECONDS} s`, {
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: params.deployment.LONG_RESTORE_SECONDS,
    ...single('TotalDuration', 'Maximum'),
  });
  out[ids.throttlingAlarm] = alarm(ctx, 'throttled', `RDS throttled the pipeline ${params.deployment.THROTTLED_RETRIES_ALARM}+ times in five minutes`, {
    Threshold: params.deployment.THROTTLED_RETRIES_ALARM,
    Metrics: [
      ...RDS_STEPS.map((step, i) => ({ Id: `m${i}`, ReturnData: false, MetricStat: pipelineMetric(ctx, 'Retries', 'Sum', { step, code: 'Throttled' }) })),
      { Id: 'throttled', Label: 'throttled retries', Expression: `SUM([${RDS_STEPS.map((_, i) => `FILL(m${i}, 0)`).join(', ')}])`, ReturnData: true },
    ],
  });
  return out;
}

// -------------------------------------------------------------------------------------- dashboard

function dashboard(ctx: Ctx): Record<string, Cfn> {
  const svc = ctx.names.metricsService;
  const ns = METRICS_NAMESPACE;
  const search = (metric: string, dims: string, stat: string) => ({
    expression: `SEARCH('{${ns},${dims}} MetricName="${metric}" service="${svc}"', '${stat}', 300)`,
  });
  const widget = (title: string, metrics: unknown[], x: number, y: number, extra: Cfn = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${AWS::Region}', stat: 'Sum', period: 300, view: 'timeSeries', metrics, ...extra },
  });
  const body = {
    widgets: [
      widget(
        'Restores: succeeded / failed',
        [
          [ns, 'RestoreSucceeded', 'service', svc, { label: 'succeeded' }],
          [ns, 'RestoreFailed', 'service', svc, { label: 'failed' }],
        ],
        0,
        0,
      ),
      widget(
        'Total restore duration (s)',
        [
          [ns, 'TotalDuration', 'service', svc, { stat: 'Average', label: 'average' }],
          [ns, 'TotalDuration', 'service', svc, { stat: 'Maximum', label: 'maximum' }],
        ],
        12,
        0,
      ),
      widget('Step duration by step (s, average)', [[search('StepDuration', 'service,step', 'Average')]], 0, 6),
      widget('Retries by step and fault', [[search('Retries', 'code,service,step', 'Sum')]], 12, 6),
      widget('Step failures by step', [[search('StepFailures', 'code,service,step', 'Sum')]], 0, 12),
      widget('Dead letters by step', [[search('DeadLetters', 'service,step', 'Sum')]], 12, 12),
    ],
  };
  return {
    [ids.dashboard]: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: ctx.names.prefix, DashboardBody: sub(JSON.stringify(body)) },
    },
  };
}
