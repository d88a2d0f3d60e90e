/**
 * The hand-back adapter (AwsMessageQueue, as the Lambda composition builds it): ChangeMessageVisibility
 * on the record's queue, sent to the client's endpoint — the regional one on AWS, a configured one
 * (AWS_ENDPOINT_URL) when there is one — and not to the host of the queue URL it builds.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALL_ADAPTERS, composeAwsDependencies } from '../../src/lib/aws/dependencies';
import { queueUrlOf } from '../../src/lib/aws/queue';
import { localEnvironment } from '../../src/schemas/config';
import { useDummyAwsEnv } from './sdk-test-env';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:aurora-restore-dev-setup-db-users';
const env = () => ({ ...localEnvironment(), SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/r', EVENT_BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/b' });

describe('AwsMessageQueue', () => {
  let server: Server;
  let endpoint: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    useDummyAwsEnv();
    // A stand-in SQS endpoint: records each request and answers ChangeMessageVisibility's empty JSON.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  afterEach(() => {
    vi.unstubAllEnvs();
    received.length = 0;
  });

  it('sends ChangeMessageVisibility to the configured endpoint (AWS_ENDPOINT_URL), naming the queue by its URL', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', endpoint);
    const deps = composeAwsDependencies(env(), ALL_ADAPTERS);
    await deps.queue.changeVisibility({ queueArn: QUEUE_ARN, receiptHandle: 'receipt-1', seconds: 7.4 });
    expect(received).toHaveLength(1);
    expect(received[0].headers['x-amz-target']).toBe('AmazonSQS.ChangeMessageVisibility');
    expect(JSON.parse(received[0].body)).toEqual({ QueueUrl: queueUrlOf(QUEUE_ARN), ReceiptHandle: 'receipt-1', VisibilityTimeout: 7 });
  });

  it('without a configured endpoint, the client resolves the regional endpoint: the host of the queue URL it builds', async () => {
    const deps = composeAwsDependencies(env(), ALL_ADAPTERS);
    const config = (deps.queue as unknown as { client: { config: { useQueueUrlAsEndpoint: boolean; endpointProvider: (p: Record<string, unknown>) => { url: URL } } } }).client.config;
    expect(config.useQueueUrlAsEndpoint).toBe(false);
    expect(config.endpointProvider({ Region: 'us-east-1', UseFIPS: false, UseDualStack: false }).url.origin).toBe(new URL(queueUrlOf(QUEUE_ARN)).origin);
  });
});
