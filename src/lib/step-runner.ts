import type { SQSRecord } from 'aws-lambda';
import { domainEvent, type DomainEvent, type ErrorCode, type EventBody, type EventName, type EventOf } from '../events/catalogue';
import { InvalidEventError, parseEventBody, type ParsedEvent } from '../events/envelope';
import { rdsEventRegion, rdsSourceIdentifier } from '../events/rds';
import type { OperationState, OperationStatus } from '../schemas/operation-state';
import type { CheckName, StepName } from '../schemas/steps';
import { AuditLog } from './audit-log';
import type { Dependencies } from './dependencies';
import { classifyError, RdsBudgetExhaustedError, withRetry } from './errors';
import { RetryLaterError, StepBusyError } from './hand-back';
import { StateStore, type Patch } from './state-store';
import { OPERATION_TAG } from './tags';
import { armRecheck, handOverEarlyRecheck, isStaleRecheck, SQS_MAX_DELAY_SECONDS, type RecheckRequest } from './recheck';

/** What a step decided. The runner records it, audits it and publishes its event. */
export type StepResult =
  | {
      kind: 'done';
      event: DomainEvent;
      status: OperationStatus;
      next: StepName | 'NONE';
      patch?: Patch;
      audit: { type: string; details?: Record<string, unknown> };
    }
  | { kind: 'failed'; code: ErrorCode; message: string; retryable?: boolean }
  /** A wait step whose resource is not ready: re-check later (the runner picks the attempt number). */
  | ({
      kind: 'waiting';
      audit?: { type: string; details?: Record<string, unknown> };
      /** The RDS lifecycle being waited for and when it began (recorded on the step: see src/lib/history.ts). */
      phase?: { name: string; started_at: string };
    } & RecheckRequest)
  | { kind: 'ignored'; reason: string };

export interface StepContext {
  /** The step being run. */
  stepName: StepName;
  deps: Dependencies;
  store: StateStore;
  /** For progress lines a step writes while it works (the runner writes its result line). */
  audit: AuditLog;
  state: OperationState;
  trigger: ParsedEvent;
  now: Date;
  /** Runs an RDS (or other AWS) call with the configured retry policy for throttling and transient faults. */
  retry<T>(fn: () => Promise<T>): Promise<T>;
  /** Builds one of this operation's events, stamped now. */
  event<N extends EventName>(type: N, body: EventBody<N>): EventOf<N>;
}

export interface Step {
  name: StepName;
  /**
   * `action` steps claim themselves once (with a lease for crash recovery); `wait` steps (check-*)
   * run on every trigger (their started event, RDS events, re-checks) and complete once.
   */
  mode: 'action' | 'wait';
  /** Wait steps: their re-check, also used when a check cannot be made now (throttling outlasted the retries). */
  recheck?: { check: CheckName; delaySeconds: (config: Dependencies['config']) => number };
  /** The domain events that start the step: a repeat of one after the step finished republishes its outcome. */
  triggers: EventName[];
  /** Creates the operation when the trigger is the first event of one (snapshot-check only). */
  init?(deps: Dependencies, store: StateStore, trigger: ParsedEvent, now: Date): Promise<OperationState | undefined>;
  run(ctx: StepContext): Promise<StepResult>;
}


export function storesFor(deps: Dependencies) {
  return {
    store: new StateStore({ dynamo: deps.dynamo, tableName: deps.config.DYNAMODB_TABLE_NAME, ttlDays: deps.config.STATE_TTL_DAYS }),
    audit: new AuditLog({ dynamo: deps.dynamo, tableName: deps.config.AUDIT_TABLE_NAME, ttlDays: deps.config.AUDIT_TTL_DAYS }),
  };
}

/**
 * The operation an event belongs to: named in domain events; for RDS events, the operation acting on
 * the resource now (resource index, then the target-cluster lock). The resource's operation tag names
 * the operation that CREATED it, which is not the one deleting it in a later refresh: it is only the
 * last resort.
 */
export async function operationOf(parsed: ParsedEvent, store: StateStore): Promise<string | undefined> {
  if (parsed.kind === 'domain') return parsed.event.detail.operationId;
  const acting = await store.operationForResource(rdsEventRegion(parsed.detail), rdsSourceIdentifier(parsed.detail));
  return acting ?? parsed.detail.Tags?.[OPERATION_TAG];
}

/**
 * Handles one SQS record for a step: parse → find the operation → decide (idempotency) → run the
 * step → record, audit, publish. Throws only when the message should be retried (SQS redelivers it,
 * and after maxReceiveCount it reaches the dead-letter queue and becomes RestoreFailed).
 */
