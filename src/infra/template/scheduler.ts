/** EventBridge Scheduler: the group of one-time re-check/deadline schedules, its role, and the nightly restore. */
import { getAtt, ids, ref, serviceRole, type Cfn, type Ctx } from './common';

export function scheduler({ names }: Ctx): Record<string, Cfn> {
  return {
    [ids.schedulerGroup]: { Type: 'AWS::Scheduler::ScheduleGroup', Properties: { Name: names.schedulerGroup } },
    // One-time re-check and deadline schedules put their event on the pipeline bus, and may do nothing else.
    [ids.schedulerRole]: serviceRole('scheduler.amazonaws.com', [
      { Sid: 'PutOnPipelineBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: getAtt(ids.bus) },
      // "your schedule execution role needs the following permission … sqs:SendMessage" to deliver
      // dead-letter events (EventBridge Scheduler user guide, configuring a schedule's dead-letter queue).
      undeliveredSend(),
    ]),
  };
}

const undeliveredSend = () => ({ Sid: 'DeadLetterUndelivered', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt(ids.undeliveredQueue) });

export function nightly(ctx: Ctx): Record<string, Cfn> {
  const { names, params } = ctx;
  if (!params.deployment.NIGHTLY_SCHEDULE || !params.nightlyRequest) return {};
  const fnArn = getAtt(names.functionLogicalId('nightly'));
  return {
    [ids.nightlyRole]: serviceRole('scheduler.amazonaws.com', [
      { Sid: 'InvokeNightly', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: fnArn },
      undeliveredSend(),
    ]),
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
        Target: {
          Arn: fnArn,
          RoleArn: getAtt(ids.nightlyRole),
          Input: JSON.stringify(params.nightlyRequest),
          RetryPolicy: { MaximumRetryAttempts: 3 },
          DeadLetterConfig: { Arn: getAtt(ids.undeliveredQueue) },
        },
      },
    },
  };
}
