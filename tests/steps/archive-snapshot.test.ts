import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { CROSS_REGION, SAME_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

/**
 * An operation whose cluster is available (setup-db-users, which needs a database, is not run: the
 * decision of archive-snapshot reads only the state), with `UsersConfigured` on the bus as its trigger.
 */
async function usersConfigured(w: TestWorld, request: Record<string, unknown>) {
  const { id } = await w.request(request);
  await w.advance(id, 'setup-db-users');
  const trigger = await w.publish('UsersConfigured', id, { users: ['app'], masterSecretName: `aurora-restore/clusters/${request.targetClusterId}/master`, strategy: 'replace' });
  const state = await w.state(id);
  return { id, trigger, state, copyId: state.snapshot_details.target_snapshot_id! };
}

describe('archive-snapshot', () => {
  it('a copied snapshot not asked to be kept is deleted; RestoreSucceeded says so', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, trigger, state, copyId } = await usersConfigured(w, CROSS_REGION);
    expect(state.snapshot_details.copied).toBe(true);
    await w.run('archive-snapshot', trigger);
    expect(await w.rds.describeClusterSnapshot('us-west-2', copyId)).toBeUndefined();
    const [succeeded] = w.publishedOf(id, 'RestoreSucceeded');
    expect(succeeded.detail).toMatchObject({ clusterId: 'staging', region: 'us-west-2', writerEndpoint: state.restore_details.writer_endpoint, snapshotArchive: 'deleted' });
    expect((await w.state(id)).snapshot_details.archive).toBe('deleted');
  });

  it('keepSnapshot: the copy is retained', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, copyId } = await usersConfigured(w, { ...CROSS_REGION, keepSnapshot: true });
    const r = await w.decide('archive-snapshot', id);
    expect(r).toMatchObject({ kind: 'done', event: { type: 'RestoreSucceeded', detail: { snapshotArchive: 'retained' } }, audit: { type: 'SNAPSHOT_RETAINED' } });
    expect((await w.rds.describeClusterSnapshot('us-west-2', copyId))!.status).toBe('available');
    expect(w.sim.calls.DeleteDBClusterSnapshot).toBe(0);
  });

  it('same region: nothing was copied, the source snapshot is not ours to delete', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, copyId } = await usersConfigured(w, SAME_REGION);
    expect(copyId).toBe('rds:aurora-prod-2026-11-24-00-05');
    const r = await w.decide('archive-snapshot', id);
    expect(r).toMatchObject({ kind: 'done', event: { detail: { snapshotArchive: 'not-copied' } }, audit: { type: 'SNAPSHOT_NOT_COPIED' } });
    expect(w.sim.calls.DeleteDBClusterSnapshot).toBe(0);
    expect(await w.rds.describeClusterSnapshot('us-east-1', copyId)).toBeDefined();
  });

  it('a copy that is already gone (a retry, or someone deleted it) still succeeds', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, copyId } = await usersConfigured(w, CROSS_REGION);
    await w.rds.deleteClusterSnapshot('us-west-2', copyId);
    const r = await w.decide('archive-snapshot', id);
    expect(r).toMatchObject({ kind: 'done', event: { type: 'RestoreSucceeded', detail: { snapshotArchive: 'deleted' } } });
    expect(w.sim.calls.DeleteDBClusterSnapshot).toBe(2);
  });
});
