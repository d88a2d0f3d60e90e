/**
 * The permission table (src/infra/permissions.ts) against reality, both ways:
 * - what the steps really call: whole restores through the local runtime (real handlers, steps and
 *   state store), recording each port call and DynamoDB command with the step whose handler made it;
 *   a call the table does not list is a missing IAM action (and an unwired adapter) on AWS;
 * - what the adapters really send: each AWS adapter method run against aws-sdk-client-mock; a command
 *   whose IAM action its grant lacks would be denied on AWS.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient, PutSecretValueCommand, CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainEvent } from '../../src/events/catalogue';
import { CALL_GRANTS, FUNCTION_CALLS, FUNCTION_NAMES, type FunctionName, type PortCall } from '../../src/infra/permissions';
import { AwsEventBus } from '../../src/lib/aws/event-bus';
import { AwsNotifier } from '../../src/lib/aws/notifier';
import { AwsObjectStore } from '../../src/lib/aws/objects';
import { AwsProfileStore } from '../../src/lib/aws/profiles';
import { AwsMessageQueue } from '../../src/lib/aws/queue';
import { AwsRds } from '../../src/lib/aws/rds';
import { AwsRecheckScheduler } from '../../src/lib/aws/scheduler';
import { AwsSecrets } from '../../src/lib/aws/secrets';
import type { Dependencies } from '../../src/lib/dependencies';
import { LocalPipeline, type LocalPipelineOptions } from '../../src/lib/local/pipeline';
import { DEFAULT_SCENARIO, parseScenario } from '../../src/lib/local/scenario';
import type { SqsLambdaHandler } from '../../src/lib/local/runtime';
import { TEST_CREDENTIALS, useDummyAwsEnv } from '../aws/sdk-test-env';

// ------------------------------------------------------------------------------------ what steps call

const currentStep = new AsyncLocalStorage<string>();
const observed = new Map<string, Set<string>>();

function record(call: string): void {
  const step = currentStep.getStore();
  if (!step) return;
  if (!observed.has(step)) observed.set(step, new Set());
  observed.get(step)!.add(call);
}

/** Records `port.method` for every call a handler makes through a port (the port itself runs unchanged). */
function observePort<T extends object>(port: string, target: T): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      const value = Reflect.get(t, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        record(`${port}.${key}`);
        return value.apply(t, args);
      };
    },
  });
}

const DYNAMO_OPERATION: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  ScanCommand: 'Scan',
  QueryCommand: 'Query',
};

function observeDeps(deps: Dependencies): Dependencies {
  const dynamo = new Proxy(deps.dynamo, {
    get(t, key, receiver) {
      const value = Reflect.get(t, key, receiver);
      if (key !== 'send') return typeof value === 'function' ? value.bind(t) : value;
      return (command: { constructor: { name: string }; input: { TableName?: string } }, ...rest: unknown[]) => {
        const table = command.input.TableName === deps.config.DYNAMODB_TABLE_NAME ? 'state' : 'audit';
        record(`${table}.${DYNAMO_OPERATION[command.constructor.name] ?? command.constructor.name}`);
        return (value as (...a: unknown[]) => unknown).call(t, command, ...rest);
      };
    },
  });
  return {
    config: deps.config,
    clock: deps.clock,
    logger: deps.logger,
    metrics: deps.metrics,
    rds: observePort('rds', deps.rds),
    bus: observePort('bus', deps.bus),
    scheduler: observePort('scheduler', deps.scheduler),
    notifier: observePort('notifier', deps.notifier),
    secrets: observePort('secrets', deps.secrets),
    db: observePort('db', deps.db),
    queue: observePort('queue', deps.queue),
    objects: observePort('objects', deps.objects),
    profiles: observePort('profiles', deps.profiles),
    dynamo,
  };
}

/** Runs each step's handler in its own async context, so every call is attributed to its step. */
const inStep =
  (fail?: (step: string) => boolean) =>
  (step: string, handler: SqsLambdaHandler): SqsLambdaHandler =>
  (event, context) =>
    currentStep.run(step, () =>
      // A poisoned step fails every record: its messages reach the DLQ, and the dead-letter function runs.
      fail?.(step) ? Promise.resolve({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }) : handler(event, context),
    );

async function run(options: LocalPipelineOptions & { poison?: string; requests?: Record<string, unknown>[] } = {}) {
  const p = await LocalPipeline.open({ ...options, wrapDeps: observeDeps, wrapHandler: inStep(options.poison ? (s) => s === options.poison : undefined) });
  try {
    const ids: string[] = [];
    for (const overrides of options.requests ?? [{}]) {
      ids.push(await p.startRestore(p.request(overrides)));
      await p.runUntilTerminal(ids.slice(-1));
    }
    return await Promise.all(ids.map(async (id) => (await p.status(id))!.status));
  } finally {
    await p.close();
  }
}

