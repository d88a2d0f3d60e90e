import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../src/events/catalogue';
import { RDS_EVENT_IDS, RDS_SOURCE } from '../../src/events/rds';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { rdsFault } from '../../src/lib/local/rds';
import { RetryLaterError, StepBusyError, handBackSeconds } from '../../src/lib/hand-back';
import { runStep } from '../../src/lib/step-runner';
import { snapshotCheck } from '../../src/lib/steps/snapshot-check';
import { CROSS_REGION, SAME_REGION, TestWorld, failingRds, sqsRecord, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const totalCalls = (w: TestWorld) => Object.values(w.sim.calls).reduce((a, b) => a + b, 0);

describe('runStep: idempotency by (operation, step)', () => {
  it('a duplicate of a DONE step\'s trigger republishes the recorded outcome and does not call RDS again', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    const validated = await w.advance(id, 'copy-snapshot');
    await w.run('copy-snapshot', validated);
    const calls = totalCalls(w);
    w.clock.advanceBy(60_000);
    await w.run('copy-snapshot', validated); // a duplicate, or a replay from the archive
    const started = w.publishedOf(id, 'CopyStarted');
    expect(started).toHaveLength(2);
    expect(started[1].detail).toEqual(started[0].detail); // same detail, same occurredAt
    expect(totalCalls(w)).toBe(calls);
    expect(w.metrics.counts['Republished.copy-snapshot']).toBe(1);
    expect((await w.state(id)).steps['copy-snapshot'].attempts).toBe(1);
  });

  it('a RecheckDue or an RDS event for a DONE wait step does nothing', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    await w.advance(id, 'setup-db-users'); // check-restore-status is DONE
    const instanceCreated = w.envelopes().find(
      (e) => e.source === RDS_SOURCE && (e.detail as { EventID: string }).EventID === RDS_EVENT_IDS.instanceCreated,
    )!;
    expect(instanceCreated).toBeDefined();
    const calls = totalCalls(w);
    const schedules = w.scheduler.pending().length;
    const recheck = await w.publish('RecheckDue', id, { check: 'restore', attempt: 4 });
    const events = w.envelopes().length;
    await w.run('check-restore-status', recheck);
    await w.run('check-restore-status', instanceCreated);
    expect(totalCalls(w)).toBe(calls);
    expect(w.envelopes().length).toBe(events);
    expect(w.scheduler.pending().length).toBe(schedules);
  });

  it('a claimed step with a live lease is busy (the message is retried); an expired lease is re-claimed', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const completed = await w.advance(id, 'delete-rds');
    expect(await w.store.claim(await w.state(id), 'delete-rds', w.clock.now(), w.deps.config.LAMBDA_TIMEOUT_SECONDS * 1000)).toBeDefined();

    w.clock.advanceBy(w.deps.config.LAMBDA_TIMEOUT_SECONDS * 1000 - 1000);
    await expect(w.run('delete-rds', completed)).rejects.toBeInstanceOf(StepBusyError);
    expect(w.publishedOf(id, 'TargetCleared')).toHaveLength(0);

    w.clock.advanceBy(2000); // the first worker's lease has run out: it crashed
    await w.run('delete-rds', completed);
    expect(w.publishedOf(id, 'TargetCleared')).toHaveLength(1);
    expect((await w.state(id)).steps['delete-rds']).toMatchObject({ status: 'DONE', attempts: 2 });
  });

  it('a terminal operation ignores everything', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    const validated = await w.advance(id, 'copy-snapshot');
    await w.store.finish(id, { status: 'FAILED', now: w.clock.now(), error: { step: 'watchdog', code: 'Timeout', message: 'too slow', retryable: true } });
    const calls = totalCalls(w);
    const events = w.envelopes().length;
    await w.run('copy-snapshot', validated);
    await w.run('check-copy-status', await w.publish('RecheckDue', id, { check: 'copy', attempt: 1 }));
    expect(totalCalls(w)).toBe(calls);
    expect(w.envelopes().length).toBe(events + 1);
    expect((await w.state(id)).steps['copy-snapshot']).toBeUndefined();
  });

  it('an event for an operation not written yet is retried; a stray RDS event is dropped', async () => {
    const w = await TestWorld.create(dynamo);
    const orphan = await w.publish('SnapshotValidated', 'restore-20261124-020000-nobody', {
      snapshot: {
        snapshotId: 'prod-manual-1',
        snapshotArn: 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:prod-manual-1',
        region: 'us-east-1',
        sourceClusterId: 'aurora-prod',
        status: 'available',
        encrypted: false,
        engine: 'aurora-postgresql',
        createdAt: '2026-11-24T01:00:00.000Z',
      },
    });
    await expect(w.run('copy-snapshot', orphan)).rejects.toThrow('operation restore-20261124-020000-nobody not found');
    // An RDS event about a resource no operation owns.
    await w.rds.deleteInstance('us-west-2', 'analytics-writer');
    w.settleRds();
    const deleted = w.envelopes().find((e) => e.source === RDS_SOURCE)!;
    await expect(w.run('check-delete-status', deleted)).resolves.toBeUndefined();
  });
});

