/**
 * Ending an operation: shared by sns-notification and the dead-letter guard (which concludes the operation
 * itself when the notification step keeps failing) — a module of its own, so that neither bundle carries the other step.
 */
import type { EventOf } from '../../events/catalogue';
import { isTerminal, type OperationState } from '../../schemas/operation-state';
import type { Dependencies } from '../dependencies';
import { composeNotification } from '../notification';
import { StepBusyError } from '../hand-back';
import { storesFor } from '../step-runner';
import { deadlineScheduleName } from './names';
import { compensateFailedSwap } from './swap-compensation';
import { isPostRestoreFailure, settleFailedPostRestore } from './post-restore-failure';

export type Outcome = { status: 'SUCCEEDED' | 'FAILED'; error: OperationState['error'] };

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
      // A failed post-restore run keeps the restored cluster for inspection (no app user can log in) or
      // deletes it under the safety rules, as the request's postRestore.onFailure says.
      const postFailed = isPostRestoreFailure(outcome.error.code);
      const keepNew = postFailed && before.parameters.post_restore?.onFailure !== 'delete';
      note =
        before.parameters.strategy === 'swap'
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