/** The built-in world plus a managed aurora-dev in us-east-1 whose reader is still being created when a same-region refresh starts. */
function withCreatingReader() {
  const s = structuredClone(DEFAULT_SCENARIO) as unknown as { regions: Record<string, { clusters: unknown[] }> };
  s.regions['us-east-1'].clusters.push({
    id: 'aurora-dev',
    engine: 'aurora-postgresql',
    tags: { 'aurora-restore:managed-by': 'aurora-restore' },
    instances: [{ id: 'aurora-dev-writer' }, { id: 'aurora-dev-reader', status: 'creating' }],
  });
  return parseScenario(s);
}

/**
 * Calls the table lists that these runs do not reach, each with the path that needs it. Anything else
 * listed but never observed is a grant no code needs, and fails the test.
 */
const HANDED_BACK = { 'queue.changeVisibility': 'a record handed back to its queue: the step is busy elsewhere, or throttling outlasted the retries (tests/steps/hand-back.test.ts)' } as const;
const REQUEUED = {
  ...HANDED_BACK,
  'queue.sendDelayed': 'an action step refused a permit by the RDS call budget sends its message again, delayed (tests/steps/step-runner.test.ts)',
} as const;
const RARE: Partial<Record<FunctionName, Partial<Record<PortCall, string>>>> = {
  ...Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, HANDED_BACK])),
  'setup-db-users': REQUEUED,
  'archive-snapshot': REQUEUED,
  'copy-snapshot': { ...REQUEUED, 'rds.describeClusterSnapshot': 'the copy already exists: is it our own earlier attempt?' },
  'delete-rds': { ...REQUEUED, 'rds.deleteCluster': 'a target cluster that has no instances left is deleted at once' },
  'restore-snapshot': { ...REQUEUED, 'rds.describeCluster': 'the cluster already exists: is it our own earlier attempt?' },
  'retire-cluster': {
    ...REQUEUED,
    'rds.describeInstance': 'an instance of the old cluster RDS refuses to delete yet: deleting, or creating?',
    'rds.deleteCluster': 'an old cluster with no instances left is deleted at once (as in delete-rds)',
  },
  'sns-notification': {
    ...HANDED_BACK,
    'state.PutItem': 'a request that never became an operation (invalid request) is recorded',
    'rds.renameCluster': 'a swap that failed between its renames: the old cluster is renamed back (tests/integration/swap-and-sources.test.ts)',
    'rds.deleteInstance': "a swap's temporary cluster that failed with its writer: the writer is deleted first",
  },
  'snapshot-check': { ...REQUEUED, 'rds.describeClusterSnapshot': 'requests naming a snapshot id (the local scenario restores by date)' },
};

