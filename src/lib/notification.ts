import type { OperationState } from '../schemas/operation-state';
import type { Notification } from './ports';

const line = (label: string, value: unknown) => (value === undefined || value === null || value === '' ? [] : [`${label.padEnd(22)}${value}`]);

/** The terminal notification: a subject, a human-readable body and attributes subscribers can filter on. */
export function composeNotification(state: OperationState, environment: string): Notification {
  const p = state.parameters;
  const r = state.restore_details;
  const s = state.snapshot_details;
  const m = state.metrics;
  const ok = state.status === 'SUCCEEDED';
  // A restored cluster whose post-restore SQL did not complete must never be mistaken for a ready one.
  const notReady = !ok && (state.error?.code === 'PostRestoreSqlFailed' || state.error?.code === 'ValidationFailed');
  const target = p.target_cluster_id || '(unknown target)';
  const subject = ok
    ? `[aurora-restore] SUCCEEDED: ${target} restored in ${p.target_region}`
    : `[aurora-restore] FAILED${notReady ? ' (database NOT ready)' : ''}: ${target}${state.error ? ` at ${state.error.step} (${state.error.code})` : ''}`;
  const body = [
    ok ? `The restore of ${target} in ${p.target_region} succeeded.` : `The restore of ${target} failed.`,
    ...(notReady
      ? ['', 'THE DATABASE IS NOT READY: its post-restore SQL or a validation failed, so it may still hold unmasked production data.', 'No application user can log in to it. Do not point anything at it until a refresh succeeds.']
      : []),
    '',
    ...line('Operation', state.operation_id),
    ...line('Environment', environment),
    ...line('Status', state.status),
    ...line('Source snapshot', s.source_snapshot_id),
    ...line('Source region', p.source_region),
    ...line('Target cluster', p.target_cluster_id),
    ...line('Target region', p.target_region),
    ...line('Writer endpoint', r.writer_endpoint),
    ...line('Reader endpoint', r.reader_endpoint),
    ...line('Master secret', r.master_secret_name),
    ...line('Post-restore SQL', r.post_restore_hooks?.length ? r.post_restore_hooks.map((h) => `${h.file} ${h.outcome} (sha256 ${h.sha256.slice(0, 12)}…)`).join(', ') : undefined),
    ...line('Validations passed', r.validations_passed?.length ? r.validations_passed.join(', ') : undefined),
    ...line('Application users', ok ? r.users?.join(', ') : undefined),
    ...line('Existing cluster', r.deleted_existing_cluster === undefined ? undefined : r.deleted_existing_cluster ? `deleted (final snapshot ${r.final_snapshot_id ?? 'skipped'})` : 'none'),
    ...line('Copied snapshot', s.archive),
    ...line('Started', state.start_time),
    ...line('Total duration', m.total_duration_seconds === undefined ? undefined : `${m.total_duration_seconds} s`),
    ...line('Retries', m.retry_count),
    ...(state.error
      ? ['', `Error in ${state.error.step}: ${state.error.code}`, state.error.message, state.error.retryable ? 'The cause looks transient: starting the restore again may succeed.' : '']
      : []),
  ].join('\n');
  return {
    subject: subject.slice(0, 100),
    message: body,
    attributes: {
      operation_id: state.operation_id,
      status: state.status,
      step: state.error?.step ?? 'archive-snapshot',
      environment,
      target_cluster_id: target,
      database_ready: ok ? 'true' : 'false',
    },
    deduplicationId: `${state.operation_id}:terminal`,
  };
}
