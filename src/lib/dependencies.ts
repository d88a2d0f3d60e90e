import type { Config } from '../schemas/config';
import type { Clock, DatabaseAdmin, EventBus, Logger, MessageQueue, Metrics, Notifier, ObjectStore, ProfileStore, Rds, RecheckScheduler, Secrets } from './ports';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Everything a step may use. The AWS composition (src/lib/aws/dependencies.ts) and the local one
 * (src/lib/local/) build the same shape; the state store and audit log run the same lib-dynamodb
 * code against DynamoDB or dynalite.
 */
export interface Dependencies {
  config: Config;
  clock: Clock;
  rds: Rds;
  bus: EventBus;
  scheduler: RecheckScheduler;
  notifier: Notifier;
  secrets: Secrets;
  db: DatabaseAdmin;
  /** Post-restore SQL files (S3). */
  objects: ObjectStore;
  /** Saved refresh profiles (SSM Parameter Store). */
  profiles: ProfileStore;
  /** The queue the handler consumes: hands records back (ChangeMessageVisibility). */
  queue: MessageQueue;
  dynamo: DynamoDBDocumentClient;
  logger: Logger;
  metrics: Metrics;
}
