import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalDynamo, type LocalDynamo } from '../../src/lib/local/dynalite';
import { auditTableDefinition, stateTableDefinition, TTL_ATTRIBUTE } from '../../src/lib/tables';

const tables = { stateTable: 'aurora-restore-state', auditTable: 'aurora-restore-state-audit' };
let dir: string;
const running: LocalDynamo[] = [];
async function start(snapshotFile?: string) {
  const d = await startLocalDynamo({ ...tables, snapshotFile });
  running.push(d);
  return d;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynalite-test-'));
});
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('table definitions', () => {
  it('keys the state table by operation_id and the audit table by operation_id + sk, on demand', () => {
    expect(stateTableDefinition('s')).toMatchObject({
      TableName: 's',
      KeySchema: [{ AttributeName: 'operation_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(auditTableDefinition('a')).toMatchObject({
      TableName: 'a',
      KeySchema: [
        { AttributeName: 'operation_id', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(TTL_ATTRIBUTE).toBe('expires_at');
  });
});

describe('startLocalDynamo', () => {
  it('serves both tables, ACTIVE, on 127.0.0.1 through the document client', async () => {
    const d = await start();
    expect(d.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const raw = new DynamoDBClient({ endpoint: d.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      for (const [name, keys] of [[tables.stateTable, 1], [tables.auditTable, 2]] as const) {
        const t = await raw.send(new DescribeTableCommand({ TableName: name }));
        expect(t.Table?.TableStatus).toBe('ACTIVE');
        expect(t.Table?.KeySchema).toHaveLength(keys);
      }
    } finally {
      raw.destroy();
    }
    // removeUndefinedValues: undefined attributes are dropped rather than rejected.
    await d.client.send(new PutCommand({ TableName: tables.stateTable, Item: { operation_id: 'op-1', status: 'REQUESTED', error: undefined } }));
    const got = await d.client.send(new GetCommand({ TableName: tables.stateTable, Key: { operation_id: 'op-1' } }));
    expect(got.Item).toEqual({ operation_id: 'op-1', status: 'REQUESTED' });
    // Conditional writes (the pipeline's claims and locks) behave as on DynamoDB.
    await expect(
      d.client.send(
        new PutCommand({ TableName: tables.stateTable, Item: { operation_id: 'lock#us-east-1#c1' }, ConditionExpression: 'attribute_not_exists(operation_id)' }),
      ),
    ).resolves.toBeDefined();
    await expect(
      d.client.send(
        new PutCommand({ TableName: tables.stateTable, Item: { operation_id: 'lock#us-east-1#c1' }, ConditionExpression: 'attribute_not_exists(operation_id)' }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('saves both tables and loads them into a fresh server (more than one batch), exactly', async () => {
    const file = join(dir, 'nested', 'dynamo.json');
    const first = await start(file);
    const items = Array.from({ length: 60 }, (_, i) => ({
      operation_id: `op-${String(i).padStart(3, '0')}`,
      status: i % 2 ? 'SUCCEEDED' : 'FAILED',
      steps: { 'snapshot-check': { status: 'DONE', attempts: 1 } },
      [TTL_ATTRIBUTE]: 1_900_000_000 + i,
      users: new Set(['app', 'reader']),
      flag: null,
    }));
    for (const Item of items) await first.client.send(new PutCommand({ TableName: tables.stateTable, Item }));
    for (let i = 0; i < 30; i++) {
      await first.client.send(
        new PutCommand({ TableName: tables.auditTable, Item: { operation_id: 'op-000', sk: `2025-01-01T00:00:${String(i).padStart(2, '0')}Z#step#E${i}`, n: i } }),
      );
    }
    await first.save();
    expect(await readdir(join(dir, 'nested'))).toEqual(['dynamo.json']); // no temp file left behind
    await first.stop();

    const second = await start(file);
    for (const item of items) {
      const got = await second.client.send(new GetCommand({ TableName: tables.stateTable, Key: { operation_id: item.operation_id } }));
      expect(got.Item).toEqual(item);
    }
    const trail = await second.client.send(
      new QueryCommand({ TableName: tables.auditTable, KeyConditionExpression: 'operation_id = :o', ExpressionAttributeValues: { ':o': 'op-000' } }),
    );
    expect(trail.Items?.map((x) => x.n)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('starts empty when the snapshot file does not exist, and save() without a file is a no-op', async () => {
    const d = await start(join(dir, 'absent.json'));
    const got = await d.client.send(new GetCommand({ TableName: tables.stateTable, Key: { operation_id: 'op-1' } }));
    expect(got.Item).toBeUndefined();
    const noFile = await start();
    await expect(noFile.save()).resolves.toBeUndefined();
  });

  it('names the file when the snapshot is not valid JSON', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"version":1,"tables":{', 'utf8');
    await expect(startLocalDynamo({ ...tables, snapshotFile: file })).rejects.toThrow(`${file}: expected a JSON snapshot`);
    await writeFile(file, '[]', 'utf8');
    await expect(startLocalDynamo({ ...tables, snapshotFile: file })).rejects.toThrow('expected {"version":1');
    expect(await readFile(file, 'utf8')).toBe('[]');
  });
});
