import { createHash } from 'node:crypto';
import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../ports';
import { sdkClientOptions } from './client-options';

export interface AwsNotifierOptions {
  /** SNS_TOPIC_ARN; a FIFO topic (name ending in .fifo) gets deduplication and group ids. */
  topicArn: string;
  client?: SNSClient;
  /** Message group of FIFO publications when the notification has no `operationId` attribute. */
  defaultGroupId?: string;
  maxAttempts?: number;
}

export const MAX_SUBJECT = 100;
const MAX_DEDUP_ID = 128;

/**
 * An SNS subject that SNS accepts: no line breaks or control characters, at most 100 characters,
 * cut on whole code points (never half a surrogate pair) with "..." when cut. Empty → undefined.
 */
export function snsSubject(subject: string): string | undefined {
  const clean = subject.replace(/\p{Cc}+/gu, ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(clean);
  if (chars.length === 0) return undefined;
  // SNS counts characters; keep code points so a multi-byte character is never split.
  return chars.length <= MAX_SUBJECT ? clean : `${chars.slice(0, MAX_SUBJECT - 3).join('').trimEnd()}...`;
}

/** A FIFO deduplication id within SNS's 128 characters: the id itself, or its SHA-256 when longer. */
function dedupId(id: string): string {
  return id.length <= MAX_DEDUP_ID ? id : createHash('sha256').update(id).digest('hex');
}

/** Operator notifications on SNS (email, chat, ...). */
export class AwsNotifier implements Notifier {
  private readonly client: SNSClient;
  private readonly fifo: boolean;

  constructor(private readonly options: AwsNotifierOptions) {
    if (!options.topicArn) throw new Error('topicArn (SNS_TOPIC_ARN): expected an SNS topic ARN, got an empty value');
    this.client = options.client ?? new SNSClient(sdkClientOptions({ maxAttempts: options.maxAttempts }));
    this.fifo = options.topicArn.endsWith('.fifo');
  }

  async publish(n: Notification): Promise<{ messageId: string }> {
    const attributes: Record<string, MessageAttributeValue> = {};
    // SNS rejects attributes with an empty value.
    for (const [k, v] of Object.entries(n.attributes)) if (v !== '') attributes[k] = { DataType: 'String', StringValue: v };
    const subject = snsSubject(n.subject);
    const out = await this.client.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Message: n.message,
        ...(subject ? { Subject: subject } : {}),
        ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
        ...(this.fifo
          ? {
              MessageDeduplicationId: dedupId(n.deduplicationId),
              MessageGroupId: n.attributes.operationId || this.options.defaultGroupId || 'aurora-restore',
            }
          : {}),
      }),
    );
    if (!out.MessageId) throw new Error('Publish: expected MessageId in the response, got none');
    return { messageId: out.MessageId };
  }
}
