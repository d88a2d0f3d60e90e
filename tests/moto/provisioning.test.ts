import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS, forwardedRdsPattern } from '../../src/events/subscriptions';
import { motoAvailable, motoSdkEnvironment, motoSkipReason, startMoto, useMotoEnvironment, type MotoServer } from './moto-server';
import { motoStageParams } from './pipeline';
import { queryApi, xmlValue } from './query-api';
import { provisionForwarder, provisionStack, type ProvisionedForwarder, type ProvisionedStack } from './stack';

if (motoSkipReason) console.warn(motoSkipReason);

const REGION = 'us-east-1';

/** What the pipeline relies on, read back from moto: buses' rules and targets, queues and redrive, tables, topic, group. */
async function describeWorld(stack: ProvisionedStack) {
  const events = new EventBridgeClient({ region: REGION });
  const rulesOf = async (bus: string) => {
    const out: { pattern: unknown; targets: string[] }[] = [];
    for (const rule of (await events.send(new ListRulesCommand({ EventBusName: bus }))).Rules ?? []) {
      const targets = (await events.send(new ListTargetsByRuleCommand({ Rule: rule.Name!, EventBusName: bus }))).Targets ?? [];
      // The archive's own rule (created by EventBridge for the archive) is not part of the template.
      if (rule.Name!.startsWith('Events-Archive-')) continue;
      out.push({ pattern: JSON.parse(rule.EventPattern ?? 'null'), targets: targets.map((t) => t.Arn!).sort() });
    }
    return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  };
  const sqs = new SQSClient({ region: REGION });
  const queues: Record<string, unknown> = {};
  for (const [step, q] of Object.entries(stack.queues)) {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }))).Attributes ?? {};
    queues[step] = { visibility: a.VisibilityTimeout, redrive: JSON.parse(a.RedrivePolicy ?? 'null'), sse: a.SqsManagedSseEnabled, policy: Boolean(a.Policy) };
  }
  const dynamo = new DynamoDBClient({ region: REGION });
  const keys = async (name: string) => (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table?.KeySchema;
  return {
    pipelineBus: await rulesOf(stack.busName),
    defaultBus: await rulesOf('default'),
    queues,
    tables: { state: await keys(stack.names.stateTable), audit: await keys(stack.names.auditTable) },
    topic: Boolean((await new SNSClient({ region: REGION }).send(new GetTopicAttributesCommand({ TopicArn: stack.topicArn }))).Attributes),
    group: (await new SchedulerClient({ region: REGION }).send(new GetScheduleGroupCommand({ Name: stack.schedulerGroup }))).State,
  };
}

/** What a forwarder stack is on moto: its region's default-bus rules with their targets, the role they use, its queue and topic. */
async function describeForwarder(f: ProvisionedForwarder, endpoint: string) {
  const events = new EventBridgeClient({ region: f.region });
  const rules = [];
  for (const rule of (await events.send(new ListRulesCommand({}))).Rules ?? []) {
    const targets = (await events.send(new ListTargetsByRuleCommand({ Rule: rule.Name! }))).Targets ?? [];
    rules.push({
      name: rule.Name,
      pattern: JSON.parse(rule.EventPattern ?? 'null'),
      state: rule.State,
      // The role's name is CloudFormation's or the reconciliation's: its trust policy is what matters.
      targets: targets.map((t) => ({ ...t, RoleArn: t.RoleArn ? 'role' : undefined })),
    });
  }
  const roles = await Promise.all(
    f.targets.map(async (t) => {
      const xml = await queryApi(endpoint, 'iam', f.region, 'GetRole', { RoleName: t.RoleArn!.split('/').pop()! });
      return JSON.parse(decodeURIComponent(xmlValue(xml, 'AssumeRolePolicyDocument')!)) as unknown;
    }),
  );
  const sqs = new SQSClient({ region: f.region });
  const queue = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: f.undeliveredQueueUrl, AttributeNames: ['QueueArn', 'Policy'] }))).Attributes ?? {};
  return { rules, roles, queue: { arn: queue.QueueArn, policy: Boolean(queue.Policy) } };
}

