import { CHAOS_HOOK_FILES } from './world';
import type { DbEvent } from './crash';
/**
 * The invariants of ARCHITECTURE.md section 3, as pure checks over what a run left behind (states,
 * audit trails, notifications, the simulated RDS's history, locks, dead-letter queues). Pure, so a test
 * can hand them a doctored observation and see each one fail.
 */
import type { Config } from '../schemas/config';
import type { AuditEvent } from '../schemas/audit-event';
import { isTerminal, pipelineOrder, type OperationState } from '../schemas/operation-state';
import type { StepName } from '../schemas/steps';
import type { LifecycleTransition } from '../lib/local/rds';
import type { OutboxMessage } from '../lib/local/outbox';
import { deletionVerdict } from '../lib/safety';
import { OPERATION_TAG } from '../lib/tags';
import type { PlannedOperation } from './world';

/** Failure codes a run may legitimately end with under throttling/transient faults (retries exhausted). */
export const TRANSIENT_CODES = ['Throttled', 'TransientFault'] as const;

export interface OperationObservation {
  operationId: string;
  plan: PlannedOperation;
  state?: OperationState;
  trail: AuditEvent[];
  notifications: OutboxMessage[];
  /** Calls to the notifier for this operation (the outbox drops repeats, so they are counted before it). */
  notifyCalls: number;
}

export interface PreRunCluster {
  clusterId: string;
  deletionProtection: boolean;
  tags: Record<string, string>;
  instances: string[];
}

export interface StepFingerprint {
  finished_at?: string;
  attempts: number;
}

export interface RunObservation {
  operations: OperationObservation[];
  history: LifecycleTransition[];
  /** Clusters before the run, by region then id. */
  preRun: Record<string, Record<string, PreRunCluster>>;
  config: Pick<Config, 'PROTECTED_CLUSTER_PATTERN' | 'DELETION_ALLOW_LIST'>;
  /** `lock#…` items still in the state table. */
  locksLeft: { key: string; holder: string }[];
  /** Messages still in a dead-letter queue. */
  deadLettersLeft: { step: string; messageId: string }[];
  /** Every message the dead-letter handler received, with the operation it named (when readable). */
  deadLettered: { step: string; messageId: string; operationId?: string }[];
  /** Set when an outage window was replayed: the finished steps of the open operations just before. */
  replay?: { before: Record<string, Partial<Record<StepName, StepFingerprint>>>; affected: string[] };
  /** What the database saw (in order), and how often each chaos hook file ran per operation. */
  postRestore?: { events: DbEvent[]; hookRuns: { operationId: string; file: string; runs: number }[] };
}

export interface InvariantResult {
  name: string;
  description: string;
  ok: boolean;
  checked: number;
  violations: string[];
}

const MAX_LISTED = 25;

function result(name: string, description: string, checked: number, violations: string[]): InvariantResult {
  return { name, description, ok: violations.length === 0, checked, violations: violations.slice(0, MAX_LISTED).concat(violations.length > MAX_LISTED ? [`… and ${violations.length - MAX_LISTED} more`] : []) };
}

/** How the operation ended relative to its plan. */
export function outcomeOf(o: OperationObservation): 'expected' | 'transient-exhaustion' | 'unexpected' | 'not-terminal' {
  const s = o.state;
  if (!s || !isTerminal(s.status)) return 'not-terminal';
  const e = o.plan.expected;
  if (e.status === 'SUCCEEDED' && s.status === 'SUCCEEDED') return 'expected';
  if (e.status === 'FAILED' && s.status === 'FAILED' && s.error?.code === e.code) return 'expected';
  if (s.status === 'FAILED' && s.error && (TRANSIENT_CODES as readonly string[]).includes(s.error.code) && s.error.retryable) return 'transient-exhaustion';
  return 'unexpected';
}