describe('the permission table lists exactly what the steps call', () => {
  beforeAll(async () => {
    const statuses = [
      // cross-region over an existing managed cluster, then the next refresh (RDS deletion events), then same-region
      ...(await run({ requests: [{}, {}, { targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', subnetGroup: undefined }] })),
      // the watchdog fails an operation that outlives its deadline
      ...(await run({ env: { STATE_MACHINE_TIMEOUT_SECONDS: '600' } })),
      // a step that keeps failing: its DLQ → dead-letter → RestoreFailed; and a notification that keeps failing
      // (a deadline far away: the watchdog must not end the operation before the DLQ does)
      ...(await run({ poison: 'archive-snapshot', env: { STATE_MACHINE_TIMEOUT_SECONDS: '86400' } })),
      ...(await run({ poison: 'sns-notification', env: { STATE_MACHINE_TIMEOUT_SECONDS: '86400' }, requests: [{ snapshotDate: '2025-01-01' }] })),
      // RDS fails the restore
      ...(await run({ scenario: parseScenario({ ...structuredClone(DEFAULT_SCENARIO), failRestoreOf: ['aurora-staging'] }) })),
      // the target has an instance still being created: delete-rds cannot delete it yet, check-delete-status does later;
      // then a fast clone of aurora-prod swapped in for it
      ...(await run({
        scenario: withCreatingReader(),
        requests: [
          { targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', subnetGroup: undefined },
          { targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', subnetGroup: undefined, source: 'clone', strategy: 'swap', snapshotDate: undefined },
        ],
      })),
      // a swap whose restore RDS fails: the temporary cluster is deleted before the operation ends
      ...(await run({ scenario: parseScenario({ ...structuredClone(DEFAULT_SCENARIO), failRestoreOf: ['aurora-staging-new-*'] }), requests: [{ strategy: 'swap' }] })),
      // re-checks due beyond SQS's 15-minute DelaySeconds: each wait arms a Scheduler schedule instead (a replace, then a swap)
      ...(await run({ env: { SAFETY_RECHECK_SECONDS: '1800', COPY_RECHECK_SECONDS: '1200', RENAME_RECHECK_SECONDS: '1200' }, requests: [{}, { strategy: 'swap' }] })),
    ];
    expect(statuses).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'FAILED', 'FAILED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
  }, 120_000);

  for (const fn of Object.keys(FUNCTION_CALLS) as FunctionName[]) {
    if (fn === 'api' || fn === 'nightly') continue; // covered by tests/unit/api.test.ts through their handlers
    it(`${fn}: every call it makes is listed (else AWS would deny it), every listed call is made`, () => {
      const made = [...(observed.get(fn) ?? [])].sort();
      const listed = [...new Set(FUNCTION_CALLS[fn])].sort();
      expect(made.filter((c) => !listed.includes(c as PortCall)), 'calls missing from src/infra/permissions.ts').toEqual([]);
      const rare = Object.keys(RARE[fn] ?? {});
      expect(listed.filter((c) => !made.includes(c) && !rare.includes(c)), 'listed but never made').toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------- what adapters send

const SERVICE_PREFIX: Record<string, string> = {
  RDSClient: 'rds',
  EventBridgeClient: 'events',
  SchedulerClient: 'scheduler',
  SNSClient: 'sns',
  SecretsManagerClient: 'secretsmanager',
  SQSClient: 'sqs',
  S3Client: 's3',
  SSMClient: 'ssm',
};

describe('the permission table grants every command the adapters send', () => {
  beforeAll(useDummyAwsEnv);
  const secretsMock = mockClient(SecretsManagerClient);
  const eventsMock = mockClient(EventBridgeClient);
  const snsMock = mockClient(SNSClient);
  const mocks = [
    ['RDSClient', mockClient(RDSClient)],
    ['EventBridgeClient', eventsMock],
    ['SchedulerClient', mockClient(SchedulerClient)],
    ['SNSClient', snsMock],
    ['SecretsManagerClient', secretsMock],
    ['SQSClient', mockClient(SQSClient)],
    ['S3Client', mockClient(S3Client)],
    ['SSMClient', mockClient(SSMClient)],
  ] as const;
  afterAll(() => mocks.forEach(([, m]) => m.restore()));

  /** Runs `call` with every client mocked and returns the IAM actions of the commands it sent. */
  async function actionsSent(call: () => Promise<unknown>): Promise<string[]> {
    for (const [, m] of mocks) m.reset();
    secretsMock
      .on(PutSecretValueCommand)
      .rejects(Object.assign(new Error('no such secret'), { name: 'ResourceNotFoundException' }))
      .on(CreateSecretCommand)
      .resolves({ ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' })
      .on(GetSecretValueCommand)
      .resolves({ SecretString: '{}' });
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    await call().catch(() => undefined); // answers are empty; only what was sent matters
    return mocks.flatMap(([name, m]) => (m.calls() as { args: unknown[] }[]).map((c) => `${SERVICE_PREFIX[name]}:${(c.args[0] as object).constructor.name.replace(/Command$/, '')}`));
  }

  const credentials = TEST_CREDENTIALS;
  const rds = new AwsRds({ clientFor: (region) => new RDSClient({ region, credentials }) });
  const region = 'us-west-2';
  const arn = 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:aurora-prod-2026-11-24-00-05';
  const event = domainEvent('RecheckDue', 'restore-20261124-020000-abcdef', new Date('2026-11-24T02:00:00Z'), { check: 'copy', attempt: 1 });
  const CALLS: Partial<Record<PortCall, () => Promise<unknown>>> = {
    'rds.describeClusterSnapshot': () => rds.describeClusterSnapshot(region, 'snap'),
    'rds.listAutomatedSnapshots': () => rds.listAutomatedSnapshots(region, 'aurora-prod'),
    'rds.listManualSnapshots': () => rds.listManualSnapshots(region, 'aurora-staging'),
    'rds.copyClusterSnapshot': () =>
      rds.copyClusterSnapshot({ sourceRegion: 'us-east-1', targetRegion: region, sourceSnapshotArn: arn, targetSnapshotId: 'copy', kmsKeyId: 'k', tags: { a: 'b' } }),
    'rds.deleteClusterSnapshot': () => rds.deleteClusterSnapshot(region, 'copy'),
    'rds.describeCluster': () => rds.describeCluster(region, 'c'),
    'rds.deleteCluster': () => rds.deleteCluster(region, { clusterId: 'c', finalSnapshotId: 'f' }),
    'rds.restoreClusterFromSnapshot': () =>
      rds.restoreClusterFromSnapshot(region, { clusterId: 'c', snapshotId: 's', engine: 'aurora-postgresql', securityGroupIds: [], tags: { a: 'b' } }),
    'rds.restoreClusterToPointInTime': () =>
      rds.restoreClusterToPointInTime(region, { clusterId: 'c', sourceClusterId: 's', type: 'copy-on-write', securityGroupIds: [], tags: { a: 'b' } }),
    'rds.renameCluster': () => rds.renameCluster(region, 'c', 'c-old-x'),
    'rds.describeInstance': () => rds.describeInstance(region, 'i'),
    'rds.createInstance': () => rds.createInstance(region, { instanceId: 'i', clusterId: 'c', instanceClass: 'db.r6g.large', engine: 'aurora-postgresql', tags: {} }),
    'rds.deleteInstance': () => rds.deleteInstance(region, 'i'),
    'rds.modifyClusterMasterPassword': () => rds.modifyClusterMasterPassword(region, 'c', 'p4ssw0rd-p4ssw0rd'),
    'bus.publish': () => new AwsEventBus({ eventBusName: 'b', client: new EventBridgeClient({ region, credentials }) }).publish([event]),
    'scheduler.scheduleOnce': () => scheduler().scheduleOnce({ name: 'n', at: new Date('2026-11-24T03:00:00Z'), event }),
    'scheduler.cancel': () => scheduler().cancel('n'),
    'notifier.publish': () =>
      new AwsNotifier({ topicArn: 'arn:aws:sns:us-east-1:123456789012:t', client: new SNSClient({ region, credentials }) }).publish({
        subject: 's',
        message: 'm',
        attributes: {},
        deduplicationId: 'd',
      }),
    'secrets.getJson': () => new AwsSecrets({ client: new SecretsManagerClient({ region, credentials }) }).getJson('s'),
    'secrets.putJson': () => new AwsSecrets({ client: new SecretsManagerClient({ region, credentials }) }).putJson('s', { a: 1 }),
    'queue.changeVisibility': () =>
      new AwsMessageQueue({ client: new SQSClient({ region, credentials }) }).changeVisibility({
        queueArn: 'arn:aws:sqs:us-east-1:123456789012:citest-aurora-restore-copy-snapshot',
        receiptHandle: 'r',
        seconds: 30,
      }),
    'objects.getText': () => new AwsObjectStore({ client: new S3Client({ region, credentials }) }).getText('aurora-restore-hooks', 'staging/01-mask-customers.sql'),
    'profiles.get': () => new AwsProfileStore({ path: '/aurora-restore/profiles/', client: new SSMClient({ region, credentials }) }).get('staging-orders'),
    'profiles.list': () => new AwsProfileStore({ path: '/aurora-restore/profiles/', client: new SSMClient({ region, credentials }) }).list(),
    'queue.sendDelayed': () =>
      new AwsMessageQueue({ client: new SQSClient({ region, credentials }) }).sendDelayed({
        queueArn: 'arn:aws:sqs:us-east-1:123456789012:citest-aurora-restore-check-copy-status',
        body: '{}',
        delaySeconds: 30,
      }),
  };
  const scheduler = () =>
    new AwsRecheckScheduler({
      groupName: 'g',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/b',
      client: new SchedulerClient({ region, credentials }),
    });

  for (const call of Object.keys(CALL_GRANTS) as PortCall[]) {
    const port = call.split('.')[0]!;
    if (port === 'state' || port === 'audit') {
      it(`${call}: grants its DynamoDB action`, () => {
        expect(CALL_GRANTS[call].flatMap((g) => g.actions)).toContain(`dynamodb:${call.split('.')[1]}`);
      });
      continue;
    }
    if (port === 'db') {
      it(`${call}: needs no AWS action (SQL over the network)`, () => expect(CALL_GRANTS[call]).toEqual([]));
      continue;
    }
    it(`${call}: grants the IAM action of every command the adapter sends`, async () => {
      const run = CALLS[call];
      expect(run, `no adapter run for ${call} in this test`).toBeDefined();
      const sent = await actionsSent(run!);
      expect(sent.length).toBeGreaterThan(0);
      const granted = CALL_GRANTS[call].flatMap((g) => g.actions);
      expect(sent.filter((a) => !granted.includes(a))).toEqual([]);
    });
  }
});
