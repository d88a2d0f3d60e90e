import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig, type Config } from '../../schemas/config';
import { PgDatabaseAdmin } from '../db-admin';
import type { Dependencies } from '../dependencies';
import type { Clock, DatabaseAdmin, EventBus, Notifier, Rds, RecheckScheduler, Secrets } from '../ports';
import { sdkClientOptions } from './client-options';
import { AwsEventBus } from './event-bus';
import { AwsNotifier } from './notifier';
import { createLogger, createMetrics, type PipelineLogger, type PipelineMetrics } from './observability';
import { AwsRds } from './rds';
import { AwsSecrets } from './secrets';
import { AwsRecheckScheduler } from './scheduler';
import { systemClock } from './system-clock';

/** The AWS composition, with the richer logger and metrics (per-operation logger, end-of-invocation flush). */
export interface AwsDependencies extends Dependencies {
  logger: PipelineLogger;
  metrics: PipelineMetrics;
}

export const SERVICE_NAME = 'aurora-restore';
export const METRICS_NAMESPACE = 'AuroraRestore';

/**
 * Builds the AWS dependencies lazily: each port is created on the first read of its property and
 * kept, so a handler that never touches RDS never builds an RDS client, and a bad configuration
 * is reported (ConfigError naming the variable) on the first read of `config` or of a port that
 * needs it, not at import time. Clients use the pipeline region (REGION); RDS picks its region per call.
 */
export function awsDependencies(env: Record<string, string | undefined> = process.env): AwsDependencies {
  const cache = new Map<keyof AwsDependencies, unknown>();
  const once = <K extends keyof AwsDependencies>(key: K, build: () => AwsDependencies[K]): AwsDependencies[K] => {
    if (!cache.has(key)) cache.set(key, build());
    return cache.get(key) as AwsDependencies[K];
  };
  const config = (): Config => once('config', () => loadConfig(env));
  const client = () => sdkClientOptions({ region: config().REGION });

  return {
    get config(): Config {
      return config();
    },
    get clock(): Clock {
      return once('clock', () => systemClock);
    },
    get rds(): Rds {
      return once('rds', () => new AwsRds());
    },
    get bus(): EventBus {
      return once('bus', () => {
        const c = config();
        return new AwsEventBus({ eventBusName: c.EVENT_BUS_NAME, client: new EventBridgeClient(client()), clock: this.clock });
      });
    },
    get scheduler(): RecheckScheduler {
      return once('scheduler', () => {
        const c = config();
        return new AwsRecheckScheduler({
          groupName: c.SCHEDULER_GROUP_NAME,
          roleArn: c.SCHEDULER_ROLE_ARN,
          eventBusArn: c.EVENT_BUS_ARN,
          client: new SchedulerClient(client()),
        });
      });
    },
    get notifier(): Notifier {
      return once('notifier', () => new AwsNotifier({ topicArn: config().SNS_TOPIC_ARN, client: new SNSClient(client()) }));
    },
    get secrets(): Secrets {
      return once('secrets', () => new AwsSecrets({ kmsKeyId: config().KMS_KEY_ID, client: new SecretsManagerClient(client()) }));
    },
    get db(): DatabaseAdmin {
      // RDS presents certificates of the Amazon RDS CAs: the Lambda needs NODE_EXTRA_CA_CERTS pointing at the bundle.
      return once('db', () => new PgDatabaseAdmin({ ssl: { rejectUnauthorized: true }, logger: this.logger }));
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
}
