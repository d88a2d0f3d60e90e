/**
 * The Aurora side of a moto scenario: seeding clusters, instances and snapshots, and the RDS events moto
 * does not emit, derived from what its Describe calls show.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { RDS_DETAIL_TYPES, RDS_EVENT_IDS, RDS_SOURCE, rdsEventDetail } from '../../src/events/rds';

export interface SeedCluster {
  region: string;
  clusterId: string;
  engine?: string;
  tags?: Record<string, string>;
  deletionProtection?: boolean;
  /** KMS key ARN: the cluster (and its snapshots) are encrypted with it. */
  kmsKeyId?: string;
  instances?: string[];
}

const tagList = (tags: Record<string, string> = {}) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const tagRecord = (list: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((list ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));

const clients = new Map<string, RDSClient>();
export function rdsClient(region: string): RDSClient {
  let c = clients.get(region);
  if (!c) clients.set(region, (c = new RDSClient({ region })));
  return c;
}

/** Creates a cluster and its instances (moto also takes an automated `rds:` cluster snapshot at creation). */
export async function seedCluster(c: SeedCluster): Promise<void> {
  const rds = rdsClient(c.region);
  const engine = c.engine ?? 'aurora-postgresql';
  await rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: c.clusterId,
      Engine: engine,
      MasterUsername: 'postgres',
      MasterUserPassword: 'seed-password-not-used',
      DeletionProtection: c.deletionProtection ?? false,
      ...(c.kmsKeyId ? { StorageEncrypted: true, KmsKeyId: c.kmsKeyId } : {}),
      Tags: tagList(c.tags),
    }),
  );
  for (const id of c.instances ?? []) {
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, DBClusterIdentifier: c.clusterId, Engine: engine, DBInstanceClass: 'db.r6g.large', Tags: tagList(c.tags) }));
  }
}

export async function seedManualSnapshot(region: string, clusterId: string, snapshotId: string): Promise<string> {
  const out = await rdsClient(region).send(new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: clusterId, DBClusterSnapshotIdentifier: snapshotId }));
  return out.DBClusterSnapshot!.DBClusterSnapshotArn!;
}

interface Resource {
  id: string;
  arn: string;
  status: string;
  tags: Record<string, string>;
}

/** What Describe shows in one region. */
export interface RegionView {
  clusters: Map<string, Resource & { members: string[] }>;
  instances: Map<string, Resource & { clusterId?: string }>;
  snapshots: Map<string, Resource & { type: string; clusterId: string }>;
}

export async function describeRegion(region: string): Promise<RegionView> {
  const rds = rdsClient(region);
  const [c, i, s] = await Promise.all([
    rds.send(new DescribeDBClustersCommand({})),
    rds.send(new DescribeDBInstancesCommand({})),
    rds.send(new DescribeDBClusterSnapshotsCommand({})),
  ]);
  return {
    clusters: new Map(
      (c.DBClusters ?? []).map((x) => [
        x.DBClusterIdentifier!,
        { id: x.DBClusterIdentifier!, arn: x.DBClusterArn!, status: x.Status ?? '', tags: tagRecord(x.TagList), members: (x.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier!) },
      ]),
    ),
    instances: new Map(
      (i.DBInstances ?? []).map((x) => [
        x.DBInstanceIdentifier!,
        { id: x.DBInstanceIdentifier!, arn: x.DBInstanceArn!, status: x.DBInstanceStatus ?? '', tags: tagRecord(x.TagList), clusterId: x.DBClusterIdentifier },
      ]),
    ),
    snapshots: new Map(
      (s.DBClusterSnapshots ?? []).map((x) => [
        x.DBClusterSnapshotIdentifier!,
        { id: x.DBClusterSnapshotIdentifier!, arn: x.DBClusterSnapshotArn!, status: x.Status ?? '', tags: tagRecord(x.TagList), type: x.SnapshotType ?? '', clusterId: x.DBClusterIdentifier ?? '' },
      ]),
    ),
  };
}

export interface EmittedRdsEvent {
  region: string;
  eventId: string;
  sourceIdentifier: string;
}

/**
 * moto changes RDS state at once and emits no RDS events. After each round this diffs Describe with the
 * previous view of each region and puts the events the pipeline consumes (src/events/rds.ts), in
 * EventBridge's format, on THAT region's default bus: a cluster or instance that became available
 * (RDS-EVENT-0170 / 0005) or disappeared (0171 / 0003). So the default-bus forwarding rule of the stack
 * does the forwarding, and only for its own region, as on AWS.
 */
export class RdsEventSource {
  private views = new Map<string, RegionView>();
  /** Clusters and instances whose "created" event was already emitted (per region). */
  private readonly created = new Set<string>();
  readonly emitted: EmittedRdsEvent[] = [];
  /** Every identifier seen in any view, per kind and region, with when it was first seen. */
  readonly seen = { clusters: new Set<string>(), instances: new Set<string>(), snapshots: new Set<string>() };
  private readonly initial = { clusters: new Set<string>(), instances: new Set<string>(), snapshots: new Set<string>() };
  private readonly buses = new Map<string, EventBridgeClient>();

  constructor(readonly regions: string[]) {}

