/**
 * The forwarder stack, deployed in each of TARGET_REGIONS (serverless.forwarder.yml). "Amazon RDS sends
 * service events directly to EventBridge" — to the default event bus, and EventBridge is regional: a
 * restore into another region emits its RDS events on THAT region's default bus, which the pipeline's
 * rules never see. This stack's one rule forwards the RDS events the steps consume (forwardedRdsPattern)
 * to the pipeline bus in PIPELINE_REGION: "You can configure EventBridge to send and receive events
 * between AWS Regions" (EventBridge user guide, cross-Region events), "between any AWS Regions, except AWS
 * GovCloud (US) and China" (AWS Compute Blog, expanding cross-Region event routing). The rule's role may
 * only put events on that bus (events:PutEvents on the target bus ARN, as the cross-Region guide's role
 * does); what the rule cannot deliver goes to a dead-letter queue in this region, with alarms on a topic
 * of this region.
 *
 * On arrival the events are on the pipeline bus like the pipeline region's own RDS events (the `region`
 * field tells them apart, and no rule filters on it), so the step rules deliver them and the step queues'
 * policies, which admit those rules, accept them. A bus in the same account needs no resource policy: the
 * role's events:PutEvents permission is what authorizes the delivery.
 */
import { forwardedRdsPattern } from '../../events/subscriptions';
import { SERVICE_NAME } from '../../lib/aws/compose';
import { parseForwarderParams, type ForwarderParams } from '../params';
import { DLQ_RETENTION_SECONDS, account, boundedName, getAtt, namesFor, partition, ref, serviceRole, sub, type Cfn } from './common';

export interface ForwarderInput {
  stage: string;
  /** The target region this forwarder is deployed in. */
  region: string;
  params: Record<string, unknown>;
}

export const forwarderIds = {
  rule: 'RdsEventsForwardRule',
  role: 'RdsEventsForwardRole',
  queue: 'ForwarderUndeliveredQueue',
  queuePolicy: 'ForwarderUndeliveredQueuePolicy',
  topic: 'ForwarderAlarmTopic',
  failedAlarm: 'ForwarderFailedInvocationsAlarm',
  undeliveredAlarm: 'ForwarderUndeliveredAlarm',
};

export function forwarderNames(stage: string, region: string, pipelineRegion: string) {
  const pipeline = namesFor(stage, SERVICE_NAME);
  const prefix = `${pipeline.prefix}-forwarder`;
  return {
    prefix,
    pipelineBus: pipeline.bus,
    pipelineBusArn: sub(`arn:${partition}:events:${pipelineRegion}:${account}:event-bus/${pipeline.bus}`),
    rule: boundedName(`${prefix}-rds-events-to-${pipelineRegion}`, 64),
    queue: `${prefix}-undelivered`,
    topic: `${prefix}-alarms`,
    region,
  };
}

export interface Forwarder {
  Resources: Record<string, Cfn>;
  Outputs: Record<string, Cfn>;
}

export function buildForwarder(input: ForwarderInput): Forwarder {
  const params: ForwarderParams = parseForwarderParams(input.params, input.region);
  const n = forwarderNames(input.stage, input.region, params.PIPELINE_REGION);
  const alarm = (name: string, description: string, props: Cfn): Cfn => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${n.prefix}-${name}`,
      AlarmDescription: description,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(forwarderIds.topic)],
      Threshold: 1,
      Period: 300,
      ...props,
    },
  });
  const Resources: Record<string, Cfn> = {
    [forwarderIds.rule]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: n.rule,
        Description: `Forwards the aws.rds events the aurora-restore steps consume to the pipeline bus ${n.pipelineBus} in ${params.PIPELINE_REGION}`,
        EventPattern: forwardedRdsPattern(params.DELETION_ALLOW_LIST),
        State: 'ENABLED',
        Targets: [
          {
            Id: 'pipeline-bus',
            Arn: n.pipelineBusArn,
            // An event bus target is delivered with a role ("We recommend always using IAM roles when the
            // target of a rule is an event bus", EventBridge user guide, permissions for event buses).
            RoleArn: getAtt(forwarderIds.role),
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
            DeadLetterConfig: { Arn: getAtt(forwarderIds.queue) },
          },
        ],
      },
    },
    [forwarderIds.role]: serviceRole('events.amazonaws.com', [
      { Sid: 'PutOnPipelineBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: n.pipelineBusArn },
    ]),
    [forwarderIds.queue]: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: n.queue, SqsManagedSseEnabled: true, MessageRetentionPeriod: DLQ_RETENTION_SECONDS },
    },
    [forwarderIds.queuePolicy]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(forwarderIds.queue)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ForwardRule',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: getAtt(forwarderIds.queue),
              Condition: { ArnEquals: { 'aws:SourceArn': getAtt(forwarderIds.rule) } },
            },
          ],
        },
      },
    },
    [forwarderIds.topic]: { Type: 'AWS::SNS::Topic', Properties: { TopicName: n.topic, KmsMasterKeyId: params.alarmKeyArn } },
    [forwarderIds.failedAlarm]: alarm('rds-events-failed', `Forwarding RDS events from ${input.region} to the pipeline bus failed (they went to ${n.queue})`, {
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      // A rule on the default bus: the RuleName dimension alone.
      Dimensions: [{ Name: 'RuleName', Value: n.rule }],
      Statistic: 'Sum',
    }),
    [forwarderIds.undeliveredAlarm]: alarm('undelivered-events', `RDS events of ${input.region} that could not be forwarded are waiting in ${n.queue}`, {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(forwarderIds.queue, 'QueueName') }],
      Statistic: 'Maximum',
    }),
  };
  return {
    Resources,
    Outputs: {
      ForwardRuleArn: { Value: getAtt(forwarderIds.rule) },
      PipelineBusArn: { Value: n.pipelineBusArn },
      AlarmTopicArn: { Value: ref(forwarderIds.topic) },
    },
  };
}
