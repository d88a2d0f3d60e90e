import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDynamo, type LocalDynamo } from '../../src/lib/local/dynalite';
import { StateStore } from '../../src/lib/state-store';
import { AuditLog } from '../../src/lib/audit-log';
import { domainEvent } from '../../src/events/catalogue';
import type { OperationState } from '../../src/schemas/operation-state';

let dynamo: LocalDynamo;
let store: StateStore;
let seq = 0;
const t0 = new Date('2026-11-24T02:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

beforeAll(async () => {
  dynamo = await startLocalDynamo({ stateTable: 'state', auditTable: 'audit' });
  store = new StateStore({ dynamo: dynamo.client, tableName: 'state', ttlDays: 90 });
});
afterAll(() => dynamo.stop());

async function newOperation(): Promise<OperationState> {
  const id = `restore-20261124-020000-${String(seq++).padStart(6, 'a')}`;
  const state: OperationState = {
    operation_id: id,
    status: 'REQUESTED',
    start_time: t0.toISOString(),
    last_updated_time: t0.toISOString(),
    parameters: {
      source_region: 'us-east-1', target_region: 'us-west-2', target_cluster_id: `target-${seq}`, db_instance_class: 'db.r6g.large',
      vpc_security_group_ids: [], delete_existing: false, keep_snapshot: false, skip_final_snapshot: false,
    },
    snapshot_details: {},
    restore_details: {},
    error: null,
    next_step: 'SNAPSHOT_CHECK',
    steps: {},
    metrics: { error_count: 0, retry_count: 0 },
    expires_at: store.expiresAt(t0),
  };
  expect(await store.create(state)).toBe(true);
  return (await store.get(id))!;
}

describe('StateStore', () => {
  it('creates an operation once', async () => {
    const s = await newOperation();
    expect(await store.create(s)).toBe(false);
    expect(s.expires_at - Math.floor(t0.getTime() / 1000)).toBe(90 * 86400);
  });

  it('lets exactly one worker claim a step, and re-claim only after the lease expires', async () => {
    const s = await newOperation();
    const copyA = structuredClone(s);
    const copyB = structuredClone(s);
    const a = await store.claim(copyA, 'copy-snapshot', at(0), 60_000);
    const b = await store.claim(copyB, 'copy-snapshot', at(1), 60_000);
    expect(a).toBeDefined();
    expect(b).toBeUndefined();
    const fresh = (await store.get(s.operation_id))!;
    expect(store.view(fresh, 'copy-snapshot', at(30)).kind).toBe('busy');
    expect(store.view(fresh, 'copy-snapshot', at(61)).kind).toBe('open');
    const again = await store.claim(fresh, 'copy-snapshot', at(61), 60_000);
    expect(again).toBeDefined();
    expect((await store.get(s.operation_id))!.steps['copy-snapshot'].attempts).toBe(2);
    // the first worker lost its claim: its completion is refused
    const outcome = domainEvent('CopyStarted', s.operation_id, at(62), { target: { snapshotId: 'x', snapshotArn: 'arn:aws:rds:us-west-2:1:cluster-snapshot:x', region: 'us-west-2' } });
    expect(await store.complete(copyA, 'copy-snapshot', { token: a, now: at(62), outcome, status: 'COPY_IN_PROGRESS', nextStep: 'CHECK_COPY_STATUS' })).toBe(false);
  });

  it('records a completion once, with the patch, status and retries in one write', async () => {
    const s = await newOperation();
    const token = await store.claim(s, 'snapshot-check', at(0), 60_000);
    const outcome = domainEvent('TargetCleared', s.operation_id, at(5), { deleted: false });
    const input = { token, now: at(5), outcome, status: 'TARGET_CLEARED' as const, nextStep: 'RESTORE_SNAPSHOT', patch: { snapshot_details: { engine: 'aurora-postgresql' } }, retries: 2 };
    expect(await store.complete(s, 'snapshot-check', input)).toBe(true);
    expect(await store.complete(s, 'snapshot-check', input)).toBe(false);
    const after = (await store.get(s.operation_id))!;
    expect(after.status).toBe('TARGET_CLEARED');
    expect(after.snapshot_details.engine).toBe('aurora-postgresql');
    expect(after.metrics.retry_count).toBe(2);
    expect(after.steps['snapshot-check']).toMatchObject({ status: 'DONE', duration_seconds: 5, outcome: { type: 'TargetCleared' } });
    expect(store.view(after, 'snapshot-check', at(6)).kind).toBe('done');
  });

  it('finishes an operation exactly once and then refuses every claim', async () => {
    const s = await newOperation();
    const first = await store.finish(s.operation_id, { status: 'FAILED', now: at(10), error: { step: 'delete-rds', code: 'TargetExists', message: 'm', retryable: false } });
    const second = await store.finish(s.operation_id, { status: 'SUCCEEDED', now: at(11), error: null });
    expect(first.transitioned).toBe(true);
    expect(second.transitioned).toBe(false);
    expect(second.state!.status).toBe('FAILED');
    expect(second.state!.metrics.total_duration_seconds).toBe(10);
    expect(await store.claim(structuredClone(s), 'restore-snapshot', at(12), 1000)).toBeUndefined();
  });

  it('gives a target cluster to one live operation at a time, and takes over a lock left by an ended one', async () => {
    const a = await newOperation();
    const b = await newOperation();
    expect(await store.acquireLock('us-west-2', 'shared', a.operation_id, at(0))).toEqual({ acquired: true });
    expect(await store.acquireLock('us-west-2', 'shared', a.operation_id, at(0))).toEqual({ acquired: true });
    expect(await store.acquireLock('us-west-2', 'shared', b.operation_id, at(1))).toEqual({ acquired: false, holder: a.operation_id });
    await store.releaseLock('us-west-2', 'shared', b.operation_id); // not b's to release
    expect(await store.lockHolder('us-west-2', 'shared')).toBe(a.operation_id);
    await store.finish(a.operation_id, { status: 'FAILED', now: at(2), error: null });
    expect(await store.acquireLock('us-west-2', 'shared', b.operation_id, at(3))).toEqual({ acquired: true });
    expect(await store.operationForResource('us-west-2', 'shared')).toBe(b.operation_id);
  });

  it('claims the terminal notification once', async () => {
    const s = await newOperation();
    await store.finish(s.operation_id, { status: 'SUCCEEDED', now: at(1), error: null });
    const t1 = await store.claimNotification(s.operation_id, at(2), 60_000);
    expect(t1).toBeDefined();
    expect(await store.claimNotification(s.operation_id, at(3), 60_000)).toBeUndefined();
    await store.recordNotification(s.operation_id, { token: t1!, messageId: 'm-1', startedAt: at(2), now: at(3), outcome: 'SUCCEEDED' });
    expect(await store.claimNotification(s.operation_id, at(200), 60_000)).toBeUndefined();
    expect((await store.get(s.operation_id))!.notification?.message_id).toBe('m-1');
  });
});

describe('AuditLog', () => {
  it('keeps the trail in order, writes a repeated transition once and never stores a password', async () => {
    const audit = new AuditLog({ dynamo: dynamo.client, tableName: 'audit', ttlDays: 365 });
    const id = 'restore-20261124-020000-audit1';
    await audit.record({ operationId: id, at: at(2), step: 'copy-snapshot', type: 'COPY_STARTED', status: 'SUCCESS' });
    await audit.record({ operationId: id, at: at(1), step: 'snapshot-check', type: 'SNAPSHOT_VALIDATED', status: 'SUCCESS', details: { master_password: 'hunter2hunter2' } });
    await audit.record({ operationId: id, at: at(2), step: 'copy-snapshot', type: 'COPY_STARTED', status: 'SUCCESS' });
    const trail = await audit.trail(id);
    expect(trail.map((e) => e.event_type)).toEqual(['SNAPSHOT_VALIDATED', 'COPY_STARTED']);
    expect(JSON.stringify(trail)).not.toContain('hunter2');
    expect(trail[0].expires_at - Math.floor(at(1).getTime() / 1000)).toBe(365 * 86400);
  });
});