describe('runStep: invalid events', () => {
  it('an invalid RestoreRequested with a valid operationId is answered with RestoreFailed InvalidRequest', async () => {
    const w = await TestWorld.create(dynamo);
    const operationId = 'restore-20261124-020000-badreq';
    w.bus.putEvents([
      {
        Source: EVENT_SOURCE,
        DetailType: 'RestoreRequested',
        Detail: JSON.stringify({ operationId, occurredAt: '2026-11-24T02:00:00.000Z', schemaVersion: 1, request: { ...SAME_REGION, targetRegion: 'mars-north-1' } }),
      },
    ]);
    await w.run('snapshot-check', w.envelopes().at(-1)!);
    const [failed] = w.publishedOf(operationId, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'snapshot-check', code: 'InvalidRequest', retryable: false });
    expect(failed.detail.message).toContain('detail.request.targetRegion');
    expect(await w.store.get(operationId)).toBeUndefined(); // sns-notification records it
    expect(w.metrics.counts['InvalidEvents.snapshot-check']).toBe(1);
  });

  it('an unreadable message is dropped (not retried forever), and nothing is published', async () => {
    const w = await TestWorld.create(dynamo);
    await expect(w.drive(runStep(snapshotCheck, w.deps, sqsRecord('{not json')))).resolves.toBeUndefined();
    expect(w.metrics.counts['InvalidEvents.snapshot-check']).toBe(1);
    expect(w.envelopes()).toHaveLength(0);
  });
});

