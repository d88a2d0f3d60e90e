/**
 * The AWS rules the local runtime enforces — the simulator refuses what AWS refuses — one row each:
 * the service, the rule, the documented sentence it comes from (and where), and the proof: a check that
 * runs the local runtime's own component (the simulated RDS behind the SDK's RDSClient, the local bus,
 * scheduler, queues and Lambda event source mappings) and fails if the rule stops being enforced.
 * A rule whose refusal AWS does not document word for word says so in `source`.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../src/events/catalogue';
import { RDS_EVENT_EXAMPLES } from '../../src/events/rds';
import { SUBSCRIPTIONS } from '../../src/events/subscriptions';
import { VirtualClock } from '../../src/lib/local/clock';
import { LocalEventBus, LocalEventBusPort } from '../../src/lib/local/bus';
import { DefaultBuses } from '../../src/lib/local/default-buses';
import { LocalQueue } from '../../src/lib/local/queue';
import { SimulatedRds } from '../../src/lib/local/rds';
import { buildWorld } from '../../src/lib/local/rds/world';
import { LocalRuntime } from '../../src/lib/local/runtime';
import { DEFAULT_SCENARIO } from '../../src/lib/local/scenario';
import { LocalScheduler } from '../../src/lib/local/scheduler';
import { domainEvent } from '../../src/events/catalogue';

const T0 = Date.parse('2026-11-24T02:00:00Z');
const MIN = 60_000;
const OP = 'restore-20261124-020000-k3x9q2';
const WEST_KEY = 'arn:aws:kms:us-west-2:123456789012:key/6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const PROD_SNAPSHOT = 'rds:aurora-prod-2026-11-24-00-05';
const PROD_SNAPSHOT_ARN = `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${PROD_SNAPSHOT}`;

/** The simulated RDS of the built-in world, reached through the SDK's RDSClient as the pipeline reaches it. */
function rds(scenario = DEFAULT_SCENARIO) {
  const clock = new VirtualClock({ start: new Date(T0) });
  const sim = new SimulatedRds({ clock, setTimer: (at, fn, label) => clock.setTimer(at, fn, label), world: buildWorld(scenario), emit: () => {} });
  const send = (region: string, action: string, input: Record<string, unknown>) => Promise.resolve().then(() => sim.handle(region, action, input));
  const refused = async (region: string, action: string, input: Record<string, unknown>) => {
    const e = await send(region, action, input).then(() => undefined, (err: Error) => err);
    if (!e) throw new Error(`${action} was accepted`);
    return e;
  };
  return { clock, sim, send, refused };
}

/** A cluster restored from the built-in world's automated snapshot (same region), available. */
async function availableCluster(r: ReturnType<typeof rds>, id = 'restored') {
  await r.send('us-east-1', 'RestoreDBClusterFromSnapshot', { DBClusterIdentifier: id, SnapshotIdentifier: PROD_SNAPSHOT, Engine: 'aurora-postgresql', EngineVersion: '16.6' });
  r.clock.advanceBy(15 * MIN);
}

interface Rule {
  service: 'RDS' | 'EventBridge' | 'Scheduler' | 'SQS' | 'Lambda';
  rule: string;
  /** The documented sentence, verbatim. */
  quote: string;
  source: string;
  proof: () => Promise<void>;
}

const RDS_API = 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference';

