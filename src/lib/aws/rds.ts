import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  paginateDescribeDBClusterSnapshots,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { isFault } from '../errors';
import type { ClusterInfo, ClusterOptions, CopySnapshotInput, CreateInstanceInput, InstanceInfo, Rds, RestoreClusterInput, RestoreToPointInTimeInput, SnapshotInfo } from '../ports';
import { fromTagList, sdkClientOptions, toTagList } from './client-options';

export interface AwsRdsOptions {
  /** Builds the client of a region; called once per region (the result is kept). Tests inject mocked clients here. */
  clientFor?: (region: string) => RDSClient;
  maxAttempts?: number;
}

/**
 * The RDS port on the AWS SDK v3. One client per region: the pipeline reads snapshots in the source
 * region and copies, restores and deletes in the target region. SDK errors propagate unchanged, so
 * their `name` is the RDS fault name `classifyError` understands; only the "not found" faults of the
 * Describe calls become `undefined`, as the port says.
 */
export class AwsRds implements Rds {
  private readonly clients = new Map<string, RDSClient>();
  private readonly build: (region: string) => RDSClient;

  constructor(options: AwsRdsOptions = {}) {
    this.build = options.clientFor ?? ((region) => new RDSClient(sdkClientOptions({ region, maxAttempts: options.maxAttempts })));
  }

  /** The (single) client of `region`. */
  client(region: string): RDSClient {
    let c = this.clients.get(region);
    if (!c) {
      c = this.build(region);
      this.clients.set(region, c);
    }
    return c;
  }

