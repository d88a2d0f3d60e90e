/**
 * Every AWS SDK client the pipeline builds — each adapter of the Lambda composition, the RDS clients of
 * every region, DynamoDB, and the CLI's replay clients — has connection and request timeouts (a stalled
 * endpoint fails the attempt, which the adaptive retry retries) and keeps the adaptive retry mode.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ADAPTERS, composeAwsDependencies } from '../../src/lib/aws/dependencies';
import { CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS, sdkClientOptions } from '../../src/lib/aws/client-options';
import { AwsArchiveReplay } from '../../src/lib/aws/event-bus';
import { AwsFilteredReplay } from '../../src/lib/aws/replay-filter';
import { localEnvironment } from '../../src/schemas/config';
import { useDummyAwsEnv } from '../aws/sdk-test-env';

beforeAll(useDummyAwsEnv);

type AnyClient = { config: { retryMode?: unknown; requestHandler: { configProvider?: Promise<Record<string, unknown>> } } };

async function handlerSettings(client: AnyClient) {
  const retryMode = typeof client.config.retryMode === 'function' ? await (client.config.retryMode as () => Promise<string>)() : client.config.retryMode;
  const handler = await client.config.requestHandler.configProvider;
  return { retryMode, connectionTimeout: handler?.connectionTimeout, requestTimeout: handler?.requestTimeout, throwOnRequestTimeout: handler?.throwOnRequestTimeout };
}
const EXPECTED = { retryMode: 'adaptive', connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true };
const clientOf = (port: unknown) => (port as { client: AnyClient }).client;

describe('SDK client options', () => {
  it('set connection and request timeouts (thrown, not just logged) with the adaptive retry mode', () => {
    expect(sdkClientOptions({ region: 'us-west-2' })).toEqual({
      region: 'us-west-2',
      retryMode: 'adaptive',
      maxAttempts: 5,
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true },
    });
  });

  it('reach every client of the Lambda composition and of the CLI replay', async () => {
    const deps = composeAwsDependencies(
      { ...localEnvironment(), SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/r', EVENT_BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/b' },
      ALL_ADAPTERS,
    );
    const clients: Record<string, AnyClient> = {
      dynamo: deps.dynamo as unknown as AnyClient,
      'rds us-west-2': (deps.rds as unknown as { client: (r: string) => AnyClient }).client('us-west-2'),
      bus: clientOf(deps.bus),
      scheduler: clientOf(deps.scheduler),
      notifier: clientOf(deps.notifier),
      secrets: clientOf(deps.secrets),
      queue: clientOf(deps.queue),
      'replay (filtered)': clientOf(new AwsFilteredReplay({ eventBusName: 'b' })),
      'replay (archive)': clientOf(new AwsArchiveReplay()),
    };
    for (const [name, client] of Object.entries(clients)) expect(await handlerSettings(client), name).toEqual(EXPECTED);
  });
});

describe('a stalled endpoint', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers.
    server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });

  it('fails the call with a TimeoutError after the request timeout instead of hanging', async () => {
    const client = new EventBridgeClient({ ...sdkClientOptions({ region: 'us-east-1', maxAttempts: 1, requestTimeoutMs: 300 }), endpoint: `http://127.0.0.1:${port}` });
    const started = Date.now();
    const err = await client.send(new ListRulesCommand({})).catch((e: Error) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(10_000);
    client.destroy();
  });
});
