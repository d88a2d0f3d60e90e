/** Per subscription: the step's queue, its dead-letter queue, one rule per pattern and the queue policy. */
import { DEAD_LETTER_STEP, type Subscription } from '../../events/subscriptions';
import { replayRuleGlob } from '../../lib/aws/replay-rule-names';
import { DLQ_RETENTION_SECONDS, VISIBILITY_TIMEOUT_FACTOR, account, getAtt, ids, partition, ref, region, sub, timeoutOf, type Cfn, type Ctx } from './common';
import { targetDelivery } from './undelivered';

export function stepQueue(ctx: Ctx, s: Subscription): Record<string, Cfn> {
  const { names, params } = ctx;
  const out: Record<string, Cfn> = {
    [ids.deadLetterQueue(s.step)]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.deadLetterQueue(s.step),
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: DLQ_RETENTION_SECONDS,
        // The dead-letter function consumes every DLQ: Lambda refuses an SQS event source whose queue's
        // visibility timeout is below the function's timeout ("Your function's timeout must be less than or
        // equal to the queue's visibility timeout"), and AWS recommends six times it.
        VisibilityTimeout: VISIBILITY_TIMEOUT_FACTOR * timeoutOf(ctx, DEAD_LETTER_STEP),
      },
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
        Name: names.rule(s.step, p.name),
        Description: `${s.step}: ${p.name} (${s.description})`.slice(0, 512),
        EventBusName: ref(ids.bus),
        EventPattern: p.pattern,
        State: 'ENABLED',
        Targets: [{ Id: 'step-queue', Arn: getAtt(ids.queue(s.step)), ...targetDelivery() }],
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
          {
            // A filtered archive replay (aurora-restore replay --aws) delivers through temporary rules of
            // its own on the pipeline bus, named replay-<id>-<step>-… (src/lib/aws/replay-rule-names.ts).
            Sid: 'ReplayRulesOfThisStep',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: getAtt(ids.queue(s.step)),
            Condition: { ArnLike: { 'aws:SourceArn': sub(`arn:${partition}:events:${region}:${account}:rule/${names.bus}/${replayRuleGlob(s.step)}`) } },
          },
        ],
      },
    },
  };
  return out;
}