  async describeClusterSnapshot(region: string, snapshotId: string): Promise<SnapshotInfo | undefined> {
    try {
      // "If this identifier is for an automated snapshot, the SnapshotType parameter must also be specified."
      const automated = snapshotId.startsWith('rds:');
      const out = await this.client(region).send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: snapshotId, ...(automated ? { SnapshotType: 'automated' } : {}) }),
      );
      const s = out.DBClusterSnapshots?.[0];
      return s ? toSnapshotInfo(s, region) : undefined;
    } catch (err) {
      if (isFault(err, 'DBClusterSnapshotNotFoundFault')) return undefined;
      throw err;
    }
  }

  async listAutomatedSnapshots(region: string, clusterId: string): Promise<SnapshotInfo[]> {
    return this.listSnapshots(region, clusterId, 'automated');
  }

  async listManualSnapshots(region: string, clusterId?: string): Promise<SnapshotInfo[]> {
    return this.listSnapshots(region, clusterId, 'manual');
  }

  private async listSnapshots(region: string, clusterId: string | undefined, type: 'automated' | 'manual'): Promise<SnapshotInfo[]> {
    const all: SnapshotInfo[] = [];
    const pages = paginateDescribeDBClusterSnapshots({ client: this.client(region) }, { ...(clusterId ? { DBClusterIdentifier: clusterId } : {}), SnapshotType: type });
    for await (const page of pages) for (const s of page.DBClusterSnapshots ?? []) all.push(toSnapshotInfo(s, region));
    // ISO-8601 UTC strings sort chronologically; newest first.
    return all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /**
   * Sent to the TARGET region's client. For a cross-region copy RDS needs a presigned URL of the
   * same call in the source region. In SDK v3 (checked in @aws-sdk/client-rds 3.1169 and
   * @aws-sdk/middleware-sdk-rds) `SourceRegion` is NOT an input member of CopyDBClusterSnapshotCommand
   * (it was in SDK v2, boto3 and the CLI); instead the client's crossRegionPresignedUrl middleware
   * generates `PreSignedUrl` (with `DestinationRegion` = the client's region and our `KmsKeyId`)
   * whenever `SourceDBClusterSnapshotIdentifier` is an ARN whose region differs from the client's
   * region. So the source must be given as an ARN, which the port requires; tests/aws/rds.test.ts
   * checks the generated URL on the wire. `sourceRegion` is still cross-checked against the ARN.
   */
  async copyClusterSnapshot(input: CopySnapshotInput): Promise<SnapshotInfo> {
    const arnRegion = input.sourceSnapshotArn.split(':')[3];
    if (!input.sourceSnapshotArn.startsWith('arn:') || arnRegion !== input.sourceRegion) {
      throw new Error(
        `sourceSnapshotArn: expected a cluster snapshot ARN in sourceRegion ${input.sourceRegion}, got ${JSON.stringify(input.sourceSnapshotArn)}`,
      );
    }
    const out = await this.client(input.targetRegion).send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: input.sourceSnapshotArn,
        TargetDBClusterSnapshotIdentifier: input.targetSnapshotId,
        ...(input.kmsKeyId ? { KmsKeyId: input.kmsKeyId } : {}),
        Tags: toTagList(input.tags),
        CopyTags: false,
      }),
    );
    return toSnapshotInfo(required(out.DBClusterSnapshot, 'CopyDBClusterSnapshot', 'DBClusterSnapshot'), input.targetRegion);
  }

  async deleteClusterSnapshot(region: string, snapshotId: string): Promise<void> {
    await this.client(region).send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshotId }));
  }

  async describeCluster(region: string, clusterId: string): Promise<ClusterInfo | undefined> {
    try {
      const out = await this.client(region).send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }));
      const c = out.DBClusters?.[0];
      return c ? toClusterInfo(c, region) : undefined;
    } catch (err) {
      if (isFault(err, 'DBClusterNotFoundFault')) return undefined;
      throw err;
    }
  }

  async deleteCluster(region: string, input: { clusterId: string; finalSnapshotId?: string }): Promise<void> {
    await this.client(region).send(
      new DeleteDBClusterCommand(
        input.finalSnapshotId
          ? { DBClusterIdentifier: input.clusterId, SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: input.finalSnapshotId }
          : { DBClusterIdentifier: input.clusterId, SkipFinalSnapshot: true },
      ),
    );
  }

  async restoreClusterFromSnapshot(region: string, input: RestoreClusterInput): Promise<ClusterInfo> {
    const out = await this.client(region).send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: input.clusterId,
        SnapshotIdentifier: input.snapshotId,
        Engine: input.engine,
        ...(input.engineVersion ? { EngineVersion: input.engineVersion } : {}),
        ...(input.subnetGroup ? { DBSubnetGroupName: input.subnetGroup } : {}),
        VpcSecurityGroupIds: input.securityGroupIds,
        ...(input.kmsKeyId ? { KmsKeyId: input.kmsKeyId } : {}),
        Tags: toTagList(input.tags),
        ...clusterOptions(input),
        CopyTagsToSnapshot: true,
      }),
    );
    return toClusterInfo(required(out.DBCluster, 'RestoreDBClusterFromSnapshot', 'DBCluster'), region);
  }

  /**
   * Aurora fast clone (RestoreType copy-on-write, which takes no RestoreToTime: "Can't be specified if the
   * RestoreType parameter is copy-on-write") or full copy. Like a snapshot restore, it creates the cluster only.
   */
  async restoreClusterToPointInTime(region: string, input: RestoreToPointInTimeInput): Promise<ClusterInfo> {
    const out = await this.client(region).send(
      new RestoreDBClusterToPointInTimeCommand({
        DBClusterIdentifier: input.clusterId,
        SourceDBClusterIdentifier: input.sourceClusterId,
        RestoreType: input.type,
        ...(input.restoreTime && input.type === 'full-copy' ? { RestoreToTime: new Date(input.restoreTime) } : { UseLatestRestorableTime: true }),
        ...(input.subnetGroup ? { DBSubnetGroupName: input.subnetGroup } : {}),
        VpcSecurityGroupIds: input.securityGroupIds,
        Tags: toTagList(input.tags),
        ...clusterOptions(input),
        CopyTagsToSnapshot: true,
      }),
    );
    return toClusterInfo(required(out.DBCluster, 'RestoreDBClusterToPointInTime', 'DBCluster'), region);
  }

  /** "If the ApplyImmediately parameter is disabled, then changes to the ... NewDBClusterIdentifier values are applied during the next maintenance window." */
  async renameCluster(region: string, clusterId: string, newClusterId: string): Promise<void> {
    await this.client(region).send(new ModifyDBClusterCommand({ DBClusterIdentifier: clusterId, NewDBClusterIdentifier: newClusterId, ApplyImmediately: true }));
  }

  async describeInstance(region: string, instanceId: string): Promise<InstanceInfo | undefined> {
    try {
      const out = await this.client(region).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
      const i = out.DBInstances?.[0];
      return i ? toInstanceInfo(i, region) : undefined;
    } catch (err) {
      if (isFault(err, 'DBInstanceNotFoundFault', 'DBInstanceNotFound')) return undefined;
      throw err;
    }
  }

  async createInstance(region: string, input: CreateInstanceInput): Promise<InstanceInfo> {
    const out = await this.client(region).send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: input.instanceId,
        DBClusterIdentifier: input.clusterId,
        DBInstanceClass: input.instanceClass,
        Engine: input.engine,
        ...(input.parameterGroup ? { DBParameterGroupName: input.parameterGroup } : {}),
        ...(input.promotionTier !== undefined ? { PromotionTier: input.promotionTier } : {}),
        Tags: toTagList(input.tags),
      }),
    );
    return toInstanceInfo(required(out.DBInstance, 'CreateDBInstance', 'DBInstance'), region);
  }

  /**
   * Only the identifier: an Aurora instance has no instance-level backups (snapshots belong to the
   * cluster), so neither FinalDBSnapshotIdentifier nor SkipFinalSnapshot is sent; RDS rejects a
   * final snapshot identifier for a cluster member, and the Aurora guide deletes members with the
   * identifier alone. The cluster's final snapshot is taken by deleteCluster.
   */
  async deleteInstance(region: string, instanceId: string): Promise<void> {
    await this.client(region).send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instanceId }));
  }

  async modifyClusterMasterPassword(region: string, clusterId: string, password: string): Promise<void> {
    await this.client(region).send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: clusterId, MasterUserPassword: password, ApplyImmediately: true }),
    );
  }
}

