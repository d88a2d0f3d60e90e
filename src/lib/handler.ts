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
  return middy<SQSEvent, SQSBatchResponse>()
    .use(
      sqsPartialBatchFailure({
        logger: (reason: unknown, record: { messageId: string }) =>
          console.error(JSON.stringify({ level: 'ERROR', step, messageId: record.messageId, error: String((reason as Error)?.message ?? reason) })),
      }),
    )
    .handler((async (event: SQSEvent) => {
      const deps = await provider();
      try {
        return await Promise.allSettled(event.Records.map((record) => process(deps, record)));
      } finally {
        (deps.metrics as { flush?: () => void }).flush?.();
      }
    }) as never);
}
