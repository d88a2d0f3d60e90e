import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_SOURCE } from '../../src/events/catalogue';
import { parseEventBody } from '../../src/events/envelope';
import { runCli } from '../cli/run-cli';
import { motoAvailable, motoSdkEnvironment, motoSkipReason, startMoto, useMotoEnvironment, type MotoServer } from './moto-server';
import { motoStageParams } from './pipeline';
import { createKmsKey, provisionStack, type ProvisionedStack } from './stack';

/**
 * `aurora-restore start --aws` against moto: the CLI's own AWS path (its AwsEventBus, the SDK's
 * standard configuration) puts RestoreRequested on the pipeline bus of the endpoint that
 * AWS_ENDPOINT_URL names, where the stack's rule delivers it to snapshot-check's queue.
 */
if (motoSkipReason) console.warn(motoSkipReason);

const REGION = 'us-east-1';

async function receiveOne(sqs: SQSClient, url: string): Promise<string | undefined> {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  expect(out.Messages?.length ?? 0).toBeLessThanOrEqual(1);
  return out.Messages?.[0]?.Body;
}

describe.skipIf(!motoAvailable)('aurora-restore start --aws on moto', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;
  let stack: ProvisionedStack;

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useMotoEnvironment(motoSdkEnvironment(moto.endpoint, REGION));
    const key = await createKmsKey(moto.endpoint, REGION, 'pipeline key');
    stack = await provisionStack({ endpoint: moto.endpoint, region: REGION, params: motoStageParams({ pipelineKeyArn: key }) });
  });
  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });
  afterEach(() => vi.unstubAllEnvs());

  it('puts RestoreRequested, with the request from the flags, on the pipeline bus named by EVENT_BUS_NAME', async () => {
    const sqs = new SQSClient({ region: REGION });
    const events = new EventBridgeClient({ region: REGION });
    // The test's own witness: a rule on the pipeline bus copying RestoreRequested to a queue.
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'test-cli-witness' }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await events.send(
      new PutRuleCommand({ Name: 'test-cli-witness', EventBusName: stack.busName, EventPattern: JSON.stringify({ source: [EVENT_SOURCE], 'detail-type': ['RestoreRequested'] }) }),
    );
    await events.send(new PutTargetsCommand({ Rule: 'test-cli-witness', EventBusName: stack.busName, Targets: [{ Id: 'witness', Arn: arn }] }));

    vi.stubEnv('EVENT_BUS_NAME', stack.busName);
    const r = await runCli([
      'start',
      '--aws',
      '--json',
      '--source-cluster',
      'aurora-prod',
      '--snapshot-date',
      '2026-11-24',
      '--source-region',
      'us-east-1',
      '--target-region',
      'us-west-2',
      '--target-cluster',
      'aurora-staging',
      '--delete-existing',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { operationId } = JSON.parse(r.stdout) as { operationId: string };
    expect(operationId).toMatch(/^restore-\d{8}-\d{6}-[a-z0-9]{6}$/);

    const body = await receiveOne(sqs, url);
    expect(body, 'no RestoreRequested reached the witness queue').toBeDefined();
    // The project's own parser reads it as a valid RestoreRequested (moto's delivery lacks `account`; see pipeline.ts).
    const parsed = parseEventBody(JSON.stringify({ account: stack.account, ...JSON.parse(body!) }));
    expect(parsed.kind).toBe('domain');
    if (parsed.kind !== 'domain' || parsed.event.type !== 'RestoreRequested') throw new Error(`expected RestoreRequested, got ${body}`);
    expect(parsed.event.detail.operationId).toBe(operationId);
    expect(parsed.event.detail.request).toMatchObject({
      sourceClusterId: 'aurora-prod',
      snapshotDate: '2026-11-24',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      targetClusterId: 'aurora-staging',
      deleteExisting: true,
    });
    // The stack's own rule delivered the same event to snapshot-check's queue.
    const stepBody = await receiveOne(sqs, stack.queues['snapshot-check'].url);
    expect(JSON.parse(stepBody ?? '{}').detail?.operationId).toBe(operationId);
  });

  it('a bus that does not exist at that endpoint is an error, exit 1', async () => {
    vi.stubEnv('EVENT_BUS_NAME', 'no-such-bus');
    const r = await runCli(['start', '--aws', '--source-cluster', 'aurora-prod', '--source-region', 'us-east-1', '--target-region', 'us-east-1', '--target-cluster', 'aurora-dev']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-bus|ResourceNotFound/);
  });
});
