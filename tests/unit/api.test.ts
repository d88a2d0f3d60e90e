import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventSchemas } from '../../src/events/catalogue';
import { createHandler as createApiHandler } from '../../src/handlers/api';
import { createHandler as createNightlyHandler } from '../../src/handlers/nightly';
import { AwsEventBus } from '../../src/lib/aws/event-bus';
import type { Dependencies } from '../../src/lib/dependencies';
import { VirtualClock } from '../../src/lib/local/clock';
import { startLocalDynamo, type LocalDynamo } from '../../src/lib/local/dynalite';
import { StateStore } from '../../src/lib/state-store';
import { localEnvironment, loadConfig } from '../../src/schemas/config';
import { operationId as operationIdSchema } from '../../src/schemas/identifiers';
import type { OperationState } from '../../src/schemas/operation-state';
import { TEST_CREDENTIALS } from '../aws/sdk-test-env';

const T0 = new Date('2026-11-24T02:00:00Z');
const CALLER = 'arn:aws:iam::123456789012:user/alice';
const VALID = {
  sourceClusterId: 'aurora-prod',
  sourceRegion: 'us-east-1',
  targetRegion: 'us-west-2',
  targetClusterId: 'aurora-staging',
  deleteExisting: true,
};

let dynamo: LocalDynamo;
let store: StateStore;
const eventBridge = mockClient(EventBridgeClient);
let deps: Dependencies;

beforeAll(async () => {
  dynamo = await startLocalDynamo({ stateTable: 'state', auditTable: 'audit' });
  store = new StateStore({ dynamo: dynamo.client, tableName: 'state', ttlDays: 90 });
  const config = loadConfig(localEnvironment({ DYNAMODB_TABLE_NAME: 'state', AUDIT_TABLE_NAME: 'audit', EVENT_BUS_NAME: 'aurora-restore-test' }));
  const clock = new VirtualClock({ start: T0 });
  const bus = new AwsEventBus({ eventBusName: config.EVENT_BUS_NAME, client: new EventBridgeClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS }), clock });
  // The handlers read only these: the bus, the clock, DynamoDB (dynalite here) and the table names.
  deps = { config, clock, bus, dynamo: dynamo.client, logger: { debug() {}, info() {}, warn() {}, error() {} } } as unknown as Dependencies;
});
afterAll(() => dynamo.stop());
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const api = () => createApiHandler(() => deps);

function httpEvent(routeKey: string, init: { body?: string; id?: string; base64?: boolean } = {}): APIGatewayProxyEventV2WithIAMAuthorizer {
  return {
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1]!.replace('{id}', init.id ?? ''),
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: init.body,
    isBase64Encoded: init.base64 ?? false,
    pathParameters: init.id !== undefined ? { id: init.id } : undefined,
    requestContext: { authorizer: { iam: { userArn: CALLER } } },
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
}

function putEntries(): PutEventsRequestEntry[] {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
}

