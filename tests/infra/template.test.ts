/**
 * Packages the service once (tests/infra/fixture.ts: osls + serverless-esbuild, offline, no AWS
 * credentials) and checks the CloudFormation template and the bundles against the code's own tables:
 * every subscription has its rules, queue, DLQ and function; every role grants exactly what its
 * function's port calls need; every store is encrypted; the alarms exist. Any drift between
 * serverless.yml and the tables fails here. The cross-region forwarder stack (serverless.forwarder.yml) too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_STEP, SUBSCRIPTIONS, forwardedRdsPattern } from '../../src/events/subscriptions';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../src/lib/tags';
import { stepOfDeadLetterQueue } from '../../src/lib/steps/guards';
import { auditTableDefinition, stateTableDefinition, TTL_ATTRIBUTE } from '../../src/lib/tables';
import { configSchema } from '../../src/schemas/config';
import { restoreRequest } from '../../src/schemas/restore-request';
import { CALL_GRANTS, FUNCTION_CALLS, FUNCTION_NAMES, STEP_FUNCTIONS, adaptersOf, connectsToDatabase, isStepFunction, type FunctionName } from '../../src/infra/permissions';
import { RDS_STEPS, VISIBILITY_TIMEOUT_FACTOR, ids, namesFor } from '../../src/infra/template';
import { replayRuleGlob } from '../../src/lib/aws/replay-rule-names';
import { RDS_EVENT_EXAMPLES } from '../../src/events/rds';
import { StageParamsError } from '../../src/infra/params';
import { buildForwarder, forwarderIds } from '../../src/infra/template/forwarder';
import { matchesPattern } from '../../src/lib/local/pattern';
import { FORWARDER_PARAMS, KMS_KEY, NIGHTLY, PIPELINE_REGION, SOURCE_KEY, STAGE, TARGET_KEY, TARGET_REGION, cleanUp, packaged, root, type Packaged, type Resource } from './fixture';

const names = namesFor(STAGE);

let dir: string;
let resources: Record<string, Resource>;
let forwarderResources: Record<string, Resource>;
let state: Packaged['state'];

beforeAll(async () => {
  const p = await packaged();
  dir = p.dir;
  resources = p.pipeline.Resources;
  forwarderResources = p.forwarder.Resources;
  state = p.state;
}, 300_000);
afterAll(cleanUp);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const fnLogicalId = (fn: FunctionName) => names.functionLogicalId(fn);
const fnProps = (fn: FunctionName) => resources[fnLogicalId(fn)]!.Properties;
const getAttArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const sourcesOf = (fn: FunctionName) =>
  ofType('AWS::Lambda::EventSourceMapping')
    .map(([, r]) => r.Properties)
    .filter((p) => p.FunctionName['Fn::GetAtt'][0] === fnLogicalId(fn));

function statementsOf(fn: FunctionName): Record<string, any>[] {
  const roleId = fnProps(fn).Role['Fn::GetAtt'][0];
  expect(roleId).toBe(ids.role(fn));
  return resources[roleId]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
}
const actionsOf = (statements: Record<string, any>[]) => new Set(statements.flatMap((s) => [s.Action].flat() as string[]));

describe('subscriptions → rules, queues, DLQs, functions', () => {
  for (const s of SUBSCRIPTIONS) {
    describe(s.step, () => {
      it('has one rule per pattern on the pipeline bus, each targeting the step queue, and a queue policy admitting exactly those rules', () => {
        for (const p of s.patterns) {
          const rule = resources[ids.rule(s.step, p.name)];
          expect(rule, `rule ${p.name}`).toBeDefined();
          expect(rule!.Properties.EventBusName).toEqual({ Ref: ids.bus });
          expect(rule!.Properties.EventPattern).toEqual(p.pattern);
          expect(rule!.Properties.Targets.map((t: any) => t.Arn)).toEqual([getAttArn(ids.queue(s.step))]);
        }
        const policy = resources[ids.queuePolicy(s.step)]!.Properties;
        expect(policy.Queues).toEqual([{ Ref: ids.queue(s.step) }]);
        expect(policy.PolicyDocument.Statement[0].Condition.ArnEquals['aws:SourceArn']).toEqual(s.patterns.map((p) => getAttArn(ids.rule(s.step, p.name))));
        // …and the temporary rules of a filtered replay to this step (else the replay delivers nothing).
        expect(policy.PolicyDocument.Statement[1]).toMatchObject({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${names.bus}/${replayRuleGlob(s.step)}` } } },
        });
        expect(policy.PolicyDocument.Statement).toHaveLength(2);
      });

      it('has an encrypted queue with a DLQ (maxReceiveCount ≥ 5) and a visibility timeout ≥ 6× its function timeout', () => {
        const q = resources[ids.queue(s.step)]!.Properties;
        const dlq = resources[ids.deadLetterQueue(s.step)]!.Properties;
        expect(q.SqsManagedSseEnabled === true || typeof q.KmsMasterKeyId === 'string').toBe(true);
        expect(dlq.SqsManagedSseEnabled === true || typeof dlq.KmsMasterKeyId === 'string').toBe(true);
        expect(q.RedrivePolicy.deadLetterTargetArn).toEqual(getAttArn(ids.deadLetterQueue(s.step)));
        expect(q.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
        expect(q.VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * fnProps(s.step).Timeout);
        // The dead-letter function finds the step from the DLQ's name.
        expect(stepOfDeadLetterQueue(`arn:aws:sqs:us-east-1:123456789012:${dlq.QueueName}`)).toBe(s.step);
      });

      it('is consumed by its function with partial batch failures, the batch size and maximum concurrency of the table', () => {
        const [source, ...others] = sourcesOf(s.step);
        expect(others).toEqual([]);
        expect(source).toMatchObject({
          EventSourceArn: getAttArn(ids.queue(s.step)),
          BatchSize: s.batchSize,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: s.maximumConcurrency },
        });
        expect(fnProps(s.step).Handler).toBe(`src/handlers/${s.step}.handler`);
      });

      it('has its DLQ consumed by the dead-letter function', () => {
        expect(sourcesOf(DEAD_LETTER_STEP).map((p) => p.EventSourceArn)).toContainEqual(getAttArn(ids.deadLetterQueue(s.step)));
      });
    });
  }

  it('gives every queue a Lambda function consumes — the dead-letter queues too — a visibility timeout of 6× that function\'s timeout', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    expect(mappings.length).toBe(2 * SUBSCRIPTIONS.length);
    for (const m of mappings) {
      const queueId = m.EventSourceArn['Fn::GetAtt'][0] as string;
      const fnId = m.FunctionName['Fn::GetAtt'][0] as string;
      const timeout = resources[fnId]!.Properties.Timeout as number;
      // Lambda refuses an SQS event source whose queue's visibility timeout is below the function timeout.
      expect(resources[queueId]!.Properties.VisibilityTimeout, `${queueId} consumed by ${fnId}`).toBe(VISIBILITY_TIMEOUT_FACTOR * timeout);
    }
  });

  it('has no rule, queue or function the tables do not declare', () => {
    const pipelineRules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventBusName);
    expect(pipelineRules.length).toBe(SUBSCRIPTIONS.reduce((n, s) => n + s.patterns.length, 0));
    expect(ofType('AWS::SQS::Queue').length).toBe(2 * SUBSCRIPTIONS.length + 1); // + the undelivered-events queue
    expect(ofType('AWS::Lambda::Function').map(([id]) => id).sort()).toEqual(FUNCTION_NAMES.map(fnLogicalId).sort());
    expect(sourcesOf(DEAD_LETTER_STEP).every((p) => p.FunctionResponseTypes?.[0] === 'ReportBatchItemFailures')).toBe(true);
  });
});

describe('delivery failures', () => {
  const undelivered = () => getAttArn(ids.undeliveredQueue);
  const rules = () => ofType('AWS::Events::Rule');

  it('gives every rule target a retry policy and the undelivered-events dead-letter queue', () => {
    expect(rules().length).toBe(SUBSCRIPTIONS.reduce((n, s) => n + s.patterns.length, 0) + 1);
    for (const [id, r] of rules()) {
      for (const t of r.Properties.Targets) {
        expect(t.DeadLetterConfig, id).toEqual({ Arn: undelivered() });
        expect(t.RetryPolicy, id).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
      }
    }
  });

  it('gives the schedules the same dead-letter queue: the nightly one here, the re-check ones through SCHEDULER_DLQ_ARN; their roles may send to it', () => {
    expect(resources[ids.nightlySchedule]!.Properties.Target.DeadLetterConfig).toEqual({ Arn: undelivered() });
    for (const fn of FUNCTION_NAMES) expect(fnProps(fn).Environment.Variables.SCHEDULER_DLQ_ARN, fn).toEqual(undelivered());
    for (const role of [ids.schedulerRole, ids.nightlyRole]) {
      expect(resources[role]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement), role).toContainEqual(
        expect.objectContaining({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: undelivered() }),
      );
    }
  });

  it('lets exactly the rules of this stack (and the schedules\' roles) send to the dead-letter queue, which is encrypted', () => {
    const q = resources[ids.undeliveredQueue]!.Properties;
    expect(q.SqsManagedSseEnabled).toBe(true);
    const [fromRules, fromSchedules] = resources[ids.undeliveredQueuePolicy]!.Properties.PolicyDocument.Statement;
    expect(fromRules).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: undelivered() });
    expect([...fromRules.Condition.ArnEquals['aws:SourceArn']].sort((a: any, b: any) => a['Fn::GetAtt'][0].localeCompare(b['Fn::GetAtt'][0]))).toEqual(
      rules()
        .map(([id]) => getAttArn(id))
        .sort((a, b) => a['Fn::GetAtt'][0].localeCompare(b['Fn::GetAtt'][0])),
    );
    expect(fromSchedules).toMatchObject({ Principal: { AWS: [getAttArn(ids.schedulerRole), getAttArn(ids.nightlyRole)] }, Action: 'sqs:SendMessage' });
  });

  it('alarms on every rule\'s FailedInvocations (bus and rule name dimensions) and on anything in the dead-letter queue', () => {
    for (const [id, r] of rules()) {
      const a = resources[ids.ruleFailedAlarm(id)]?.Properties;
      expect(a, id).toBeDefined();
      const dims = r.Properties.EventBusName ? [{ Name: 'EventBusName', Value: names.bus }, { Name: 'RuleName', Value: r.Properties.Name }] : [{ Name: 'RuleName', Value: r.Properties.Name }];
      expect(a, id).toMatchObject({ Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Dimensions: dims, Threshold: 1, AlarmActions: [{ Ref: ids.topic }] });
      expect(r.Properties.Name.length, id).toBeLessThanOrEqual(64);
    }
    expect(resources[ids.undeliveredAlarm]!.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.undeliveredQueue, 'QueueName'] } }],
      Threshold: 1,
    });
  });
});

describe('buses and schedules', () => {
  it('has the pipeline bus with an archive', () => {
    expect(resources[ids.bus]!.Properties.Name).toBe(names.bus);
    expect(resources[ids.archive]!.Properties).toMatchObject({ SourceArn: getAttArn(ids.bus), RetentionDays: 30 });
  });

  it('forwards the aws.rds events the steps use from the default bus, with a role that may only put on the pipeline bus', () => {
    const rule = resources[ids.forwardRule]!.Properties;
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual(forwardedRdsPattern(['legacy-staging']));
    expect(JSON.stringify(rule.EventPattern)).toContain(MANAGED_BY_TAG);
    expect(rule.Targets).toEqual([expect.objectContaining({ Id: 'pipeline-bus', Arn: getAttArn(ids.bus), RoleArn: getAttArn(ids.forwardRole) })]);
    const role = resources[ids.forwardRole]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(role.Policies.flatMap((p: any) => p.PolicyDocument.Statement)).toEqual([expect.objectContaining({ Action: ['events:PutEvents'], Resource: getAttArn(ids.bus) })]);
  });

  it('has a scheduler group and a role trusted by EventBridge Scheduler that may only put events on the pipeline bus (and dead-letter what it cannot)', () => {
    expect(resources[ids.schedulerGroup]!.Properties.Name).toBe(names.schedulerGroup);
    const role = resources[ids.schedulerRole]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(role.Policies.flatMap((p: any) => p.PolicyDocument.Statement)).toEqual([
      expect.objectContaining({ Action: ['events:PutEvents'], Resource: getAttArn(ids.bus) }),
      expect.objectContaining({ Action: ['sqs:SendMessage'], Resource: getAttArn(ids.undeliveredQueue) }),
    ]);
  });

  it('runs the recurring restore through the nightly function, with the validated request as input', () => {
    const schedule = resources[ids.nightlySchedule]!.Properties;
    expect(schedule.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(schedule.Target.Arn).toEqual(getAttArn(fnLogicalId('nightly')));
    expect(restoreRequest.parse(JSON.parse(schedule.Target.Input))).toMatchObject(NIGHTLY);
    const role = resources[ids.nightlyRole]!.Properties;
    expect(role.Policies.flatMap((p: any) => p.PolicyDocument.Statement)).toEqual([
      expect.objectContaining({ Action: ['lambda:InvokeFunction'], Resource: getAttArn(fnLogicalId('nightly')) }),
      expect.objectContaining({ Action: ['sqs:SendMessage'], Resource: getAttArn(ids.undeliveredQueue) }),
    ]);
  });
});

describe('stores are encrypted', () => {
  it('has the state and audit tables as src/lib/tables.ts defines them: on-demand, KMS with the pipeline key, PITR, TTL', () => {
    for (const [id, def] of [
      [ids.stateTable, stateTableDefinition(names.stateTable)],
      [ids.auditTable, auditTableDefinition(names.auditTable)],
    ] as const) {
      const t = resources[id]!;
      expect(t.Properties).toMatchObject({
        TableName: def.TableName,
        KeySchema: def.KeySchema,
        AttributeDefinitions: def.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KMS_KEY },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      });
      expect(t.DeletionPolicy).toBe('Retain');
    }
  });

  it('encrypts every table, queue and topic', () => {
    for (const [id, r] of ofType('AWS::DynamoDB::Table')) expect(r.Properties.SSESpecification?.SSEEnabled, id).toBe(true);
    for (const [id, r] of ofType('AWS::SQS::Queue')) expect(r.Properties.SqsManagedSseEnabled === true || !!r.Properties.KmsMasterKeyId, id).toBe(true);
    const topics = ofType('AWS::SNS::Topic');
    expect(topics.length).toBe(1);
    for (const [id, r] of topics) expect(r.Properties.KmsMasterKeyId, id).toBe(KMS_KEY);
  });
});

describe('functions', () => {
  const required = Object.entries(configSchema.shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([name]) => name);

  it('run Node.js 24 (nodejs24.x: nodejs20.x is deprecated and Lambda blocks creating it) on arm64, bundled for that runtime, with every required configuration variable set', () => {
    expect(required.length).toBeGreaterThan(5);
    const esbuildTarget = readFileSync(join(root, 'serverless.yml'), 'utf8').match(/^\s+target:\s*(\S+)\s*$/m)?.[1];
    expect(esbuildTarget, 'custom.esbuild.target in serverless.yml').toBe('node24');
    for (const fn of FUNCTION_NAMES) {
      const p = fnProps(fn);
      expect(p.Runtime, fn).toBe('nodejs24.x');
      expect(p.Runtime, fn).toBe(`nodejs${esbuildTarget!.replace('node', '')}.x`);
      expect(p.Architectures, fn).toEqual(['arm64']);
      const env = p.Environment.Variables as Record<string, unknown>;
      for (const name of required) expect(env[name], `${fn} ${name}`).toBeDefined();
      // Values CloudFormation resolves are replaced by valid stand-ins; everything else is checked as deployed.
      const literal = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      const parsed = configSchema.safeParse({ REGION: 'us-east-1', SNS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t', ...literal });
      expect(parsed.error?.issues ?? [], fn).toEqual([]);
      expect(Number(env.LAMBDA_TIMEOUT_SECONDS), fn).toBe(p.Timeout);
    }
  });

  it('puts only the database-connecting function in the VPC, trusting the RDS CA bundle', () => {
    for (const fn of FUNCTION_NAMES) {
      const p = fnProps(fn);
      expect(!!p.VpcConfig, fn).toBe(connectsToDatabase(fn));
      expect(p.Environment.Variables.NODE_EXTRA_CA_CERTS, fn).toBe(connectsToDatabase(fn) ? '/var/runtime/ca-cert.pem' : undefined);
    }
    expect(fnProps('setup-db-users').VpcConfig).toEqual({ SecurityGroupIds: ['sg-00000000'], SubnetIds: ['subnet-00000001', 'subnet-00000002'] });
  });

  it('serves POST /restores and GET /restores/{id} with IAM auth', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => [r.RouteKey, r.AuthorizationType]).sort()).toEqual([
      ['GET /restores/{id}', 'AWS_IAM'],
      ['POST /restores', 'AWS_IAM'],
    ]);
  });
});

describe('least-privilege IAM', () => {
  const base = (fn: FunctionName) => [
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    ...(isStepFunction(fn) ? ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] : []),
    ...(connectsToDatabase(fn)
      ? ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses']
      : []),
  ];
  const allows = (fn: FunctionName) => statementsOf(fn).filter((s) => s.Effect === 'Allow');
  const withAction = (fn: FunctionName, action: string) => allows(fn).filter((s) => [s.Action].flat().includes(action));
  const arns = (st: Record<string, any>) => [st.Resource ?? st.NotResource].flat().map((r: any) => (typeof r === 'string' ? r : (r['Fn::Sub'] ?? JSON.stringify(r))) as string);
  const rdsFns = () => FUNCTION_NAMES.filter((fn) => allows(fn).some((s) => [s.Action].flat().some((a: string) => a.startsWith('rds:'))));

  for (const fn of FUNCTION_NAMES) {
    it(`${fn}: grants exactly the actions of its port calls, nothing more`, () => {
      const expected = new Set([...base(fn), ...FUNCTION_CALLS[fn].flatMap((c) => CALL_GRANTS[c].flatMap((g) => g.actions))]);
      expect([...actionsOf(allows(fn))].sort()).toEqual([...expected].sort());
    });
  }

  it('never grants a wildcard action, and a wildcard resource only for Lambda VPC networking', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      for (const st of role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement)) {
        for (const a of [st.Action].flat()) expect(a, id).not.toContain('*');
        if ([st.Resource].flat().includes('*')) expect(st.Sid, id).toBe('VpcNetworkInterfaces');
      }
    }
  });

  it('grants kms: only on the configured keys; RDS may use the target and SOURCE keys (restore and copy), never the pipeline key', () => {
    for (const fn of FUNCTION_NAMES) {
      for (const st of allows(fn).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')))) {
        for (const r of [st.Resource].flat()) expect([KMS_KEY, TARGET_KEY, SOURCE_KEY], fn).toContain(r);
        expect(st.Condition?.StringEquals?.['kms:ViaService'] ?? st.Condition?.StringLike?.['kms:ViaService'], fn).toBeDefined();
      }
    }
    for (const fn of ['copy-snapshot', 'restore-snapshot'] as const) {
      const rdsKeys = withAction(fn, 'kms:CreateGrant');
      expect(rdsKeys.map((s) => s.Resource), fn).toEqual([[TARGET_KEY, SOURCE_KEY]]);
      expect(rdsKeys[0]!.Condition, fn).toEqual({ StringLike: { 'kms:ViaService': 'rds.*.amazonaws.com' } });
    }
    // SOURCE_KMS_KEYS is a stage parameter the functions get too.
    expect(fnProps('restore-snapshot').Environment.Variables.SOURCE_KMS_KEYS).toBe(SOURCE_KEY);
  });

  it('deleting with a final snapshot: CreateDBClusterSnapshot on the cluster AND on the final snapshot, its inherited tags only (rds:TagsFromRequest=false)', () => {
    for (const fn of ['delete-rds', 'check-delete-status'] as const) {
      const create = withAction(fn, 'rds:CreateDBClusterSnapshot').flatMap(arns);
      expect(create, fn).toEqual(expect.arrayContaining([expect.stringMatching(/:cluster:\*$/), expect.stringMatching(/:cluster:legacy-staging$/), expect.stringMatching(/:cluster-snapshot:\*-final-\*$/)]));
      const tag = withAction(fn, 'rds:AddTagsToResource');
      expect(tag.map(arns), fn).toEqual([[expect.stringMatching(/:cluster-snapshot:\*-final-\*$/)]]);
      expect(tag[0]!.Condition, fn).toEqual({ Bool: { 'rds:TagsFromRequest': 'false' } });
      // DeleteDBCluster authorizes the final snapshot too (its cluster-snapshot resource type is required).
      expect(withAction(fn, 'rds:DeleteDBCluster').flatMap(arns), fn).toContainEqual(expect.stringMatching(/:cluster-snapshot:\*-final-\*$/));
    }
  });

  it('names RDS resources in lowercase in every ARN (RDS stores identifiers lowercase; DELETION_ALLOW_LIST was given as Legacy-Staging)', () => {
    for (const fn of rdsFns()) {
      for (const a of statementsOf(fn).flatMap(arns).filter((x) => x.includes(':rds:'))) {
        const name = /:(?:cluster|db|cluster-snapshot|subgrp|cluster-pg|pg|og):(.*)$/.exec(a)?.[1];
        expect(name, a).toBeDefined();
        expect(name, fn).toBe(name!.toLowerCase());
      }
    }
    expect(withAction('delete-rds', 'rds:DeleteDBCluster').flatMap(arns)).toContainEqual(expect.stringMatching(/:cluster:legacy-staging$/));
  });

  it('limits instance deletion to instances tagged as managed, or named <cluster>-* for an allow-listed cluster: never any instance', () => {
    for (const fn of FUNCTION_NAMES) {
      for (const st of withAction(fn, 'rds:DeleteDBInstance')) {
        const tagged = st.Condition?.StringEquals?.[`rds:db-tag/${MANAGED_BY_TAG}`] === MANAGED_BY_VALUE;
        if (!tagged) expect(arns(st), `${fn} ${st.Sid}`).toEqual([expect.stringMatching(/:db:legacy-staging-\*$/)]);
      }
    }
    expect(withAction('delete-rds', 'rds:DeleteDBInstance')).toHaveLength(2);
  });

  it('limits destructive RDS actions to managed (tagged) resources, allow-listed clusters and instances by ARN, and the final snapshot by name', () => {
    const tagKeys = [`rds:cluster-tag/${MANAGED_BY_TAG}`, `rds:db-tag/${MANAGED_BY_TAG}`, `rds:cluster-snapshot-tag/${MANAGED_BY_TAG}`];
    for (const fn of FUNCTION_NAMES) {
      for (const st of allows(fn)) {
        const destructive = [st.Action].flat().filter((a: string) => /^rds:(Delete|Modify)/.test(a));
        if (!destructive.length) continue;
        const tag = Object.entries(st.Condition?.StringEquals ?? {}).find(([k]) => tagKeys.includes(k));
        const byName = arns(st).every((a) => /:(cluster:legacy-staging|db:legacy-staging-\*|cluster-snapshot:\*-final-\*)$/.test(a));
        expect(tag?.[1] === MANAGED_BY_VALUE || byName, `${fn} ${st.Sid}`).toBe(true);
      }
    }
  });

  it('tags only on creation with the pipeline\'s two tag keys, on names the pipeline owns (or the final snapshot\'s inherited tags): never unconditioned', () => {
    const owned: Record<string, RegExp> = {
      'copy-snapshot': /:cluster-snapshot:aurora-restore-\*$/,
      'check-restore-status': /:db:\*-writer$/,
      'restore-snapshot': /:cluster:\*$/,
    };
    for (const fn of FUNCTION_NAMES) {
      for (const st of withAction(fn, 'rds:AddTagsToResource')) {
        expect([st.Action].flat(), `${fn} ${st.Sid}`).toEqual(['rds:AddTagsToResource']);
        if (st.Condition?.Bool?.['rds:TagsFromRequest'] === 'false') {
          expect(arns(st), fn).toEqual([expect.stringMatching(/:cluster-snapshot:\*-final-\*$/)]);
          continue;
        }
        expect(st.Condition, `${fn} ${st.Sid}`).toEqual({
          StringEquals: { [`aws:RequestTag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [MANAGED_BY_TAG, OPERATION_TAG] },
          Bool: { 'rds:TagsFromRequest': 'true' },
        });
        expect(arns(st), fn).toEqual([expect.stringMatching(owned[fn]!)]);
      }
    }
    expect(Object.keys(owned).every((fn) => withAction(fn as FunctionName, 'rds:AddTagsToResource').length === 1)).toBe(true);
  });

  it('denies every RDS-calling role any change to clusters and instances matching PROTECTED_CLUSTER_PATTERN (default prod), never on snapshots', () => {
    expect(rdsFns().length).toBeGreaterThan(5);
    for (const fn of FUNCTION_NAMES) {
      const denies = statementsOf(fn).filter((s) => s.Effect === 'Deny');
      if (!rdsFns().includes(fn)) {
        expect(denies, fn).toEqual([]);
        continue;
      }
      expect(denies.map((d) => [d.Sid, arns(d)]), fn).toEqual([
        ['DenyProtectedClusters', [expect.stringMatching(/:cluster:\*prod\*$/)]],
        ['DenyProtectedInstances', [expect.stringMatching(/:db:\*prod\*$/)]],
      ]);
      for (const a of ['rds:DeleteDBCluster', 'rds:ModifyDBCluster', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource']) expect(denies[0]!.Action, fn).toContain(a);
      for (const a of ['rds:DeleteDBInstance', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource']) expect(denies[1]!.Action, fn).toContain(a);
    }
  });

  it('lets each queue consumer change the visibility of messages of its own queue(s) only', () => {
    for (const fn of FUNCTION_NAMES) {
      const st = withAction(fn, 'sqs:ChangeMessageVisibility');
      if (!isStepFunction(fn)) {
        expect(st, fn).toEqual([]);
        continue;
      }
      const own = fn === DEAD_LETTER_STEP ? SUBSCRIPTIONS.map((s) => getAttArn(ids.deadLetterQueue(s.step))) : [getAttArn(ids.queue(fn))];
      expect(st.map((s) => s.Resource), fn).toEqual([own]);
    }
  });

  it('lets scheduling functions create schedules in the group only, and pass the scheduler role only', () => {
    for (const fn of FUNCTION_NAMES) {
      const st = allows(fn);
      const create = st.find((s) => [s.Action].flat().includes('scheduler:CreateSchedule'));
      const pass = st.find((s) => [s.Action].flat().includes('iam:PassRole'));
      expect(!!create, fn).toBe(FUNCTION_CALLS[fn].includes('scheduler.scheduleOnce'));
      expect(!!pass, fn).toBe(!!create);
      if (create) {
        expect(JSON.stringify(create.Resource), fn).toContain(`schedule/${names.schedulerGroup}/*`);
        expect(pass!.Resource, fn).toEqual([getAttArn(ids.schedulerRole)]);
        expect(pass!.Condition, fn).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
      }
    }
  });
});

describe('alarms and dashboard', () => {
  const alarm = (id: string) => resources[id]?.Properties;

  it('alarms on any message in any DLQ', () => {
    for (const s of SUBSCRIPTIONS) {
      const a = alarm(ids.deadLetterAlarm(s.step));
      expect(a, s.step).toBeDefined();
      const queues = a!.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.Dimensions[0].Value);
      expect(queues).toEqual([{ 'Fn::GetAtt': [ids.deadLetterQueue(s.step), 'QueueName'] }, { 'Fn::GetAtt': [ids.deadLetterQueue(s.step), 'QueueName'] }]);
      expect(a!.Threshold).toBe(1);
      expect(a!.AlarmActions).toEqual([{ Ref: ids.topic }]);
    }
  });

  it('alarms on every function error', () => {
    for (const fn of FUNCTION_NAMES) {
      expect(alarm(ids.errorsAlarm(fn)), fn).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: names.function(fn) }] });
    }
  });

  it('alarms on failed restores, long restores and repeated throttling, from our EMF metrics', () => {
    const service = { Name: 'service', Value: names.metricsService };
    expect(alarm(ids.restoreFailedAlarm)).toMatchObject({ Namespace: 'AuroraRestore', MetricName: 'RestoreFailed', Dimensions: [service], Threshold: 1 });
    expect(alarm(ids.longRestoreAlarm)).toMatchObject({ Namespace: 'AuroraRestore', MetricName: 'TotalDuration', Dimensions: [service], Threshold: 5400 });
    const throttled = alarm(ids.throttlingAlarm)!.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
    expect(throttled.map((m: any) => m.MetricName)).toEqual(RDS_STEPS.map(() => 'Retries'));
    expect(throttled.map((m: any) => m.Dimensions)).toEqual(RDS_STEPS.map((step) => [service, { Name: 'step', Value: step }, { Name: 'code', Value: 'Throttled' }]));
    expect(RDS_STEPS).toContain('copy-snapshot');
  });

  it('has a dashboard with step durations, successes, failures, retries and total duration', () => {
    const body = JSON.stringify(resources[ids.dashboard]!.Properties.DashboardBody);
    for (const metric of ['StepDuration', 'RestoreSucceeded', 'RestoreFailed', 'Retries', 'TotalDuration']) expect(body).toContain(metric);
  });
});

describe('bundles', () => {
  const CLIENT_OF: Record<string, string> = {
    rds: '@aws-sdk/client-rds',
    bus: '@aws-sdk/client-eventbridge',
    scheduler: '@aws-sdk/client-scheduler',
    notifier: '@aws-sdk/client-sns',
    secrets: '@aws-sdk/client-secrets-manager',
    db: 'pg',
    queue: '@aws-sdk/client-sqs',
  };

  /** The source files esbuild put in a function's bundle (its metafile, kept by serverless-esbuild). */
  const bundleInputs = (fn: FunctionName): string[] => {
    const meta = JSON.parse(readFileSync(join(dir, 'esbuild', '.build', 'src', 'handlers', `${fn}-meta.json`), 'utf8'));
    const [, out] = Object.entries(meta.outputs as Record<string, { inputs: Record<string, unknown> }>).find(([f]) => f.endsWith('.mjs'))!;
    return Object.keys(out.inputs);
  };

  it('packages one zip per function, each bundling only the clients of the ports it is wired with', () => {
    const fns = Object.values(state.service.functions);
    expect(fns.length).toBe(FUNCTION_NAMES.length);
    for (const fn of FUNCTION_NAMES) {
      const def = fns.find((f) => f.name === names.function(fn))!;
      expect(existsSync(join(dir, 'package', basename(def.package!.artifact!))), fn).toBe(true);
      const inputs = bundleInputs(fn);
      const wired = adaptersOf(fn);
      for (const [port, pkg] of Object.entries(CLIENT_OF)) {
        const bundled = inputs.some((f) => f.includes(`node_modules/${pkg}/`));
        expect(bundled, `${fn} bundles ${pkg}`).toBe(wired.includes(port as never));
      }
    }
  });

  it("bundles each step function's own step module only, never the table of every step (src/lib/steps/index.ts)", () => {
    // src/lib/steps/<step>.ts defines each step and guard; code they share lives in modules of its own.
    const stepModule = (step: string) => `src/lib/steps/${step}.ts`;
    for (const step of STEP_FUNCTIONS) expect(existsSync(join(root, stepModule(step))), stepModule(step)).toBe(true);
    for (const fn of FUNCTION_NAMES) {
      const inputs = bundleInputs(fn).map((f) => f.replace(/^(?:\.\.\/)+/, ''));
      expect(inputs, fn).not.toContain('src/lib/steps/index.ts');
      const steps = STEP_FUNCTIONS.filter((step) => inputs.includes(stepModule(step)));
      expect(steps, `${fn} bundles the step modules of`).toEqual(isStepFunction(fn) ? [fn] : []);
    }
  });

  it("validates with zod's mini build: no bundle carries classic zod", () => {
    for (const fn of FUNCTION_NAMES) {
      const inputs = bundleInputs(fn);
      expect(inputs.some((f) => f.includes('node_modules/zod/v4/classic/')), `${fn} bundles classic zod`).toBe(false);
    }
  });
});

