/**
 * Re-checks of a waiting step (check-*, swap-*): exactly one live at a time, delivered the most precise way.
 *
 * One live re-check. The step's record holds the live attempt (`recheck_attempt`) and the id of the event
 * whose processing armed it (`recheck_armed_by`). Every wait result arms attempt n+1 with a conditional
 * write — only while n is still live — so a duplicate delivery or two concurrent wake-ups cannot fork the
 * chain into two, and an RDS event that re-plans the wait replaces the pending re-check instead of adding
 * one. A RecheckDue that is not the live attempt is ignored before any RDS call. The write comes before
 * the send: when the send fails (or the function dies between the two), the redelivered trigger is the
 * one that armed the live attempt, so it is processed again and sends that same attempt again.
 *
 * Two transports, by delay:
 * - up to 900 s: an SQS message to the step's own queue with DelaySeconds, to the second ("The length of
 *   time, in seconds, for which to delay a specific message. Valid values: 0 to 900. Maximum: 15 minutes."
 *   SQS SendMessage API reference). The body is the event as EventBridge delivers it to the queue.
 * - longer: an EventBridge Scheduler one-time schedule, which has one-minute precision ("All schedule types
 *   on EventBridge Scheduler invoke their targets with 60 second precision. This means that if you set your
 *   schedule to run at 1:00, it will invoke the target API between 1:00:00 and 1:00:59", Scheduler user
 *   guide, schedule types). It is set a minute early and carries `dueAt`; when it fires before that, the
 *   remaining seconds go to the queue as a delayed message (no RDS call), so a predicted check is still on
 *   time to the second.
 * A message sent to the queue is not on the bus, so it is not in the archive: a replay re-arms waits from
 * their started events instead, as it always did.
 */
import { domainEvent } from '../events/catalogue';
import { sqsEnvelope, type ParsedEvent } from '../events/envelope';
import type { OperationState } from '../schemas/operation-state';
import type { CheckName, StepName } from '../schemas/steps';
import type { Dependencies } from './dependencies';
import type { StateStore } from './state-store';

export const SQS_MAX_DELAY_SECONDS = 900;

/** What a waiting step asks for: when to look again, and what it saw (carried to the next check). */
export interface RecheckRequest {
  check: CheckName;
  delaySeconds: number;
  observed?: { at: string; percent: number };
}

/** True when `trigger` is a re-check that is no longer the live one: it is ignored before any RDS call. */
export function isStaleRecheck(state: OperationState, step: StepName, trigger: ParsedEvent): boolean {
  if (trigger.kind !== 'domain' || trigger.event.type !== 'RecheckDue') return false;
  const record = state.steps[step];
  if (record?.recheck_attempt === undefined) return false;
  return trigger.event.detail.attempt !== record.recheck_attempt && trigger.envelope.id !== record.recheck_armed_by;
}

/** `arn:aws:sqs:<region>:<account>:<name>` → its parts (undefined when it is not one). */
function queueOf(arn: string | undefined): { region: string; account: string } | undefined {
  const parts = arn?.split(':');
  return parts && parts.length === 6 && parts[0] === 'arn' && parts[2] === 'sqs' ? { region: parts[3]!, account: parts[4]! } : undefined;
}

/**
 * Arms the next re-check of a waiting step and sends it; returns its attempt, or undefined when another
 * invocation armed the live one first (nothing is sent: that one is live).
 */
export async function armRecheck(
  deps: Dependencies,
  store: StateStore,
  input: { state: OperationState; step: StepName; trigger: ParsedEvent; queueArn?: string; now: Date; request: RecheckRequest },
): Promise<number | undefined> {
  const { state, step, trigger, now, request } = input;
  const record = state.steps[step];
  const current = record?.recheck_attempt;
  let attempt: number;
  if (current !== undefined && record?.recheck_armed_by === trigger.envelope.id) {
    attempt = current; // a redelivery of the event that armed it: send the same attempt again
  } else {
    attempt = (current ?? 0) + 1;
    if (!(await store.armRecheck(state, step, current, attempt, trigger.envelope.id))) return undefined;
  }
  const name = `${state.operation_id}-${request.check}-${attempt}`;
  const delaySeconds = Math.max(0, Math.ceil(request.delaySeconds));
  const queue = queueOf(input.queueArn);
  const dueAt = new Date(now.getTime() + delaySeconds * 1000);
  const viaQueue = queue && delaySeconds <= SQS_MAX_DELAY_SECONDS;
  const event = domainEvent('RecheckDue', state.operation_id, now, {
    check: request.check,
    attempt,
    ...(request.observed ? { observed: request.observed } : {}),
    ...(viaQueue ? {} : { dueAt: dueAt.toISOString() }),
  });
  if (viaQueue) {
    await deps.queue.sendDelayed({ queueArn: input.queueArn!, body: JSON.stringify(sqsEnvelope(event, { id: name, ...queue })), delaySeconds });
  } else {
    await deps.scheduler.scheduleOnce({ name, at: new Date(dueAt.getTime() - (queue ? SCHEDULER_PRECISION_SECONDS * 1000 : 0)), event });
  }
  return attempt;
}

/** Scheduler invokes "between 1:00:00 and 1:00:59" for 1:00: a schedule is set this much before it is due. */
export const SCHEDULER_PRECISION_SECONDS = 60;

/**
 * A re-check that arrived before its `dueAt` (a schedule, set a minute early): sends it on to the queue for
 * the remaining seconds and returns true — nothing else is done with it now. False when it is due.
 */
export async function handOverEarlyRecheck(deps: Dependencies, trigger: ParsedEvent, queueArn: string | undefined, now: Date): Promise<boolean> {
  if (trigger.kind !== 'domain' || trigger.event.type !== 'RecheckDue' || !trigger.event.detail.dueAt) return false;
  const remaining = Math.ceil((Date.parse(trigger.event.detail.dueAt) - now.getTime()) / 1000);
  const queue = queueOf(queueArn);
  if (remaining < 1 || !queue) return false;
  const { dueAt: _due, ...rest } = trigger.event.detail;
  const event = { type: 'RecheckDue' as const, detail: rest };
  const body = JSON.stringify(sqsEnvelope(event, { id: trigger.envelope.id, ...queue }));
  await deps.queue.sendDelayed({ queueArn: queueArn!, body, delaySeconds: Math.min(SQS_MAX_DELAY_SECONDS, remaining) });
  return true;
}
