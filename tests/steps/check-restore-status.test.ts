import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { SAME_REGION, SCENARIO, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

async function restoring(w: TestWorld) {
  const { id } = await w.request(SAME_REGION);
  const started = await w.advance(id, 'check-restore-status');
  return { id, started };
}

describe('check-restore-status', () => {
  it('while the cluster is creating: waits, re-checking every SAFETY_RECHECK_SECONDS', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await restoring(w);
    expect(await w.decide('check-restore-status', id)).toMatchObject({
      kind: 'waiting',
      check: 'restore',
      delaySeconds: w.deps.config.SAFETY_RECHECK_SECONDS,
      audit: { details: { cluster_status: 'creating', instance_status: 'creating' } },
    });
    await w.run('check-restore-status', started);
    expect(w.scheduler.pending().find((s) => s.name === `${id}-restore-1`)).toMatchObject({ event: { type: 'RecheckDue', detail: { check: 'restore', attempt: 1 } } });
  });

  it('a cluster that ended failed → RestoreFailed naming its status', async () => {
    const w = await TestWorld.create(dynamo, { scenario: { ...SCENARIO, failRestoreOf: ['restored'] } });
    const { id, started } = await restoring(w);
    w.settleRds();
    await w.run('check-restore-status', started);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'check-restore-status', code: 'RestoreFailed', retryable: false });
    expect(failed.detail.message).toBe('cluster restored in us-east-1 ended failed');
  });

  it('the writer vanished → RestoreFailed', async () => {
    const w = await TestWorld.create(dynamo);
    const { id } = await restoring(w);
    w.settleRds();
    await w.rds.deleteInstance('us-east-1', 'restored-writer');
    w.settleRds();
    const r = await w.decide('check-restore-status', id);
    expect(r).toMatchObject({ kind: 'failed', code: 'RestoreFailed' });
    expect(r.kind === 'failed' && r.message).toContain('writer instance restored-writer no longer exists');
  });

  it('cluster and writer available → ClusterAvailable with the endpoints, recorded in the state', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, started } = await restoring(w);
    w.settleRds();
    await w.run('check-restore-status', started);
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