const RULES: Rule[] = [
  {
    service: 'RDS',
    rule: 'cluster, instance and snapshot identifiers: 1–63 letters, digits or hyphens, a letter first, no trailing or double hyphen (InvalidParameterValue)',
    quote: "Must contain from 1 to 63 letters, numbers, or hyphens. First character must be a letter. Can't end with a hyphen or contain two consecutive hyphens.",
    source: `${RDS_API}/API_RestoreDBClusterFromSnapshot.html, API_CreateDBInstance.html, API_CopyDBClusterSnapshot.html`,
    proof: async () => {
      const r = rds();
      const long = `a${'b'.repeat(63)}`;
      for (const id of [long, 'ends-', 'double--hyphen', '9starts-with-digit']) {
        expect((await r.refused('us-east-1', 'RestoreDBClusterFromSnapshot', { DBClusterIdentifier: id, SnapshotIdentifier: PROD_SNAPSHOT, Engine: 'aurora-postgresql', EngineVersion: '16.6' })).name).toBe('InvalidParameterValue');
      }
      expect((await r.refused('us-west-2', 'CopyDBClusterSnapshot', { SourceDBClusterSnapshotIdentifier: PROD_SNAPSHOT_ARN, TargetDBClusterSnapshotIdentifier: long, KmsKeyId: WEST_KEY })).name).toBe('InvalidParameterValue');
      await availableCluster(r);
      expect((await r.refused('us-east-1', 'CreateDBInstance', { DBInstanceIdentifier: long, DBClusterIdentifier: 'restored', DBInstanceClass: 'db.r6g.large', Engine: 'aurora-postgresql' })).name).toBe('InvalidParameterValue');
    },
  },
  {
    service: 'RDS',
    rule: "DeleteDBCluster's FinalDBSnapshotIdentifier: the same characters, 1–255 long",
    quote: 'Must be 1 to 255 letters, numbers, or hyphens.',
    source: `${RDS_API}/API_DeleteDBCluster.html`,
    proof: async () => {
      const r = rds();
      await r.send('us-west-2', 'DeleteDBInstance', { DBInstanceIdentifier: 'aurora-staging-writer' });
      expect((await r.refused('us-west-2', 'DeleteDBCluster', { DBClusterIdentifier: 'aurora-staging', FinalDBSnapshotIdentifier: `a${'b'.repeat(255)}` })).name).toBe('InvalidParameterValue');
      await r.send('us-west-2', 'DeleteDBCluster', { DBClusterIdentifier: 'aurora-staging', FinalDBSnapshotIdentifier: `a${'b'.repeat(100)}` });
    },
  },
  {
    service: 'RDS',
    rule: 'identifiers are case-insensitive and stored lowercase',
    quote: 'This parameter is stored as a lowercase string.',
    source: `${RDS_API}/API_CreateDBInstance.html (DBInstanceIdentifier); API_RestoreDBClusterFromSnapshot.html: "This parameter isn't case-sensitive."`,
    proof: async () => {
      const r = rds();
      const out = (await r.send('us-east-1', 'RestoreDBClusterFromSnapshot', { DBClusterIdentifier: 'Mixed-Case', SnapshotIdentifier: PROD_SNAPSHOT, Engine: 'aurora-postgresql', EngineVersion: '16.6' })) as { DBCluster: { DBClusterIdentifier: string } };
      expect(out.DBCluster.DBClusterIdentifier).toBe('mixed-case');
      expect((await r.refused('us-east-1', 'RestoreDBClusterFromSnapshot', { DBClusterIdentifier: 'MIXED-CASE', SnapshotIdentifier: PROD_SNAPSHOT, Engine: 'aurora-postgresql', EngineVersion: '16.6' })).name).toBe('DBClusterAlreadyExistsFault');
    },
  },
  {
    service: 'RDS',
    rule: 'a restored cluster gets DB instances only once it is available (InvalidDBClusterStateFault before)',
    quote: 'You can create DB instances only after the RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available.',
    source: `${RDS_API}/API_RestoreDBClusterFromSnapshot.html`,
    proof: async () => {
      const r = rds();
      await r.send('us-east-1', 'RestoreDBClusterFromSnapshot', { DBClusterIdentifier: 'restored', SnapshotIdentifier: PROD_SNAPSHOT, Engine: 'aurora-postgresql', EngineVersion: '16.6' });
      const writer = { DBInstanceIdentifier: 'restored-writer', DBClusterIdentifier: 'restored', DBInstanceClass: 'db.r6g.large', Engine: 'aurora-postgresql' };
      expect((await r.refused('us-east-1', 'CreateDBInstance', writer)).name).toBe('InvalidDBClusterStateFault');
      r.clock.advanceBy(15 * MIN);
      await r.send('us-east-1', 'CreateDBInstance', writer);
    },
  },
  // --- renames, clones and point-in-time restores (swap strategy, clone / point-in-time sources) ---
  {
    service: 'RDS',
    rule: 'a clone (RestoreDBClusterToPointInTime) is made in its source cluster\'s region: a source ARN of another region names no cluster here (DBClusterNotFoundFault)',
    quote: "You can't create a clone in a different AWS Region from the source Aurora DB cluster.",
    source: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Clone.html (Limitations of Aurora cloning); the refusal is DBClusterNotFoundFault, "DBClusterIdentifier doesn\'t refer to an existing DB cluster." (API_RestoreDBClusterToPointInTime.html)',
    proof: async () => {
      const r = rds();
      // aurora-staging exists in us-west-2: an ARN naming it in us-east-1 must not reach it.
      const otherRegion = 'arn:aws:rds:us-east-1:123456789012:cluster:aurora-staging';
      const clone = (source: string, id: string) => ({ DBClusterIdentifier: id, SourceDBClusterIdentifier: source, RestoreType: 'copy-on-write', UseLatestRestorableTime: true });
      expect((await r.refused('us-west-2', 'RestoreDBClusterToPointInTime', clone(otherRegion, 'cross-region-clone'))).name).toBe('DBClusterNotFoundFault');
      await r.send('us-west-2', 'RestoreDBClusterToPointInTime', clone('arn:aws:rds:us-west-2:123456789012:cluster:aurora-staging', 'same-region-clone'));
    },
  },
  {
    service: 'RDS',
    rule: 'a point-in-time restore takes a RestoreToTime inside the source\'s restorable window only (InvalidParameterValue)',
    quote: 'Must be before the latest restorable time for the DB instance',
    source: `${RDS_API}/API_RestoreDBClusterToPointInTime.html (RestoreToTime constraints; the earliest bound: "Users can restore to any point in time before LatestRestorableTime for up to BackupRetentionPeriod days." The error code is not documented)`,
    proof: async () => {
      const r = rds();
      // aurora-prod keeps 7 days of backups; its latest restorable time is a few minutes behind now.
      const pitr = (id: string, at: number) => ({ DBClusterIdentifier: id, SourceDBClusterIdentifier: 'aurora-prod', RestoreType: 'full-copy', RestoreToTime: new Date(at) });
      expect((await r.refused('us-east-1', 'RestoreDBClusterToPointInTime', pitr('too-late', T0))).name).toBe('InvalidParameterValue');
      expect((await r.refused('us-east-1', 'RestoreDBClusterToPointInTime', pitr('too-early', T0 - 8 * 86_400_000))).name).toBe('InvalidParameterValue');
      await r.send('us-east-1', 'RestoreDBClusterToPointInTime', pitr('in-window', T0 - 86_400_000));
    },
  },
  {
    service: 'RDS',
    rule: 'RestoreToTime is refused with RestoreType copy-on-write (a clone is taken at the latest restorable time)',
    quote: "Can't be specified if the RestoreType parameter is copy-on-write",
    source: `${RDS_API}/API_RestoreDBClusterToPointInTime.html (RestoreToTime constraints; the error code is not documented)`,
    proof: async () => {
      const r = rds();
      const base = { SourceDBClusterIdentifier: 'aurora-prod', RestoreType: 'copy-on-write' };
      expect((await r.refused('us-east-1', 'RestoreDBClusterToPointInTime', { ...base, DBClusterIdentifier: 'clone-at', RestoreToTime: new Date(T0 - 86_400_000) })).name).toBe('InvalidParameterCombination');
      await r.send('us-east-1', 'RestoreDBClusterToPointInTime', { ...base, DBClusterIdentifier: 'clone-latest', UseLatestRestorableTime: true });
    },
  },
  {
    service: 'RDS',
    rule: 'a cluster without DB instances cannot be cloned (InvalidDBClusterStateFault)',
    quote: "You can't create a clone from an Aurora DB cluster that has no DB instances. You can only clone Aurora DB clusters that have at least one DB instance.",
    source: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Managing.Clone.html (Limitations of Aurora cloning; the error code is not documented)',
    proof: async () => {
      const r = rds();
      const clone = (id: string) => ({ DBClusterIdentifier: id, SourceDBClusterIdentifier: 'aurora-staging', RestoreType: 'copy-on-write', UseLatestRestorableTime: true });
      await r.send('us-west-2', 'RestoreDBClusterToPointInTime', clone('with-writer'));
      await r.send('us-west-2', 'DeleteDBInstance', { DBInstanceIdentifier: 'aurora-staging-writer' });
      r.clock.advanceBy(30 * MIN);
      expect((await r.refused('us-west-2', 'RestoreDBClusterToPointInTime', clone('no-writer'))).name).toBe('InvalidDBClusterStateFault');
    },
  },
  {
    service: 'RDS',
    rule: 'a cluster is renamed or cloned only while available (InvalidDBClusterStateFault while creating, renaming, …)',
    quote: "The requested operation can't be performed while the cluster is in this state.",
    source: `${RDS_API}/API_ModifyDBCluster.html and API_RestoreDBClusterToPointInTime.html (Errors, InvalidDBClusterStateFault); AWS documents the fault, not the list of states that raise it`,
    proof: async () => {
      const r = rds();
      await r.send('us-east-1', 'RestoreDBClusterFromSnapshot', { DBClusterIdentifier: 'restored', SnapshotIdentifier: PROD_SNAPSHOT, Engine: 'aurora-postgresql', EngineVersion: '16.6' });
      // creating: neither renamed nor used as a point-in-time source
      expect((await r.refused('us-east-1', 'ModifyDBCluster', { DBClusterIdentifier: 'restored', NewDBClusterIdentifier: 'restored-new', ApplyImmediately: true })).name).toBe('InvalidDBClusterStateFault');
      expect((await r.refused('us-east-1', 'RestoreDBClusterToPointInTime', { DBClusterIdentifier: 'copy', SourceDBClusterIdentifier: 'restored', RestoreType: 'full-copy', UseLatestRestorableTime: true })).name).toBe('InvalidDBClusterStateFault');
      // renaming: not renamed a second time
      await r.send('us-west-2', 'ModifyDBCluster', { DBClusterIdentifier: 'aurora-staging', NewDBClusterIdentifier: 'aurora-staging-old', ApplyImmediately: true });
      expect((await r.refused('us-west-2', 'ModifyDBCluster', { DBClusterIdentifier: 'aurora-staging', NewDBClusterIdentifier: 'aurora-staging-other', ApplyImmediately: true })).name).toBe('InvalidDBClusterStateFault');
      r.clock.advanceBy(15 * MIN);
      await r.send('us-east-1', 'ModifyDBCluster', { DBClusterIdentifier: 'restored', NewDBClusterIdentifier: 'restored-new', ApplyImmediately: true });
    },
  },
  {
    service: 'RDS',
    rule: 'a rename onto an identifier a cluster already has (or is being renamed to) is refused (DBClusterAlreadyExistsFault)',
    quote: 'The user already has a DB cluster with the given identifier.',
    source: `${RDS_API}/API_ModifyDBCluster.html (Errors, DBClusterAlreadyExistsFault: in ModifyDBCluster only NewDBClusterIdentifier can cause it)`,
    proof: async () => {
      const r = rds();
      const rename = (from: string, to: string) => ({ DBClusterIdentifier: from, NewDBClusterIdentifier: to, ApplyImmediately: true });
      expect((await r.refused('us-west-2', 'ModifyDBCluster', rename('aurora-staging', 'Analytics'))).name).toBe('DBClusterAlreadyExistsFault');
      await r.send('us-west-2', 'ModifyDBCluster', rename('analytics', 'analytics-old'));
      expect((await r.refused('us-west-2', 'ModifyDBCluster', rename('aurora-staging', 'analytics-old'))).name).toBe('DBClusterAlreadyExistsFault');
      await r.send('us-west-2', 'ModifyDBCluster', rename('aurora-staging', 'aurora-staging-old'));
    },
  },
  {
    service: 'RDS',
    rule: 'a rename without ApplyImmediately waits for the maintenance window (pending in PendingModifiedValues); with it, the cluster goes through renaming to its new identifier',
    quote: 'If the ApplyImmediately parameter is disabled, then changes to the EnableIAMDatabaseAuthentication, MasterUserPassword, and NewDBClusterIdentifier values are applied during the next maintenance window.',
    source: `${RDS_API}/API_ModifyDBCluster.html (ApplyImmediately; "By default, this parameter is disabled.")`,
    proof: async () => {
      const r = rds();
      const describe = async (region: string, id: string) =>
        ((await r.send(region, 'DescribeDBClusters', { DBClusterIdentifier: id })) as { DBClusters: { DBClusterIdentifier: string; Status: string; PendingModifiedValues?: { DBClusterIdentifier?: string } }[] }).DBClusters[0]!;
      await r.send('us-west-2', 'ModifyDBCluster', { DBClusterIdentifier: 'analytics', NewDBClusterIdentifier: 'analytics-old' });
      r.clock.advanceBy(30 * MIN);
      expect(await describe('us-west-2', 'analytics')).toMatchObject({ DBClusterIdentifier: 'analytics', Status: 'available', PendingModifiedValues: { DBClusterIdentifier: 'analytics-old' } });
      expect((await r.refused('us-west-2', 'DescribeDBClusters', { DBClusterIdentifier: 'analytics-old' })).name).toBe('DBClusterNotFoundFault');
      await r.send('us-west-2', 'ModifyDBCluster', { DBClusterIdentifier: 'aurora-staging', NewDBClusterIdentifier: 'aurora-staging-old', ApplyImmediately: true });
      expect((await describe('us-west-2', 'aurora-staging')).Status).toBe('renaming');
      r.clock.advanceBy(30 * MIN);
      expect(await describe('us-west-2', 'aurora-staging-old')).toMatchObject({ DBClusterIdentifier: 'aurora-staging-old', Status: 'available' });
    },
  },
  {
    service: 'RDS',
    rule: 'describing an automated snapshot by identifier needs SnapshotType',
    quote: 'If this identifier is for an automated snapshot, the SnapshotType parameter must also be specified.',
    source: `${RDS_API}/API_DescribeDBClusterSnapshots.html`,
    proof: async () => {
      const r = rds();
      expect((await r.refused('us-east-1', 'DescribeDBClusterSnapshots', { DBClusterSnapshotIdentifier: PROD_SNAPSHOT })).name).toBe('InvalidParameterCombination');
      await r.send('us-east-1', 'DescribeDBClusterSnapshots', { DBClusterSnapshotIdentifier: PROD_SNAPSHOT, SnapshotType: 'automated' });
    },
  },
  {
    service: 'RDS',
    rule: 'without EngineVersion a restore takes the region default; a version older than the snapshot is refused',
    quote: "If you don't specify an engine version, the default version for the database engine in the Amazon Web Services Region is used.",
    source: `${RDS_API}/API_RestoreDBClusterFromSnapshot.html (the refusal of a downgrade is RDS behaviour, not worded there)`,
    proof: async () => {
      const r = rds();
      expect((await r.refused('us-east-1', 'RestoreDBClusterFromSnapshot', { DBClusterIdentifier: 'restored', SnapshotIdentifier: PROD_SNAPSHOT, Engine: 'aurora-postgresql' })).name).toBe('InvalidParameterCombination');
    },
  },
  {
    service: 'RDS',
    rule: 'deletion protection: DeleteDBCluster refused (InvalidParameterCombination)',
    quote: "You can't delete a DB cluster when deletion protection is enabled for it.",
    source: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html',
    proof: async () => {
      const r = rds();
      await r.send('us-east-1', 'DeleteDBInstance', { DBInstanceIdentifier: 'aurora-prod-writer' });
      expect((await r.refused('us-east-1', 'DeleteDBCluster', { DBClusterIdentifier: 'aurora-prod', SkipFinalSnapshot: true })).name).toBe('InvalidParameterCombination');
    },
  },
  {
    service: 'RDS',
    rule: 'a cluster with instances not being deleted cannot be deleted (InvalidDBClusterStateFault)',
    quote: 'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
    source: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html (the CLI example)',
    proof: async () => {
      const r = rds();
      expect((await r.refused('us-west-2', 'DeleteDBCluster', { DBClusterIdentifier: 'aurora-staging', SkipFinalSnapshot: true })).name).toBe('InvalidDBClusterStateFault');
    },
  },
  {
    service: 'RDS',
    rule: 'a final snapshot identifier is required unless SkipFinalSnapshot, and refused with it',
    quote: 'You must specify a FinalDBSnapshotIdentifier parameter if SkipFinalSnapshot is disabled.',
    source: `${RDS_API}/API_DeleteDBCluster.html`,
    proof: async () => {
      const r = rds();
      await r.send('us-west-2', 'DeleteDBInstance', { DBInstanceIdentifier: 'aurora-staging-writer' });
      expect((await r.refused('us-west-2', 'DeleteDBCluster', { DBClusterIdentifier: 'aurora-staging' })).name).toBe('InvalidParameterCombination');
      expect((await r.refused('us-west-2', 'DeleteDBCluster', { DBClusterIdentifier: 'aurora-staging', SkipFinalSnapshot: true, FinalDBSnapshotIdentifier: 'x-final' })).name).toBe('InvalidParameterCombination');
    },
  },
  {
    service: 'RDS',
    rule: 'a DB instance that is still being created cannot be deleted (InvalidDBInstanceState)',
    quote: "The DB instance isn't in a valid state.",
    source: `${RDS_API}/API_DeleteDBInstance.html (the fault; refusing a creating instance is RDS behaviour)`,
    proof: async () => {
      const r = rds();
      await availableCluster(r);
      await r.send('us-east-1', 'CreateDBInstance', { DBInstanceIdentifier: 'restored-writer', DBClusterIdentifier: 'restored', DBInstanceClass: 'db.r6g.large', Engine: 'aurora-postgresql' });
      expect((await r.refused('us-east-1', 'DeleteDBInstance', { DBInstanceIdentifier: 'restored-writer' })).name).toBe('InvalidDBInstanceStateFault');
    },
  },
  {
    service: 'RDS',
    rule: 'cross-region copies: the source as an ARN, and a KmsKeyId of the destination region for an encrypted snapshot',
    quote: 'To copy an encrypted DB cluster snapshot to another Amazon Web Services Region, you must set KmsKeyId to the Amazon Web Services KMS key identifier you want to use to encrypt the copy of the DB cluster snapshot in the destination Amazon Web Services Region.',
    source: `${RDS_API}/API_CopyDBClusterSnapshot.html ("If the source snapshot is in a different Amazon Web Services Region than the copy, specify a valid DB cluster snapshot ARN.")`,
    proof: async () => {
      const r = rds();
      expect((await r.refused('us-west-2', 'CopyDBClusterSnapshot', { SourceDBClusterSnapshotIdentifier: PROD_SNAPSHOT_ARN, TargetDBClusterSnapshotIdentifier: 'copy-1' })).name).toBe('InvalidParameterValue');
      await r.send('us-west-2', 'CopyDBClusterSnapshot', { SourceDBClusterSnapshotIdentifier: PROD_SNAPSHOT_ARN, TargetDBClusterSnapshotIdentifier: 'copy-1', KmsKeyId: WEST_KEY });
    },
  },
  {
    service: 'RDS',
    rule: 'master password: 8 to 41 printable ASCII characters other than / " @',
    quote: 'Must contain from 8 to 41 characters. Can contain any printable ASCII character except "/", """, or "@".',
    source: `${RDS_API}/API_ModifyDBCluster.html (MasterUserPassword)`,
    proof: async () => {
      const r = rds();
      for (const p of ['short', 'x'.repeat(42), 'has@sign-password', 'has space password']) {
        expect((await r.refused('us-west-2', 'ModifyDBCluster', { DBClusterIdentifier: 'aurora-staging', MasterUserPassword: p })).name).toBe('InvalidParameterValue');
      }
    },
  },
  {
    service: 'EventBridge',
    rule: 'PutEvents: 1 to 10 entries, less than 256 KB together',
    quote: 'The total entry size must be less than 256KB.',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html; API_PutEvents.html (Entries: "Maximum number of 10 items.")',
    proof: async () => {
      const bus = new LocalEventBus({ clock: new VirtualClock({ start: new Date(T0) }), name: 'aurora-restore', region: 'us-east-1' });
      const entry = { Source: EVENT_SOURCE, DetailType: 'X', Detail: '{}' };
      expect(() => bus.putEvents(Array.from({ length: 11 }, () => entry))).toThrow(/1 to 10 entries/);
      expect(() => bus.putEvents([{ ...entry, Detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) }])).toThrow(/256 KB/);
    },
  },
  {
    service: 'EventBridge',
    rule: 'RDS events arrive on the default bus of their own region; a rule only sees its bus',
    quote: "When an AWS service in your account sends an event to EventBridge, it goes to your account's default event bus.",
    source: 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events.html; cross-region delivery needs a rule with an event bus target in another Region (eb-cross-region.html)',
    proof: async () => {
      const clock = new VirtualClock({ start: new Date(T0) });
      const pipelineBus = new LocalEventBus({ clock, name: 'aurora-restore', region: 'us-east-1' });
      const defaults = new DefaultBuses({ clock });
      defaults.forward('us-east-1', { source: ['aws.rds'] }, pipelineBus);
      const west = structuredClone(RDS_EVENT_EXAMPLES.clusterCreated);
      defaults.put(west as never);
      expect(pipelineBus.stats().published).toBe(0);
      defaults.forward('us-west-2', { source: ['aws.rds'] }, pipelineBus);
      defaults.put(west as never);
      expect(pipelineBus.stats().published).toBe(1);
    },
  },
  {
    service: 'Scheduler',
    rule: 'one-time schedules fire with one-minute precision (never early)',
    quote: 'All schedule types on EventBridge Scheduler invoke their targets with 60 second precision.',
    source: 'https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html',
    proof: async () => {
      const clock = new VirtualClock({ start: new Date(T0) });
      const scheduler = new LocalScheduler({ clock, bus: async () => {} });
      await scheduler.scheduleOnce({ name: 's', at: new Date(T0 + 30_000), event: domainEvent('RecheckDue', OP, clock.now(), { check: 'copy', attempt: 1 }) });
      expect(scheduler.pending()[0].fireAt).toBe(new Date(T0 + MIN).toISOString());
    },
  },
  {
    service: 'Scheduler',
    rule: 'a one-time schedule in the past is refused (ValidationException)',
    quote: '(not documented: Scheduler\'s behaviour for a past at() time is unstated; a ValidationException is reported, so the pipeline never creates one)',
    source: 'https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html',
    proof: async () => {
      const clock = new VirtualClock({ start: new Date(T0) });
      const scheduler = new LocalScheduler({ clock, bus: async () => {} });
      await expect(scheduler.scheduleOnce({ name: 'late', at: new Date(T0 - 2 * MIN), event: domainEvent('RecheckDue', OP, clock.now(), { check: 'copy', attempt: 1 }) })).rejects.toMatchObject({ name: 'ValidationException' });
    },
  },
  {
    service: 'Lambda',
    rule: "an SQS event source mapping needs the queue's visibility timeout ≥ the function timeout — dead-letter queues included",
    quote: "Your function's timeout must be less than or equal to the queue's visibility timeout. Lambda validates this requirement when you create or update an event source mapping and will return an error if the function timeout exceeds the queue's visibility timeout.",
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html',
    proof: async () => {
      const clock = new VirtualClock({ start: new Date(T0) });
      const bus = new LocalEventBus({ clock, name: 'aurora-restore', region: 'us-east-1' });
      expect(() => new LocalRuntime({ clock, bus, subscriptions: SUBSCRIPTIONS, handlers: {}, functionTimeoutMs: 300_000, deadLetterVisibilityTimeoutMs: 30_000 })).toThrow(/less than Function timeout/);
    },
  },
  {
    service: 'SQS',
    rule: 'ChangeMessageVisibility takes 0 to 43,200 seconds and a current receipt handle',
    quote: 'Values range: 0 to 43200. Maximum: 12 hours.',
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html',
    proof: async () => {
      const clock = new VirtualClock({ start: new Date(T0) });
      const bus = new LocalEventBus({ clock, name: 'aurora-restore', region: 'us-east-1' });
      const runtime = new LocalRuntime({ clock, bus, subscriptions: SUBSCRIPTIONS, handlers: {} });
      new LocalEventBusPort({ bus }).publish([domainEvent('RestoreRequested', OP, clock.now(), { request: DEFAULT_SCENARIO.request! })]);
      const queue = runtime.queues['snapshot-check'].queue;
      const [m] = queue.receive(1);
      const queueArn = runtime.queueArn(queue.name);
      await expect(runtime.messageQueue.changeVisibility({ queueArn, receiptHandle: m.receiptHandle, seconds: 43_201 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
      await expect(runtime.messageQueue.changeVisibility({ queueArn, receiptHandle: 'stale', seconds: 10 })).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
      await runtime.messageQueue.changeVisibility({ queueArn, receiptHandle: m.receiptHandle, seconds: 10 });
      clock.advanceBy(10_000);
      expect(queue.visibleCount()).toBe(1);
    },
  },
  {
    service: 'SQS',
    rule: 'a message received maxReceiveCount times moves to the dead-letter queue',
    quote: 'The number of times a message is delivered to the source queue before being moved to the dead-letter queue.',
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html (maxReceiveCount)',
    proof: async () => {
      const clock = new VirtualClock({ start: new Date(T0) });
      const dlq = new LocalQueue({ name: 'q-dlq', clock, visibilityTimeoutMs: MIN, maxReceiveCount: 5 });
      const q = new LocalQueue({ name: 'q', clock, visibilityTimeoutMs: MIN, maxReceiveCount: 2, deadLetter: dlq });
      q.send('{}');
      for (let n = 0; n < 3; n++) {
        q.receive(1);
        clock.advanceBy(MIN);
      }
      expect(dlq.size()).toBe(1);
    },
  },
];

describe('the AWS rules the local runtime enforces', () => {
  it('every rule cites a documented sentence and a source', () => {
    for (const r of RULES) {
      expect(r.quote.length, r.rule).toBeGreaterThan(20);
      expect(r.source, r.rule).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });

  for (const r of RULES) it(`${r.service}: ${r.rule}`, r.proof);
});
