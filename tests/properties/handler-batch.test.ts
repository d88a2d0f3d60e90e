import type { Context, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainEvent, EVENT_SOURCE } from '../../src/events/catalogue';
import { createHandler as copySnapshotHandler } from '../../src/handlers/copy-snapshot';
import { createHandler as snapshotCheckHandler } from '../../src/handlers/snapshot-check';
import { LocalPipeline } from '../../src/lib/local/pipeline';
import { newOperationId } from '../../src/schemas/identifiers';
import { restoreRequest } from '../../src/schemas/restore-request';

/**
 * A real step handler (middy stack from src/handlers) over a local pipeline's dependencies, given SQS
 * batches that mix good records with bad ones: a bad record never fails its neighbours, an invalid
 * request with a valid operation id gets its RestoreFailed, and nothing else is written for bad input.
 */
let p: LocalPipeline;
beforeAll(async () => {
  // Without the RDS call budget: its in-process waits sleep on the virtual clock, which nothing drives here,
  // and would outlive the test (what is under test is the batch, not the budget: tests/local/rds-budget.test.ts).
  p = await LocalPipeline.open({ env: { RDS_CALLS_PER_SECOND: '0' } });
});
afterAll(async () => {
  await p?.close();
});

const context = { functionName: 'test', getRemainingTimeInMillis: () => 300_000 } as unknown as Context;
let n = 0;
const record = (body: string): SQSRecord => ({
  messageId: `m-${++n}`,
  receiptHandle: `r-${n}`,
  body,
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:aurora-restore-snapshot-check',
  awsRegion: 'us-east-1',
});
const envelope = (type: string, detail: unknown) =>
  JSON.stringify({ version: '0', id: `e-${n}`, 'detail-type': type, source: EVENT_SOURCE, account: '123456789012', time: '2026-11-24T02:00:00Z', region: 'us-east-1', resources: [], detail });

const goodRequest = (i: number) => {
  const operationId = newOperationId(p.clock.now());
  const request = p.request({ targetRegion: 'us-east-1', targetClusterId: `batch-${i}`, subnetGroup: undefined, deleteExisting: false });
  return { operationId, body: envelope('RestoreRequested', domainEvent('RestoreRequested', operationId, p.clock.now(), { request }).detail) };
};

const VALID = { sourceClusterId: 'aurora-prod', sourceRegion: 'us-east-1', targetRegion: 'us-east-1', targetClusterId: 'aurora-dev' };

/** Bad records: broken JSON, wrong shapes, foreign sources, and invalid requests that carry a valid operation id. */
const badRecord = fc.oneof(
  fc.string().map((s) => ({ body: s, answered: undefined as string | undefined })),
  fc.constantFrom('{', '[]', 'null', '{"detail-type":"RestoreRequested"}', '{"source":"aws.ec2","detail":{}}').map((body) => ({ body, answered: undefined as string | undefined })),
  fc
    .record({
      field: fc.constantFrom('targetClusterId', 'sourceRegion', 'snapshotDate', 'instanceClass'),
      value: fc.constantFrom('"; DROP TABLE users; --', 'mars-north-1', '2026-02-30', 42, null, 'a'.repeat(300), 'клaстер'),
    })
    // only combinations that really are invalid (mars-north-1 is a fine cluster name, for instance)
    .filter(({ field, value }) => !restoreRequest.safeParse({ ...VALID, [field]: value }).success)
    .map(({ field, value }) => {
      const operationId = newOperationId(new Date('2026-11-24T02:00:00Z'));
      const request = { ...VALID, [field]: value };
      return { body: envelope('RestoreRequested', { operationId, occurredAt: '2026-11-24T02:00:00.000Z', schemaVersion: 1, request }), answered: operationId };
    }),
  fc.constant({ body: envelope('RestoreRequested', { occurredAt: '2026-11-24T02:00:00.000Z', schemaVersion: 1, request: {} }), answered: undefined as string | undefined }),
);

describe('an SQS batch mixing good and bad records (snapshot-check handler)', () => {
  it('bad records are consumed, never retried, and never fail their neighbours; good ones are processed', async () => {
    const handler = snapshotCheckHandler(() => p.deps);
    let batch = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(badRecord, { minLength: 1, maxLength: 5 }), fc.nat({ max: 5 }), async (bad, position) => {
        batch++;
        const good = [goodRequest(batch * 2), goodRequest(batch * 2 + 1)];
        const records = bad.map((b) => record(b.body));
        records.splice(Math.min(position, records.length), 0, record(good[0].body));
        records.push(record(good[1].body));
        const before = p.bus.archive.list().length;

        const response = await handler({ Records: records }, context);

        expect(response?.batchItemFailures ?? []).toEqual([]);
        for (const g of good) expect((await p.status(g.operationId))?.parameters.target_cluster_id).toMatch(/^batch-/);
        const published = p.bus.archive.list().slice(before);
        for (const b of bad) {
          if (!b.answered) continue;
          // the invalid request is answered with RestoreFailed InvalidRequest naming the field, and no operation item
          const failed = published.find((e) => e['detail-type'] === 'RestoreFailed' && (e.detail as { operationId: string }).operationId === b.answered);
          expect(failed?.detail).toMatchObject({ code: 'InvalidRequest', step: 'snapshot-check' });
          expect((failed!.detail as { message: string }).message).toMatch(/detail\.request\.(targetClusterId|sourceRegion|snapshotDate|instanceClass)/);
          expect(await p.status(b.answered)).toBeUndefined();
        }
        // nothing but the good operations and the answers was published
        const owners = new Set(published.map((e) => (e.detail as { operationId?: string }).operationId));
        for (const id of owners) expect([...good.map((g) => g.operationId), ...bad.map((b) => b.answered)]).toContain(id);
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  it('the answered invalid request ends FAILED InvalidRequest with one notification', async () => {
    const operationId = newOperationId(p.clock.now());
    const body = envelope('RestoreRequested', { operationId, occurredAt: p.clock.now().toISOString(), schemaVersion: 1, request: { sourceClusterId: 'aurora-prod', sourceRegion: 'us-east-1', targetRegion: 'mars-north-1', targetClusterId: 'x' } });
    await snapshotCheckHandler(() => p.deps)({ Records: [record(body)] }, context);
    await p.runUntilTerminal([operationId]);
    const state = (await p.status(operationId))!;
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ code: 'InvalidRequest' });
    expect(state.error!.message).toContain('detail.request.targetRegion');
    expect((await p.outbox.list()).filter((m) => m.attributes.operation_id === operationId)).toHaveLength(1);
  }, 60_000);
});

describe('a record that must be retried (copy-snapshot handler)', () => {
  it('is the only one reported in batchItemFailures', async () => {
    const unknown = newOperationId(p.clock.now());
    const retried = record(
      envelope('SnapshotValidated', domainEvent('SnapshotValidated', unknown, p.clock.now(), {
        snapshot: { snapshotId: 'rds:aurora-prod-2026-11-23-00-05', snapshotArn: 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:aurora-prod-2026-11-23-00-05', region: 'us-east-1', sourceClusterId: 'aurora-prod', status: 'available', encrypted: false, engine: 'aurora-postgresql', createdAt: '2026-11-23T00:05:00.000Z' },
      }).detail),
    );
    const malformed = record('{"not":"an event"}');
    const response = await copySnapshotHandler(() => p.deps)({ Records: [malformed, retried] }, context);
    // an operation not found yet may be a reordering: SQS retries it; the malformed one is consumed
    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: retried.messageId }]);
  });
});