export function terminalExactlyOnce(run: RunObservation): InvariantResult {
  const v: string[] = [];
  for (const o of run.operations) {
    const s = o.state;
    if (!s) v.push(`${o.operationId}: no state`);
    else if (!isTerminal(s.status)) v.push(`${o.operationId}: stuck in ${s.status} (next ${s.next_step})`);
    const finals = o.trail.filter((a) => a.event_type === 'OPERATION_SUCCEEDED' || a.event_type === 'OPERATION_FAILED');
    if (finals.length !== 1) v.push(`${o.operationId}: ${finals.length} terminal audit lines (${finals.map((f) => f.event_type).join(', ')})`);
    else if (s && finals[0].event_type !== `OPERATION_${s.status}`) v.push(`${o.operationId}: audit says ${finals[0].event_type}, state says ${s.status}`);
  }
  return result('terminal-exactly-once', 'every operation ends SUCCEEDED or FAILED, with exactly one terminal audit line that matches its state', run.operations.length, v);
}

export function oneNotification(run: RunObservation): InvariantResult {
  const v: string[] = [];
  for (const o of run.operations) {
    if (o.notifications.length !== 1) v.push(`${o.operationId}: ${o.notifications.length} notifications in the outbox`);
    if (o.notifyCalls !== 1) v.push(`${o.operationId}: the notifier was called ${o.notifyCalls} times`);
    const n = o.notifications[0];
    if (n && o.state && n.attributes.status !== o.state.status) v.push(`${o.operationId}: notification says ${n.attributes.status}, state says ${o.state.status}`);
  }
  return result('one-notification', 'every operation gets exactly one terminal notification, matching its final status', run.operations.length, v);
}

