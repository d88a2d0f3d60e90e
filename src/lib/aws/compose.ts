import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type Config } from '../../schemas/config';
import type { Dependencies } from '../dependencies';
import type { Clock, DatabaseAdmin, EventBus, MessageQueue, Notifier, ObjectStore, ProfileStore, Rds, RecheckScheduler, Secrets } from '../ports';
import { budgetedRds, rdsBudgetFor } from '../rds-budget';
import { sdkClientOptions } from './client-options';
import { createLogger, createMetrics, type PipelineLogger, type PipelineMetrics } from './observability';
import { systemClock } from './system-clock';

/** The AWS composition, with the richer logger and metrics (per-operation logger, end-of-invocation flush). */
export interface AwsDependencies extends Dependencies {
  logger: PipelineLogger;
  metrics: PipelineMetrics;
}

export const SERVICE_NAME = 'aurora-restore';
export const METRICS_NAMESPACE = 'AuroraRestore';

/** What an adapter factory may use: the validated configuration, SDK client options, clock and logger. */
export interface AdapterContext {
  config: Config;
  client: () => ReturnType<typeof sdkClientOptions>;
  clock: Clock;
  logger: PipelineLogger;
}

/** The ports built on an AWS SDK client (or pg). A Lambda function is wired with only the ones it uses. */
export interface AwsAdapters {
  rds: (c: AdapterContext) => Rds;
  bus: (c: AdapterContext) => EventBus;
  scheduler: (c: AdapterContext) => RecheckScheduler;
  notifier: (c: AdapterContext) => Notifier;
  secrets: (c: AdapterContext) => Secrets;
  db: (c: AdapterContext) => DatabaseAdmin;
  queue: (c: AdapterContext) => MessageQueue;
  objects: (c: AdapterContext) => ObjectStore;
  profiles: (c: AdapterContext) => ProfileStore;
}
export type AdapterName = keyof AwsAdapters;

/**
 * Builds the AWS dependencies lazily from the given adapters: each port is created on the first read
 * of its property and kept, so a handler that never touches RDS never builds an RDS client, and a bad
 * configuration is reported (ConfigError naming the variable) on the first read of `config` or of a
 * port that needs it, not at import time. Clients use the pipeline region (REGION); RDS picks its
 * region per call, and every RDS call first takes a permit of the account's RDS call budget
 * (RDS_CALLS_PER_SECOND, src/lib/rds-budget.ts) in the state table. Reading a port that was not wired throws, naming it: each Lambda bundle is wired,
 * and granted its IAM actions, from one table (src/infra/permissions.ts).
 */
export function composeAwsDependencies(env: Record<string, string | undefined>, adapters: Partial<AwsAdapters>): AwsDependencies {
  const cache = new Map<keyof AwsDependencies | 'rdsAdapter', unknown>();
  const once = <K extends keyof AwsDependencies>(key: K | 'rdsAdapter', build: () => AwsDependencies[K]): AwsDependencies[K] => {
    if (!cache.has(key)) cache.set(key, build());
    return cache.get(key) as AwsDependencies[K];
  };
  const config = (): Config => once('config', () => loadConfig(env));
  const client = () => sdkClientOptions({ region: config().REGION });
  const adapter = <K extends AdapterName>(name: K): ReturnType<AwsAdapters[K]> =>
    once(name === 'rds' ? 'rdsAdapter' : name, () => {
      const build = adapters[name];
      if (!build) throw new Error(`${name}: this function is not wired with the ${name} adapter (see src/infra/permissions.ts)`);
      return build({ config: config(), client, clock: deps.clock, logger: deps.logger }) as AwsDependencies[K];
    }) as ReturnType<AwsAdapters[K]>;

  const deps: AwsDependencies = {
    get config(): Config {
      return config();
    },
    get clock(): Clock {
      return once('clock', () => systemClock);
    },
    get rds(): Rds {
      return once('rds', () => {
        const budget = rdsBudgetFor({ config: config(), dynamo: deps.dynamo, clock: deps.clock, metrics: deps.metrics });
        return budget ? budgetedRds(adapter('rds'), budget) : adapter('rds');
      });
    },
    get bus(): EventBus {
      return adapter('bus');
    },
    get scheduler(): RecheckScheduler {
      return adapter('scheduler');
    },
    get notifier(): Notifier {
      return adapter('notifier');
    },
    get secrets(): Secrets {
      return adapter('secrets');
    },
    get db(): DatabaseAdmin {
      return adapter('db');
    },
    get queue(): MessageQueue {
      return adapter('queue');
    },
    get objects(): ObjectStore {
      return adapter('objects');
    },
    get profiles(): ProfileStore {
      return adapter('profiles');
    },
    get dynamo(): DynamoDBDocumentClient {
      return once('dynamo', () =>
        DynamoDBDocumentClient.from(new DynamoDBClient(client()), { marshallOptions: { removeUndefinedValues: true } }),
      );
    },
    get logger(): PipelineLogger {
      return once('logger', () => createLogger({ serviceName: env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME, logLevel: config().LOG_LEVEL }));
    },
    get metrics(): PipelineMetrics {
      return once('metrics', () =>
        createMetrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE, serviceName: env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME }),
      );
    },
  };
  return deps;
}