export async function runStep(step: Step, deps: Dependencies, record: SQSRecord): Promise<void> {
  const { store, audit } = storesFor(deps);
  const now = deps.clock.now();
  const log = deps.logger;

  let parsed: ParsedEvent;
  try {
    parsed = parseEventBody(record.body);
  } catch (e) {
    if (!(e instanceof InvalidEventError)) throw e;
    deps.metrics.count('InvalidEvents', 1, { step: step.name });
    log.error('rejected an invalid event', { step: step.name, messageId: record.messageId, error: e.message });
    if (e.operationId && step.name === 'snapshot-check') {
      // A malformed request still gets its answer: RestoreFailed names the bad field.
      await deps.bus.publish([
        domainEvent('RestoreFailed', e.operationId, now, { step: step.name, code: 'InvalidRequest', message: e.message.slice(0, 2000), retryable: false }),
      ]);
    }
    return;
  }

  const operationId = await operationOf(parsed, store);
  if (!operationId) {
    log.debug('event for a resource no operation owns', { step: step.name });
    return;
  }

  let state = await store.get(operationId);
  if (!state && step.init) state = await step.init(deps, store, parsed, now);
  const view = store.view(state, step.name, now);
  const primary = parsed.kind === 'domain' && step.triggers.includes(parsed.event.type);

  switch (view.kind) {
    case 'missing':
      if (parsed.kind === 'rds') return; // a stray RDS event for a forgotten operation
      throw new Error(`operation ${operationId} not found (its first event may not have been processed yet)`);
    case 'terminal':
      return;
    case 'done':
    case 'failed': {
      // A repeat (duplicate, replay, or our own retry after a crash between record and publish).
      const outcome = view.record.outcome;
      if (primary && outcome) {
        // The same audit line as the first time (same key): written again in case that write was lost.
        await audit.record({
          operationId,
          at: new Date(view.record.finished_at ?? now.toISOString()),
          step: step.name,
          type: view.record.audit?.type ?? (view.kind === 'done' ? 'STEP_COMPLETED' : 'STEP_FAILED'),
          status: view.kind === 'done' ? 'SUCCESS' : 'FAILURE',
          details: view.record.audit?.details,
          error: view.record.error ?? null,
        });
        await deps.bus.publish([outcome as DomainEvent]);
        deps.metrics.count('Republished', 1, { step: step.name });
      }
      return;
    }
    case 'busy':
      throw new StepBusyError(operationId, step.name, view.record.lease_until ? new Date(view.record.lease_until) : undefined);
    case 'open':
      break;
  }
  state = view.state;

  if (step.mode === 'wait' && isStaleRecheck(state, step.name, parsed)) {
    // A re-check that is no longer the live one (a duplicate, or replaced by a later plan): nothing to do.
    log.debug('stale re-check', { operationId, step: step.name });
    deps.metrics.count('StaleRechecks', 1, { step: step.name });
    return;
  }
  if (step.mode === 'wait' && (await handOverEarlyRecheck(deps, parsed, record.eventSourceARN, now))) return;

  if (step.mode === 'wait' && !primary && !startedIn(state, step)) {
    // An RDS event (or anything but the start event) before the step's start was recorded: the previous
    // step did its side effect but died before recording it. Acting now would use details it has not
    // recorded yet (a final snapshot id, a cluster id); its retry publishes the start event, which does the work.
    log.debug('event before the step started', { operationId, step: step.name });
    return;
  }

  let token: string | undefined;
  if (step.mode === 'action') {
    token = await store.claim(state, step.name, now, deps.config.LAMBDA_TIMEOUT_SECONDS * 1000);
    if (!token) throw new StepBusyError(operationId, step.name);
  }

  let retries = 0;
  const ctx: StepContext = {
    stepName: step.name,
    deps,
    store,
    audit,
    state,
    trigger: parsed,
    now,
    retry: (fn) =>
      withRetry(
        fn,
        { maxRetries: deps.config.MAX_RETRIES, intervalSeconds: deps.config.RETRY_INTERVAL_SECONDS, backoffRate: deps.config.RETRY_BACKOFF_RATE },
        deps.clock,
        (attempt, c) => {
          retries++;
          deps.metrics.count('Retries', 1, { step: step.name, code: c.code });
          log.warn('retrying after a retryable fault', { operationId, step: step.name, attempt, code: c.code });
        },
      ),
    event: (type, body) => domainEvent(type, operationId, deps.clock.now(), body),
  };

  let result: StepResult;
  /** Set when the RDS call budget refused a wait step's check: when to check again. */
  let budgetDelay: number | undefined;
  try {
    result = await step.run(ctx);
  } catch (e) {
    if (e instanceof RdsBudgetExhaustedError) {
      // The account's RDS call budget is booked beyond what this function may wait for: the work queues in
      // SQS instead (src/lib/rds-budget.ts). A wait step defers its check; an action step releases its claim
      // and sends its message again, delayed, to its own queue (SQS DelaySeconds, at most 900 s) and the
      // received one is deleted: a burst queues for as long as it takes without using up maxReceiveCount,
      // which is kept for real failures. Should the send fail, the record fails and SQS redelivers it.
      const delaySeconds = Math.min(SQS_MAX_DELAY_SECONDS, e.retryAfterSeconds);
      deps.metrics.count('RdsBudgetDeferred', 1, { step: step.name });
      if (!step.recheck && record.eventSourceARN) {
        await store.countRetries(operationId, retries, deps.clock.now());
        if (token) await store.release(state, step.name, token, deps.clock.now());
        await deps.queue.sendDelayed({ queueArn: record.eventSourceARN, body: record.body, delaySeconds });
        log.info('RDS call budget booked: message queued again', { operationId, step: step.name, delaySeconds });
        return;
      }
      if (step.recheck) budgetDelay = delaySeconds;
    }
    const c = classifyError(e);
    // An unknown error may be a bug or an outage of our own dependencies: let SQS retry it, and the
    // dead-letter handler fail the operation if it keeps failing. Known faults end the operation now.
    if (c.code === 'InternalError') throw e;
    if (c.retryable && step.recheck) {
      // Throttling outlasted the retries (or the RDS call budget is booked): a check that cannot be made now is simply made later.
      const recheckSeconds = step.recheck.delaySeconds(deps.config);
      result =
        budgetDelay === undefined
          ? { kind: 'waiting', check: step.recheck.check, delaySeconds: recheckSeconds, audit: { type: 'CHECK_DEFERRED', details: { code: c.code } } }
          : {
              kind: 'waiting',
              check: step.recheck.check,
              delaySeconds: Math.min(recheckSeconds, budgetDelay),
              audit: { type: 'CHECK_DEFERRED', details: { code: 'RdsBudgetExhausted', retry_after_seconds: budgetDelay } },
            };
    } else if (c.retryable) {
      // Throttling or a transient fault outlasted the in-process retries: give the account's RDS quota
      // time to recover and hand the message back to SQS (redelivered after a growing delay, see
      // hand-back.ts). Its claim is released so the redelivery can take the step at once.
      // After maxReceiveCount it is dead-lettered and the operation fails clearly.
      await store.countRetries(operationId, retries, deps.clock.now());
      if (token) await store.release(state, step.name, token, deps.clock.now());
      deps.metrics.count('Redeliveries', 1, { step: step.name, code: c.code });
      throw new RetryLaterError(e);
    } else {
      result = { kind: 'failed', code: c.code, message: c.message, retryable: false };
    }
  }

  const at = deps.clock.now();
  switch (result.kind) {
    case 'done': {
      const recorded = await store.complete(state, step.name, {
        token,
        now: at,
        outcome: result.event,
        audit: result.audit,
        status: result.status,
        nextStep: result.next === 'NONE' ? 'NONE' : result.next.toUpperCase().replaceAll('-', '_'),
        patch: result.patch,
        retries,
      });
      if (!recorded) return; // another invocation finished it, or the operation ended meanwhile
      // A wait says what ended it (its started event, a re-check, or an RDS event), as its waiting lines do.
      const details = step.mode === 'wait' ? { ...result.audit.details, woken_by: wokenBy(parsed) } : result.audit.details;
      await audit.record({ operationId, at, step: step.name, type: result.audit.type, status: 'SUCCESS', details });
      await deps.bus.publish([result.event]);
      deps.metrics.seconds('StepDuration', state.steps[step.name]?.duration_seconds ?? 0, { step: step.name });
      log.info('step completed', { operationId, step: step.name, event: result.event.type });
      return;
    }
    case 'failed': {
      const event = domainEvent('RestoreFailed', operationId, at, {
        step: step.name,
        code: result.code,
        message: result.message.slice(0, 2000),
        retryable: result.retryable ?? false,
      });
      const recorded = await store.fail(state, step.name, { token, now: at, code: result.code, message: event.detail.message, outcome: event, retries });
      if (!recorded) return;
      await audit.record({
        operationId,
        at,
        step: step.name,
        type: 'STEP_FAILED',
        status: 'FAILURE',
        error: { code: result.code, message: event.detail.message },
      });
      await deps.bus.publish([event]);
      deps.metrics.count('StepFailures', 1, { step: step.name, code: result.code });
      log.error('step failed', { operationId, step: step.name, code: result.code, reason: event.detail.message });
      return;
    }
    case 'waiting': {
      // No outcome is recorded while waiting, so the check's retries are counted on their own.
      await store.countRetries(operationId, retries, at);
      await store.markWaiting(state, step.name, at, result.phase);
      // Every wait arms the next re-check, replacing any pending one: exactly one is live (recheck.ts).
      const attempt = await armRecheck(deps, store, { state, step: step.name, trigger: parsed, queueArn: record.eventSourceARN, now: at, request: result });
      if (result.audit) {
        await audit.record({ operationId, at, step: step.name, type: result.audit.type, status: 'INFO', details: { ...result.audit.details, woken_by: wokenBy(parsed), next_check: attempt ?? null } });
      }
      return;
    }
    case 'ignored':
      log.debug('nothing to do', { operationId, step: step.name, reason: result.reason });
      return;
  }
}

/** What woke a step: an RDS event id, or a domain event name. */
const wokenBy = (trigger: ParsedEvent) => (trigger.kind === 'rds' ? trigger.detail.EventID : trigger.event.type);

/** True when an earlier step recorded the event that starts `step` (its outcome is one of the step's triggers). */
function startedIn(state: OperationState, step: Step): boolean {
  return Object.values(state.steps).some((r) => r.status === 'DONE' && r.outcome !== undefined && (step.triggers as string[]).includes(r.outcome.type));
}

