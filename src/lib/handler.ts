import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AnyStepName } from '../schemas/steps';
import type { Dependencies } from './dependencies';
import { handBackSeconds } from './hand-back';
import type { RecordProcessor } from './steps/processor';

export type DependenciesProvider = () => Dependencies | Promise<Dependencies>;

/**
 * A record that failed stays failed (it is reported in batchItemFailures); when it can be retried soon
 * (step busy, throttling), it is made visible again after `handBackSeconds` instead of the queue's full
 * visibility timeout. A failed hand-back only costs the wait: SQS still redelivers after the timeout.
 */
async function handBack(deps: Dependencies, step: AnyStepName, record: SQSRecord, error: unknown): Promise<never> {
  const seconds = handBackSeconds(error, Number(record.attributes?.ApproximateReceiveCount ?? 1), deps.clock.now());
  if (seconds !== undefined) {
    try {
      await deps.queue.changeVisibility({ queueArn: record.eventSourceARN, receiptHandle: record.receiptHandle, seconds });
      deps.metrics.count('HandedBack', 1, { step, reason: (error as Error).name });
    } catch (e) {
      deps.logger.warn('could not hand the record back; SQS redelivers it after the visibility timeout', { messageId: record.messageId, error: String((e as Error)?.message ?? e) });
    }
  }
  throw error;
}

/** Builds the AWS composition on first use, once per container; the local runtime never loads it. */
let aws: Promise<Dependencies> | undefined;
export const awsDependenciesProvider: DependenciesProvider = () =>
  (aws ??= import('./aws/dependencies').then((m) => m.awsDependencies()));

/**
 * A step's Lambda handler: SQS partial batch failure → each record processed on its own (one bad
 * message never fails its neighbours; one that cannot be processed now is handed back to its queue
 * with a short delay, see hand-back.ts) → metrics flushed. The order of `.use` is the documentation.
 */
export function sqsHandler(step: AnyStepName, process: RecordProcessor, provider: DependenciesProvider) {
  let deps: Dependencies | undefined;
  // A record that failed is retried by SQS; say which and why through the pipeline's own logger.
  const logFailure = (reason: unknown, record: { messageId: string; attributes?: { ApproximateReceiveCount?: string } }) => {
    const entry = {
      step,
      messageId: record.messageId,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      error: String((reason as Error)?.message ?? reason),
    };
    if (deps) deps.logger.warn('record failed; SQS will redeliver it', entry);
    else console.error(JSON.stringify({ level: 'ERROR', message: 'record failed before dependencies were ready', ...entry }));
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure({ logger: logFailure }))
    .handler((async (event: SQSEvent) => {
      deps = await provider();
      const ready = deps;
      try {
        return await Promise.allSettled(event.Records.map((record) => process(ready, record).catch((e) => handBack(ready, step, record, e))));
      } finally {
        (ready.metrics as { flush?: () => void }).flush?.();
      }
    }) as never);
}
