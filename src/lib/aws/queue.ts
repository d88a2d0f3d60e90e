import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { MessageQueue } from '../ports';
import { sdkClientOptions } from './client-options';

/** SQS accepts a visibility timeout of 0 to 43,200 seconds (12 hours). */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * `arn:aws:sqs:us-east-1:123456789012:name` → `https://sqs.us-east-1.amazonaws.com/123456789012/name`.
 * The queue URL has this documented shape, so no GetQueueUrl call (and no IAM grant) is needed.
 */
export function queueUrlOf(queueArn: string): string {
  const [arn, partition, service, region, account, name] = queueArn.split(':');
  if (arn !== 'arn' || service !== 'sqs' || !region || !/^\d{12}$/.test(account ?? '') || !name) {
    throw new Error(`queueArn: expected an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>), got ${JSON.stringify(queueArn)}`);
  }
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/**
 * The queue URL above is built, not returned by SQS, so the request must go to the client's own endpoint,
 * not to the URL's host: by default the SDK sends a request that names a QueueUrl to that URL's host and
 * ignores a configured endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS: "this setting specifies the
 * endpoint that is used for all service requests", "to support local endpoints, VPC endpoints, and
 * third-party local AWS development environments", AWS SDKs and Tools reference guide, service-specific
 * endpoints). `useQueueUrlAsEndpoint`: "Set this value to false to ignore the QueueUrl and use the client's
 * resolved endpoint, which may be a custom endpoint" (@aws-sdk/client-sqs, QueueUrlInputConfig). Without a
 * configured endpoint both are https://sqs.<region>.amazonaws.com: the function's queue is in its region.
 */
export const QUEUE_CLIENT_OPTIONS = { useQueueUrlAsEndpoint: false } as const;

export interface AwsMessageQueueOptions {
  client?: SQSClient;
}

/** "Valid values: 0 to 900. Maximum: 15 minutes." (SendMessage, DelaySeconds) */
export const MAX_DELAY_SECONDS = 900;

/** The function's own SQS queue: handing records back (ChangeMessageVisibility), delayed re-checks (SendMessage). */
export class AwsMessageQueue implements MessageQueue {
  private readonly client: SQSClient;

  constructor(options: AwsMessageQueueOptions = {}) {
    this.client = options.client ?? new SQSClient({ ...sdkClientOptions({}), ...QUEUE_CLIENT_OPTIONS });
  }

  async changeVisibility(input: { queueArn: string; receiptHandle: string; seconds: number }): Promise<void> {
    const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.round(input.seconds)));
    await this.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queueUrlOf(input.queueArn), ReceiptHandle: input.receiptHandle, VisibilityTimeout: seconds }),
    );
  }

  async sendDelayed(input: { queueArn: string; body: string; delaySeconds: number }): Promise<void> {
    const delay = Math.round(input.delaySeconds);
    if (!(delay >= 0 && delay <= MAX_DELAY_SECONDS)) throw new Error(`delaySeconds: expected 0 to ${MAX_DELAY_SECONDS} (SQS DelaySeconds), got ${input.delaySeconds}`);
    await this.client.send(new SendMessageCommand({ QueueUrl: queueUrlOf(input.queueArn), MessageBody: input.body, DelaySeconds: delay }));
  }
}
