import type { SQSRecord } from 'aws-lambda';
import { domainEvent } from '../../events/catalogue';
import { parseEventBody } from '../../events/envelope';
import { isTerminal } from '../../schemas/operation-state';
import { stepName, type AnyStepName } from '../../schemas/steps';
import type { Dependencies } from '../dependencies';
import { storesFor } from '../step-runner';

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
