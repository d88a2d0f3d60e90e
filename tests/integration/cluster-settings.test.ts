import { afterEach, describe, expect, it } from 'vitest';
import { LocalPipeline } from '../../src/lib/local/pipeline';
import { MANAGED_BY_TAG, OPERATION_TAG } from '../../src/lib/tags';

/**
 * The request's cluster settings reach RDS: the restored cluster and its instances, as the simulated RDS
 * (which refuses what RDS refuses) describes them. A setting RDS would refuse ends the operation with a clear
 * code naming it.
 */
const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function refresh(cluster: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const p = await LocalPipeline.open();
  open.push(p);
  const id = await p.startRestore(p.request({ cluster, postRestore: undefined, users: undefined, ...extra }));
  await p.runUntilTerminal([id]);
  return { p, id, state: (await p.status(id))! };
}

describe('cluster settings', () => {
  it('Serverless v2, two readers, parameter groups, log exports, IAM auth, port and tags reach the cluster and every instance', async () => {
    const { p, id, state } = await refresh({
      engineVersion: '16.6',
      clusterParameterGroup: 'staging-cluster-pg16',
      instanceParameterGroup: 'staging-instance-pg16',
      serverless: { minCapacity: 0, maxCapacity: 8 },
      readers: 2,
      cloudwatchLogsExports: ['postgresql'],
      iamDatabaseAuthentication: true,
      port: 6432,
      tags: { team: 'orders', environment: 'staging' },
    }, { instanceClass: undefined });
    expect(state.status).toBe('SUCCEEDED');
    const cluster = (p.rds.handle('us-west-2', 'DescribeDBClusters', { DBClusterIdentifier: 'aurora-staging' }) as { DBClusters: Record<string, unknown>[] }).DBClusters[0];
    expect(cluster).toMatchObject({
      EngineVersion: '16.6',
      Port: 6432,
      DBClusterParameterGroup: 'staging-cluster-pg16',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8 },
      EnabledCloudwatchLogsExports: ['postgresql'],
      IAMDatabaseAuthenticationEnabled: true,
      DeletionProtection: false,
    });
    expect(cluster.DBClusterMembers).toHaveLength(3);
    for (const instanceId of ['aurora-staging-writer', 'aurora-staging-reader-1', 'aurora-staging-reader-2']) {
      const out = p.rds.handle('us-west-2', 'DescribeDBInstances', { DBInstanceIdentifier: instanceId }) as { DBInstances: Record<string, unknown>[] };
      const i = out.DBInstances[0];
      expect(i).toMatchObject({ DBInstanceClass: 'db.serverless', DBInstanceStatus: 'available', DBParameterGroups: [{ DBParameterGroupName: 'staging-instance-pg16', ParameterApplyStatus: 'in-sync' }] });
      const tags = Object.fromEntries((i.TagList as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));
      expect(tags).toMatchObject({ team: 'orders', environment: 'staging', [OPERATION_TAG]: id, [MANAGED_BY_TAG]: 'aurora-restore' });
    }
    expect(state.restore_details.reader_instance_ids).toEqual(['aurora-staging-reader-1', 'aurora-staging-reader-2']);
    expect(state.restore_details.port).toBe(6432);
  });

  it('the copied snapshot carries the request tags too', async () => {
    const { p, state } = await refresh({ tags: { team: 'orders' } }, { keepSnapshot: true });
    const snap = await p.deps.rds.describeClusterSnapshot('us-west-2', state.snapshot_details.target_snapshot_id!);
    expect(snap?.tags).toMatchObject({ team: 'orders' });
  });

  for (const [what, cluster, message] of [
    ['a cluster parameter group of another family', { clusterParameterGroup: 'legacy-cluster-pg15' }, /DBParameterGroupFamily aurora-postgresql15 cannot be used.*aurora-postgresql16/],
    ['a parameter group that does not exist', { instanceParameterGroup: 'no-such-group' }, /DBParameterGroup not found: no-such-group/],
  ] as const) {
    it(`RDS refuses ${what}: the operation fails InvalidParameter naming it`, async () => {
      const { state } = await refresh(cluster as Record<string, unknown>);
      expect(state.status).toBe('FAILED');
      expect(state.error?.code).toBe('InvalidParameter');
      expect(state.error?.message).toMatch(message);
    });
  }

  it('refuses log types the engine lacks and tags off ALLOWED_TAG_KEYS before anything is copied', async () => {
    const logs = await refresh({ cloudwatchLogsExports: ['slowquery'] });
    expect(logs.state.error).toMatchObject({ step: 'snapshot-check', code: 'InvalidRequest' });
    expect(logs.state.error!.message).toMatch(/cluster\.cloudwatchLogsExports: aurora-postgresql exports instance, postgresql, iam-db-auth-error, not slowquery/);
    const tags = await refresh({ tags: { 'secret-project': 'x' } });
    expect(tags.state.error!.message).toMatch(/cluster\.tags: secret-project not on ALLOWED_TAG_KEYS/);
    expect(tags.p.rds.calls.CopyDBClusterSnapshot).toBe(0);
  });
});
