import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { StepBusyError } from '../../src/lib/hand-back';
import { copiedSnapshotId } from '../../src/lib/steps/names';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../src/lib/tags';
import { CROSS_REGION, KEY_WEST, SAME_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

const SOURCE = 'rds:aurora-prod-2026-11-23-00-05';

describe('copy-snapshot', () => {
  it('same region: nothing to copy, CopyCompleted (skipped) with the source snapshot', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request({ ...SAME_REGION, snapshotDate: '2026-11-23' });
    await w.advance(id, 'copy-snapshot');
    const r = await w.decide('copy-snapshot', id);
    expect(r).toMatchObject({
      kind: 'done',
      status: 'COPY_COMPLETED',
      next: 'delete-rds',
      event: {
        type: 'CopyCompleted',
        detail: { skipped: true, snapshot: { snapshotId: SOURCE, snapshotArn: `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${SOURCE}`, region: 'us-east-1' } },
      },
      patch: { snapshot_details: { copied: false, target_snapshot_id: SOURCE } },
    });
    expect(w.sim.calls.CopyDBClusterSnapshot).toBe(0);
  });

  it('cross region: a deterministic target id, the target region\'s KMS key, our tags', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    const validated = await w.advance(id, 'copy-snapshot');
    await w.run('copy-snapshot', validated);

    const targetId = copiedSnapshotId(id, SOURCE);
    expect(targetId).toBe(`aurora-restore-${id.slice(-6)}-aurora-prod-2026-11-23-00-05`);
    const [started] = w.publishedOf(id, 'CopyStarted');
    expect(started.detail.target).toEqual({ snapshotId: targetId, snapshotArn: `arn:aws:rds:us-west-2:123456789012:cluster-snapshot:${targetId}`, region: 'us-west-2' });
    const copy = await w.rds.describeClusterSnapshot('us-west-2', targetId);
    expect(copy).toMatchObject({ status: 'copying', encrypted: true, kmsKeyId: KEY_WEST });
    expect(copy!.tags).toEqual({ [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: id });
    const state = await w.state(id);
    expect(state).toMatchObject({ status: 'COPY_IN_PROGRESS', next_step: 'CHECK_COPY_STATUS', snapshot_details: { copied: true, target_snapshot_id: targetId } });
  });

  it('an encrypted snapshot with no key configured for the target region fails KmsKeyNotAccessible, copying nothing', async () => {
    const w = await TestWorld.create(dynamo, { env: { TARGET_KMS_KEYS: '' } });
    const { id } = await w.request(CROSS_REGION);
    const validated = await w.advance(id, 'copy-snapshot');
    await w.run('copy-snapshot', validated);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'copy-snapshot', code: 'KmsKeyNotAccessible', retryable: false });
    expect(failed.detail.message).toContain('TARGET_KMS_KEYS=us-west-2=');
    expect(w.sim.calls.CopyDBClusterSnapshot).toBe(0);
  });

  it('a configured key RDS cannot use fails KmsKeyNotAccessible (the AWS fault, classified)', async () => {
    const w = await TestWorld.create(dynamo, { env: { TARGET_KMS_KEYS: 'us-west-2=arn:aws:kms:us-west-2:123456789012:key/not-ours' } });
    const { id } = await w.request(CROSS_REGION);
    await w.run('copy-snapshot', await w.advance(id, 'copy-snapshot'));
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'copy-snapshot', code: 'KmsKeyNotAccessible' });
    expect(failed.detail.message).toContain('key/not-ours');
    expect((await w.state(id)).steps['copy-snapshot']).toMatchObject({ status: 'FAILED' });
  });

  it('a repeat after a crash finds its own copy (our tag) and succeeds without copying twice', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    const validated = await w.advance(id, 'copy-snapshot');
    const targetId = copiedSnapshotId(id, SOURCE);

    // The first invocation claimed the step and started the copy, then died before recording it.
    const state = await w.state(id);
    expect(await w.store.claim(state, 'copy-snapshot', w.clock.now(), w.deps.config.LAMBDA_TIMEOUT_SECONDS * 1000)).toBeDefined();
    await w.rds.copyClusterSnapshot({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      sourceSnapshotArn: state.snapshot_details.snapshot_arn!,
      targetSnapshotId: targetId,
      kmsKeyId: KEY_WEST,
      tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: id },
    });

    // While its lease lives the redelivered message is retried later...
    await expect(w.run('copy-snapshot', validated)).rejects.toBeInstanceOf(StepBusyError);
    // ...after it expires, the step is claimed again and recognises the copy.
    w.clock.advanceBy(w.deps.config.LAMBDA_TIMEOUT_SECONDS * 1000 + 1000);
    await w.run('copy-snapshot', validated);

    expect(w.publishedOf(id, 'CopyStarted')).toHaveLength(1);
    expect(w.publishedOf(id, 'RestoreFailed')).toHaveLength(0);
    expect(w.sim.calls.CopyDBClusterSnapshot).toBe(2); // the crashed one and the refused repeat
    expect(w.sim.history.filter((h) => h.kind === 'snapshot' && h.id === targetId && h.from === null)).toHaveLength(1);
    expect((await w.state(id)).steps['copy-snapshot']).toMatchObject({ status: 'DONE', attempts: 2 });
  });

  it('an existing copy WITHOUT our operation tag is not ours: CopyFailed', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await w.request(CROSS_REGION);
    await w.advance(id, 'copy-snapshot');
    const state = await w.state(id);
    await w.rds.copyClusterSnapshot({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      sourceSnapshotArn: state.snapshot_details.snapshot_arn!,
      targetSnapshotId: copiedSnapshotId(id, SOURCE),
      kmsKeyId: KEY_WEST,
      tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: 'restore-20261101-000000-other1' },
    });
    const r = await w.decide('copy-snapshot', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'CopyFailed' });
    expect(r.kind === 'failed' && r.message).toContain('was not made by this operation');
  });
});
