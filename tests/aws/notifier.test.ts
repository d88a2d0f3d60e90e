import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsNotifier, snsSubject } from '../../src/lib/aws/notifier';
import { TEST_CREDENTIALS, useDummyAwsEnv } from './sdk-test-env';

const STANDARD = 'arn:aws:sns:us-east-1:123456789012:aurora-restore-notifications';
const FIFO = 'arn:aws:sns:us-east-1:123456789012:aurora-restore-notifications.fifo';
const n = {
  subject: 'Restore succeeded: aurora-staging',
  message: 'aurora-staging restored from aurora-prod 2026-11-24',
  attributes: { operationId: 'restore-20261124-020000-k3x9q2', outcome: 'succeeded', empty: '' },
  deduplicationId: 'restore-20261124-020000-k3x9q2-RestoreSucceeded',
};

describe('snsSubject', () => {
  it('keeps a short subject', () => {
    expect(snsSubject('Restore failed')).toBe('Restore failed');
  });

  it('removes line breaks and control characters', () => {
    expect(snsSubject('Restore\nfailed:\t\u0007 aurora  ')).toBe('Restore failed: aurora');
  });

  it('cuts at 100 characters on whole code points', () => {
    const s = snsSubject(`${'a'.repeat(96)}😀😀😀😀😀`)!;
    expect(Array.from(s)).toHaveLength(100);
    expect(s.endsWith('...')).toBe(true);
    expect(s).toBe(`${'a'.repeat(96)}😀...`);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(s)).toBe(false); // no lone high surrogate
  });

  it('is undefined when nothing is left', () => {
    expect(snsSubject(' \n ')).toBeUndefined();
  });
});

describe('AwsNotifier', () => {
  let mock: AwsStub<any, any, any>;
  const client = new SNSClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS });
  beforeAll(useDummyAwsEnv);
  beforeEach(() => {
    mock = mockClient(SNSClient);
    mock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });
  afterEach(() => mock.restore());

  it('publishes to a standard topic without FIFO ids', async () => {
    expect(await new AwsNotifier({ topicArn: STANDARD, client }).publish(n)).toEqual({ messageId: 'm-1' });
    expect(mock.commandCalls(PublishCommand)[0].args[0].input).toEqual({
      TopicArn: STANDARD,
      Subject: 'Restore succeeded: aurora-staging',
      Message: n.message,
      MessageAttributes: {
        operationId: { DataType: 'String', StringValue: 'restore-20261124-020000-k3x9q2' },
        outcome: { DataType: 'String', StringValue: 'succeeded' },
      },
    });
  });

  it('adds deduplication and group ids on a FIFO topic', async () => {
    await new AwsNotifier({ topicArn: FIFO, client }).publish(n);
    expect(mock.commandCalls(PublishCommand)[0].args[0].input).toMatchObject({
      TopicArn: FIFO,
      MessageDeduplicationId: n.deduplicationId,
      MessageGroupId: 'restore-20261124-020000-k3x9q2',
    });
  });

  it('FIFO: hashes a deduplication id longer than 128 characters, and groups without an operation id', async () => {
    await new AwsNotifier({ topicArn: FIFO, client }).publish({ ...n, attributes: {}, deduplicationId: 'd'.repeat(300) });
    const input = mock.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(input.MessageGroupId).toBe('aurora-restore');
    expect(input).not.toHaveProperty('MessageAttributes');
  });

  it('truncates a long subject safely', async () => {
    await new AwsNotifier({ topicArn: STANDARD, client }).publish({ ...n, subject: `Restore failed: ${'x'.repeat(200)}` });
    expect(Array.from(mock.commandCalls(PublishCommand)[0].args[0].input.Subject ?? '')).toHaveLength(100);
  });

  it('propagates SNS errors', async () => {
    mock.on(PublishCommand).rejects(Object.assign(new Error('no'), { name: 'AuthorizationErrorException' }));
    await expect(new AwsNotifier({ topicArn: STANDARD, client }).publish(n)).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
  });
});