/** The request's cluster settings as both restore calls take them; absent ones are not sent (RDS's defaults, as before). */
function clusterOptions(o: ClusterOptions) {
  return {
    DeletionProtection: o.deletionProtection ?? false,
    ...(o.clusterParameterGroup ? { DBClusterParameterGroupName: o.clusterParameterGroup } : {}),
    ...(o.serverless ? { ServerlessV2ScalingConfiguration: { MinCapacity: o.serverless.minCapacity, MaxCapacity: o.serverless.maxCapacity } } : {}),
    ...(o.cloudwatchLogsExports?.length ? { EnableCloudwatchLogsExports: o.cloudwatchLogsExports } : {}),
    ...(o.iamDatabaseAuthentication ? { EnableIAMDatabaseAuthentication: true } : {}),
    ...(o.port !== undefined ? { Port: o.port } : {}),
  };
}

function required<T>(value: T | undefined, operation: string, field: string): T {
  if (value === undefined || value === null) throw new Error(`${operation}: expected ${field} in the response, got none`);
  return value;
}

export function toSnapshotInfo(s: DBClusterSnapshot, region: string): SnapshotInfo {
  const op = 'DBClusterSnapshot';
  return {
    snapshotId: required(s.DBClusterSnapshotIdentifier, op, 'DBClusterSnapshotIdentifier'),
    snapshotArn: required(s.DBClusterSnapshotArn, op, 'DBClusterSnapshotArn'),
    region,
    sourceClusterId: s.DBClusterIdentifier ?? '',
    status: s.Status ?? 'unknown',
    snapshotType: s.SnapshotType === 'automated' ? 'automated' : 'manual',
    // Absent only while RDS has not yet stamped a snapshot that is being created.
    createdAt: s.SnapshotCreateTime ? new Date(s.SnapshotCreateTime).toISOString() : '',
    encrypted: s.StorageEncrypted ?? false,
    ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
    engine: s.Engine ?? '',
    ...(s.EngineVersion ? { engineVersion: s.EngineVersion } : {}),
    ...(s.PercentProgress !== undefined ? { percentProgress: s.PercentProgress } : {}),
    tags: fromTagList(s.TagList),
  };
}

export function toClusterInfo(c: DBCluster, region: string): ClusterInfo {
  const op = 'DBCluster';
  return {
    clusterId: required(c.DBClusterIdentifier, op, 'DBClusterIdentifier'),
    clusterArn: required(c.DBClusterArn, op, 'DBClusterArn'),
    region,
    status: c.Status ?? 'unknown',
    engine: c.Engine ?? '',
    ...(c.EngineVersion ? { engineVersion: c.EngineVersion } : {}),
    deletionProtection: c.DeletionProtection ?? false,
    ...(c.EarliestRestorableTime ? { earliestRestorableTime: new Date(c.EarliestRestorableTime).toISOString() } : {}),
    ...(c.LatestRestorableTime ? { latestRestorableTime: new Date(c.LatestRestorableTime).toISOString() } : {}),
    ...(c.Endpoint ? { endpoint: c.Endpoint } : {}),
    ...(c.ReaderEndpoint ? { readerEndpoint: c.ReaderEndpoint } : {}),
    ...(c.Port !== undefined ? { port: c.Port } : {}),
    members: (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier).filter((id): id is string => !!id),
    tags: fromTagList(c.TagList),
  };
}

export function toInstanceInfo(i: DBInstance, region: string): InstanceInfo {
  const op = 'DBInstance';
  return {
    instanceId: required(i.DBInstanceIdentifier, op, 'DBInstanceIdentifier'),
    instanceArn: required(i.DBInstanceArn, op, 'DBInstanceArn'),
    region,
    ...(i.DBClusterIdentifier ? { clusterId: i.DBClusterIdentifier } : {}),
    status: i.DBInstanceStatus ?? 'unknown',
    instanceClass: i.DBInstanceClass ?? '',
    tags: fromTagList(i.TagList),
  };
}
