import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DBClusterNotFoundFault,
  DBClusterSnapshotNotFoundFault,
  DBInstanceNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  InvalidDBClusterStateFault,
  KMSKeyNotAccessibleFault,
  ModifyDBClusterCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsRds } from '../../src/lib/aws/rds';
import { classifyError } from '../../src/lib/errors';
import { capturingHandler, TEST_CREDENTIALS, useDummyAwsEnv } from './sdk-test-env';

const SRC_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:aurora-prod-2026-11-24-00-05';
const meta = { $metadata: {} };

const snapshot = (id: string, created: string, extra: Record<string, unknown> = {}) => ({
  DBClusterSnapshotIdentifier: id,
  DBClusterSnapshotArn: `arn:aws:rds:us-east-1:123456789012:cluster-snapshot:${id}`,
  DBClusterIdentifier: 'aurora-prod',
  Status: 'available',
  SnapshotType: 'automated',
  SnapshotCreateTime: new Date(created),
  StorageEncrypted: true,
  KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/source-key',
  Engine: 'aurora-postgresql',
  EngineVersion: '16.4',
  PercentProgress: 100,
  TagList: [{ Key: 'team', Value: 'data' }],
  ...extra,
});

const cluster = {
  DBClusterIdentifier: 'aurora-staging',
  DBClusterArn: 'arn:aws:rds:us-west-2:123456789012:cluster:aurora-staging',
  Status: 'available',
  Engine: 'aurora-postgresql',
  DeletionProtection: false,
  Endpoint: 'aurora-staging.cluster-c0ffee.us-west-2.rds.amazonaws.com',
  ReaderEndpoint: 'aurora-staging.cluster-ro-c0ffee.us-west-2.rds.amazonaws.com',
  Port: 5432,
  DBClusterMembers: [{ DBInstanceIdentifier: 'aurora-staging-writer', IsClusterWriter: true }],
  TagList: [{ Key: 'managed-by', Value: 'aurora-restore' }],
};

const instance = {
  DBInstanceIdentifier: 'aurora-staging-writer',
  DBInstanceArn: 'arn:aws:rds:us-west-2:123456789012:db:aurora-staging-writer',
  DBClusterIdentifier: 'aurora-staging',
  DBInstanceStatus: 'creating',
  DBInstanceClass: 'db.r6g.large',
  TagList: [{ Key: 'managed-by', Value: 'aurora-restore' }],
};