describe('runStep: errors', () => {
  it('an unknown error (a plain Error from the RDS client) is rethrown so SQS retries; the step stays claimed', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const completed = await w.advance(id, 'delete-rds');
    w.deps.rds = failingRds(w.rds, 'describeCluster', () => new Error('socket hang up'));
    await expect(w.run('delete-rds', completed)).rejects.toThrow('socket hang up');
    expect(w.publishedOf(id, 'RestoreFailed')).toHaveLength(0);
    expect((await w.state(id)).steps['delete-rds']).toMatchObject({ status: 'RUNNING' });
  });

  it('a known fault ends the step FAILED with RestoreFailed carrying its code', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const completed = await w.advance(id, 'delete-rds');
    w.deps.rds = failingRds(w.rds, 'describeCluster', () => rdsFault('AccessDenied', 'User is not authorized to perform rds:DescribeDBClusters', 403));
    await w.run('delete-rds', completed);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'delete-rds', code: 'AccessDenied', retryable: false });
    expect(failed.detail.message).toContain('rds:DescribeDBClusters');
    const state = await w.state(id);
    expect(state.steps['delete-rds']).toMatchObject({ status: 'FAILED', error: { code: 'AccessDenied' }, outcome: { type: 'RestoreFailed' } });
    expect(state.metrics.error_count).toBe(1);
    expect(w.metrics.counts['StepFailures.delete-rds']).toBe(1);
    // A duplicate of the trigger republishes the same failure.
    await w.run('delete-rds', completed);
    const again = w.publishedOf(id, 'RestoreFailed');
    expect(again).toHaveLength(2);
    expect(again[1].detail).toEqual(again[0].detail);
  });

  it('throttling is retried with backoff on the virtual clock and counted', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const completed = await w.advance(id, 'delete-rds');
    w.editWorld(undefined, { rateLimit: { perSecond: 1, burst: 1 } });
    await w.rds.describeCluster('us-east-1', 'restored'); // someone else used this second's token
    const before = w.clock.now().getTime();
    await w.run('delete-rds', completed);
    expect(w.publishedOf(id, 'TargetCleared')).toHaveLength(1);
    expect(w.sim.throttled).toBe(1);
    // equal jitter: between half and all of RETRY_INTERVAL_SECONDS
    const waited = w.clock.now().getTime() - before;
    expect(waited).toBeGreaterThanOrEqual(w.deps.config.RETRY_INTERVAL_SECONDS * 500);
    expect(waited).toBeLessThanOrEqual(w.deps.config.RETRY_INTERVAL_SECONDS * 1000);
    expect(w.metrics.counts['Retries.delete-rds']).toBe(1);
    expect((await w.state(id)).metrics.retry_count).toBe(1);
  });

  it('throttling that outlasts MAX_RETRIES in an action step hands the message back to SQS (no RestoreFailed), retries counted', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    const completed = await w.advance(id, 'delete-rds');
    w.editWorld(undefined, { apiFaults: { throttleRate: 1, transientRate: 0 } });
    const before = w.clock.now().getTime();
    const describes = w.sim.calls.DescribeDBClusters;
    const error = await w.run('delete-rds', completed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).cause).toMatchObject({ name: 'Throttling' });
    const { MAX_RETRIES, RETRY_INTERVAL_SECONDS: i, RETRY_BACKOFF_RATE: b } = w.deps.config;
    expect(w.sim.calls.DescribeDBClusters - describes).toBe(MAX_RETRIES + 1);
    const backoff = Array.from({ length: MAX_RETRIES }, (_, n) => i * 1000 * b ** n).reduce((x, y) => x + y, 0);
    const waited = w.clock.now().getTime() - before;
    expect(waited).toBeGreaterThanOrEqual(backoff / 2); // 3 + 6 + 12 s with the defaults, jittered
    expect(waited).toBeLessThanOrEqual(backoff);
    expect(w.publishedOf(id, 'RestoreFailed')).toHaveLength(0);
    expect(w.metrics.counts['Redeliveries.delete-rds']).toBe(1);
    const state = await w.state(id);
    expect(state).toMatchObject({ metrics: { retry_count: MAX_RETRIES, error_count: 0 } });
    expect(state.steps['delete-rds'].status).toBe('RUNNING');
    // The claim was released with the hand-back: the redelivery need not wait out the lease.
    expect(Date.parse(state.steps['delete-rds'].lease_until!)).toBeLessThanOrEqual(w.clock.now().getTime());

    // once RDS answers again, the redelivered message completes the step
    w.editWorld(undefined, { apiFaults: { throttleRate: 0, transientRate: 0 } });
    w.clock.advanceBy(handBackSeconds(error, 1, w.clock.now(), () => 1)! * 1000);
    await w.run('delete-rds', completed);
    expect(w.publishedOf(id, 'TargetCleared')).toHaveLength(1);
    expect((await w.state(id)).steps['delete-rds']).toMatchObject({ status: 'DONE', attempts: 2 });
  });

  it('a wait step whose check is throttled past MAX_RETRIES simply checks again later', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    await w.advance(id, 'check-restore-status');
    w.deps.rds = failingRds(w.rds, 'describeCluster', () => rdsFault('Throttling', 'Rate exceeded', 400));
    await w.run('check-restore-status', await w.dueRecheck(id, 'check-restore-status'));
    expect(w.publishedOf(id, 'RestoreFailed')).toHaveLength(0);
    expect(JSON.parse(w.handedBack.sent.at(-1)!.body).detail).toMatchObject({ check: 'restore', attempt: 1 });
    const trail = await w.audit.trail(id);
    expect(trail.find((e) => e.event_type === 'CHECK_DEFERRED')?.details).toMatchObject({ code: 'Throttled' });
  });
});

describe('runStep: RDS events find their operation', () => {
  it('by the operation tag on resources the pipeline created', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(SAME_REGION);
    await w.advance(id, 'check-restore-status');
    w.settleRds();
    const clusterCreated = w.envelopes().find((e) => e.source === RDS_SOURCE && (e.detail as { EventID: string }).EventID === RDS_EVENT_IDS.clusterCreated)!;
    expect((clusterCreated.detail as { Tags: Record<string, string> }).Tags['aurora-restore:operation-id']).toBe(id);
    await w.run('check-restore-status', clusterCreated);
    // The cluster event woke the step, which created the writer (cluster now available); the writer's event finishes it.
    expect(w.sim.calls.CreateDBInstance).toBe(1);
    w.settleRds();
    const writerCreated = w.envelopes().find((e) => e.source === RDS_SOURCE && (e.detail as { EventID: string }).EventID === RDS_EVENT_IDS.instanceCreated)!;
    expect((writerCreated.detail as { Tags: Record<string, string> }).Tags['aurora-restore:operation-id']).toBe(id);
    await w.run('check-restore-status', writerCreated);
    expect(w.publishedOf(id, 'ClusterAvailable')).toHaveLength(1);
    expect(w.scheduler.pending().some((s) => s.name.startsWith(`${id}-restore-`))).toBe(false);
  });
});
