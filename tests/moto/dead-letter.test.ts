import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryLaterError, handBackSeconds } from '../../src/lib/hand-back';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';
import { motoAvailable, motoSdkEnvironment, motoSkipReason, startMoto, useMotoEnvironment, type MotoServer } from './moto-server';
import { MotoPipeline } from './pipeline';
import { seedCluster } from './rds-world';

/**
 * The dead-letter path on moto: the restored cluster's database refuses connections, so setup-db-users
 * hands its message back to SQS each time (a transient fault that outlasts its retries: ChangeMessageVisibility
 * with a growing, jittered delay, hand-back.ts); after the template's maxReceiveCount moto's redrive moves
 * it to the step's DLQ, whose event source mapping is the dead-letter function, which fails the operation.
 * No real waiting: the harness advances time to each hand-back's end (and to the re-checks that come due
 * before the later ones), making the message visible with ChangeMessageVisibility 0.
 */
if (motoSkipReason) console.warn(motoSkipReason);

const REGION = 'us-east-1';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe.skipIf(!motoAvailable)('a message that keeps failing, on moto', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;
  let p: MotoPipeline;

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = useMotoEnvironment(motoSdkEnvironment(moto.endpoint, REGION));
    p = await MotoPipeline.open({
      moto,
      region: REGION,
      regions: [REGION],
      databaseAddress: { host: '127.0.0.1', port: await closedPort() },
    });
  });
  afterAll(async () => {
    await p?.close();
    restoreEnv?.();
    await moto?.stop();
  });

  it('is redriven to its DLQ after maxReceiveCount and the dead-letter function fails the operation, notifying once', async () => {
    await seedCluster({ region: REGION, clusterId: 'orders-prod', instances: ['orders-prod-1'] });
    await seedCluster({ region: REGION, clusterId: 'orders-dev', tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE }, instances: ['orders-dev-1'] });
    await p.baseline();

    const id = await p.startRestore({ sourceClusterId: 'orders-prod', sourceRegion: REGION, targetRegion: REGION, targetClusterId: 'orders-dev', deleteExisting: true });
    const started = Date.now();
    const run = await p.runUntilTerminal(id);
    const wallSeconds = (Date.now() - started) / 1000;

    expect(run.state.status).toBe('FAILED');
    expect(run.state.error?.code).toBe('StepFailedRepeatedly');
    expect(run.state.error?.step).toBe('setup-db-users');
    expect(p.notifications.filter((n) => n.attributes.operation_id === id)).toHaveLength(1);
    // The restore itself had happened: the cluster is there; only the users could not be set up.
    expect(run.state.restore_details.cluster_id).toBe('orders-dev');
    // Received maxReceiveCount times (the template's redrive policy), each time handed back for longer:
    // the harness made it visible at each hand-back's end instead of waiting; the receive after the last
    // one redrove it. Time (advanced, plus the wall clock's) went by at least the hand-backs' shortest delays.
    const sqs = new SQSClient({ region: REGION });
    const redrive = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: p.stack.queues['setup-db-users'].url, AttributeNames: ['RedrivePolicy'] }));
    const maxReceiveCount = Number((JSON.parse(redrive.Attributes!.RedrivePolicy!) as { maxReceiveCount: number }).maxReceiveCount);
    expect(maxReceiveCount).toBeGreaterThan(1);
    expect(p.deliveries.filter((d) => d.fn === 'setup-db-users' && d.operationId === id)).toHaveLength(maxReceiveCount);
    const handBacks = p.time.advances.filter((a) => a.kind === 'message' && a.what.startsWith('handed back'));
    expect(handBacks).toHaveLength(maxReceiveCount);
    const shortest = Array.from({ length: maxReceiveCount }, (_, n) => handBackSeconds(new RetryLaterError('refused'), n + 1, new Date(), () => 0)!);
    expect(run.secondsAdvanced + wallSeconds).toBeGreaterThanOrEqual(shortest.reduce((a, b) => a + b, 0));
    expect(run.realWaits).toBe(0);
    expect(p.deliveries.filter((d) => d.fn === 'dead-letter' && d.operationId === id)).toHaveLength(1);
    // The dead-letter function consumed the DLQ message; the step's queue is empty too.
    for (const url of [p.stack.queues['setup-db-users'].deadLetterUrl, p.stack.queues['setup-db-users'].url]) {
      const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      expect(a.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    }
  }, 90_000);
});
