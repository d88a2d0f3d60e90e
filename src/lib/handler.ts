import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AnyStepName } from '../schemas/steps';
import type { Dependencies } from './dependencies';
import type { RecordProcessor } from './steps';

export type DependenciesProvider = () => Dependencies | Promise<Dependencies>;

/** Builds the AWS composition on first use, once per container; the local runtime never loads it. */
let aws: Promise<Dependencies> | undefined;
export const awsDependenciesProvider: DependenciesProvider = () =>
  (aws ??= import('./aws/dependencies').then((m) => m.awsDependencies()));

/**
 * A step's Lambda handler: SQS partial batch failure → each record processed on its own (one bad
 * message never fails its neighbours) → metrics flushed. The order of `.use` is the documentation.
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
        return await Promise.allSettled(event.Records.map((record) => process(ready, record)));
      } finally {
        (ready.metrics as { flush?: () => void }).flush?.();
      }
    }) as never);
}
