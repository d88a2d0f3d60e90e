import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { DescribeDBClusterSnapshotsCommand } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RDS_EVENT_IDS } from '../../src/events/rds';
import { forwardedRdsPattern } from '../../src/events/subscriptions';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE, OPERATION_TAG } from '../../src/lib/tags';
import { motoAvailable, motoSdkEnvironment, motoSkipReason, startMoto, useMotoEnvironment, type MotoServer } from './moto-server';
import { MotoPipeline, startClusterPostgres } from './pipeline';
import { RDS_IDENTIFIER, describeRegion, rdsClient, seedCluster, seedManualSnapshot } from './rds-world';

/**
 * Whole restores in "AWS mode on moto": the real handlers and AWS adapters over moto_server's wire
 * protocols, on a stack provisioned from the generated template; PGlite stands in for the restored
 * cluster's PostgreSQL. The tests share one stack (as operations share a deployment), with the forwarder
 * stack of its one target region (us-west-2), and use distinct clusters. Assertions are on state
 * (DynamoDB, RDS, SNS, PostgreSQL, EventBridge) and on what was delivered, never on logs.
 */
if (motoSkipReason) console.warn(motoSkipReason);

const PIPELINE_REGION = 'us-east-1';
const SOURCE = 'aurora-prod-orders-eu-primary'; // 29 characters
const MANAGED = { [MANAGED_BY_TAG]: MANAGED_BY_VALUE };
const MANUAL_SNAPSHOT = `${SOURCE}-2026-11-24-00-05`;

