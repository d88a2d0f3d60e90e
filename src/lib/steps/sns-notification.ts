import type { SQSRecord } from 'aws-lambda';
import type { EventOf } from '../../events/catalogue';
import { InvalidEventError, parseEventBody } from '../../events/envelope';
import { isTerminal, newOperationState, type OperationState } from '../../schemas/operation-state';
import type { Dependencies } from '../dependencies';
import { composeNotification } from '../notification';
import { StepBusyError } from '../hand-back';
import { storesFor } from '../step-runner';
import { deadlineScheduleName } from './names';
import { compensateFailedSwap } from './swap-compensation';
import { isPostRestoreFailure, settleFailedPostRestore } from './post-restore-failure';

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

type Outcome = { status: 'SUCCEEDED' | 'FAILED'; error: OperationState['error'] };

/** The terminal status a `RestoreSucceeded` / `RestoreFailed` event asks for. */
export function outcomeOf(event: EventOf<'RestoreSucceeded'> | EventOf<'RestoreFailed'>): Outcome {
  return event.type === 'RestoreSucceeded'
    ? { status: 'SUCCEEDED', error: null }
    : { status: 'FAILED', error: { step: event.detail.step, code: event.detail.code, message: event.detail.message, retryable: event.detail.retryable } };
}

/**
 * Ends an operation: claims its one notification, records the terminal status (first outcome wins),
 * releases the target cluster, cancels the deadline, audits, notifies, records the notification.
 */
export async function concludeOperation(deps: Dependencies, operationId: string, outcome: Outcome, now: Date): Promise<void> {
  const { store, audit } = storesFor(deps);
  const token = await store.claimNotification(operationId, now, deps.config.LAMBDA_TIMEOUT_SECONDS * 1000);
  if (!token) {
    const current = await store.get(operationId);
    if (current?.notification) return;
    const lease = current?.steps['sns-notification']?.lease_until;
    throw new StepBusyError(operationId, 'sns-notification', lease ? new Date(lease) : undefined);
  }

  if (outcome.status === 'FAILED' && outcome.error) {
    const before = await store.get(operationId);
    let note: string | undefined;
    if (before && !isTerminal(before.status)) {
      const postFailed = isPostRestoreFailure(outcome.error.code);
      const keepNew = postFailed && before.parameters.post_restore?.onFailure !== 'delete';
      note = before.parameters.strategy === 'swap'
        ? await compensateFailedSwap(deps, before, { keepNew })
        : postFailed
          ? await settleFailedPostRestore(deps, { ...before, error: outcome.error })
          : undefined;
    }
    if (note) outcome = { ...outcome, error: { ...outcome.error, message: `${outcome.error.message} — ${note}`.slice(0, 2000) } };
  }
  const finished = await store.finish(operationId, { ...outcome, now });
  const final = finished.state!;
  if (!isTerminal(final.status)) throw new Error(`operation ${operationId} did not become terminal`);
  const p = final.parameters;
  if (p.target_cluster_id) await store.releaseLock(p.target_region, p.target_cluster_id, operationId);
  // The watchdog has nothing left to guard; a failed cancel only costs one no-op invocation later.
  await deps.scheduler.cancel(deadlineScheduleName(operationId)).catch((e) => deps.logger.warn('could not cancel the deadline schedule', { operationId, error: String(e) }));
  if (finished.transitioned) {
    await audit.record({
      operationId,
      at: now,
      step: 'sns-notification',
      type: final.status === 'SUCCEEDED' ? 'OPERATION_SUCCEEDED' : 'OPERATION_FAILED',
      status: final.status === 'SUCCEEDED' ? 'SUCCESS' : 'FAILURE',
      details: { metrics: final.metrics },
      error: final.error ? { code: final.error.code, message: final.error.message } : null,
    });
    deps.metrics.count(final.status === 'SUCCEEDED' ? 'RestoreSucceeded' : 'RestoreFailed', 1);
    if (final.metrics.total_duration_seconds !== undefined) deps.metrics.seconds('TotalDuration', final.metrics.total_duration_seconds);
  }

  const notification = composeNotification(final, deps.config.ENVIRONMENT);
  const { messageId } = await deps.notifier.publish(notification);
  const sentAt = deps.clock.now();
  await store.recordNotification(operationId, { token, messageId, startedAt: now, now: sentAt, outcome: final.status });
  await audit.record({ operationId, at: sentAt, step: 'sns-notification', type: 'NOTIFICATION_SENT', status: 'SUCCESS', order: 2, details: { message_id: messageId, subject: notification.subject } });
  deps.logger.info('operation finished', { operationId, status: final.status });
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
