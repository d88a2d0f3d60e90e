import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { localEnvironment, ConfigError } from '../../src/schemas/config';
import { awsDependencies } from '../../src/lib/aws/dependencies';
import { AwsEventBus } from '../../src/lib/aws/event-bus';
import { AwsRecheckScheduler } from '../../src/lib/aws/scheduler';
import { PgDatabaseAdmin } from '../../src/lib/db-admin';
import { useDummyAwsEnv } from './sdk-test-env';

/** Records every AWS SDK client constructed, by class name (the SDK itself is wrapped, not our code). */
const { built, counting } = vi.hoisted(() => {
  const built: { name: string; region: unknown }[] = [];
  const counting = async <T extends Record<string, unknown>>(load: () => Promise<T>, name: string): Promise<T> => {
    const mod = await load();
    const Base = mod[name] as new (config: { region?: unknown }) => object;
    const Counted = class extends Base {
      constructor(config: { region?: unknown }) {
        super(config);
        built.push({ name, region: config?.region });
      }
    };
    Object.defineProperty(Counted, 'name', { value: name });
    return { ...mod, [name]: Counted };
  };
  return { built, counting };
});
vi.mock('@aws-sdk/client-rds', (orig) => counting(orig as never, 'RDSClient'));
vi.mock('@aws-sdk/client-eventbridge', (orig) => counting(orig as never, 'EventBridgeClient'));
vi.mock('@aws-sdk/client-scheduler', (orig) => counting(orig as never, 'SchedulerClient'));
vi.mock('@aws-sdk/client-sns', (orig) => counting(orig as never, 'SNSClient'));
vi.mock('@aws-sdk/client-secrets-manager', (orig) => counting(orig as never, 'SecretsManagerClient'));
vi.mock('@aws-sdk/client-dynamodb', (orig) => counting(orig as never, 'DynamoDBClient'));

const env = localEnvironment({
  ENVIRONMENT: 'test',
  REGION: 'eu-west-1',
  LOG_LEVEL: 'ERROR',
  SNS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:aurora-restore-notifications',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/aurora-restore-scheduler',
  EVENT_BUS_ARN: 'arn:aws:events:eu-west-1:123456789012:event-bus/aurora-restore',
});

describe('awsDependencies', () => {
  beforeAll(useDummyAwsEnv);
  afterEach(() => {
    built.length = 0;
  });

  it('builds nothing until a port is read', () => {
    awsDependencies(env);
    expect(built).toEqual([]);
  });

  it('builds only the client of the port that is read, once, in the configured region', async () => {
    const deps = awsDependencies(env);
    const bus = deps.bus;
    expect(bus).toBeInstanceOf(AwsEventBus);
    expect(deps.bus).toBe(bus);
    expect(built).toEqual([{ name: 'EventBridgeClient', region: 'eu-west-1' }]);
    expect(deps.scheduler).toBeInstanceOf(AwsRecheckScheduler);
    expect(built.map((b) => b.name)).toEqual(['EventBridgeClient', 'SchedulerClient']);
  });

  it('a handler that never touches RDS never builds an RDS client; RDS builds one per region on first use', async () => {
    // The RDS call budget off: its permits are DynamoDB writes (tests/local/rds-budget.test.ts), not what this counts.
    const deps = awsDependencies({ ...env, RDS_CALLS_PER_SECOND: '0' });
    void deps.notifier;
    void deps.secrets;
    void deps.dynamo;
    void deps.config;
    void deps.logger;
    void deps.metrics;
    expect(built.map((b) => b.name).sort()).toEqual(['DynamoDBClient', 'SNSClient', 'SecretsManagerClient']);
    expect(built.some((b) => b.name === 'RDSClient')).toBe(false);

    const mock = mockClient(RDSClient);
    try {
      mock.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });
      const rds = deps.rds;
      expect(built.some((b) => b.name === 'RDSClient')).toBe(false);
      await rds.describeCluster('us-west-2', 'aurora-staging');
      await rds.describeCluster('us-west-2', 'aurora-staging');
      expect(built.filter((b) => b.name === 'RDSClient')).toEqual([{ name: 'RDSClient', region: 'us-west-2' }]);
    } finally {
      mock.restore();
    }
  });

  it('wires the configured topic into the notifier', async () => {
    const mock = mockClient(SNSClient);
    try {
      mock.on(PublishCommand).resolves({ MessageId: 'm-1' });
      await awsDependencies(env).notifier.publish({ subject: 's', message: 'm', attributes: {}, deduplicationId: 'd' });
      expect(mock.commandCalls(PublishCommand)[0].args[0].input.TopicArn).toBe(env.SNS_TOPIC_ARN);
    } finally {
      mock.restore();
    }
  });

  it('the document client drops undefined values', () => {
    const deps = awsDependencies(env);
    expect(deps.dynamo.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
  });

  it('db is a PgDatabaseAdmin, the clock is real time, config is parsed once', () => {
    const deps = awsDependencies(env);
    expect(deps.db).toBeInstanceOf(PgDatabaseAdmin);
    expect(Math.abs(deps.clock.now().getTime() - Date.now())).toBeLessThan(5_000);
    expect(deps.config).toBe(deps.config);
    expect(deps.config.REGION).toBe('eu-west-1');
  });

  it('an invalid environment throws a ConfigError naming the variable on first access to config, not before', () => {
    const { SNS_TOPIC_ARN: _drop, ...rest } = env;
    const deps = awsDependencies({ ...rest, REGION: 'eu-west-1' });
    let err: unknown;
    try {
      void deps.config;
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('SNS_TOPIC_ARN');
    expect(() => deps.notifier).toThrow(/SNS_TOPIC_ARN/);
    expect(built).toEqual([]);
  });

  it('a scheduler without its role ARN is refused with the variable named', () => {
    const deps = awsDependencies({ ...env, SCHEDULER_ROLE_ARN: '' });
    expect(() => deps.scheduler).toThrow(/SCHEDULER_ROLE_ARN/);
  });
});
