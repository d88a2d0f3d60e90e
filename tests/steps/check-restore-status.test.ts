import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { checkRestoreStatus } from '../../src/lib/steps/check-restore-status';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../src/lib/tags';
import { SAME_REGION, SCENARIO, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

async function restoring(w: TestWorld) {
  const { id } = await w.request(SAME_REGION);
  const started = await w.advance(id, 'check-restore-status');
  return { id, started, ours: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [OPERATION_TAG]: id } };
}

const writer = (tags: Record<string, string>) => ({ instanceId: 'restored-writer', clusterId: 'restored', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags });

describe('check-restore-status', () => {
  it('while the cluster is creating: waits without creating the writer, re-checking every SAFETY_RECHECK_SECONDS', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await restoring(w);
    // The started event makes no RDS call: it arms the first check (no history: the safety net).
    const calls = w.sim.calls.DescribeDBClusters;
    await w.run('check-restore-status', started);
    expect(w.sim.calls.DescribeDBClusters).toBe(calls);
    expect(JSON.parse(w.handedBack.sent.at(-1)!.body).detail).toMatchObject({ check: 'restore', attempt: 1 });
    expect(w.handedBack.sent.at(-1)!.delaySeconds).toBe(w.deps.config.SAFETY_RECHECK_SECONDS);
    const due = await w.dueRecheck(id, 'check-restore-status');
    expect(await w.decide('check-restore-status', id, due)).toMatchObject({
      kind: 'waiting',
      check: 'restore',
      delaySeconds: w.deps.config.SAFETY_RECHECK_SECONDS,
      audit: { details: { cluster_status: 'creating', instance_status: null } },
    });
    await w.run('check-restore-status', due);
    expect(w.sim.calls.CreateDBInstance).toBe(0);
    expect(JSON.parse(w.handedBack.sent.at(-1)!.body).detail).toMatchObject({ check: 'restore', attempt: 2 });
  });

  it('once the cluster is available: creates the writer, tagged and indexed for its RDS events, and waits for it', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, ours } = await restoring(w);
    w.settleRds();
    const describes = w.sim.calls.DescribeDBInstances ?? 0;
    await w.run('check-restore-status', await w.dueRecheck(id, 'check-restore-status'));
    // Not a member of the cluster yet: created without describing it first.
    expect(w.sim.calls.DescribeDBInstances ?? 0).toBe(describes);
    const created = w.sim.history.filter((h) => h.kind === 'instance' && h.id === 'restored-writer' && h.from === null);
    expect(created).toEqual([expect.objectContaining({ to: 'creating', tags: ours })]);
    expect((await w.rds.describeInstance('us-east-1', 'restored-writer'))!.instanceClass).toBe('db.r6g.large');
    expect(await w.store.operationForResource('us-east-1', 'restored-writer')).toBe(id);
    expect(w.publishedOf(id, 'ClusterAvailable')).toHaveLength(0);
    // Another wake-up finds the writer creating: nothing is created twice.
    await w.run('check-restore-status', await w.dueRecheck(id, 'check-restore-status'));
    expect(w.sim.calls.CreateDBInstance).toBe(1);
  });

  it('a creation that raced another wake-up (DBInstanceAlreadyExistsFault + our tag) is success; someone else\'s instance → TargetExists', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, ours } = await restoring(w);
    w.settleRds();
    const stale = await w.context(id, await w.dueRecheck(id, 'check-restore-status'), 'check-restore-status');
    const before = (await w.rds.describeCluster('us-east-1', 'restored'))!;
    await w.rds.createInstance('us-east-1', writer(ours));
    // The decision was taken before the other wake-up created the writer: its CreateDBInstance is refused, and recognised.
    const raced = await w.drive(
      (async () => {
        // Its DescribeDBClusters saw no writer among the members yet (the other wake-up created it right after).
        let calls = 0;
        const rds = Object.create(w.rds, { describeCluster: { value: (r: string, c: string) => (calls++ === 0 ? Promise.resolve(before) : w.rds.describeCluster(r, c)) } });
        return checkRestoreStatus.run({ ...stale, deps: { ...stale.deps, rds } });
      })(),
    );
    expect(raced).toMatchObject({ kind: 'waiting' });
    expect(w.sim.calls.CreateDBInstance).toBe(2);

    const other = await TestWorld.create(dynamo);
    const o = await restoring(other);
    other.settleRds();
    await other.rds.createInstance('us-east-1', writer({ [OPERATION_TAG]: 'restore-20261101-000000-other1' }));
    const r = await other.decide('check-restore-status', o.id, await other.dueRecheck(o.id, 'check-restore-status'));
    expect(r).toMatchObject({ kind: 'failed', code: 'TargetExists' });
    expect(r.kind === 'failed' && r.message).toContain('instance restored-writer');
  });

  it('a cluster that ended failed → RestoreFailed naming its status', async () => {
    const w = await TestWorld.create(dynamo, { scenario: { ...SCENARIO, failRestoreOf: ['restored'] } });
    const { id } = await restoring(w);
    w.settleRds();
    await w.run('check-restore-status', await w.dueRecheck(id, 'check-restore-status'));
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'check-restore-status', code: 'RestoreFailed', retryable: false });
    expect(failed.detail.message).toBe('cluster restored in us-east-1 ended failed');
    expect(w.sim.calls.CreateDBInstance).toBe(0);
  });

  it('cluster and writer available → ClusterAvailable with the endpoints, recorded in the state', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await restoring(w);
    w.settleRds();
    await w.run('check-restore-status', await w.dueRecheck(id, 'check-restore-status'));
    w.settleRds();
    await w.run('check-restore-status', await w.dueRecheck(id, 'check-restore-status'));
    const cluster = (await w.rds.describeCluster('us-east-1', 'restored'))!;
    const [available] = w.publishedOf(id, 'ClusterAvailable');
    expect(available.detail).toMatchObject({
      clusterId: 'restored',
      region: 'us-east-1',
      writerEndpoint: cluster.endpoint,
      readerEndpoint: cluster.readerEndpoint,
      port: 5432,
    });
    expect(cluster.endpoint).toMatch(/^restored\.cluster-[0-9a-f]{12}\.us-east-1\.rds\.amazonaws\.com$/);
    expect(await w.state(id)).toMatchObject({
      status: 'CLUSTER_AVAILABLE',
      next_step: 'SETUP_DB_USERS',
      restore_details: { cluster_status: 'available', writer_endpoint: cluster.endpoint, reader_endpoint: cluster.readerEndpoint, port: 5432 },
    });
  });
});