describe.skipIf(!motoAvailable)('restores through the real AWS adapters on moto', () => {
  let moto: MotoServer;
  let restoreEnv: () => void;
  let p: MotoPipeline;

  beforeAll(async () => {
    const postgres = startClusterPostgres();
    moto = await startMoto();
    restoreEnv = useMotoEnvironment(motoSdkEnvironment(moto.endpoint, PIPELINE_REGION));
    p = await MotoPipeline.open({ moto, region: PIPELINE_REGION, regions: ['us-east-1', 'us-west-2'], postgres });
    // The production source cluster, encrypted with its region's key, with one instance.
    await seedCluster({ region: 'us-east-1', clusterId: SOURCE, kmsKeyId: p.keys.byRegion['us-east-1'], instances: [`${SOURCE}-1`] });
    // moto takes an automated `rds:` cluster snapshot when a cluster is created, but cannot copy one across
    // regions: its CopyDBClusterSnapshot reads the source ARN's last `:`-separated part as the id, which
    // drops the `rds:` of an automated snapshot's ARN (DBClusterSnapshotNotFoundFault). AWS copies automated
    // snapshots across regions by ARN. So the cross-region cases restore a manual snapshot, named like an
    // automated one; the same-region case restores the automated snapshot.
    await seedManualSnapshot('us-east-1', SOURCE, MANUAL_SNAPSHOT);
  });
  afterAll(async () => {
    await p?.close();
    restoreEnv?.();
    await moto?.stop();
  });

  /** Every identifier the run created (not moto's own automated `rds:` snapshots), as `region/id`, that is not a valid RDS identifier. */
  const invalidIdentifiers = () => {
    const created = p.rdsEvents.createdSinceBaseline();
    return [...created.clusters, ...created.instances, ...created.snapshots.filter((s) => !s.split('/')[1].startsWith('rds:'))].filter((x) => !RDS_IDENTIFIER.test(x.split('/')[1]));
  };
  const notificationsOf = (id: string) => p.notifications.filter((n) => n.attributes.operation_id === id);
  /** What woke the run's wait steps: the RDS events they were delivered for `clusterId` (and its instances), and their re-checks. */
  const wakeUps = (id: string, clusterId: string, from: number) => {
    const mine = p.deliveries.slice(from).filter((d) => d.fn === 'check-delete-status' || d.fn === 'check-restore-status');
    return {
      rds: mine.filter((d) => d.sourceIdentifier?.startsWith(clusterId)).map((d) => `${d.fn} ${d.trigger} ${d.rdsRegion} ${d.sourceIdentifier}`),
      rechecks: mine.filter((d) => d.trigger === 'RecheckDue' && d.operationId === id).map((d) => d.fn),
    };
  };
  /** The audit trail's waits (what woke each) and the lines that ended them. */
  const waitsOf = async (id: string) => {
    const trail = await p.auditTrail(id);
    return {
      wokenBy: trail.filter((e) => e.details.woken_by !== undefined).map((e) => `${e.step} ${e.event_type} ${String(e.details.woken_by)}`),
      ended: trail.filter((e) => ['TARGET_CLEARED', 'CLUSTER_AVAILABLE'].includes(e.event_type)).map((e) => `${e.step} ${e.event_type}`),
    };
  };
  const snapshotExists = (region: string, id: string) =>
    rdsClient(region)
      .send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }))
      .then((o) => (o.DBClusterSnapshots ?? []).length > 0)
      .catch((e) => {
        if ((e as Error).name === 'DBClusterSnapshotNotFoundFault') return false;
        throw e;
      });

  it('cross-region, replacing a managed cluster: SUCCEEDED, one notification, tagged cluster with a writer, temporary copy gone, valid identifiers; the waits end on RDS events forwarded from us-west-2', async () => {
    await seedCluster({ region: 'us-west-2', clusterId: 'aurora-staging', tags: MANAGED, instances: ['aurora-staging-a'] });
    await p.baseline();
    const snapshotId = MANUAL_SNAPSHOT;
    const tapped = p.rdsEventsOnPipelineBus.length;
    const delivered = p.deliveries.length;

    const id = await p.startRestore({ snapshotId, sourceRegion: 'us-east-1', targetRegion: 'us-west-2', targetClusterId: 'aurora-staging', deleteExisting: true });
    const run = await p.runUntilTerminal(id);

    expect(run.state.status, JSON.stringify(run.state.error)).toBe('SUCCEEDED');
    expect((await p.state(id))?.status).toBe('SUCCEEDED');
    expect(notificationsOf(id)).toHaveLength(1);
    expect(notificationsOf(id)[0].attributes.status).toBe('SUCCEEDED');

    const west = await describeRegion('us-west-2');
    const cluster = west.clusters.get('aurora-staging');
    expect(cluster?.tags).toMatchObject({ ...MANAGED, [OPERATION_TAG]: id });
    expect(cluster?.members).toHaveLength(1);
    expect(west.instances.get(cluster!.members[0])).toMatchObject({ clusterId: 'aurora-staging', status: 'available', tags: { ...MANAGED, [OPERATION_TAG]: id } });
    // The replaced cluster's instance is gone; the temporary copy is gone; the source snapshot is untouched.
    expect(west.instances.has('aurora-staging-a')).toBe(false);
    expect(run.state.snapshot_details.copied).toBe(true);
    expect(run.state.snapshot_details.target_snapshot_id).toBeTruthy();
    expect(await snapshotExists('us-west-2', run.state.snapshot_details.target_snapshot_id!)).toBe(false);
    expect(await snapshotExists('us-east-1', snapshotId)).toBe(true);
    // The copy was made (seen in us-west-2 during the run) and every identifier the run created is a valid RDS identifier.
    expect(p.rdsEvents.createdSinceBaseline().snapshots).toContain(`us-west-2/${run.state.snapshot_details.target_snapshot_id}`);
    // setup-db-users ran its SQL on the "cluster": the app role exists.
    const roles = await p.postgres!.pglite.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname = 'app'`);
    expect(roles.rows).toHaveLength(1);
    expect(invalidIdentifiers()).toEqual([]);

    // us-west-2's RDS events went on us-west-2's default bus; its forwarder stack's rule put them on the pipeline bus (the tap's witness)…
    const writer = cluster!.members[0];
    const forwarded = p.rdsEventsOnPipelineBus.slice(tapped).filter((e) => e.region === 'us-west-2').map((e) => `${e.eventId} ${e.sourceIdentifier}`);
    expect(forwarded.sort()).toEqual(
      [`${RDS_EVENT_IDS.instanceDeleted} aurora-staging-a`, `${RDS_EVENT_IDS.clusterDeleted} aurora-staging`, `${RDS_EVENT_IDS.clusterCreated} aurora-staging`, `${RDS_EVENT_IDS.instanceCreated} ${writer}`].sort(),
    );
    // …whose rules delivered them to the wait steps…
    const woke = wakeUps(id, 'aurora-staging', delivered);
    expect(woke.rds).toEqual(
      expect.arrayContaining([
        `check-delete-status ${RDS_EVENT_IDS.clusterDeleted} us-west-2 aurora-staging`,
        `check-restore-status ${RDS_EVENT_IDS.clusterCreated} us-west-2 aurora-staging`,
        `check-restore-status ${RDS_EVENT_IDS.instanceCreated} us-west-2 ${writer}`,
      ]),
    );
    // …and those ended the waits: no re-check came due (each is SAFETY_RECHECK_SECONDS away) or was delivered.
    expect(run.schedulesFired).toBe(0);
    expect(woke.rechecks).toEqual([]);
    const waits = await waitsOf(id);
    expect(waits.ended).toEqual(['check-delete-status TARGET_CLEARED', 'check-restore-status CLUSTER_AVAILABLE']);
    // The trail's waits: woken by the steps' started events, or by an RDS event processed alongside one
    // (moto's RDS is instant, so which of the two a line names is a race: see README), never by a re-check —
    // but the copy's: RDS emits no event for a copy, so its wait ends on its first planned check.
    expect(waits.wokenBy.length).toBeGreaterThanOrEqual(2);
    expect(waits.wokenBy.filter((w) => w.endsWith(' RecheckDue'))).toEqual(['check-copy-status COPY_COMPLETED RecheckDue']);
  });

  it('same region, from the automated snapshot, replacing a managed cluster: SUCCEEDED without a copy; the RDS events are forwarded to the pipeline bus', async () => {
    await seedCluster({ region: 'us-east-1', clusterId: 'aurora-dev', tags: MANAGED, instances: ['aurora-dev-a'] });
    await p.baseline();
    const automated = [...(await describeRegion('us-east-1')).snapshots.values()].filter((s) => s.type === 'automated' && s.clusterId === SOURCE);
    expect(automated).toHaveLength(1);

    const id = await p.startRestore({ sourceClusterId: SOURCE, sourceRegion: 'us-east-1', targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', deleteExisting: true });
    const run = await p.runUntilTerminal(id);

    expect(run.state.status, JSON.stringify(run.state.error)).toBe('SUCCEEDED');
    expect(notificationsOf(id)).toHaveLength(1);
    expect(run.state.snapshot_details).toMatchObject({ source_snapshot_id: automated[0].id, copied: false });
    const east = await describeRegion('us-east-1');
    const cluster = east.clusters.get('aurora-dev');
    expect(cluster?.tags).toMatchObject({ ...MANAGED, [OPERATION_TAG]: id });
    expect(cluster?.members).toHaveLength(1);
    expect(east.instances.get(cluster!.members[0])?.status).toBe('available');
    expect(east.instances.has('aurora-dev-a')).toBe(false);
    // Nothing was copied, and the source's automated snapshot was not archived away.
    expect(await snapshotExists('us-east-1', automated[0].id)).toBe(true);
    expect(p.rdsEvents.createdSinceBaseline().snapshots.filter((s) => !s.includes('/rds:') && !s.includes('-final-'))).toEqual([]);
    expect(invalidIdentifiers()).toEqual([]);
    // In the pipeline's own region the default-bus rule forwards RDS's events to the pipeline bus.
    const forwarded = p.rdsEventsOnPipelineBus.filter((e) => e.region === 'us-east-1').map((e) => `${e.eventId} ${e.sourceIdentifier}`);
    expect(forwarded).toEqual(expect.arrayContaining([`${RDS_EVENT_IDS.clusterDeleted} aurora-dev`, `${RDS_EVENT_IDS.clusterCreated} aurora-dev`]));
  });

  it('refused deletion: a target without the managed-by tag ends FAILED with DeletionRefused and nothing is deleted', async () => {
    await seedCluster({ region: 'us-west-2', clusterId: 'analytics', instances: ['analytics-a', 'analytics-b'] });
    await p.baseline();

    const id = await p.startRestore({ snapshotId: MANUAL_SNAPSHOT, sourceRegion: 'us-east-1', targetRegion: 'us-west-2', targetClusterId: 'analytics', deleteExisting: true });
    const run = await p.runUntilTerminal(id);

    expect(run.state.status).toBe('FAILED');
    expect(run.state.error?.code).toBe('DeletionRefused');
    expect(notificationsOf(id)).toHaveLength(1);
    expect(notificationsOf(id)[0].attributes.status).toBe('FAILED');
    const west = await describeRegion('us-west-2');
    expect(west.clusters.get('analytics')?.members.sort()).toEqual(['analytics-a', 'analytics-b']);
    expect(west.instances.get('analytics-a')?.status).toBe('available');
    expect(west.instances.get('analytics-b')?.status).toBe('available');
    expect(p.rdsEvents.emitted.filter((e) => e.eventId === RDS_EVENT_IDS.clusterDeleted || e.eventId === RDS_EVENT_IDS.instanceDeleted)).toEqual([]);
  });

  // Last: it takes the forwarder away.
  it('cross-region without the forwarder stack: us-west-2 events never reach the pipeline, and the safety-net re-checks still end the waits: SUCCEEDED', async () => {
    const ruleName = p.forwarders[0].ruleName;
    await p.removeForwarders();
    const westRules = await new EventBridgeClient({ region: 'us-west-2' }).send(new ListRulesCommand({}));
    expect((westRules.Rules ?? []).filter((r) => r.Name === ruleName || JSON.stringify(JSON.parse(r.EventPattern ?? '{}')) === JSON.stringify(forwardedRdsPattern()))).toEqual([]);

    await seedCluster({ region: 'us-west-2', clusterId: 'aurora-qa', tags: MANAGED, instances: ['aurora-qa-a'] });
    await p.baseline();
    const tapped = p.rdsEventsOnPipelineBus.length;
    const delivered = p.deliveries.length;
    const id = await p.startRestore({ snapshotId: MANUAL_SNAPSHOT, sourceRegion: 'us-east-1', targetRegion: 'us-west-2', targetClusterId: 'aurora-qa', deleteExisting: true });
    const run = await p.runUntilTerminal(id);

    expect(run.state.status, JSON.stringify(run.state.error)).toBe('SUCCEEDED');
    expect(notificationsOf(id)).toHaveLength(1);
    // RDS emitted its events in us-west-2 as before; none reached the pipeline bus or a step.
    expect(p.rdsEvents.emitted.filter((e) => e.region === 'us-west-2' && e.sourceIdentifier.startsWith('aurora-qa')).length).toBeGreaterThanOrEqual(4);
    expect(p.rdsEventsOnPipelineBus.slice(tapped)).toEqual([]);
    const woke = wakeUps(id, 'aurora-qa', delivered);
    expect(woke.rds).toEqual([]);
    // Each wait ended on its re-check, which the harness fired when it came due (time advanced, no sleeping).
    expect(woke.rechecks).toEqual(expect.arrayContaining(['check-delete-status', 'check-restore-status']));
    // The 900 s safety net is within SQS's 15 minutes: a delayed message to the step's own queue, not a schedule.
    expect(run.delayedDelivered).toBeGreaterThanOrEqual(2);
    expect(run.secondsAdvanced).toBeGreaterThan(0);
    expect((await waitsOf(id)).ended).toEqual(['check-delete-status TARGET_CLEARED', 'check-restore-status CLUSTER_AVAILABLE']);
  });
});
