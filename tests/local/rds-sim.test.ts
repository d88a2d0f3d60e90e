import { describe, expect, it } from 'vitest';
import { parseEventBody } from '../../src/events/envelope';
import { rdsEventDetail } from '../../src/events/rds';
import { classifyError } from '../../src/lib/errors';
import { SimulatedRds, type RdsEventEnvelope, type SimulatedRdsOptions } from '../../src/lib/local/rds';
import { DEFAULT_SCENARIO, parseScenario, type ScenarioInput } from '../../src/lib/local/scenario';
import { buildWorld } from '../../src/lib/local/rds/world';
import { copyFractionAt, copyProgressShape } from '../../src/lib/local/rds/snapshots';
import { MANAGED_BY_TAG, OPERATION_TAG } from '../../src/lib/tags';
import type { Rds } from '../../src/lib/ports';
import { seededRandom } from '../../src/lib/local/faults';

const MIN = 60_000;
const START = Date.parse('2026-11-24T02:00:00Z');
const EAST_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b';
const WEST_KEY = 'arn:aws:kms:us-west-2:123456789012:key/6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const SOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:aurora-prod-2026-11-24-00-05';

/** A tiny virtual clock: timers fire in time order (then in arming order) as time is advanced. */
class FakeClock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  constructor(public t = START) {}
  now = () => new Date(this.t);
  sleep = async (ms: number) => this.advanceTo(this.t + ms);
  setTimer = (at: number, fn: () => void) => {
    this.timers.push({ at, seq: this.seq++, fn });
  };
  advanceTo(target: number): void {
    for (;;) {
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = Math.max(this.t, target);
  }
  advanceMinutes(m: number): void {
    this.advanceTo(this.t + m * MIN);
  }
}

const seeded = seededRandom;

interface Emitted {
  atMs: number;
  env: RdsEventEnvelope;
}

function setup(opts: Partial<SimulatedRdsOptions> & { scenario?: ScenarioInput } = {}) {
  const clock = new FakeClock();
  const events: Emitted[] = [];
  const scenario = opts.scenario ? parseScenario(opts.scenario) : DEFAULT_SCENARIO;
  const sim = new SimulatedRds({
    clock,
    setTimer: clock.setTimer,
    world: buildWorld(scenario),
    emit: (env) => events.push({ atMs: clock.t, env }),
    ...opts,
  });
  const ids = () => events.map((e) => `${e.env.detail.EventID} ${e.env.detail.SourceIdentifier} +${(e.atMs - START) / MIN}m`);
  // The simulator is reached the way the pipeline reaches it: through the AWS adapter and the SDK's RDS client.
  return { clock, sim, rds: sim.adapter(), events, ids };
}

async function failure(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number }; $fault?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const restoreInput = (clusterId: string, snapshotId = 'copy-1') => ({
  clusterId,
  snapshotId,
  engine: 'aurora-postgresql',
  // The built-in world's aurora-prod runs 16.6, newer than the region's default (16.4).
  engineVersion: '16.6',
  subnetGroup: 'staging-db-subnets',
  securityGroupIds: ['sg-0a1b2c3d'],
  tags: { [OPERATION_TAG]: 'restore-20261124-020000-abc123' },
});

async function copyToWest(rds: Rds, id = 'copy-1') {
  return rds.copyClusterSnapshot({
    sourceRegion: 'us-east-1',
    targetRegion: 'us-west-2',
    sourceSnapshotArn: SOURCE_ARN,
    targetSnapshotId: id,
    kmsKeyId: WEST_KEY,
    tags: { [OPERATION_TAG]: 'restore-20261124-020000-abc123' },
  });
}

