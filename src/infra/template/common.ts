/**
 * What every part of the generated template shares: the names of everything, the logical ids, the
 * stage context and a few CloudFormation helpers.
 */
import { createHash } from 'node:crypto';
import { SERVICE_NAME } from '../../lib/aws/compose';
import type { AnyStepName } from '../../schemas/steps';
import type { StageParams } from '../params';
import type { FunctionName } from '../permissions';

export type Cfn = Record<string, unknown>;

/** The Lambda runtime's bundle of Amazon CA certificates (RDS included); Node.js does not load it by default. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';
/**
 * SQS → Lambda: "set the source queue's visibility timeout to at least six times the configuration timeout
 * on your function" (Lambda developer guide, SQS event source mapping); below 1× Lambda refuses the mapping.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** API Gateway HTTP APIs wait at most 30 s for the integration. */
export const API_TIMEOUT_SECONDS = 29;
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export const pascal = (s: string) => s.replace(/(^|[-_:/ ])([a-z0-9])/gi, (_, __, c: string) => c.toUpperCase());
export const camel = (s: string) => pascal(s).replace(/^./, (c) => c.toLowerCase());
export const sub = (s: string) => ({ 'Fn::Sub': s });
export const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
export const ref = (id: string) => ({ Ref: id });
export const account = '${AWS::AccountId}';
export const partition = '${AWS::Partition}';
export const region = '${AWS::Region}';

/** `raw` when it fits in `max` characters, else its start and a hash of the whole (so two names never collide). */
export function boundedName(raw: string, max: number): string {
  if (raw.length <= max) return raw;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return `${raw.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

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
    /** Events EventBridge (rules) and EventBridge Scheduler (schedules) could not deliver to their target. */
    undeliveredQueue: `${prefix}-undelivered`,
    /** Rule names (at most 64 characters): alarms name them in their dimensions, replays are told apart from them. */
    rule: (step: AnyStepName, pattern: string) => boundedName(`${prefix}-${step}-${pattern}`, 64),
    forwardRule: boundedName(`${prefix}-rds-events`, 64),
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
  /** A profile's schedule: the profile name in PascalCase (names are lowercase letters, digits and hyphens, so distinct names stay distinct). */
  profileSchedule: (profile: string) => `NightlyProfile${profile.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : 'X')).join('')}Schedule`,
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
  undeliveredQueue: 'UndeliveredEventsQueue',
  undeliveredQueuePolicy: 'UndeliveredEventsQueuePolicy',
  undeliveredAlarm: 'UndeliveredEventsAlarm',
  ruleFailedAlarm: (ruleId: string) => `${ruleId.replace(/Rule$/, '')}FailedInvocationsAlarm`,
  restoreFailedAlarm: 'RestoreFailedAlarm',
  longRestoreAlarm: 'LongRestoreAlarm',
  throttlingAlarm: 'ThrottlingAlarm',
};

export interface Ctx {
  names: ReturnType<typeof namesFor>;
  params: StageParams;
  stage: string;
}

export function timeoutOf(ctx: Ctx, fn: FunctionName): number {
  return fn === 'api' ? API_TIMEOUT_SECONDS : ctx.params.resolved.LAMBDA_TIMEOUT_SECONDS;
}

export function serviceRole(service: string, statements: Cfn[]): Cfn {
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
