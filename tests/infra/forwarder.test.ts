/**
 * The cross-region forwarder (serverless.forwarder.yml, packaged for TARGET_REGION with the documented
 * parameters): the RDS events the steps consume, from that region's default bus, to the pipeline bus in
 * PIPELINE_REGION, with a role that may only put events on that bus, a dead-letter queue and alarms; and
 * the pipeline side: forwarded events (region = the target region) are matched by the step rules and
 * admitted by the step queues' policies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RDS_EVENT_EXAMPLES } from '../../src/events/rds';
import { SUBSCRIPTIONS, forwardedRdsPattern } from '../../src/events/subscriptions';
import { StageParamsError } from '../../src/infra/params';
import { buildForwarder, forwarderIds } from '../../src/infra/template/forwarder';
import { ids, namesFor } from '../../src/infra/template';
import { matchesPattern } from '../../src/lib/local/pattern';
import { FORWARDER_PARAMS, PIPELINE_REGION, STAGE, TARGET_KEY, TARGET_REGION, cleanUp, packaged, type Resource } from './fixture';

let forwarder: Record<string, Resource>;
let pipeline: Record<string, Resource>;
beforeAll(async () => {
  const p = await packaged();
  forwarder = p.forwarder.Resources;
  pipeline = p.pipeline.Resources;
}, 300_000);
afterAll(cleanUp);

const names = namesFor(STAGE);
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const busArn = { 'Fn::Sub': `arn:\${AWS::Partition}:events:${PIPELINE_REGION}:\${AWS::AccountId}:event-bus/${names.bus}` };

describe('the forwarder stack (one per target region)', () => {
  it('forwards the consumed RDS events from the default bus to the pipeline bus in the pipeline region, retrying, then dead-lettering', () => {
    const rule = forwarder[forwarderIds.rule]!.Properties;
    expect(rule.EventBusName).toBeUndefined(); // the region's default bus
    expect(rule.EventPattern).toEqual(forwardedRdsPattern());
    expect(rule.Targets).toEqual([
      {
        Id: 'pipeline-bus',
        Arn: busArn,
        RoleArn: getAtt(forwarderIds.role),
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: getAtt(forwarderIds.queue) },
      },
    ]);
    expect(rule.Name.length).toBeLessThanOrEqual(64);
  });

  it('has a role EventBridge of this account assumes, allowed only events:PutEvents on the pipeline bus', () => {
    const role = forwarder[forwarderIds.role]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { 'Fn::Sub': '${AWS::AccountId}' } } },
      },
    ]);
    expect(role.Policies.flatMap((p: any) => p.PolicyDocument.Statement)).toEqual([{ Sid: 'PutOnPipelineBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: busArn }]);
  });

  it('keeps what it cannot deliver in an encrypted queue only its rule may send to, and alarms on a topic encrypted with the region\'s key', () => {
    expect(forwarder[forwarderIds.queue]!.Properties.SqsManagedSseEnabled).toBe(true);
    expect(forwarder[forwarderIds.queuePolicy]!.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': getAtt(forwarderIds.rule) } } }),
    ]);
    expect(forwarder[forwarderIds.topic]!.Properties.KmsMasterKeyId).toBe(TARGET_KEY);
    expect(forwarder[forwarderIds.failedAlarm]!.Properties).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: forwarder[forwarderIds.rule]!.Properties.Name }],
      AlarmActions: [{ Ref: forwarderIds.topic }],
    });
    expect(forwarder[forwarderIds.undeliveredAlarm]!.Properties).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: [{ Ref: forwarderIds.topic }] });
  });

  it('refuses bad parameters, naming each', () => {
    const problems = (params: Record<string, string>, region = TARGET_REGION) => {
      try {
        buildForwarder({ stage: STAGE, region, params: { ...FORWARDER_PARAMS, ...params } });
        return [];
      } catch (e) {
        return (e as StageParamsError).problems;
      }
    };
    expect(problems({})).toEqual([]);
    expect(problems({ PIPELINE_REGION: '' })).toEqual([expect.stringMatching(/^PIPELINE_REGION: expected the region of the pipeline stack/)]);
    expect(problems({ PIPELINE_REGION: TARGET_REGION })).toEqual([expect.stringMatching(/^PIPELINE_REGION: is us-west-2, the region this forwarder is deployed in/)]);
    expect(problems({}, 'eu-west-1')).toEqual([
      'TARGET_REGIONS: does not list eu-west-1, the region this forwarder is deployed in',
      expect.stringMatching(/^TARGET_KMS_KEYS: needs eu-west-1=/),
    ]);
  });
});

describe('the pipeline side', () => {
  const forwarded = Object.values(RDS_EVENT_EXAMPLES).map((e) => ({ ...e, region: TARGET_REGION }));

  it('delivers forwarded events through the step rules (which do not filter on region), whose queues admit those rules', () => {
    let delivered = 0;
    for (const event of forwarded) {
      expect(matchesPattern(forwardedRdsPattern(), event), event['detail-type']).toBe(true);
      for (const s of SUBSCRIPTIONS) {
        for (const p of s.patterns) {
          if (!matchesPattern(p.pattern, event)) continue;
          expect(p.pattern).not.toHaveProperty('region');
          const rule = pipeline[ids.rule(s.step, p.name)]!.Properties;
          expect(rule.EventBusName).toEqual({ Ref: ids.bus });
          const admitted = pipeline[ids.queuePolicy(s.step)]!.Properties.PolicyDocument.Statement[0].Condition.ArnEquals['aws:SourceArn'];
          expect(admitted).toContainEqual(getAtt(ids.rule(s.step, p.name)));
          delivered++;
        }
      }
    }
    expect(delivered).toBeGreaterThanOrEqual(forwarded.length);
  });
});
