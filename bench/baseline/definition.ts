/**
 * The seed's design as a Step Functions state machine (Amazon States Language, the subset it uses):
 * the ten Lambda steps invoked in sequence, each check-* step a Wait → Task → Choice loop at a fixed
 * interval, every Task with the seed's Retry (IntervalSeconds 3, MaxAttempts 3, BackoffRate 2) and a
 * Catch to the failure notification, and the execution's TimeoutSeconds (STATE_MACHINE_TIMEOUT_SECONDS).
 */

export interface RetrierDef {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
}

export type StateDef =
  | { Type: 'Task'; Resource: string; Next?: string; End?: true; Retry?: RetrierDef[]; Catch?: { ErrorEquals: string[]; Next: string }[] }
  | { Type: 'Wait'; Seconds: number; Next: string }
  | { Type: 'Choice'; Choices: { Variable: string; StringEquals: string; Next: string }[]; Default: string }
  | { Type: 'Succeed' }
  | { Type: 'Fail'; Error: string };

export interface StateMachineDef {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, StateDef>;
}

export interface PollingOptions {
  /** Wait state seconds in every check loop (the seed's design polls; 30 s and 60 s are benchmarked). */
  pollSeconds: number;
  maxRetries?: number;
  retryIntervalSeconds?: number;
  retryBackoffRate?: number;
  timeoutSeconds?: number;
}

/**
 * Errors the Retry matches. The seed's own definition retries `States.TaskFailed` (any Lambda error);
 * in the benchmark throttling is the only injected failure, so the two are equivalent here.
 */
export const RETRYABLE_ERRORS = ['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'ServiceUnavailable', 'States.TaskFailed'];

export function pollingStateMachine(options: PollingOptions): StateMachineDef {
  const retry: RetrierDef[] = [
    {
      ErrorEquals: RETRYABLE_ERRORS,
      IntervalSeconds: options.retryIntervalSeconds ?? 3,
      MaxAttempts: options.maxRetries ?? 3,
      BackoffRate: options.retryBackoffRate ?? 2,
    },
  ];
  const catchAll = [{ ErrorEquals: ['States.ALL'], Next: 'HandleFailure' }];
  const task = (resource: string, next: string): StateDef => ({ Type: 'Task', Resource: resource, Next: next, Retry: retry, Catch: catchAll });
  const wait = (next: string): StateDef => ({ Type: 'Wait', Seconds: options.pollSeconds, Next: next });
  const choice = (variable: string, cases: Record<string, string>, fallback: string): StateDef => ({
    Type: 'Choice',
    Choices: Object.entries(cases).map(([value, next]) => ({ Variable: variable, StringEquals: value, Next: next })),
    Default: fallback,
  });
  return {
    Comment: `Aurora Restore Pipeline (seed design), polling every ${options.pollSeconds} s`,
    StartAt: 'SnapshotCheck',
    TimeoutSeconds: options.timeoutSeconds ?? 7200,
    States: {
      SnapshotCheck: task('snapshot-check', 'CopySnapshot'),
      CopySnapshot: task('copy-snapshot', 'IsCopyNeeded'),
      IsCopyNeeded: choice('$.copy', { skipped: 'DeleteRds' }, 'WaitForCopy'),
      WaitForCopy: wait('CheckCopyStatus'),
      CheckCopyStatus: task('check-copy-status', 'IsCopyComplete'),
      IsCopyComplete: choice('$.copy', { available: 'DeleteRds', failed: 'HandleFailure' }, 'WaitForCopy'),
      DeleteRds: task('delete-rds', 'IsDeleteNeeded'),
      IsDeleteNeeded: choice('$.delete', { cleared: 'RestoreSnapshot' }, 'WaitForDelete'),
      WaitForDelete: wait('CheckDeleteStatus'),
      CheckDeleteStatus: task('check-delete-status', 'IsDeleteComplete'),
      IsDeleteComplete: choice('$.delete', { cleared: 'RestoreSnapshot' }, 'WaitForDelete'),
      RestoreSnapshot: task('restore-snapshot', 'WaitForRestore'),
      WaitForRestore: wait('CheckRestoreStatus'),
      CheckRestoreStatus: task('check-restore-status', 'IsRestoreComplete'),
      IsRestoreComplete: choice('$.restore', { available: 'SetupDbUsers', failed: 'HandleFailure' }, 'WaitForRestore'),
      SetupDbUsers: task('setup-db-users', 'ArchiveSnapshot'),
      ArchiveSnapshot: task('archive-snapshot', 'NotifySuccess'),
      NotifySuccess: task('sns-notification', 'Succeeded'),
      Succeeded: { Type: 'Succeed' },
      HandleFailure: { Type: 'Task', Resource: 'sns-notification', Next: 'Failed' },
      Failed: { Type: 'Fail', Error: 'RestoreFailed' },
    },
  };
}