describe('POST /restores', () => {
  it('validates the body, puts RestoreRequested on the pipeline bus and answers 202 with the operation id', async () => {
    const res = await api()(httpEvent('POST /restores', { body: JSON.stringify(VALID) }));
    expect(res.statusCode).toBe(202);
    const { operationId } = JSON.parse(res.body as string);
    expect(operationIdSchema.safeParse(operationId).success).toBe(true);

    const [entry, ...more] = putEntries();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ Source: 'aurora.restore', DetailType: 'RestoreRequested', EventBusName: 'aurora-restore-test' });
    const detail = eventSchemas.RestoreRequested.parse(JSON.parse(entry!.Detail!));
    expect(detail.operationId).toBe(operationId);
    expect(detail.occurredAt).toBe(T0.toISOString());
    // The request as the schema outputs it (defaults applied), attributed to the IAM caller. The instance class
    // stays unset: the operation picks db.r6g.large, or db.serverless when the request sets cluster.serverless.
    expect(detail.request).toMatchObject({ ...VALID, keepSnapshot: false, requestedBy: CALLER });
    expect(detail.request.instanceClass).toBeUndefined();
  });

  it('keeps requestedBy when the body names one, and accepts a base64-encoded body', async () => {
    const body = Buffer.from(JSON.stringify({ ...VALID, requestedBy: 'nightly-ops' })).toString('base64');
    const res = await api()(httpEvent('POST /restores', { body, base64: true }));
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(putEntries()[0]!.Detail!).request.requestedBy).toBe('nightly-ops');
  });

  it('carries strategy, source and restoreTime to the pipeline, and refuses a cross-region clone naming the field', async () => {
    const swap = { ...VALID, targetRegion: 'us-east-1', strategy: 'swap', source: 'point-in-time', restoreTime: '2026-11-24T01:00:00Z' };
    const res = await api()(httpEvent('POST /restores', { body: JSON.stringify(swap) }));
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(putEntries()[0]!.Detail!).request).toMatchObject({ strategy: 'swap', source: 'point-in-time', restoreTime: '2026-11-24T01:00:00Z' });
    const refused = await api()(httpEvent('POST /restores', { body: JSON.stringify({ ...VALID, source: 'clone' }) }));
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body as string).message).toMatch(/region/);
    expect(putEntries()).toHaveLength(1);
  });

  it('answers 400 naming the bad field, and puts nothing on the bus', async () => {
    const { targetClusterId: _, ...missing } = VALID;
    const res = await api()(httpEvent('POST /restores', { body: JSON.stringify({ ...missing, sourceRegion: 'mars-north-1' }) }));
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body as string);
    expect(body.error).toBe('InvalidRequest');
    expect(body.message).toContain('targetClusterId:');
    expect(body.message).toContain('sourceRegion:');
    expect(putEntries()).toEqual([]);
  });

  it('answers 400 when the body is not JSON', async () => {
    const res = await api()(httpEvent('POST /restores', { body: '{"sourceRegion":' }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).message).toMatch(/^body: expected a JSON restore request/);
    expect(putEntries()).toEqual([]);
  });

  it('fails the invocation (API Gateway answers 5xx) when EventBridge keeps rejecting the event', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    const clock = deps.clock as VirtualClock;
    const pending = api()(httpEvent('POST /restores', { body: JSON.stringify(VALID) })).then(
      () => undefined,
      (e: Error) => e,
    );
    // AwsEventBus waits between its retries on the (virtual) clock: let them pass.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advanceTo(clock.now().getTime() + 10_000);
    }
    expect((await pending)?.message).toMatch(/PutEvents: 1 entry failed: RestoreRequested \(InternalFailure/);
  });
});

describe('GET /restores/{id}', () => {
  it('returns the operation state as stored', async () => {
    const id = 'restore-20261124-020000-apitst';
    const state: OperationState = {
      operation_id: id,
      status: 'REQUESTED',
      start_time: T0.toISOString(),
      last_updated_time: T0.toISOString(),
      parameters: {
        source_region: 'us-east-1',
        target_region: 'us-west-2',
        target_cluster_id: 'aurora-staging',
        db_instance_class: 'db.r6g.large',
        vpc_security_group_ids: [],
        delete_existing: false,
        keep_snapshot: false,
        skip_final_snapshot: false,
      },
      snapshot_details: {},
      restore_details: {},
      error: null,
      next_step: 'SNAPSHOT_CHECK',
      steps: {},
      metrics: { error_count: 0, retry_count: 0 },
      expires_at: store.expiresAt(T0),
    };
    await store.create(state);
    const res = await api()(httpEvent('GET /restores/{id}', { id }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body as string)).toEqual(await store.get(id));
  });

  it('answers 404 for an operation that does not exist', async () => {
    const res = await api()(httpEvent('GET /restores/{id}', { id: 'restore-20261124-020000-nosuch' }));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body as string)).toEqual({ error: 'NotFound', message: 'operation restore-20261124-020000-nosuch not found' });
  });

  it('never serves the lock and index items that share the table (400: not an operation id)', async () => {
    await store.acquireLock('us-west-2', 'aurora-staging', 'restore-20261124-020000-holder', T0);
    const res = await api()(httpEvent('GET /restores/{id}', { id: 'lock#us-west-2#aurora-staging' }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string).message).toMatch(/^id: expected an operation id/);
  });
});

describe('nightly (recurring restore)', () => {
  it('turns the schedule input into RestoreRequested with a fresh operation id each time', async () => {
    const nightly = createNightlyHandler(() => deps);
    const first = await nightly(VALID);
    const second = await nightly(VALID);
    expect(first.operationId).not.toBe(second.operationId);
    const details = putEntries().map((e) => eventSchemas.RestoreRequested.parse(JSON.parse(e.Detail!)));
    expect(details.map((d) => d.operationId)).toEqual([first.operationId, second.operationId]);
    expect(details[0]!.request.requestedBy).toBe('nightly-schedule');
  });

  it('rejects an invalid schedule input naming the field (the schedule retries, then alarms)', async () => {
    const nightly = createNightlyHandler(() => deps);
    await expect(nightly({ ...VALID, targetClusterId: 'Not Valid!' })).rejects.toThrow(/targetClusterId:/);
    expect(putEntries()).toEqual([]);
  });
});