describe('AwsRds', () => {
  let mock: AwsStub<any, any, any>;
  let clients: Record<string, RDSClient>;
  let rds: AwsRds;

  beforeAll(useDummyAwsEnv);
  beforeEach(() => {
    mock = mockClient(RDSClient);
    clients = {};
    rds = new AwsRds({
      clientFor: (region) => (clients[region] = new RDSClient({ region, credentials: TEST_CREDENTIALS })),
    });
  });
  afterEach(() => mock.restore());

  it('keeps one client per region', async () => {
    mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [cluster] });
    await rds.describeCluster('us-west-2', 'a');
    await rds.describeCluster('us-west-2', 'b');
    await rds.describeCluster('eu-west-1', 'c');
    expect(Object.keys(clients).sort()).toEqual(['eu-west-1', 'us-west-2']);
    const calls = mock.commandCalls(DescribeDBClustersCommand);
    expect(calls.map((c) => c.thisValue)).toEqual([clients['us-west-2'], clients['us-west-2'], clients['eu-west-1']]);
  });

  it('builds its own clients with adaptive retries when no factory is given', async () => {
    const own = new AwsRds({ maxAttempts: 7 });
    const client = own.client('us-west-2');
    expect(own.client('us-west-2')).toBe(client);
    expect(await client.config.region()).toBe('us-west-2');
    expect(await client.config.maxAttempts()).toBe(7);
    expect(client.config.retryMode).toBe('adaptive');
    expect(((await client.config.retryStrategy()) as { mode?: string }).mode).toBe('adaptive');
  });

  describe('describeClusterSnapshot', () => {
    it('asks for an automated snapshot by identifier with SnapshotType automated, as RDS requires, and maps it', async () => {
      mock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [snapshot('rds:aurora-prod-2026-11-24-00-05', '2026-11-24T00:05:00Z')] });
      const s = await rds.describeClusterSnapshot('us-east-1', 'rds:aurora-prod-2026-11-24-00-05');
      // "If this identifier is for an automated snapshot, the SnapshotType parameter must also be specified."
      expect(mock.commandCalls(DescribeDBClusterSnapshotsCommand)[0].args[0].input).toEqual({
        DBClusterSnapshotIdentifier: 'rds:aurora-prod-2026-11-24-00-05',
        SnapshotType: 'automated',
      });
      expect(s).toEqual({
        snapshotId: 'rds:aurora-prod-2026-11-24-00-05',
        snapshotArn: 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:aurora-prod-2026-11-24-00-05',
        region: 'us-east-1',
        sourceClusterId: 'aurora-prod',
        status: 'available',
        snapshotType: 'automated',
        createdAt: '2026-11-24T00:05:00.000Z',
        encrypted: true,
        kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/source-key',
        engine: 'aurora-postgresql',
        engineVersion: '16.4',
        percentProgress: 100,
        tags: { team: 'data' },
      });
    });

    it('returns undefined for DBClusterSnapshotNotFoundFault, and propagates other faults', async () => {
      mock
        .on(DescribeDBClusterSnapshotsCommand)
        .rejectsOnce(new DBClusterSnapshotNotFoundFault({ message: 'not found', ...meta }))
        .rejectsOnce(new KMSKeyNotAccessibleFault({ message: 'kms', ...meta }));
      expect(await rds.describeClusterSnapshot('us-east-1', 'nope')).toBeUndefined();
      await expect(rds.describeClusterSnapshot('us-east-1', 'x')).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
    });
  });

  it('listAutomatedSnapshots follows Marker pages and sorts newest first', async () => {
    const pages = [
      { DBClusterSnapshots: [snapshot('rds:a-1', '2026-11-22T00:05:00Z'), snapshot('rds:a-3', '2026-11-24T00:05:00Z')], Marker: 'page-2' },
      { DBClusterSnapshots: [snapshot('rds:a-2', '2026-11-23T00:05:00Z')] },
    ];
    // The paginator reuses one input object between pages, so copy each input when it is sent.
    const inputs: Record<string, unknown>[] = [];
    mock.on(DescribeDBClusterSnapshotsCommand).callsFake((input: Record<string, unknown>) => {
      inputs.push(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
      return pages.shift();
    });
    const list = await rds.listAutomatedSnapshots('us-east-1', 'aurora-prod');
    expect(list.map((s) => s.snapshotId)).toEqual(['rds:a-3', 'rds:a-2', 'rds:a-1']);
    expect(inputs).toEqual([
      { DBClusterIdentifier: 'aurora-prod', SnapshotType: 'automated' },
      { DBClusterIdentifier: 'aurora-prod', SnapshotType: 'automated', Marker: 'page-2' },
    ]);
  });

  describe('copyClusterSnapshot', () => {
    const input = {
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      sourceSnapshotArn: SRC_ARN,
      targetSnapshotId: 'aurora-restore-k3x9q2-aurora-prod-2026-11-24-00-05',
      kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/target-key',
      tags: { 'managed-by': 'aurora-restore', operation: 'restore-20261124-020000-k3x9q2' },
    };

    it('sends CopyDBClusterSnapshot to the target region with the source ARN, key and tags', async () => {
      mock.on(CopyDBClusterSnapshotCommand).resolves({
        DBClusterSnapshot: snapshot(input.targetSnapshotId, '2026-11-24T00:05:00Z', {
          DBClusterSnapshotArn: `arn:aws:rds:us-west-2:123456789012:cluster-snapshot:${input.targetSnapshotId}`,
          Status: 'copying',
          SnapshotType: 'manual',
          PercentProgress: 0,
        }),
      });
      const copy = await rds.copyClusterSnapshot(input);
      const [call] = mock.commandCalls(CopyDBClusterSnapshotCommand);
      expect(call.thisValue).toBe(clients['us-west-2']);
      expect(call.args[0].input).toEqual({
        SourceDBClusterSnapshotIdentifier: SRC_ARN,
        TargetDBClusterSnapshotIdentifier: input.targetSnapshotId,
        KmsKeyId: input.kmsKeyId,
        Tags: [
          { Key: 'managed-by', Value: 'aurora-restore' },
          { Key: 'operation', Value: 'restore-20261124-020000-k3x9q2' },
        ],
        CopyTags: false,
      });
      expect(copy).toMatchObject({ region: 'us-west-2', status: 'copying', snapshotType: 'manual', percentProgress: 0, snapshotId: input.targetSnapshotId });
    });

    it('rejects a source that is not an ARN of the source region, naming the field', async () => {
      await expect(rds.copyClusterSnapshot({ ...input, sourceSnapshotArn: 'rds:aurora-prod-2026-11-24-00-05' })).rejects.toThrow(/sourceSnapshotArn/);
      await expect(rds.copyClusterSnapshot({ ...input, sourceRegion: 'eu-west-1' })).rejects.toThrow(/sourceRegion eu-west-1/);
      expect(mock.commandCalls(CopyDBClusterSnapshotCommand)).toHaveLength(0);
    });

    it('on the wire, the SDK presigns the call in the source region (no SourceRegion input in SDK v3)', async () => {
      mock.restore(); // this test runs the real client stack against a capturing handler
      const { handler, requests } = capturingHandler(() => ({
        statusCode: 200,
        body: `<CopyDBClusterSnapshotResponse><CopyDBClusterSnapshotResult><DBClusterSnapshot><DBClusterSnapshotIdentifier>${input.targetSnapshotId}</DBClusterSnapshotIdentifier><DBClusterSnapshotArn>arn:aws:rds:us-west-2:123456789012:cluster-snapshot:${input.targetSnapshotId}</DBClusterSnapshotArn><Status>copying</Status><SnapshotType>manual</SnapshotType></DBClusterSnapshot></CopyDBClusterSnapshotResult></CopyDBClusterSnapshotResponse>`,
      }));
      const wire = new AwsRds({ clientFor: (region) => new RDSClient({ region, credentials: TEST_CREDENTIALS, requestHandler: handler, maxAttempts: 1 }) });
      const copy = await wire.copyClusterSnapshot(input);
      expect(copy.status).toBe('copying');
      expect(requests).toHaveLength(1);
      expect(requests[0].hostname).toBe('rds.us-west-2.amazonaws.com');
      const body = new URLSearchParams(requests[0].body);
      expect(body.get('Action')).toBe('CopyDBClusterSnapshot');
      expect(body.get('SourceRegion')).toBeNull();
      const presigned = new URL(body.get('PreSignedUrl') ?? 'missing:');
      expect(presigned.hostname).toBe('rds.us-east-1.amazonaws.com');
      expect(presigned.searchParams.get('Action')).toBe('CopyDBClusterSnapshot');
      expect(presigned.searchParams.get('DestinationRegion')).toBe('us-west-2');
      expect(presigned.searchParams.get('KmsKeyId')).toBe(input.kmsKeyId);
      expect(presigned.searchParams.get('SourceDBClusterSnapshotIdentifier')).toBe(SRC_ARN);
      expect(presigned.searchParams.get('X-Amz-Credential')).toContain('/us-east-1/rds/aws4_request');
    });

    it('on the wire, a same-region copy carries no presigned URL', async () => {
      mock.restore();
      const { handler, requests } = capturingHandler(() => ({ statusCode: 200, body: '<CopyDBClusterSnapshotResponse><CopyDBClusterSnapshotResult><DBClusterSnapshot><DBClusterSnapshotIdentifier>c</DBClusterSnapshotIdentifier><DBClusterSnapshotArn>arn:aws:rds:us-east-1:123456789012:cluster-snapshot:c</DBClusterSnapshotArn></DBClusterSnapshot></CopyDBClusterSnapshotResult></CopyDBClusterSnapshotResponse>' }));
      const wire = new AwsRds({ clientFor: (region) => new RDSClient({ region, credentials: TEST_CREDENTIALS, requestHandler: handler, maxAttempts: 1 }) });
      await wire.copyClusterSnapshot({ ...input, targetRegion: 'us-east-1' });
      expect(new URLSearchParams(requests[0].body).get('PreSignedUrl')).toBeNull();
    });
  });

  it('deleteClusterSnapshot sends the identifier', async () => {
    mock.on(DeleteDBClusterSnapshotCommand).resolves({});
    await rds.deleteClusterSnapshot('us-west-2', 'aurora-restore-k3x9q2');
    expect(mock.commandCalls(DeleteDBClusterSnapshotCommand)[0].args[0].input).toEqual({ DBClusterSnapshotIdentifier: 'aurora-restore-k3x9q2' });
  });

  describe('describeCluster', () => {
    it('maps endpoints, port, members and tags', async () => {
      mock.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'aurora-staging' }).resolves({ DBClusters: [cluster] });
      expect(await rds.describeCluster('us-west-2', 'aurora-staging')).toEqual({
        clusterId: 'aurora-staging',
        clusterArn: 'arn:aws:rds:us-west-2:123456789012:cluster:aurora-staging',
        region: 'us-west-2',
        status: 'available',
        engine: 'aurora-postgresql',
        deletionProtection: false,
        endpoint: 'aurora-staging.cluster-c0ffee.us-west-2.rds.amazonaws.com',
        readerEndpoint: 'aurora-staging.cluster-ro-c0ffee.us-west-2.rds.amazonaws.com',
        port: 5432,
        members: ['aurora-staging-writer'],
        tags: { 'managed-by': 'aurora-restore' },
      });
    });

    it('returns undefined for DBClusterNotFoundFault', async () => {
      mock.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ message: 'no', ...meta }));
      expect(await rds.describeCluster('us-west-2', 'gone')).toBeUndefined();
    });

    it('on the wire, a DBClusterNotFoundFault XML answer becomes undefined', async () => {
      mock.restore();
      const { handler } = capturingHandler(() => ({
        statusCode: 404,
        body: '<ErrorResponse><Error><Type>Sender</Type><Code>DBClusterNotFoundFault</Code><Message>DBCluster gone not found.</Message></Error><RequestId>r</RequestId></ErrorResponse>',
      }));
      const wire = new AwsRds({ clientFor: (region) => new RDSClient({ region, credentials: TEST_CREDENTIALS, requestHandler: handler, maxAttempts: 1 }) });
      expect(await wire.describeCluster('us-west-2', 'gone')).toBeUndefined();
    });
  });

  describe('deleteCluster', () => {
    it('takes a final snapshot when one is named', async () => {
      mock.on(DeleteDBClusterCommand).resolves({});
      await rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging', finalSnapshotId: 'aurora-staging-final-k3x9q2' });
      expect(mock.commandCalls(DeleteDBClusterCommand)[0].args[0].input).toEqual({
        DBClusterIdentifier: 'aurora-staging',
        SkipFinalSnapshot: false,
        FinalDBSnapshotIdentifier: 'aurora-staging-final-k3x9q2',
      });
    });

    it('skips the final snapshot otherwise', async () => {
      mock.on(DeleteDBClusterCommand).resolves({});
      await rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging' });
      expect(mock.commandCalls(DeleteDBClusterCommand)[0].args[0].input).toEqual({ DBClusterIdentifier: 'aurora-staging', SkipFinalSnapshot: true });
    });

    it('propagates InvalidDBClusterStateFault unchanged', async () => {
      mock.on(DeleteDBClusterCommand).rejects(new InvalidDBClusterStateFault({ message: 'has instances', ...meta }));
      await expect(rds.deleteCluster('us-west-2', { clusterId: 'aurora-staging' })).rejects.toMatchObject({ name: 'InvalidDBClusterStateFault' });
    });
  });

  it('restoreClusterFromSnapshot sends the restore input and maps the cluster', async () => {
    mock.on(RestoreDBClusterFromSnapshotCommand).resolves({ DBCluster: { ...cluster, Status: 'creating', DBClusterMembers: [] } });
    const c = await rds.restoreClusterFromSnapshot('us-west-2', {
      clusterId: 'aurora-staging',
      snapshotId: 'aurora-restore-k3x9q2-aurora-prod-2026-11-24-00-05',
      engine: 'aurora-postgresql',
      subnetGroup: 'staging-db-subnets',
      securityGroupIds: ['sg-0a1b2c3d'],
      kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/target-key',
      tags: { 'managed-by': 'aurora-restore' },
    });
    expect(mock.commandCalls(RestoreDBClusterFromSnapshotCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: 'aurora-staging',
      SnapshotIdentifier: 'aurora-restore-k3x9q2-aurora-prod-2026-11-24-00-05',
      Engine: 'aurora-postgresql',
      DBSubnetGroupName: 'staging-db-subnets',
      VpcSecurityGroupIds: ['sg-0a1b2c3d'],
      KmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/target-key',
      Tags: [{ Key: 'managed-by', Value: 'aurora-restore' }],
      DeletionProtection: false,
      CopyTagsToSnapshot: true,
    });
    expect(c).toMatchObject({ clusterId: 'aurora-staging', status: 'creating', members: [], region: 'us-west-2' });
  });

  it('restoreClusterFromSnapshot leaves out an absent subnet group and key', async () => {
    mock.on(RestoreDBClusterFromSnapshotCommand).resolves({ DBCluster: cluster });
    await rds.restoreClusterFromSnapshot('us-west-2', { clusterId: 'c', snapshotId: 's', engine: 'aurora-mysql', securityGroupIds: [], tags: {} });
    const sent = mock.commandCalls(RestoreDBClusterFromSnapshotCommand)[0].args[0].input;
    expect(sent).not.toHaveProperty('DBSubnetGroupName');
    expect(sent).not.toHaveProperty('KmsKeyId');
  });

  describe('instances', () => {
    it('describeInstance maps the instance; DBInstanceNotFoundFault is undefined', async () => {
      mock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'aurora-staging-writer' }).resolves({ DBInstances: [instance] });
      mock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'gone' }).rejects(new DBInstanceNotFoundFault({ message: 'no', ...meta }));
      expect(await rds.describeInstance('us-west-2', 'aurora-staging-writer')).toEqual({
        instanceId: 'aurora-staging-writer',
        instanceArn: 'arn:aws:rds:us-west-2:123456789012:db:aurora-staging-writer',
        region: 'us-west-2',
        clusterId: 'aurora-staging',
        status: 'creating',
        instanceClass: 'db.r6g.large',
        tags: { 'managed-by': 'aurora-restore' },
      });
      expect(await rds.describeInstance('us-west-2', 'gone')).toBeUndefined();
    });

    it('on the wire, the DBInstanceNotFound error code becomes undefined', async () => {
      mock.restore();
      const { handler } = capturingHandler(() => ({
        statusCode: 404,
        body: '<ErrorResponse><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance gone not found.</Message></Error><RequestId>r</RequestId></ErrorResponse>',
      }));
      const wire = new AwsRds({ clientFor: (region) => new RDSClient({ region, credentials: TEST_CREDENTIALS, requestHandler: handler, maxAttempts: 1 }) });
      expect(await wire.describeInstance('us-west-2', 'gone')).toBeUndefined();
    });

    it('createInstance joins the instance to the cluster', async () => {
      mock.on(CreateDBInstanceCommand).resolves({ DBInstance: instance });
      const i = await rds.createInstance('us-west-2', {
        instanceId: 'aurora-staging-writer',
        clusterId: 'aurora-staging',
        instanceClass: 'db.r6g.large',
        engine: 'aurora-postgresql',
        tags: { 'managed-by': 'aurora-restore' },
      });
      expect(mock.commandCalls(CreateDBInstanceCommand)[0].args[0].input).toEqual({
        DBInstanceIdentifier: 'aurora-staging-writer',
        DBClusterIdentifier: 'aurora-staging',
        DBInstanceClass: 'db.r6g.large',
        Engine: 'aurora-postgresql',
        Tags: [{ Key: 'managed-by', Value: 'aurora-restore' }],
      });
      expect(i.status).toBe('creating');
    });

    it('deleteInstance sends only the identifier (no instance-level final snapshot for Aurora)', async () => {
      mock.on(DeleteDBInstanceCommand).resolves({});
      await rds.deleteInstance('us-west-2', 'aurora-staging-writer');
      expect(mock.commandCalls(DeleteDBInstanceCommand)[0].args[0].input).toEqual({ DBInstanceIdentifier: 'aurora-staging-writer' });
    });
  });

  it('modifyClusterMasterPassword applies the password immediately', async () => {
    mock.on(ModifyDBClusterCommand).resolves({});
    await rds.modifyClusterMasterPassword('us-west-2', 'aurora-staging', 'n3w-Passw0rd');
    expect(mock.commandCalls(ModifyDBClusterCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: 'aurora-staging',
      MasterUserPassword: 'n3w-Passw0rd',
      ApplyImmediately: true,
    });
  });

  describe('errors reach classifyError with their fault names', () => {
    it.each([
      ['DBClusterSnapshotNotFoundFault', () => new DBClusterSnapshotNotFoundFault({ message: 'gone', ...meta }), 'SnapshotNotFound', false],
      ['KMSKeyNotAccessibleFault', () => new KMSKeyNotAccessibleFault({ message: 'kms', ...meta }), 'KmsKeyNotAccessible', false],
      ['Throttling', () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }), 'Throttled', true],
    ] as const)('%s', async (_name, make, code, retryable) => {
      mock.on(CopyDBClusterSnapshotCommand).rejects(make());
      const err = await rds
        .copyClusterSnapshot({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', sourceSnapshotArn: SRC_ARN, targetSnapshotId: 't', tags: {} })
        .catch((e: unknown) => e);
      expect(classifyError(err)).toMatchObject({ code, retryable });
    });

    it('on the wire, a Throttling answer keeps its name after the SDK gives up', async () => {
      mock.restore();
      const { handler, requests } = capturingHandler(() => ({
        statusCode: 400,
        body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>',
      }));
      const wire = new AwsRds({ clientFor: (region) => new RDSClient({ region, credentials: TEST_CREDENTIALS, requestHandler: handler, maxAttempts: 1 }) });
      const err = await wire.describeCluster('us-west-2', 'x').catch((e: unknown) => e);
      expect(requests).toHaveLength(1);
      expect(classifyError(err)).toMatchObject({ code: 'Throttled', retryable: true });
    });
  });
});