  /** Records the world as it is before the pipeline runs: nothing there now produces an event. */
  async baseline(): Promise<void> {
    this.created.clear();
    this.emitted.length = 0;
    for (const set of [...Object.values(this.seen), ...Object.values(this.initial)]) set.clear();
    for (const region of this.regions) {
      const v = await describeRegion(region);
      this.views.set(region, v);
      for (const [id, c] of v.clusters) {
        this.initial.clusters.add(`${region}/${id}`);
        if (c.status === 'available') this.created.add(`${region}/cluster/${id}`);
      }
      for (const [id, i] of v.instances) {
        this.initial.instances.add(`${region}/${id}`);
        if (i.status === 'available') this.created.add(`${region}/instance/${id}`);
      }
      for (const id of v.snapshots.keys()) this.initial.snapshots.add(`${region}/${id}`);
    }
  }

  /** Diffs every region with its previous view and emits the events; returns how many. */
  async poll(): Promise<number> {
    let n = 0;
    for (const region of this.regions) {
      const before = this.views.get(region)!;
      const now = await describeRegion(region);
      const entries: PutEventsRequestEntry[] = [];
      for (const [id, c] of now.clusters) {
        this.seen.clusters.add(`${region}/${id}`);
        if (c.status === 'available' && !this.created.has(`${region}/cluster/${id}`)) {
          this.created.add(`${region}/cluster/${id}`);
          entries.push(this.entry(region, 'cluster', RDS_EVENT_IDS.clusterCreated, 'creation', 'DB cluster created', c));
        }
      }
      for (const [id, c] of before.clusters) {
        if (now.clusters.has(id)) continue;
        this.created.delete(`${region}/cluster/${id}`);
        entries.push(this.entry(region, 'cluster', RDS_EVENT_IDS.clusterDeleted, 'deletion', 'DB cluster deleted', c));
        await this.deleteAutomatedBackups(region, id, now);
      }
      for (const [id, i] of now.instances) {
        this.seen.instances.add(`${region}/${id}`);
        if (i.status === 'available' && !this.created.has(`${region}/instance/${id}`)) {
          this.created.add(`${region}/instance/${id}`);
          entries.push(this.entry(region, 'instance', RDS_EVENT_IDS.instanceCreated, 'creation', 'DB instance created', i));
        }
      }
      for (const [id, i] of before.instances) {
        if (now.instances.has(id)) continue;
        this.created.delete(`${region}/instance/${id}`);
        entries.push(this.entry(region, 'instance', RDS_EVENT_IDS.instanceDeleted, 'deletion', 'DB instance deleted', i));
      }
      for (const id of now.snapshots.keys()) this.seen.snapshots.add(`${region}/${id}`);
      this.views.set(region, now);
      for (let k = 0; k < entries.length; k += 10) {
        const out = await this.bus(region).send(new PutEventsCommand({ Entries: entries.slice(k, k + 10) }));
        if (out.FailedEntryCount) throw new Error(`PutEvents of RDS events in ${region}: ${JSON.stringify(out.Entries)}`);
      }
      n += entries.length;
    }
    return n;
  }

  /**
   * moto keeps a deleted cluster's automated `rds:` snapshots, and names the one it takes when a cluster
   * is created `rds:<cluster>-<minute>`: restoring a cluster under the name of one deleted in the same
   * minute then fails with DBClusterSnapshotAlreadyExistsFault, which AWS never answers to a restore.
   * DeleteDBCluster's reference: "When you delete a DB cluster, all automated backups for that DB cluster
   * are deleted and can't be recovered." So the harness deletes them when it sees the cluster gone.
   */
  private async deleteAutomatedBackups(region: string, clusterId: string, view: RegionView): Promise<void> {
    for (const s of [...view.snapshots.values()]) {
      if (s.type !== 'automated' || s.clusterId !== clusterId) continue;
      await rdsClient(region).send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: s.id }));
      view.snapshots.delete(s.id);
    }
  }

  /** Identifiers that were not there before the run (clusters, instances, snapshots, any region), as `region/id`. */
  createdSinceBaseline(): { clusters: string[]; instances: string[]; snapshots: string[] } {
    const fresh = (kind: keyof RdsEventSource['seen']) => [...this.seen[kind]].filter((x) => !this.initial[kind].has(x)).sort();
    return { clusters: fresh('clusters'), instances: fresh('instances'), snapshots: fresh('snapshots') };
  }

  view(region: string): RegionView | undefined {
    return this.views.get(region);
  }

  private bus(region: string): EventBridgeClient {
    let c = this.buses.get(region);
    if (!c) this.buses.set(region, (c = new EventBridgeClient({ region })));
    return c;
  }

  private entry(region: string, kind: 'cluster' | 'instance', eventId: string, category: string, message: string, r: Resource): PutEventsRequestEntry {
    this.emitted.push({ region, eventId, sourceIdentifier: r.id });
    const now = new Date();
    const detail = {
      EventCategories: [category],
      SourceType: kind === 'cluster' ? 'CLUSTER' : 'DB_INSTANCE',
      SourceArn: r.arn,
      Date: now.toISOString(),
      Message: message,
      SourceIdentifier: r.id,
      EventID: eventId,
      Tags: r.tags,
    };
    // The harness's events must be what the pipeline's own schema of an RDS event accepts.
    rdsEventDetail.parse(detail);
    return {
      // No EventBusName: the region's default bus, where RDS puts its events.
      Source: RDS_SOURCE,
      DetailType: kind === 'cluster' ? RDS_DETAIL_TYPES.cluster : RDS_DETAIL_TYPES.instance,
      Resources: [r.arn],
      Time: now,
      Detail: JSON.stringify(detail),
    };
  }
}

/** The RDS identifier rule: 1-63 letters, digits and hyphens, starting with a letter, no trailing or double hyphen. */
export const RDS_IDENTIFIER = /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,62}$/;
