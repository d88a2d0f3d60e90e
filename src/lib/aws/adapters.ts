/**
 * One factory per SDK-backed port, each referencing one client only, so a bundler keeps just the
 * clients a Lambda function is wired with (the SDK packages are side-effect free). The pg-backed
 * database port is in db-adapter.ts: pg is not side-effect free, so it must not even be imported here.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsAdapters } from './compose';
import { AwsEventBus } from './event-bus';
import { AwsNotifier } from './notifier';
import { AwsObjectStore } from './objects';
import { AwsProfileStore } from './profiles';
import { AwsMessageQueue, QUEUE_CLIENT_OPTIONS } from './queue';
import { AwsRds } from './rds';
import { AwsSecrets } from './secrets';
import { AwsRecheckScheduler } from './scheduler';

export const rdsAdapter: AwsAdapters['rds'] = () => new AwsRds();

export const busAdapter: AwsAdapters['bus'] = (c) =>
  new AwsEventBus({ eventBusName: c.config.EVENT_BUS_NAME, client: new EventBridgeClient(c.client()), clock: c.clock });

export const schedulerAdapter: AwsAdapters['scheduler'] = (c) =>
  new AwsRecheckScheduler({
    groupName: c.config.SCHEDULER_GROUP_NAME,
    roleArn: c.config.SCHEDULER_ROLE_ARN,
    eventBusArn: c.config.EVENT_BUS_ARN,
    deadLetterArn: c.config.SCHEDULER_DLQ_ARN,
    client: new SchedulerClient(c.client()),
  });

export const notifierAdapter: AwsAdapters['notifier'] = (c) => new AwsNotifier({ topicArn: c.config.SNS_TOPIC_ARN, client: new SNSClient(c.client()) });

export const secretsAdapter: AwsAdapters['secrets'] = (c) =>
  new AwsSecrets({ kmsKeyId: c.config.KMS_KEY_ID, client: new SecretsManagerClient(c.client()) });

export const queueAdapter: AwsAdapters['queue'] = (c) => new AwsMessageQueue({ client: new SQSClient({ ...c.client(), ...QUEUE_CLIENT_OPTIONS }) });

export const objectsAdapter: AwsAdapters['objects'] = (c) => new AwsObjectStore({ client: new S3Client(c.client()) });

export const profilesAdapter: AwsAdapters['profiles'] = (c) => new AwsProfileStore({ path: c.config.PROFILES_PATH, client: new SSMClient(c.client()) });
