import type { SQSRecord } from 'aws-lambda';
import { domainEvent } from '../../events/catalogue';
import { InvalidEventError, parseEventBody } from '../../events/envelope';
import { isTerminal } from '../../schemas/operation-state';
import { anyStepName, stepName, type AnyStepName } from '../../schemas/steps';
import type { Dependencies } from '../dependencies';
import { operationOf, storesFor } from '../step-runner';

/** The step an operation is waiting in, from the seed's `next_step` (e.g. CHECK_RESTORE_STATUS). */
function waitingStep(nextStep: string): AnyStepName {
  const parsed = stepName.safeParse(nextStep.toLowerCase().replaceAll('_', '-'));
  return parsed.success ? parsed.data : 'watchdog';
}

/**
 * watchdog: the operation's deadline (armed by snapshot-check at start + STATE_MACHINE_TIMEOUT_SECONDS)
 * has passed; an operation still running is failed with `Timeout`.
 */
export async function enforceDeadline(deps: Dependencies, record: SQSRecord): Promise<void> {
  const parsed = parseEventBody(record.body);
  if (parsed.kind !== 'domain' || parsed.event.type !== 'OperationDeadlineReached') return;
  const { store, audit } = storesFor(deps);
  const operationId = parsed.event.detail.operationId;
  const state = await store.get(operationId);
  if (!state || isTerminal(state.status)) return;
  const now = deps.clock.now();
  const step = waitingStep(state.next_step);
  const message = `operation did not finish within STATE_MACHINE_TIMEOUT_SECONDS=${deps.config.STATE_MACHINE_TIMEOUT_SECONDS} (it was at ${step}, status ${state.status})`;
  await audit.record({ operationId, at: now, step: 'watchdog', type: 'DEADLINE_REACHED', status: 'FAILURE', error: { code: 'Timeout', message } });
  await deps.bus.publish([domainEvent('RestoreFailed', operationId, now, { step, code: 'Timeout', message, retryable: true })]);
}

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
 * itself keeps failing, the operation is marked FAILED directly (publishing would loop).
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
  if (state && isTerminal(state.status)) return;
  const now = deps.clock.now();
  const message = `a message for ${step} failed ${receives} times and was moved to its dead-letter queue`;
  await audit.record({ operationId, at: now, step: 'dead-letter', type: 'DEAD_LETTER', status: 'FAILURE', details: { step, message_id: record.messageId }, error: { code: 'StepFailedRepeatedly', message } });
  const failed = domainEvent('RestoreFailed', operationId, now, { step, code: 'StepFailedRepeatedly', message, retryable: true });
  if (step === 'sns-notification') {
    const finished = await store.finish(operationId, { status: 'FAILED', now, error: { step, code: 'StepFailedRepeatedly', message, retryable: true } });
    const p = finished.state?.parameters;
    if (p?.target_cluster_id) await store.releaseLock(p.target_region, p.target_cluster_id, operationId);
    return;
  }
  await deps.bus.publish([failed]);
}