export function expectedOutcomes(run: RunObservation): InvariantResult {
  const v: string[] = [];
  for (const o of run.operations) {
    const outcome = outcomeOf(o);
    if (outcome === 'unexpected') {
      const s = o.state!;
      const want = o.plan.expected.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED ${o.plan.expected.code}`;
      v.push(`${o.operationId} (${o.plan.kind}): expected ${want}, got ${s.status}${s.error ? ` ${s.error.code} in ${s.error.step}: ${s.error.message}` : ''}`);
    }
  }
  return result(
    'expected-outcome',
    'operations designed to fail fail with the right code, the others succeed (retry exhaustion under throttling is a clear, retryable Throttled/TransientFault failure, counted apart)',
    run.operations.length,
    v,
  );
}

export function createdOnce(run: RunObservation): InvariantResult {
  const v: string[] = [];
  const seen = new Map<string, number>();
  const perOperation = new Map<string, number>();
  let checked = 0;
  for (const t of run.history) {
    if (t.from !== null) continue;
    const op = t.tags?.[OPERATION_TAG];
    if (!op) continue;
    checked++;
    const key = `${op} ${t.region} ${t.kind} ${t.id}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const kindKey = `${op} ${t.kind}`;
    perOperation.set(kindKey, (perOperation.get(kindKey) ?? 0) + 1);
  }
  for (const [key, n] of seen) if (n > 1) v.push(`${key}: created ${n} times`);
  for (const [key, n] of perOperation) if (n > 1) v.push(`${key}: ${n} resources of this kind created for one operation`);
  return result('created-once', 'no RDS resource (snapshot copy, cluster, instance) is created twice for one operation', checked, v);
}

export function deletionsAllowed(run: RunObservation): InvariantResult {
  const v: string[] = [];
  const requested = new Set(
    run.operations.filter((o) => o.plan.request.deleteExisting).map((o) => `${o.plan.request.targetRegion} ${o.plan.request.targetClusterId}`),
  );
  const instanceOwner = new Map<string, string>();
  for (const [region, clusters] of Object.entries(run.preRun)) for (const c of Object.values(clusters)) for (const i of c.instances) instanceOwner.set(`${region} ${i}`, c.clusterId);
  const createdTags = new Map<string, Record<string, string>>();
  for (const t of run.history) if (t.from === null) createdTags.set(`${t.region} ${t.kind} ${t.id}`, t.tags ?? {});
  const keepSnapshot = new Map(run.operations.map((o) => [o.operationId, o.plan.request.keepSnapshot === true]));
  const outcomeOfOp = new Map(run.operations.map((o) => [o.operationId, o.state?.status]));
  let checked = 0;

  const clusterMayGo = (region: string, deletedId: string, what: string, at: number) => {
    // A swap renames the old target away before retiring it: judge the cluster by the name it had before the run.
    const clusterId = originalName(run.history, region, deletedId, at);
    const pre = run.preRun[region]?.[clusterId];
    if (!pre) {
      // The only cluster of its own an operation may delete: a swap's temporary cluster, when the operation failed.
      const op = createdTags.get(`${region} cluster ${clusterId}`)?.[OPERATION_TAG];
      if (op && outcomeOfOp.get(op) === 'FAILED' && clusterId.includes('-new-')) return;
      return v.push(`${what}: ${deletedId} in ${region} did not exist before the run (the pipeline deleted something it made)`);
    }
    if (!requested.has(`${region} ${clusterId}`)) return v.push(`${what}: no request asked to delete ${clusterId} in ${region}`);
    const verdict = deletionVerdict({ clusterId, deletionProtection: pre.deletionProtection, tags: pre.tags } as never, run.config);
    if (!verdict.allowed) v.push(`${what}: ${clusterId} in ${region} was deleted although ${verdict.reason}`);
  };
  const skipFinal = new Set(run.operations.filter((o) => o.plan.request.skipFinalSnapshot).map((o) => `${o.plan.request.targetRegion} ${o.plan.request.targetClusterId}`));
  for (const [index, t] of run.history.entries()) {
    if (t.to !== 'deleting' && !(t.to === null && t.kind === 'snapshot')) continue;
    checked++;
    if (t.kind === 'cluster') {
      clusterMayGo(t.region, t.id, `cluster deletion`, index);
      const original = originalName(run.history, t.region, t.id, index);
      // Section 7: a final snapshot is taken unless the request said not to (it starts with the deletion) —
      // of a cluster that existed before the run (a failed swap's own temporary cluster needs none).
      const final = run.history.some((s) => s.kind === 'snapshot' && s.from === null && s.region === t.region && s.atMs === t.atMs && /-final-[a-z0-9]{6}$/.test(s.id));
      if (run.preRun[t.region]?.[original] && !final && !skipFinal.has(`${t.region} ${original}`)) v.push(`cluster deletion: ${t.id} in ${t.region} was deleted without its final snapshot`);
    }
    else if (t.kind === 'instance') {
      const owner = instanceOwner.get(`${t.region} ${t.id}`);
      if (!owner) v.push(`instance deletion: ${t.id} in ${t.region} did not exist before the run`);
      else clusterMayGo(t.region, owner, `instance ${t.id} deletion`, -1);
    } else {
      const tags = createdTags.get(`${t.region} snapshot ${t.id}`);
      const op = tags?.[OPERATION_TAG];
      if (!op) v.push(`snapshot deletion: ${t.id} in ${t.region} was not a copy made by an operation`);
      else if (keepSnapshot.get(op)) v.push(`snapshot deletion: ${t.id} in ${t.region} was deleted although ${op} asked to keep it`);
    }
  }
  return result(
    'deletions-allowed',
    'nothing is deleted unless a request asked for it and the safety rules allowed it on the pre-run world (clusters, their instances), with a final snapshot unless skipped; only the operation\'s own snapshot copies are archived',
    checked,
    v,
  );
}

/**
 * The first name of the cluster called `id` at history position `at` (-1: already its first name), following
 * its renames back in time — a name can be taken again later by another cluster (a swap's new one).
 */
function originalName(history: LifecycleTransition[], region: string, id: string, at: number): string {
  let name = id;
  for (let i = at - 1; i >= 0; i--) {
    const t = history[i];
    if (t.kind === 'cluster' && t.region === region && t.renamedFrom && t.id === name) name = t.renamedFrom;
  }
  return name;
}

/**
 * Swap: no path leaves the target's name without a cluster unless the operation says so, and after a
 * successful swap the new cluster is never deleted. Judged on the world once everything settled.
 */
export function swapKeepsTheName(run: RunObservation): InvariantResult {
  const v: string[] = [];
  let checked = 0;
  for (const o of run.operations) {
    if (o.plan.request.strategy !== 'swap' || !o.state || !isTerminal(o.state.status)) continue;
    checked++;
    const region = o.plan.request.targetRegion;
    const target = o.plan.request.targetClusterId.toLowerCase();
    const present = clusterAtEnd(run.history, region, target);
    if (o.plan.targetExisted && !present && !/renamed back|is being renamed|rename it back/.test(o.state.error?.message ?? '')) {
      v.push(`${o.operationId}: ${target} in ${region} has no cluster after the operation ended ${o.state.status} ${o.state.error?.code ?? ''}, and it does not say why`);
    }
    if (o.state.status === 'SUCCEEDED') {
      if (!present) v.push(`${o.operationId}: swapped, yet no cluster is named ${target} in ${region}`);
      const deletedOwn = run.history.find(
        (t, i) => t.kind === 'cluster' && t.region === region && t.to === 'deleting' && clusterCreatedBy(run.history, region, t.id, i) === o.operationId,
      );
      if (deletedOwn) v.push(`${o.operationId}: its new cluster (${deletedOwn.id}) was deleted after a successful swap`);
    }
  }
  return result('swap-keeps-the-name', "a swap never leaves the target's name without a cluster unless its notification says where things are; its new cluster is never deleted once swapped", checked, v);
}

/** Whether a cluster of this name exists once the run has settled (created or renamed to it, not gone since). */
function clusterAtEnd(history: LifecycleTransition[], region: string, id: string): boolean {
  let present: boolean | undefined;
  for (const t of history) {
    if (t.kind !== 'cluster' || t.region !== region) continue;
    if (t.id === id && (t.from === null || t.renamedFrom)) present = true;
    if (t.id === id && t.to === null) present = false;
    if (t.renamedFrom === id) present = false;
  }
  return present ?? true; // never touched: as before the run
}

function clusterCreatedBy(history: LifecycleTransition[], region: string, id: string, at: number): string | undefined {
  const original = originalName(history, region, id, at);
  return history.find((t) => t.kind === 'cluster' && t.region === region && t.id === original && t.from === null)?.tags?.[OPERATION_TAG];
}

export function noLockLeft(run: RunObservation): InvariantResult {
  return result('no-lock-left', 'no target-cluster lock is left behind once every operation has ended', run.operations.length, run.locksLeft.map((l) => `${l.key} still held by ${l.holder}`));
}

export function deadLettersAccounted(run: RunObservation): InvariantResult {
  const v = run.deadLettersLeft.map((d) => `message ${d.messageId} of ${d.step} is still in its dead-letter queue`);
  const byId = new Map(run.operations.map((o) => [o.operationId, o]));
  for (const d of run.deadLettered) {
    if (!d.operationId) continue;
    const o = byId.get(d.operationId);
    if (!o?.state || !isTerminal(o.state.status)) v.push(`${d.operationId}: a message of ${d.step} was dead-lettered and the operation did not end`);
    else if (o.state.status === 'FAILED' && !o.trail.some((a) => a.event_type === 'DEAD_LETTER') && o.state.error?.code === 'StepFailedRepeatedly') {
      v.push(`${d.operationId}: failed StepFailedRepeatedly without a DEAD_LETTER audit line`);
    }
  }
  return result('dead-letters-accounted', 'every dead-lettered message was handled (its operation ended, as RestoreFailed when it was still running) and no DLQ holds anything', run.deadLettered.length, v);
}

/** The steps a finished operation must have completed, in its pipeline order. */
function requiredSteps(s: OperationState): StepName[] {
  const copied = s.snapshot_details.copied === true;
  const swap = s.parameters.strategy === 'swap';
  const deleted = swap ? s.steps['retire-cluster']?.outcome?.type === 'ClusterDeletionStarted' : s.restore_details.deleted_existing_cluster === true;
  return pipelineOrder(s.parameters.strategy).filter((step) => {
    if (step === 'copy-snapshot') return (s.parameters.source ?? 'snapshot') === 'snapshot';
    if (step === 'check-copy-status') return copied;
    if (step === 'check-delete-status') return deleted;
    return step !== 'sns-notification';
  });
}

export function auditTrailComplete(run: RunObservation): InvariantResult {
  const v: string[] = [];
  for (const o of run.operations) {
    const s = o.state;
    if (!s || !isTerminal(s.status)) continue;
    const firstSuccess = new Map<string, string>();
    for (const a of [...o.trail].sort((x, y) => x.sk.localeCompare(y.sk))) {
      if (a.status === 'SUCCESS' && !firstSuccess.has(a.step)) firstSuccess.set(a.step, a.timestamp);
    }
    const final = o.trail.find((a) => a.event_type === 'OPERATION_SUCCEEDED' || a.event_type === 'OPERATION_FAILED');
    const id = o.operationId;
    let steps: StepName[];
    if (s.status === 'SUCCEEDED') {
      steps = requiredSteps(s);
    } else {
      const failedAt = s.error?.step;
      const order = pipelineOrder(s.parameters.strategy);
      const index = order.indexOf(failedAt as StepName);
      steps = order.slice(0, Math.max(0, index)).filter((step) => s.steps[step]?.status === 'DONE');
      for (const later of order.slice(index + 1)) {
        if (later === 'sns-notification') continue;
        if (index >= 0 && (s.steps[later]?.status === 'DONE' || firstSuccess.has(later))) v.push(`${id}: ${later} completed after the operation failed in ${failedAt}`);
      }
      if (!o.trail.some((a) => a.status === 'FAILURE' && a.event_type !== 'OPERATION_FAILED')) v.push(`${id}: failed (${s.error?.code}) with no failure line in its audit trail`);
    }
    let previous = '';
    for (const step of steps) {
      const at = firstSuccess.get(step);
      if (s.steps[step]?.status !== 'DONE') v.push(`${id}: step ${step} is ${s.steps[step]?.status ?? 'missing'} in the state`);
      if (!at) {
        v.push(`${id}: no audit line for ${step}`);
        continue;
      }
      if (at < previous) v.push(`${id}: ${step} audited at ${at}, before the step ahead of it (${previous})`);
      previous = at;
    }
    if (final && previous && final.timestamp < previous) v.push(`${id}: terminal line at ${final.timestamp} precedes a step at ${previous}`);
    if (!o.trail.some((a) => a.event_type === 'NOTIFICATION_SENT')) v.push(`${id}: no NOTIFICATION_SENT line`);
  }
  return result('audit-trail-complete', 'each operation\'s audit trail has every step it went through, in pipeline order, then its terminal line and its notification', run.operations.length, v);
}

export function replayResumed(run: RunObservation): InvariantResult {
  if (!run.replay) return result('replay-resumed', 'no outage in this profile: nothing to replay', 0, []);
  const v: string[] = [];
  const byId = new Map(run.operations.map((o) => [o.operationId, o]));
  let checked = 0;
  for (const [id, steps] of Object.entries(run.replay.before)) {
    const after = byId.get(id)?.state;
    for (const [step, before] of Object.entries(steps)) {
      checked++;
      const now = after?.steps[step];
      if (!now || now.finished_at !== before!.finished_at || now.attempts !== before!.attempts) {
        v.push(`${id}: ${step} finished before the replay (attempts ${before!.attempts}, at ${before!.finished_at}) and changed after it (attempts ${now?.attempts}, at ${now?.finished_at})`);
      }
    }
  }
  for (const id of run.replay.affected) {
    const o = byId.get(id);
    if (!o?.state || !isTerminal(o.state.status)) v.push(`${id}: lost events in the outage and did not resume to its end`);
    // It must reach the end it was designed for (a poisoned operation's is StepFailedRepeatedly), not a
    // watchdog Timeout or a dead letter caused by the lost events.
    else if (outcomeOf(o) === 'unexpected') v.push(`${id}: lost events in the outage and ended ${o.state.status} ${o.state.error?.code ?? ''} instead of resuming to its designed end`);
  }
  return result('replay-resumed', 'replaying the outage window resumes every affected operation to its end without redoing a finished step', checked + run.replay.affected.length, v);
}

export const INVARIANTS = [
  terminalExactlyOnce,
  oneNotification,
  expectedOutcomes,
  createdOnce,
  deletionsAllowed,
  noLockLeft,
  deadLettersAccounted,
  auditTrailComplete,
  replayResumed,
  swapKeepsTheName,
];

/**
 * A post-restore SQL file never runs twice on the same cluster: each (operation, file) row count of the chaos
 * hooks is exactly 1 for every operation that ran them and succeeded (at most 1 for the others).
 */
function hooksRunOnce(run: RunObservation): InvariantResult {
  const violations: string[] = [];
  const runs = run.postRestore?.hookRuns ?? [];
  let checked = 0;
  for (const o of run.operations.filter((x) => x.plan.hooks)) {
    for (const file of CHAOS_HOOK_FILES) {
      checked++;
      const n = runs.find((r) => r.operationId === o.operationId && r.file === file)?.runs ?? 0;
      if (n > 1) violations.push(`${o.operationId}: ${file} ran ${n} times`);
      if (o.state?.status === 'SUCCEEDED' && n !== 1) violations.push(`${o.operationId} succeeded but ${file} ran ${n} times`);
    }
  }
  return result('hooks-run-once', 'no post-restore SQL file ran twice on the same cluster, however often setup-db-users died and was redelivered', checked, violations);
}

/**
 * No application user gets LOGIN before the validations pass: every configureUsers of an operation's user comes
 * after a disableLogins of it and, since that, its validation passing (the events are in the order the database saw them).
 */
function noLoginBeforeValidation(run: RunObservation): InvariantResult {
  const violations: string[] = [];
  const events = run.postRestore?.events ?? [];
  let checked = 0;
  for (const o of run.operations.filter((x) => x.plan.hooks)) {
    const { username, validation } = o.plan.hooks!;
    let disabled = false;
    let validated = false;
    for (const e of events) {
      if (e.kind === 'disable' && e.usernames.includes(username)) {
        disabled = true;
        validated = false;
      } else if (e.kind === 'validation-passed' && e.name === validation) validated = disabled;
      else if (e.kind === 'configure' && e.usernames.includes(username)) {
        checked++;
        if (!validated) violations.push(`${o.operationId}: ${username} was given LOGIN before ${validation} passed`);
      }
    }
    if (o.state?.status === 'SUCCEEDED' && !events.some((e) => e.kind === 'configure' && e.usernames.includes(username))) violations.push(`${o.operationId} succeeded without configuring ${username}`);
  }
  return result('no-login-before-validation', 'no application user was given LOGIN before its post-restore SQL ran and its validation passed (in every redelivered attempt)', checked, violations);
}

export function checkInvariants(run: RunObservation): InvariantResult[] {
  return [...INVARIANTS, hooksRunOnce, noLoginBeforeValidation].map((check) => check(run));
}
