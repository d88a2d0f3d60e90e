import type { SQSRecord } from 'aws-lambda';
import { InvalidEventError, parseEventBody } from '../../events/envelope';
import { newOperationState, type OperationState } from '../../schemas/operation-state';
import type { Dependencies } from '../dependencies';
import { storesFor } from '../step-runner';
import { concludeOperation, outcomeOf } from './conclude';

/**
 * sns-notification: the one place an operation becomes terminal. On `RestoreSucceeded` or
 * `RestoreFailed` it records SUCCEEDED/FAILED exactly once (the first outcome wins: a late success after
 * the watchdog failed the operation changes nothing), releases the target cluster, and publishes ONE
 * notification describing the final state.
 */
export async function notifyOutcome(deps: Dependencies, record: SQSRecord): Promise<void> {
  const { store, audit } = storesFor(deps);
  let parsed;
  try {
    parsed = parseEventBody(record.body);
  } catch (e) {
    if (!(e instanceof InvalidEventError)) throw e;
    deps.metrics.count('InvalidEvents', 1, { step: 'sns-notification' });
    deps.logger.error('rejected an invalid event', { step: 'sns-notification', error: e.message });
    return;
  }
  if (parsed.kind !== 'domain' || (parsed.event.type !== 'RestoreSucceeded' && parsed.event.type !== 'RestoreFailed')) return;
  const event = parsed.event;
  const operationId = event.detail.operationId;
  const now = deps.clock.now();

  let state = await store.get(operationId);
  if (!state) {
    if (event.type !== 'RestoreFailed') throw new Error(`operation ${operationId} not found`);
    // The request never became an operation (invalid, or it died before its first write): record it,
    // so that `status` shows the error and the notification goes out.
    await store.create(unknownOperation(operationId, event.detail.occurredAt, now, store.expiresAt(now)));
    state = (await store.get(operationId))!;
  }
  if (state.notification) return;
  await concludeOperation(deps, operationId, outcomeOf(event), now);
}

/** The state of a request that never became an operation: its parameters are unknown. */
function unknownOperation(operationId: string, requestedAt: string, now: Date, expiresAt: number): OperationState {
  return newOperationState({
    operationId,
    startTime: requestedAt,
    now,
    parameters: {
      source_region: '',
      target_region: '',
      target_cluster_id: '',
      db_instance_class: '',
      vpc_security_group_ids: [],
      delete_existing: false,
      keep_snapshot: false,
      skip_final_snapshot: false,
    },
    nextStep: 'SNS_NOTIFICATION',
    expiresAt,
  });
}