// ------------------------------------------------------------------------------------------ forwarder
// The cross-region forwarder, packaged for TARGET_REGION with the documented parameters: the RDS events the
// steps consume, from that region's default bus, to the pipeline bus in PIPELINE_REGION, with a role that may
// only put events on that bus, a dead-letter queue and alarms; and, on the pipeline side, forwarded events
// (region = the target region) are matched by the step rules and admitted by the step queues' policies.

const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const pipelineBusArn = { 'Fn::Sub': `arn:\${AWS::Partition}:events:${PIPELINE_REGION}:\${AWS::AccountId}:event-bus/${names.bus}` };

describe('the forwarder stack (serverless.forwarder.yml, one per target region)', () => {
  it('forwards the consumed RDS events from the default bus to the pipeline bus in the pipeline region, retrying, then dead-lettering', () => {
    const rule = forwarderResources[forwarderIds.rule]!.Properties;
    expect(rule.EventBusName).toBeUndefined(); // the region's default bus
    expect(rule.EventPattern).toEqual(forwardedRdsPattern());
    expect(rule.Targets).toEqual([
      {
        Id: 'pipeline-bus',
        Arn: pipelineBusArn,
        RoleArn: getAtt(forwarderIds.role),
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: getAtt(forwarderIds.queue) },
      },
    ]);
    expect(rule.Name.length).toBeLessThanOrEqual(64);
  });

  it('has a role EventBridge of this account assumes, allowed only events:PutEvents on the pipeline bus', () => {
    const role = forwarderResources[forwarderIds.role]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { 'Fn::Sub': '${AWS::AccountId}' } } },
      },
    ]);
    expect(role.Policies.flatMap((p: any) => p.PolicyDocument.Statement)).toEqual([{ Sid: 'PutOnPipelineBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: pipelineBusArn }]);
  });

  it('keeps what it cannot deliver in an encrypted queue only its rule may send to, and alarms on a topic encrypted with the region\'s key', () => {
    expect(forwarderResources[forwarderIds.queue]!.Properties.SqsManagedSseEnabled).toBe(true);
    expect(forwarderResources[forwarderIds.queuePolicy]!.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': getAtt(forwarderIds.rule) } } }),
    ]);
    expect(forwarderResources[forwarderIds.topic]!.Properties.KmsMasterKeyId).toBe(TARGET_KEY);
    expect(forwarderResources[forwarderIds.failedAlarm]!.Properties).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: forwarderResources[forwarderIds.rule]!.Properties.Name }],
      AlarmActions: [{ Ref: forwarderIds.topic }],
    });
    expect(forwarderResources[forwarderIds.undeliveredAlarm]!.Properties).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: [{ Ref: forwarderIds.topic }] });
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

describe('forwarded RDS events on the pipeline side', () => {
  const forwarded = Object.values(RDS_EVENT_EXAMPLES).map((e) => ({ ...e, region: TARGET_REGION }));

  it('delivers forwarded events through the step rules (which do not filter on region), whose queues admit those rules', () => {
    let delivered = 0;
    for (const event of forwarded) {
      expect(matchesPattern(forwardedRdsPattern(), event), event['detail-type']).toBe(true);
      for (const s of SUBSCRIPTIONS) {
        for (const p of s.patterns) {
          if (!matchesPattern(p.pattern, event)) continue;
          expect(p.pattern).not.toHaveProperty('region');
          const rule = resources[ids.rule(s.step, p.name)]!.Properties;
          expect(rule.EventBusName).toEqual({ Ref: ids.bus });
          const admitted = resources[ids.queuePolicy(s.step)]!.Properties.PolicyDocument.Statement[0].Condition.ArnEquals['aws:SourceArn'];
          expect(admitted).toContainEqual(getAtt(ids.rule(s.step, p.name)));
          delivered++;
        }
      }
    }
    expect(delivered).toBeGreaterThanOrEqual(forwarded.length);
  });
});