describe('SimulatedRds snapshots', () => {
  it('lists automated snapshots newest first', async () => {
    const { rds, sim } = setup();
    const list = await rds.listAutomatedSnapshots('us-east-1', 'aurora-prod');
    expect(list.map((s) => s.snapshotId)).toEqual([
      'rds:aurora-prod-2026-11-24-00-05',
      'rds:aurora-prod-2026-11-23-00-05',
      'rds:aurora-prod-2026-11-22-00-05',
      'rds:aurora-prod-2026-11-21-00-05',
      'rds:aurora-prod-2026-11-20-00-05',
      'rds:aurora-prod-2026-11-19-00-05',
      'rds:aurora-prod-2026-11-18-00-05',
    ]);
    expect(list[0]).toMatchObject({ snapshotArn: SOURCE_ARN, status: 'available', encrypted: true, kmsKeyId: EAST_KEY, engine: 'aurora-postgresql' });
    expect(await rds.listAutomatedSnapshots('us-east-1', 'other')).toEqual([]);
    expect(sim.calls.DescribeDBClusterSnapshots).toBe(2);
  });

  it('copies across regions: copying with progress, available after copyMinutes, and no event', async () => {
    const { rds, sim, clock, events, ids } = setup();
    const started = await copyToWest(rds);
    expect(started).toMatchObject({ snapshotId: 'copy-1', region: 'us-west-2', status: 'copying', percentProgress: 0, snapshotType: 'manual', kmsKeyId: WEST_KEY });
    expect(started.tags).toEqual({ [OPERATION_TAG]: 'restore-20261124-020000-abc123' });
    clock.advanceMinutes(6);
    const shape = copyProgressShape('copy-1', START);
    expect(await rds.describeClusterSnapshot('us-west-2', 'copy-1')).toMatchObject({ status: 'copying', percentProgress: Math.floor(copyFractionAt(shape, 0.5) * 100) });
    clock.advanceTo(START + 12 * MIN - 1);
    expect((await rds.describeClusterSnapshot('us-west-2', 'copy-1'))?.status).toBe('copying');
    clock.advanceTo(START + 12 * MIN);
    expect(await rds.describeClusterSnapshot('us-west-2', started.snapshotArn)).toMatchObject({ status: 'available', percentProgress: 100 });
    expect(ids()).toEqual([]);
    expect(events).toHaveLength(0);
    expect(sim.history.filter((h) => h.id === 'copy-1')).toEqual([
      { at: '2026-11-24T02:00:00.000Z', atMs: START, region: 'us-west-2', kind: 'snapshot', id: 'copy-1', from: null, to: 'copying', tags: started.tags },
      { at: '2026-11-24T02:12:00.000Z', atMs: START + 12 * MIN, region: 'us-west-2', kind: 'snapshot', id: 'copy-1', from: 'copying', to: 'available' },
    ]);
  });

  it('refuses bad copies with the AWS fault names', async () => {
    const { rds, sim } = setup({
      scenario: {
        regions: {
          'us-east-1': { kmsKeys: [EAST_KEY], clusters: [{ id: 'aurora-prod', engine: 'aurora-postgresql', automatedSnapshots: { days: 1, minuteUtc: 5 } }] },
          'us-west-2': { kmsKeys: [WEST_KEY], inaccessibleKmsKeys: ['arn:aws:kms:us-west-2:123456789012:key/revoked'] },
        },
      },
    });
    await copyToWest(rds);
    const again = await failure(copyToWest(rds));
    expect(again.name).toBe('DBClusterSnapshotAlreadyExistsFault');
    expect(again.$metadata?.httpStatusCode).toBe(400);

    const base = { sourceRegion: 'us-east-1', targetRegion: 'us-west-2', sourceSnapshotArn: SOURCE_ARN, targetSnapshotId: 'copy-2', tags: {} };
    expect((await failure(rds.copyClusterSnapshot(base))).name).toBe('InvalidParameterValue');
    expect((await failure(rds.copyClusterSnapshot({ ...base, kmsKeyId: 'revoked' }))).name).toBe('KMSKeyNotAccessibleFault');
    expect((await failure(rds.copyClusterSnapshot({ ...base, kmsKeyId: 'no-such-key' }))).name).toBe('KMSKeyNotAccessibleFault');
    expect(classifyError(await failure(rds.copyClusterSnapshot({ ...base, kmsKeyId: 'revoked' }))).code).toBe('KmsKeyNotAccessible');
    // The key id alone resolves to the region's key ARN.
    const byId = await rds.copyClusterSnapshot({ ...base, kmsKeyId: '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d' });
    expect(byId.kmsKeyId).toBe(WEST_KEY);
    expect((await failure(rds.copyClusterSnapshot({ ...base, targetSnapshotId: 'rds:copy-3', kmsKeyId: WEST_KEY }))).name).toBe('InvalidParameterValue');

    const missing = await failure(rds.copyClusterSnapshot({ ...base, sourceSnapshotArn: `${SOURCE_ARN}-nope`, kmsKeyId: WEST_KEY }));
    expect(missing.name).toBe('DBClusterSnapshotNotFoundFault');
    expect(missing.$metadata?.httpStatusCode).toBe(404);
    expect(missing.$fault).toBe('client');
    expect(classifyError(missing).code).toBe('SnapshotNotFound');

    // A snapshot still copying cannot be copied again.
    const copying = await failure(
      rds.copyClusterSnapshot({
        sourceRegion: 'us-west-2',
        targetRegion: 'us-west-2',
        sourceSnapshotArn: 'arn:aws:rds:us-west-2:123456789012:cluster-snapshot:copy-1',
        targetSnapshotId: 'copy-4',
        tags: {},
      }),
    );
    expect(copying.name).toBe('InvalidDBClusterSnapshotStateFault');
    expect(sim.calls.CopyDBClusterSnapshot).toBe(10);
  });

  it('deletes manual snapshots (cancelling a copy) and refuses automated ones', async () => {
    const { rds, sim, clock } = setup();
    await copyToWest(rds);
    await rds.deleteClusterSnapshot('us-west-2', 'copy-1');
    clock.advanceMinutes(30);
    expect(await rds.describeClusterSnapshot('us-west-2', 'copy-1')).toBeUndefined();
    expect(sim.history.filter((h) => h.id === 'copy-1').map((h) => h.to)).toEqual(['copying', null]);
    expect((await failure(rds.deleteClusterSnapshot('us-west-2', 'copy-1'))).name).toBe('DBClusterSnapshotNotFoundFault');
    expect((await failure(rds.deleteClusterSnapshot('us-east-1', 'rds:aurora-prod-2026-11-24-00-05'))).name).toBe('InvalidDBClusterSnapshotStateFault');
  });
});

