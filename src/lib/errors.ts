import type { ErrorCode } from '../events/catalogue';
import type { Clock } from './ports';

/** A failure the pipeline understands: it ends the operation with `RestoreFailed` carrying this code. */
export class PipelineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}

/**
 * No RDS call budget left within the wait a function may spend in-process (src/lib/rds-budget.ts). It is
 * classified like RDS's own throttling (`Throttled`, retryable); the step runner turns it into queueing: a
 * wait step defers its check by `retryAfterSeconds`, an action step sends its message back to its queue
 * delayed by as much (src/lib/step-runner.ts). Retrying it in-process would only wait again
 * for a horizon already found full, so withRetry passes it on at once.
 */
export class RdsBudgetExhaustedError extends PipelineError {
  constructor(
    readonly region: string,
    readonly callsPerSecond: number,
    /** The seconds ahead that were all booked. */
    readonly horizonSeconds: number,
    /** When to try again (whole seconds ≥ 1): the caller's place in the budget's queue (src/lib/rds-budget.ts). */
    readonly retryAfterSeconds: number = horizonSeconds,
  ) {
    super('Throttled', `RdsBudgetExhausted: the RDS call budget of ${region} (${callsPerSecond}/s) is booked for the next ${horizonSeconds} s`, true);
    this.name = 'RdsBudgetExhausted';
  }
}

/** Throttling answers, by service: RDS `Throttling`/`ThrottlingException`, SNS `Throttled` (ThrottledException), DynamoDB, EventBridge... */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'Throttled',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
]);
const TRANSIENT = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServiceError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);
/**
 * Faults that no retry can fix, by name without the `Fault` suffix: RDS's wire codes drop it for some
 * (InvalidDBInstanceState, StorageQuotaExceeded, InsufficientDBInstanceCapacity) and keep it for others
 * (DBClusterQuotaExceededFault), while the SDK's exception classes carry it. They end the operation at once
 * with a clear code — redelivering them would only fail five times, half an hour apart.
 * A `ResourceNotFoundException` is NOT here: DynamoDB, Scheduler and Secrets Manager all answer it, so the
 * Secrets adapter turns its own into `SecretNotFound` (PipelineError) and the others stay unknown.
 */
const BY_NAME: Record<string, ErrorCode> = {
  DBClusterSnapshotNotFound: 'SnapshotNotFound',
  DBSnapshotNotFound: 'SnapshotNotFound',
  KMSKeyNotAccessible: 'KmsKeyNotAccessible',
  AccessDenied: 'AccessDenied',
  AccessDeniedException: 'AccessDenied',
  UnauthorizedOperation: 'AccessDenied',
  // "An invalid or out-of-range value was supplied for the input parameter." / "Parameters that must not be used together were used together."
  InvalidParameterValue: 'InvalidParameter',
  InvalidParameterCombination: 'InvalidParameter',
  MissingParameter: 'InvalidParameter',
  ValidationException: 'InvalidParameter',
  // A parameter group the request names that does not exist in the target region.
  DBClusterParameterGroupNotFound: 'InvalidParameter',
  DBParameterGroupNotFound: 'InvalidParameter',
  // Account quotas: "the user has already reached the maximum allowed DB cluster quota", and the like.
  DBClusterQuotaExceeded: 'QuotaExceeded',
  InstanceQuotaExceeded: 'QuotaExceeded',
  StorageQuotaExceeded: 'QuotaExceeded',
  SnapshotQuotaExceeded: 'QuotaExceeded',
  DBClusterAutomatedBackupQuotaExceeded: 'QuotaExceeded',
  // Capacity: "The specified DB instance class isn't available in the specified Availability Zone."
  InsufficientDBClusterCapacity: 'InsufficientCapacity',
  InsufficientDBInstanceCapacity: 'InsufficientCapacity',
  InsufficientStorageClusterCapacity: 'InsufficientCapacity',
};

/** A fault's name without the `Fault` suffix RDS's wire codes sometimes omit (InvalidDBInstanceState ≡ InvalidDBInstanceStateFault). */
const baseName = (name: string) => name.replace(/Fault$/, '');

export interface Classified {
  code: ErrorCode;
  retryable: boolean;
  message: string;
}

/** The one place errors are classified: throttling and transient faults are retryable, the rest are not. */
export function classifyError(err: unknown): Classified {
  if (err instanceof PipelineError) return { code: err.code, retryable: err.retryable, message: err.message };
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = e?.name ?? e?.code ?? 'Error';
  const message = `${name}: ${e?.message ?? String(err)}`;
  if (THROTTLING.has(name) || (e?.code && THROTTLING.has(e.code))) return { code: 'Throttled', retryable: true, message };
  if (TRANSIENT.has(name) || (e?.code && TRANSIENT.has(e.code)) || (e?.$metadata?.httpStatusCode ?? 0) >= 500) {
    return { code: 'TransientFault', retryable: true, message };
  }
  const code = BY_NAME[baseName(name)];
  if (code) return { code, retryable: false, message };
  return { code: 'InternalError', retryable: false, message };
}

export interface RetryPolicy {
  maxRetries: number;
  intervalSeconds: number;
  backoffRate: number;
  /** Source of the jitter (tests pass a seeded one). */
  random?: () => number;
}

/**
 * Retries retryable failures (throttling, transient faults) with exponential backoff, as the seed's
 * Step Functions `Retry` did (IntervalSeconds, MaxAttempts, BackoffRate). Waits on the given clock,
 * so the local runtime's virtual clock makes retries instant in simulated time.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  onRetry?: (attempt: number, error: Classified) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const c = classifyError(err);
      if (!c.retryable || attempt >= policy.maxRetries || err instanceof RdsBudgetExhaustedError) throw err;
      onRetry?.(attempt + 1, c);
      // "Equal jitter": half the backoff plus a random half. Without it, restores started together
      // retry in lockstep and hit the account's RDS quota at the same instant again.
      const backoff = policy.intervalSeconds * 1000 * policy.backoffRate ** attempt;
      await clock.sleep(backoff / 2 + (policy.random ?? Math.random)() * (backoff / 2));
    }
  }
}

/** True when the error is the named AWS fault (with or without the `Fault` suffix, as RDS answers either). */
export function isFault(err: unknown, ...names: string[]): boolean {
  const name = (err as { name?: string })?.name;
  return name !== undefined && names.some((n) => baseName(n) === baseName(name));
}
