/**
 * What EventBridge could not deliver: every rule target of the pipeline stack and every schedule (the
 * nightly one here, the one-time re-checks created at run time by src/lib/aws/scheduler.ts through
 * SCHEDULER_DLQ_ARN) sends an event it gave up on to one dead-letter queue, which alarms when anything is
 * in it. "If an event isn't delivered to the target after all retry attempts, EventBridge sends it to the
 * dead-letter queue" (EventBridge user guide, event retry policy and dead-letter queues).
 */
import { SUBSCRIPTIONS } from '../../events/subscriptions';
import { DLQ_RETENTION_SECONDS, getAtt, ids, ref, type Cfn, type Ctx } from './common';
import { hasNightly } from './scheduler';

/**
 * A rule target's delivery settings: EventBridge's maximum retries for a day, then the dead-letter queue.
 * ("MaximumEventAgeInSeconds … minimum 60, maximum 86400"; "MaximumRetryAttempts … maximum 185".)
 */
export const targetDelivery = () => ({
  RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
  DeadLetterConfig: { Arn: getAtt(ids.undeliveredQueue) },
});

/** The logical ids of every rule of the pipeline stack (the step rules and the default-bus forwarding rule). */
export const ruleIds = () => [...SUBSCRIPTIONS.flatMap((s) => s.patterns.map((p) => ids.rule(s.step, p.name))), ids.forwardRule];

export function undelivered(ctx: Ctx): Record<string, Cfn> {
  const { names, params } = ctx;
  const schedulerRoles = [getAtt(ids.schedulerRole), ...(hasNightly(params) ? [getAtt(ids.nightlyRole)] : [])];
  return {
    [ids.undeliveredQueue]: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: names.undeliveredQueue, SqsManagedSseEnabled: true, MessageRetentionPeriod: DLQ_RETENTION_SECONDS },
    },
    [ids.undeliveredQueuePolicy]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(ids.undeliveredQueue)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              // "To grant permissions to the dead-letter queue … the aws:SourceArn of the rule" (EventBridge user guide).
              Sid: 'RulesOfThisStack',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: getAtt(ids.undeliveredQueue),
              Condition: { ArnEquals: { 'aws:SourceArn': ruleIds().map((id) => getAtt(id)) } },
            },
            {
              // EventBridge Scheduler delivers dead-letter events with the schedule's execution role.
              Sid: 'SchedulerRoles',
              Effect: 'Allow',
              Principal: { AWS: schedulerRoles },
              Action: 'sqs:SendMessage',
              Resource: getAtt(ids.undeliveredQueue),
            },
          ],
        },
      },
    },
  };
}
