import type { SQSRecord } from 'aws-lambda';
import { domainEvent } from '../../events/catalogue';
import { InvalidEventError, parseEventBody, type ParsedEvent } from '../../events/envelope';
import { isTerminal } from '../../schemas/operation-state';
import { anyStepName, type AnyStepName } from '../../schemas/steps';
import type { Dependencies } from '../dependencies';
import { operationOf, storesFor } from '../step-runner';
import { concludeOperation, outcomeOf } from './conclude';

/** `arn:aws:sqs:<region>:<account>:aurora-restore-<step>-dlq` → the step whose messages died. */
export function stepOfDeadLetterQueue(arn: string): AnyStepName {
  const name = arn.split(':').pop() ?? '';
  const step = name.replace(/^.*?aurora-restore-/, '').replace(/-dlq$/, '');
  const parsed = anyStepName.safeParse(step);
  return parsed.success ? parsed.data : 'dead-letter';
}

/**
 * dead-letter: a message that failed maxReceiveCount times reached its step's DLQ. Its operation is
 * failed with `StepFailedRepeatedly` — no operation is ever silently stuck. When the notification step
 * itself keeps failing, the dead-letter handler concludes the operation itself (publishing would loop).
 */
export async function handleDeadLetter(deps: Dependencies, record: SQSRecord): Promise<void> {
  const { store, audit } = storesFor(deps);
  const step = stepOfDeadLetterQueue(record.eventSourceARN);
  const receives = record.attributes.ApproximateReceiveCount;
  let parsed;
  try {
    parsed = parseEventBody(record.body);
  } catch (e) {
    if (!(e instanceof InvalidEventError)) throw e;
    deps.logger.error('dead letter without a readable event', { step, error: e.message });
    deps.metrics.count('DeadLetters', 1, { step });
    return;
  }
  const operationId = await operationOf(parsed, store);
  deps.metrics.count('DeadLetters', 1, { step });
  if (!operationId) return;
  const state = await store.get(operationId);
  const now = deps.clock.now();
  const message = `a message for ${step} failed ${receives} times and was moved to its dead-letter queue`;
  if (step === 'sns-notification') {
    if (state?.notification) return;
    await audit.record({ operationId, at: now, step: 'dead-letter', type: 'DEAD_LETTER', status: 'FAILURE', details: { step, message_id: record.messageId }, error: { code: 'StepFailedRepeatedly', message } });
    await concludeFromDeadLetter(deps, operationId, parsed, message, now);
    return;
  }
  if (state && isTerminal(state.status)) return;
  await audit.record({ operationId, at: now, step: 'dead-letter', type: 'DEAD_LETTER', status: 'FAILURE', details: { step, message_id: record.messageId }, error: { code: 'StepFailedRepeatedly', message } });
  await deps.bus.publish([domainEvent('RestoreFailed', operationId, now, { step, code: 'StepFailedRepeatedly', message, retryable: true })]);
}

/**
 * The notification step itself kept failing (publishing RestoreFailed would only loop back to it). One
 * last attempt to conclude with the outcome the message carried; if even that fails, the operation is
 * still ended and its target released — never left running — and the failure is logged and counted
 * (the DLQ alarm has already fired).
 */
async function concludeFromDeadLetter(deps: Dependencies, operationId: string, parsed: ParsedEvent, message: string, now: Date): Promise<void> {
  const { store } = storesFor(deps);
  const event = parsed.kind === 'domain' ? parsed.event : undefined;
  const outcome =
    event && (event.type === 'RestoreSucceeded' || event.type === 'RestoreFailed')
      ? outcomeOf(event)
      : ({ status: 'FAILED', error: { step: 'sns-notification', code: 'StepFailedRepeatedly', message, retryable: true } } as const);
  try {
    await concludeOperation(deps, operationId, outcome, now);
  } catch (e) {
    const finished = await store.finish(operationId, { ...outcome, now });
    const p = finished.state?.parameters;
    if (p?.target_cluster_id) await store.releaseLock(p.target_region, p.target_cluster_id, operationId);
    deps.metrics.count('NotificationFailures', 1);
    deps.logger.error('the terminal notification could not be sent', { operationId, error: String((e as Error)?.message ?? e) });
  }
}
