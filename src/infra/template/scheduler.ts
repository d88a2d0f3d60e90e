/** EventBridge Scheduler: the group of one-time re-check/deadline schedules, its role, and the nightly restore. */
import { createHash } from 'node:crypto';
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

/** Whether the stage deploys any recurring restore (NIGHTLY_SCHEDULE with its request, or NIGHTLY_PROFILES). */
export const hasNightly = (params: Ctx['params']) => Boolean((params.deployment.NIGHTLY_SCHEDULE && params.nightlyRequest) || params.nightlyProfiles.length);

/** EventBridge Scheduler schedule names: "Minimum length of 1. Maximum length of 64. Pattern: [0-9a-zA-Z-_.]+" (CreateSchedule, Name). */
const SCHEDULE_NAME_MAX = 64;
/** `<prefix>-nightly-<profile>`, shortened with a hash of the whole name when it would pass 64 characters. */
export function profileScheduleName(prefix: string, profile: string): string {
  const name = `${prefix}-nightly-${profile}`;
  if (name.length <= SCHEDULE_NAME_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, SCHEDULE_NAME_MAX - 9)}-${hash}`;
}

export function nightly(ctx: Ctx): Record<string, Cfn> {
  const { names, params } = ctx;
  if (!hasNightly(params)) return {};
  const fnArn = getAtt(names.functionLogicalId('nightly'));
  const schedule = (name: string, description: string, expression: string, input: unknown): Cfn => ({
    Type: 'AWS::Scheduler::Schedule',
    Properties: {
      Name: name,
      GroupName: ref(ids.schedulerGroup),
      Description: description,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: params.deployment.NIGHTLY_TIMEZONE,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: fnArn,
        RoleArn: getAtt(ids.nightlyRole),
        Input: JSON.stringify(input),
        RetryPolicy: { MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: getAtt(ids.undeliveredQueue) },
      },
    },
  });
  const out: Record<string, Cfn> = {
    [ids.nightlyRole]: serviceRole('scheduler.amazonaws.com', [
      { Sid: 'InvokeNightly', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: fnArn },
      undeliveredSend(),
    ]),
  };
  if (params.deployment.NIGHTLY_SCHEDULE && params.nightlyRequest) {
    out[ids.nightlySchedule] = schedule(`${names.prefix}-nightly`, 'Recurring restore: the nightly function puts RestoreRequested with a fresh operation id', params.deployment.NIGHTLY_SCHEDULE, params.nightlyRequest);
  }
  // One schedule per saved refresh profile: the nightly function reads the profile from Parameter Store when it fires.
  for (const { profile, expression } of params.nightlyProfiles) {
    out[ids.profileSchedule(profile)] = schedule(profileScheduleName(names.prefix, profile), `Recurring restore of the saved refresh profile ${profile}`, expression, { profile });
  }
  return out;
}