describe('SimulatedRds restore and instances', () => {
  it('restores a cluster, refuses its writer until the cluster is available, then creates it: events in order and valid', async () => {
    const { rds, sim, clock, events, ids } = setup();
    await copyToWest(rds);
    clock.advanceMinutes(12);
    const t0 = clock.t;
    const cluster = await rds.restoreClusterFromSnapshot('us-west-2', restoreInput('aurora-qa'));
    expect(cluster).toMatchObject({ clusterId: 'aurora-qa', status: 'creating', engine: 'aurora-postgresql', port: 5432, members: [], deletionProtection: false });
    expect(cluster.endpoint).toMatch(/^aurora-qa\.cluster-[0-9a-f]{12}\.us-west-2\.rds\.amazonaws\.com$/);
    expect(cluster.readerEndpoint).toMatch(/^aurora-qa\.cluster-ro-[0-9a-f]{12}\.us-west-2\.rds\.amazonaws\.com$/);
    const writer = {
      instanceId: 'aurora-qa-writer',
      clusterId: 'aurora-qa',
      instanceClass: 'db.r6g.large',
      engine: 'aurora-postgresql',
      tags: { [OPERATION_TAG]: 'restore-20261124-020000-abc123' },
    };
    // "You can create DB instances only after the RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available."
    const early = await failure(rds.createInstance('us-west-2', writer));
    expect(early.name).toBe('InvalidDBClusterStateFault');
    expect(early.message).toMatch(/creating/);
    clock.advanceTo(t0 + 15 * MIN);
    expect((await rds.describeCluster('us-west-2', 'aurora-qa'))?.status).toBe('available');
    const instance = await rds.createInstance('us-west-2', writer);
    expect(instance.status).toBe('creating');
    expect((await rds.describeCluster('us-west-2', 'aurora-qa'))?.members).toEqual(['aurora-qa-writer']);
    clock.advanceTo(t0 + 25 * MIN - 1);
    expect((await rds.describeInstance('us-west-2', 'aurora-qa-writer'))?.status).toBe('creating');
    clock.advanceTo(t0 + 25 * MIN);
    expect((await rds.describeInstance('us-west-2', 'aurora-qa-writer'))?.status).toBe('available');
    expect(ids()).toEqual(['RDS-EVENT-0170 aurora-qa +27m', 'RDS-EVENT-0005 aurora-qa-writer +37m']);

    const [created, writerCreated] = events.map((e) => e.env);
    expect(created).toMatchObject({
      version: '0',
      'detail-type': 'RDS DB Cluster Event',
      source: 'aws.rds',
      account: '123456789012',
      time: '2026-11-24T02:27:00Z',
      region: 'us-west-2',
      resources: ['arn:aws:rds:us-west-2:123456789012:cluster:aurora-qa'],
      detail: { SourceType: 'CLUSTER', EventID: 'RDS-EVENT-0170', SourceIdentifier: 'aurora-qa', Tags: { [OPERATION_TAG]: 'restore-20261124-020000-abc123' } },
    });
    expect(writerCreated).toMatchObject({ 'detail-type': 'RDS DB Instance Event', resources: ['arn:aws:rds:us-west-2:123456789012:db:aurora-qa-writer'] });
    for (const { env } of events) {
      expect(rdsEventDetail.safeParse(env.detail).success).toBe(true);
      expect(env.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(parseEventBody(JSON.stringify(env)).kind).toBe('rds');
    }
    expect(sim.history.filter((h) => h.from === null && h.kind !== 'snapshot').map((h) => [h.kind, h.id, h.tags?.[OPERATION_TAG]])).toEqual([
      ['cluster', 'aurora-qa', 'restore-20261124-020000-abc123'],
      ['instance', 'aurora-qa-writer', 'restore-20261124-020000-abc123'],
    ]);
  });

  it('creates an instance in an available cluster after createInstanceMinutes', async () => {
    const { rds, sim, clock, ids } = setup();
    await rds.createInstance('us-west-2', { instanceId: 'aurora-staging-reader', clusterId: 'aurora-staging', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags: {} });
    clock.advanceMinutes(9);
    expect(ids()).toEqual([]);
    clock.advanceMinutes(1);
    expect(ids()).toEqual(['RDS-EVENT-0005 aurora-staging-reader +10m']);
  });

  it('refuses bad restores and instances with the AWS fault names', async () => {
    const { rds, clock } = setup();
    await copyToWest(rds);
    expect((await failure(rds.restoreClusterFromSnapshot('us-west-2', restoreInput('aurora-staging')))).name).toBe('DBClusterAlreadyExistsFault');
    expect((await failure(rds.restoreClusterFromSnapshot('us-west-2', restoreInput('aurora-qa')))).name).toBe('InvalidDBClusterSnapshotStateFault');
    expect((await failure(rds.restoreClusterFromSnapshot('us-west-2', restoreInput('aurora-qa', 'nope')))).name).toBe('DBClusterSnapshotNotFoundFault');
    // Without EngineVersion RDS takes the region's default (16.4), older than the snapshot's 16.6: refused.
    clock.advanceMinutes(12);
    const { engineVersion: _omitted, ...unversioned } = restoreInput('aurora-qa');
    const downgrade = await failure(rds.restoreClusterFromSnapshot('us-west-2', unversioned));
    expect(downgrade.name).toBe('InvalidParameterCombination');
    expect(downgrade.message).toMatch(/16\.6 to the older version 16\.4/);
    expect(classifyError(downgrade)).toMatchObject({ retryable: false });
    // The automated snapshot exists in us-east-1 only.
    expect((await failure(rds.restoreClusterFromSnapshot('us-west-2', restoreInput('aurora-qa', 'rds:aurora-prod-2026-11-24-00-05')))).name).toBe(
      'DBClusterSnapshotNotFoundFault',
    );
    const instance = { instanceId: 'x1', clusterId: 'nope', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags: {} };
    expect((await failure(rds.createInstance('us-west-2', instance))).name).toBe('DBClusterNotFoundFault');
    expect((await failure(rds.createInstance('us-west-2', { ...instance, instanceId: 'aurora-staging-writer', clusterId: 'aurora-staging' }))).name).toBe(
      'DBInstanceAlreadyExistsFault',
    );
    expect((await failure(rds.deleteInstance('us-west-2', 'nope'))).name).toBe('DBInstanceNotFoundFault');
    expect(await rds.describeCluster('us-west-2', 'nope')).toBeUndefined();
    expect(await rds.describeInstance('us-west-2', 'nope')).toBeUndefined();
    expect(await rds.describeClusterSnapshot('eu-west-1', 'nope')).toBeUndefined();
  });

  it('ends a restore listed in failRestoreOf in status failed with RDS-EVENT-0354; no instance can be added to it', async () => {
    const { rds, clock, ids } = setup({ scenario: { ...structuredClone(DEFAULT_SCENARIO), failRestoreOf: ['aurora-qa'] } });
    await copyToWest(rds);
    clock.advanceMinutes(12);
    await rds.restoreClusterFromSnapshot('us-west-2', restoreInput('aurora-qa'));
    clock.advanceMinutes(15);
    expect((await rds.describeCluster('us-west-2', 'aurora-qa'))?.status).toBe('failed');
    expect(ids()).toEqual(['RDS-EVENT-0354 aurora-qa +27m']);
    expect((await failure(rds.createInstance('us-west-2', { instanceId: 'aurora-qa-2', clusterId: 'aurora-qa', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags: {} }))).name).toBe(
      'InvalidDBClusterStateFault',
    );
  });

  it('records master password changes without keeping the password', async () => {
    const { rds, sim } = setup();
    await rds.modifyClusterMasterPassword('us-west-2', 'aurora-staging', 'n3w-Secret-Value!');
    expect(sim.calls.ModifyDBCluster).toBe(1);
    expect(JSON.stringify(sim.toJSON())).not.toContain('n3w-Secret-Value!');
    expect(sim.toJSON().world.regions['us-west-2'].clusters['aurora-staging'].masterPasswordChanges).toBe(1);
    const bad = await failure(rds.modifyClusterMasterPassword('us-west-2', 'aurora-staging', 'has@sign'));
    expect(bad.name).toBe('InvalidParameterValue');
    expect(bad.message).not.toContain('has@sign');
    expect((await failure(rds.modifyClusterMasterPassword('us-west-2', 'nope', 'n3w-Secret-Value!'))).name).toBe('DBClusterNotFoundFault');
  });
});

describe('SimulatedRds deletion', () => {
  it('refuses to delete a cluster with instances, then deletes instance and cluster with a final snapshot', async () => {
    const { rds, sim, clock, ids } = setup();
    const refused = await failure(rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging', finalSnapshotId: 'aurora-staging-final' }));
    expect(refused.name).toBe('InvalidDBClusterStateFault');
    expect(refused.message).toContain('non-deleting state');

    await rds.deleteInstance('us-west-2', 'aurora-staging-writer');
    expect((await rds.describeInstance('us-west-2', 'aurora-staging-writer'))?.status).toBe('deleting');
    expect((await failure(rds.deleteInstance('us-west-2', 'aurora-staging-writer'))).name).toBe('InvalidDBInstanceStateFault');
    clock.advanceMinutes(6);
    expect(await rds.describeInstance('us-west-2', 'aurora-staging-writer')).toBeUndefined();
    expect(ids()).toEqual(['RDS-EVENT-0003 aurora-staging-writer +6m']);

    await rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging', finalSnapshotId: 'aurora-staging-final' });
    expect((await rds.describeCluster('us-west-2', 'aurora-staging'))?.status).toBe('deleting');
    expect((await rds.describeClusterSnapshot('us-west-2', 'aurora-staging-final'))?.status).toBe('creating');
    expect((await failure(rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging' }))).name).toBe('InvalidDBClusterStateFault');
    clock.advanceMinutes(4);
    expect(await rds.describeCluster('us-west-2', 'aurora-staging')).toBeUndefined();
    expect(await rds.describeClusterSnapshot('us-west-2', 'aurora-staging-final')).toMatchObject({ status: 'available', snapshotType: 'manual', sourceClusterId: 'aurora-staging' });
    expect(ids()).toEqual(['RDS-EVENT-0003 aurora-staging-writer +6m', 'RDS-EVENT-0171 aurora-staging +10m', 'RDS-EVENT-0075 aurora-staging-final +10m']);
    expect(sim.history.filter((h) => h.kind === 'cluster').map((h) => [h.from, h.to, h.atMs - START])).toEqual([
      ['available', 'deleting', 6 * MIN],
      ['deleting', null, 10 * MIN],
    ]);
    expect(sim.calls).toMatchObject({ DeleteDBCluster: 3, DeleteDBInstance: 2 });
  });

  it('waits for instances still deleting before the cluster is gone', async () => {
    const { rds, sim, clock, ids } = setup();
    await rds.deleteInstance('us-west-2', 'aurora-staging-writer');
    await rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging' });
    clock.advanceMinutes(4);
    expect((await rds.describeCluster('us-west-2', 'aurora-staging'))?.status).toBe('deleting');
    clock.advanceMinutes(2);
    expect(ids()).toEqual(['RDS-EVENT-0003 aurora-staging-writer +6m', 'RDS-EVENT-0171 aurora-staging +6m']);
  });

  it('refuses to delete a protected cluster (InvalidParameterCombination) and an existing final snapshot id', async () => {
    const { rds, sim } = setup();
    await rds.deleteInstance('us-east-1', 'aurora-prod-writer');
    const refused = await failure(rds.deleteCluster('us-east-1', { clusterId: 'aurora-prod' }));
    expect(refused.name).toBe('InvalidParameterCombination');
    expect(refused.message).toContain('deletion protection');

    await copyToWest(rds, 'taken');
    await rds.deleteInstance('us-west-2', 'aurora-staging-writer');
    expect((await failure(rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging', finalSnapshotId: 'taken' }))).name).toBe('DBClusterSnapshotAlreadyExistsFault');
    expect((await failure(rds.deleteCluster('us-west-2', { clusterId: 'nope' }))).name).toBe('DBClusterNotFoundFault');
    expect((await rds.describeCluster('us-west-2', 'aurora-staging'))?.status).toBe('available');
    expect((await rds.describeCluster('us-west-2', 'aurora-staging'))?.tags).toEqual({ [MANAGED_BY_TAG]: 'aurora-restore' });
  });
});

describe('SimulatedRds faults', () => {
  async function outcomes(seed: number) {
    const { rds, sim } = setup({ faults: { throttleRate: 0.2, transientRate: 0.2, random: seeded(seed) } });
    const out: string[] = [];
    for (let n = 0; n < 60; n++) {
      try {
        await rds.describeCluster('us-west-2', 'aurora-staging');
        out.push('ok');
      } catch (e) {
        out.push((e as Error).name);
      }
    }
    return { out, rds, sim };
  }

  it('throttles and fails transiently, reproducibly for a seed', async () => {
    const a = await outcomes(42);
    const b = await outcomes(42);
    const c = await outcomes(7);
    expect(a.out).toEqual(b.out);
    expect(a.out).not.toEqual(c.out);
    expect(a.out).toContain('Throttling');
    expect(a.out).toContain('ServiceUnavailable');
    expect(a.out).toContain('ok');
    expect(a.sim.calls.DescribeDBClusters).toBe(60);
    expect(a.sim.throttled).toBe(a.out.filter((x) => x === 'Throttling').length);
  });

  it('maps injected faults to retryable pipeline codes', async () => {
    const { rds, sim } = setup({ faults: { throttleRate: 0, transientRate: 1, random: () => 0 } });
    const e = await failure(rds.describeCluster('us-west-2', 'aurora-staging'));
    expect(e.$metadata?.httpStatusCode).toBe(503);
    expect(e.$fault).toBe('server');
    expect(classifyError(e)).toMatchObject({ code: 'TransientFault', retryable: true });
  });

  it('throttles with a token bucket on the virtual clock shared by all regions', async () => {
    const { rds, sim, clock } = setup({ rateLimit: { perSecond: 2, burst: 3 } });
    await rds.describeCluster('us-west-2', 'aurora-staging');
    await rds.describeCluster('us-east-1', 'aurora-prod');
    await rds.listAutomatedSnapshots('us-east-1', 'aurora-prod');
    const e = await failure(rds.describeCluster('us-west-2', 'aurora-staging'));
    expect(e.name).toBe('Throttling');
    expect(classifyError(e)).toMatchObject({ code: 'Throttled', retryable: true });
    clock.advanceTo(clock.t + 500);
    await rds.describeCluster('us-west-2', 'aurora-staging');
    expect((await failure(rds.describeCluster('us-west-2', 'aurora-staging'))).name).toBe('Throttling');
    expect(sim.throttled).toBe(2);
    expect(sim.calls.DescribeDBClusters).toBe(5);
  });

  async function eventsUnder(eventFaults: SimulatedRdsOptions['eventFaults']) {
    const s = setup({ eventFaults });
    await s.rds.createInstance('us-west-2', { instanceId: 'r1', clusterId: 'aurora-staging', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags: {} });
    await s.rds.createInstance('us-west-2', { instanceId: 'r2', clusterId: 'aurora-staging', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags: {} });
    s.clock.advanceMinutes(60);
    return s;
  }

  it('drops events', async () => {
    const { events, rds, sim } = await eventsUnder({ dropRate: 1, duplicateRate: 0, lateMaxMs: 0, random: seeded(1) });
    expect(events).toHaveLength(0);
    expect(sim.eventStats).toMatchObject({ dropped: 2, emitted: 0 });
    expect((await rds.describeInstance('us-west-2', 'r1'))?.status).toBe('available');
  });

  it('duplicates events with the same event id', async () => {
    const { events, rds, sim } = await eventsUnder({ dropRate: 0, duplicateRate: 1, lateMaxMs: 0, random: seeded(1) });
    expect(events.map((e) => e.env.detail.SourceIdentifier)).toEqual(['r1', 'r1', 'r2', 'r2']);
    expect(events[0].env).toEqual(events[1].env);
    expect(events[0]).not.toBe(events[1]);
    expect(sim.eventStats).toMatchObject({ duplicated: 2, emitted: 4 });
  });

  it('delivers events late, possibly out of order, reproducibly for a seed', async () => {
    const faults = (seed: number) => ({ dropRate: 0.1, duplicateRate: 0.3, lateMaxMs: 5 * MIN, random: seeded(seed) });
    const a = await eventsUnder(faults(3));
    const b = await eventsUnder(faults(3));
    const shape = (s: typeof a) => s.ids();
    expect(shape(a)).toEqual(shape(b));
    expect(a.events.length).toBeGreaterThan(0);
    for (const e of a.events) {
      expect(e.atMs).toBeGreaterThanOrEqual(START + 10 * MIN);
      expect(e.atMs).toBeLessThan(START + 15 * MIN);
      // The event's own time is when RDS emitted it, not when it arrived.
      expect(e.env.time).toBe('2026-11-24T02:10:00Z');
    }
    expect(a.events.some((e) => e.atMs > START + 10 * MIN)).toBe(true);
    expect(a.sim.eventStats.late).toBeGreaterThan(0);
  });
});

describe('SimulatedRds.fromScenario', () => {
  it('takes the world, durations and faults from a scenario', async () => {
    const clock = new FakeClock();
    const events: RdsEventEnvelope[] = [];
    const scenario = parseScenario({
      ...structuredClone(DEFAULT_SCENARIO),
      durations: { createInstanceMinutes: 3 },
      faults: { eventLateMaxSeconds: 60, eventDuplicateRate: 1 },
    });
    const rds = SimulatedRds.fromScenario(scenario, { clock, setTimer: (at, fn) => clock.setTimer(at, fn), emit: (e) => events.push(e), random: () => 0.5 }).adapter();
    await rds.createInstance('us-west-2', { instanceId: 'r1', clusterId: 'aurora-staging', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags: {} });
    clock.advanceTo(START + 3 * MIN + 29_999);
    expect(events).toHaveLength(0);
    clock.advanceTo(START + 3 * MIN + 30_000);
    expect(events.map((e) => e.detail.EventID)).toEqual(['RDS-EVENT-0005', 'RDS-EVENT-0005']);
    const throttled = SimulatedRds.fromScenario(parseScenario({ ...structuredClone(DEFAULT_SCENARIO), faults: { throttleRate: 1 } }), {
      clock,
      setTimer: clock.setTimer,
      emit: () => {},
      random: () => 0.5,
    });
    expect((await failure(throttled.adapter().describeCluster('us-west-2', 'aurora-staging'))).name).toBe('Throttling');
  });
});

describe('copy progress, as RDS reports it', () => {
  it('is whole percents, sits at 0 for a while, moves at an uneven rate, and never reports 100 before the copy is available', async () => {
    const { rds, clock } = setup();
    await copyToWest(rds);
    const seen: number[] = [];
    for (let s = 0; s < 12 * 60; s += 10) {
      const snap = await rds.describeClusterSnapshot('us-west-2', 'copy-1');
      expect(snap?.status).toBe('copying');
      seen.push(snap!.percentProgress!);
      clock.advanceTo(clock.t + 10_000);
    }
    expect(seen.every((p) => Number.isInteger(p) && p >= 0 && p <= 99)).toBe(true);
    expect(seen.slice(1).every((p, i) => p >= seen[i]!)).toBe(true);
    // At 0 for at least the first 30 s (5% of 12 minutes).
    expect(seen.slice(0, 4)).toEqual([0, 0, 0, 0]);
    // Uneven: the gain per minute differs by more than a whole percent between stretches.
    const perMinute = Array.from({ length: 11 }, (_, m) => seen[(m + 1) * 6]! - seen[m * 6]!).filter((g) => g > 0);
    expect(Math.max(...perMinute) - Math.min(...perMinute)).toBeGreaterThan(1);
    clock.advanceTo(START + 12 * MIN);
    expect((await rds.describeClusterSnapshot('us-west-2', 'copy-1'))?.percentProgress).toBe(100);
  });

  it('differs from copy to copy (the shape is drawn per copy, reproducibly)', () => {
    expect(copyProgressShape('copy-1', START)).toEqual(copyProgressShape('copy-1', START));
    expect(copyProgressShape('copy-1', START)).not.toEqual(copyProgressShape('copy-2', START));
    const s = copyProgressShape('copy-1', START);
    expect(s.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(copyFractionAt(s, 1)).toBeCloseTo(1, 9);
  });
});

describe('SimulatedRds persistence', () => {
  it('round-trips mid-copy and mid-restore; lifecycles and late events complete after loading', async () => {
    const first = setup({ eventFaults: { dropRate: 0, duplicateRate: 0, lateMaxMs: 2 * MIN, random: () => 0.5 } });
    await copyToWest(first.rds);
    await first.rds.deleteInstance('us-west-2', 'aurora-staging-writer');
    first.clock.advanceMinutes(5);
    const saved = JSON.parse(JSON.stringify(first.sim.toJSON()));

    // A later process: a new clock at the same virtual time, no timers, and the saved state.
    const clock = new FakeClock(first.clock.t);
    const events: RdsEventEnvelope[] = [];
    const sim = SimulatedRds.fromJSON(saved, {
      clock,
      setTimer: clock.setTimer,
      emit: (e) => events.push(e),
      eventFaults: { dropRate: 0, duplicateRate: 0, lateMaxMs: 2 * MIN, random: () => 0.5 },
    });
    const rds = sim.adapter();
    expect(sim.calls.CopyDBClusterSnapshot).toBe(1);
    expect(sim.history).toEqual(first.sim.history);
    expect(await rds.describeClusterSnapshot('us-west-2', 'copy-1')).toMatchObject({
      status: 'copying',
      percentProgress: Math.floor(copyFractionAt(copyProgressShape('copy-1', START), 5 / 12) * 100),
    });

    // The instance finishes deleting at +6m; its event is one minute late: in flight when we save again at +6.5m.
    clock.advanceTo(START + 6.5 * MIN);
    expect(events).toHaveLength(0);
    const saved2 = JSON.parse(JSON.stringify(sim.toJSON()));
    const clock3 = new FakeClock(clock.t);
    const events3: RdsEventEnvelope[] = [];
    const sim3 = SimulatedRds.fromJSON(saved2, { clock: clock3, setTimer: clock3.setTimer, emit: (e) => events3.push(e) });
    const rds3 = sim3.adapter();
    clock3.advanceTo(START + 7 * MIN);
    expect(events3.map((e) => e.detail.EventID)).toEqual(['RDS-EVENT-0003']);
    clock3.advanceTo(START + 12 * MIN);
    expect((await rds3.describeClusterSnapshot('us-west-2', 'copy-1'))?.status).toBe('available');
    expect(sim3.history.at(-1)).toMatchObject({ kind: 'snapshot', id: 'copy-1', from: 'copying', to: 'available', atMs: START + 12 * MIN });

    // The restored simulator keeps working: restore and create the writer.
    await rds3.restoreClusterFromSnapshot('us-west-2', restoreInput('aurora-qa'));
    clock3.advanceMinutes(15);
    expect(events3.map((e) => e.detail.EventID)).toEqual(['RDS-EVENT-0003', 'RDS-EVENT-0170']);
  });

  it('refuses state that was not saved by toJSON', () => {
    const clock = new FakeClock();
    expect(() => SimulatedRds.fromJSON({ version: 2 }, { clock, setTimer: clock.setTimer, emit: () => {} })).toThrow(/version 2/);
  });
});