describe.skipIf(!motoAvailable)('the stack on moto, from the generated template', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useMotoEnvironment(motoSdkEnvironment(moto.endpoint, REGION));
  });
  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  it('CloudFormation creates it (with the reconciliation pass filling in what moto skips), and the SDK path builds the same world', async () => {
    const params = motoStageParams({ pipelineKeyArn: `arn:aws:kms:${REGION}:123456789012:key/00000000-0000-0000-0000-000000000000` });
    const viaCfn = await provisionStack({ endpoint: moto.endpoint, region: REGION, params });
    expect(viaCfn.cloudFormationProblem).toBeUndefined();
    // moto's CloudFormation makes the bus, rules, queues, tables and topic; the scheduler group and queue policies it skips.
    const origin = Object.entries(viaCfn.origin);
    expect(origin.filter(([, o]) => o === 'cloudformation').length).toBeGreaterThan(40);
    expect(viaCfn.origin.RecheckScheduleGroup).toBe('sdk');

    const world = await describeWorld(viaCfn);
    // One rule per subscription pattern on the pipeline bus, each targeting its step's queue.
    const expected = SUBSCRIPTIONS.flatMap((s) => s.patterns.map((p) => ({ pattern: p.pattern, targets: [viaCfn.queues[s.step].arn] })));
    expect(world.pipelineBus).toEqual(expected.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    // The default bus forwards the consumed aws.rds events to the pipeline bus.
    expect(world.defaultBus).toEqual([{ pattern: forwardedRdsPattern(), targets: [viaCfn.busArn] }]);
    for (const s of SUBSCRIPTIONS) {
      expect(world.queues[s.step]).toEqual({
        visibility: String(6 * Number(params.LAMBDA_TIMEOUT_SECONDS)),
        redrive: { deadLetterTargetArn: viaCfn.queues[s.step].deadLetterArn, maxReceiveCount: 5 },
        sse: 'true',
        policy: true,
      });
    }
    expect(world.tables.state).toEqual([{ AttributeName: 'operation_id', KeyType: 'HASH' }]);
    expect(world.topic).toBe(true);
    expect(world.group).toBe('ACTIVE');
    // Every function consuming a queue has its event source mapping: one per step, plus the dead-letter function on every DLQ.
    expect(viaCfn.eventSourceMappings.filter((m) => m.fn === 'dead-letter').map((m) => m.queueArn).sort()).toEqual(
      SUBSCRIPTIONS.map((s) => viaCfn.queues[s.step].deadLetterArn).sort(),
    );

    await moto.reset();
    const viaSdk = await provisionStack({ endpoint: moto.endpoint, region: REGION, params, via: 'sdk' });
    expect(Object.values(viaSdk.origin).filter((o) => o === 'cloudformation')).toEqual([]);
    expect(await describeWorld(viaSdk)).toEqual(world);
    // The same function environment, but for the role's name (CloudFormation generates one).
    const { SCHEDULER_ROLE_ARN: sdkRole, ...sdkEnv } = viaSdk.environment('snapshot-check');
    const { SCHEDULER_ROLE_ARN: cfnRole, ...cfnEnv } = viaCfn.environment('snapshot-check');
    expect(sdkEnv).toEqual(cfnEnv);
    for (const role of [sdkRole, cfnRole]) expect(role).toMatch(/^arn:aws:iam::\d{12}:role\/.*SchedulerRole/);
  });

  it('the forwarder stack of a target region: CloudFormation creates its rule on that region\'s default bus, forwarding the consumed aws.rds events to the pipeline bus; the SDK path builds the same', async () => {
    await moto.reset();
    const params = motoStageParams({
      pipelineKeyArn: `arn:aws:kms:${REGION}:123456789012:key/00000000-0000-0000-0000-000000000000`,
      targetKeys: { 'us-west-2': 'arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-00000000000b' },
    });
    expect(params.TARGET_REGIONS).toBe('us-west-2');
    const viaCfn = await provisionForwarder({ endpoint: moto.endpoint, region: 'us-west-2', pipelineRegion: REGION, params });
    expect(viaCfn.cloudFormationProblem).toBeUndefined();
    expect(viaCfn.origin.RdsEventsForwardRule).toBe('cloudformation');

    const world = await describeForwarder(viaCfn, moto.endpoint);
    const pipelineBusArn = `arn:aws:events:${REGION}:123456789012:event-bus/aurora-restore-moto`;
    expect(world.rules).toEqual([
      {
        name: viaCfn.ruleName,
        pattern: forwardedRdsPattern(),
        state: 'ENABLED',
        targets: [
          {
            Id: 'pipeline-bus',
            Arn: pipelineBusArn,
            RoleArn: 'role',
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
            DeadLetterConfig: { Arn: world.queue.arn },
          },
        ],
      },
    ]);
    expect(world.roles).toEqual([expect.objectContaining({ Statement: [expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' })] })]);
    expect(world.queue).toEqual({ arn: 'arn:aws:sqs:us-west-2:123456789012:aurora-restore-moto-forwarder-undelivered', policy: true });

    await moto.reset();
    const viaSdk = await provisionForwarder({ endpoint: moto.endpoint, region: 'us-west-2', pipelineRegion: REGION, params, via: 'sdk' });
    expect(Object.values(viaSdk.origin).filter((o) => o === 'cloudformation')).toEqual([]);
    expect(await describeForwarder(viaSdk, moto.endpoint)).toEqual(world);
  });
});
