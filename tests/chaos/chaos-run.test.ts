import { describe, expect, it } from 'vitest';
import {
  auditTrailComplete,
  createdOnce,
  deadLettersAccounted,
  deletionsAllowed,
  expectedOutcomes,
  noLockLeft,
  oneNotification,
  replayResumed,
  swapKeepsTheName,
  terminalExactlyOnce,
  type RunObservation,
} from '../../src/chaos/invariants';
import { PROFILES } from '../../src/chaos/profiles';
import { chaosMarkdown } from '../../src/chaos/report';
import { runChaos, type ChaosReport } from '../../src/chaos/runner';
import { buildChaosWorld, OPERATION_KINDS } from '../../src/chaos/world';

/**
 * A small chaos run in every `npm test`: 20 concurrent restores under every fault at once, two seeds;
 * then the invariant checks themselves are shown to fail on a doctored copy of what the run left.
 */
const observations: RunObservation[] = [];
const reports: ChaosReport[] = [];

describe('a small hostile chaos run', () => {
  for (const seed of [7, 11]) {
    it(`20 operations, seed ${seed}: every invariant holds`, async () => {
      const report = await runChaos({
        operations: 20,
        seed,
        profile: PROFILES.hostile,
        inspect: (_, observation) => {
          observations.push(structuredClone(observation));
        },
      });
      reports.push(report);
      for (const i of report.invariants) expect(i.violations, i.name).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.outcomes.notTerminal).toBe(0);
      expect(report.outcomes.unexpected).toBe(0);
      // the faults really were injected and recovered from
      expect(report.faults.delivery.duplicatedDeliveries + report.faults.delivery.reorderedBatches).toBeGreaterThan(0);
      expect(report.faults.outage?.eventsLost).toBeGreaterThan(0);
      expect(report.recovery.replay?.affectedOperations).toBeGreaterThan(0);
      expect(report.recovery.republished).toBeGreaterThan(0);
      const md = chaosMarkdown([report], 'test');
      expect(md).toContain('every invariant holds');
      expect(md).toContain('terminal-exactly-once');
    }, 60_000);
  }
});

describe('the world of a chaos run', () => {
  it('covers every kind of operation even in a small run, and is the same for the same seed', () => {
    const a = buildChaosWorld(20, 3);
    expect(new Set(a.operations.map((o) => o.kind))).toEqual(new Set(OPERATION_KINDS));
    expect(buildChaosWorld(20, 3)).toEqual(a);
    expect(buildChaosWorld(20, 4).operations.map((o) => o.request)).not.toEqual(a.operations.map((o) => o.request));
  });

  it('refuses a bad operation count by name', () => {
    expect(() => buildChaosWorld(0, 1)).toThrow(/^operations: expected a whole number/);
  });
});

describe('each invariant fails when what it guards is broken', () => {
  const run = () => {
    expect(observations.length).toBeGreaterThan(0);
    return structuredClone(observations[0]);
  };
  const succeeded = (o: RunObservation) => o.operations.find((x) => x.state?.status === 'SUCCEEDED' && x.state.restore_details.deleted_existing_cluster)!;

  it('terminal-exactly-once: a second terminal audit line, or an operation left running', () => {
    const o = run();
    expect(terminalExactlyOnce(o).ok).toBe(true);
    const op = succeeded(o);
    op.trail.push({ ...op.trail.find((a) => a.event_type === 'OPERATION_SUCCEEDED')!, sk: 'later', event_type: 'OPERATION_FAILED' });
    o.operations[1].state!.status = 'RESTORE_IN_PROGRESS';
    const r = terminalExactlyOnce(o);
    expect(r.ok).toBe(false);
    expect(r.violations.join('\n')).toMatch(/2 terminal audit lines/);
    expect(r.violations.join('\n')).toMatch(/stuck in RESTORE_IN_PROGRESS/);
  });

  it('one-notification: a second notification', () => {
    const o = run();
    const op = succeeded(o);
    op.notifications.push({ ...op.notifications[0], messageId: 'again' });
    expect(oneNotification(o).ok).toBe(false);
  });

  it('expected-outcome: a designed failure that succeeded, a success that failed Timeout', () => {
    const o = run();
    const designed = o.operations.find((x) => x.plan.expected.status === 'FAILED')!;
    designed.state!.status = 'SUCCEEDED';
    designed.state!.error = null;
    const r = expectedOutcomes(o);
    expect(r.ok).toBe(false);
    expect(r.violations[0]).toContain(designed.operationId);
  });

  it('created-once: a cluster created twice for one operation', () => {
    const o = run();
    const creation = o.history.find((t) => t.kind === 'cluster' && t.from === null && t.tags?.['aurora-restore:operation-id'])!;
    o.history.push({ ...creation });
    expect(createdOnce(o).violations.join('\n')).toContain('created 2 times');
  });

  it('deletions-allowed: an unmanaged cluster deleted, a cluster deleted without its final snapshot', () => {
    const o = run();
    expect(deletionsAllowed(o).ok).toBe(true);
    const unmanaged = o.operations.find((x) => x.plan.kind === 'unmanaged')!;
    const region = unmanaged.plan.request.targetRegion;
    o.history.push({ at: '', atMs: 1, region, kind: 'cluster', id: unmanaged.plan.request.targetClusterId, from: 'available', to: 'deleting' });
    const r = deletionsAllowed(o);
    expect(r.violations.join('\n')).toMatch(/was not created by this pipeline/);

    const o2 = run();
    const deleted = o2.history.find((t) => t.kind === 'cluster' && t.to === 'deleting')!;
    const op = o2.operations.find((x) => x.plan.request.targetClusterId === deleted.id)!;
    op.plan.request.skipFinalSnapshot = false;
    o2.history = o2.history.filter((t) => !(t.kind === 'snapshot' && t.id.startsWith(`${deleted.id}-final-`)));
    expect(deletionsAllowed(o2).violations.join('\n')).toMatch(/without its final snapshot/);
  });

  it('no-lock-left and dead-letters-accounted', () => {
    const o = run();
    o.locksLeft.push({ key: 'lock#us-west-2#t-0001', holder: o.operations[0].operationId });
    expect(noLockLeft(o).ok).toBe(false);
    o.deadLettersLeft.push({ step: 'restore-snapshot', messageId: 'm1' });
    expect(deadLettersAccounted(o).ok).toBe(false);
  });

  it('audit-trail-complete: a missing step line, or steps out of order', () => {
    const o = run();
    expect(auditTrailComplete(o).ok).toBe(true);
    const op = succeeded(o);
    op.trail = op.trail.filter((a) => a.step !== 'restore-snapshot');
    expect(auditTrailComplete(o).violations.join('\n')).toContain('no audit line for restore-snapshot');

    const o2 = run();
    const op2 = succeeded(o2);
    const line = op2.trail.find((a) => a.step === 'setup-db-users' && a.status === 'SUCCESS')!;
    line.timestamp = '2000-01-01T00:00:00.000Z';
    line.sk = `${line.timestamp}#setup-db-users#X`;
    expect(auditTrailComplete(o2).violations.join('\n')).toMatch(/before the step ahead of it/);
  });

  it('swap-keeps-the-name: the new cluster deleted after a swap, or the target name left empty without a word', () => {
    const o = run();
    expect(swapKeepsTheName(o).ok).toBe(true);
    const swapped = o.operations.find((x) => x.plan.request.strategy === 'swap' && x.state?.status === 'SUCCEEDED')!;
    const region = swapped.plan.request.targetRegion;
    const target = swapped.plan.request.targetClusterId;
    o.history.push({ at: '', atMs: Number.MAX_SAFE_INTEGER, region, kind: 'cluster', id: target, from: 'available', to: 'deleting' });
    expect(swapKeepsTheName(o).violations.join('\n')).toMatch(/its new cluster \(.*\) was deleted after a successful swap/);
    o.history.push({ at: '', atMs: Number.MAX_SAFE_INTEGER, region, kind: 'cluster', id: target, from: 'deleting', to: null });
    expect(swapKeepsTheName(o).violations.join('\n')).toMatch(/has no cluster after the operation ended SUCCEEDED/);
  });

  it('replay-resumed: a step finished before the replay was redone after it', () => {
    const o = run();
    expect(o.replay).toBeDefined();
    const [id, steps] = Object.entries(o.replay!.before).find(([, s]) => Object.keys(s).length > 0)!;
    const step = Object.keys(steps)[0] as keyof typeof steps;
    const state = o.operations.find((x) => x.operationId === id)!.state!;
    state.steps[step]!.attempts += 1;
    expect(replayResumed(o).violations.join('\n')).toContain(`${id}: ${step} finished before the replay`);

    const o2 = run();
    const affected = o2.operations.find((x) => o2.replay!.affected.includes(x.operationId) && x.plan.expected.status === 'SUCCEEDED')!;
    affected.state!.status = 'FAILED';
    affected.state!.error = { step: 'check-restore-status', code: 'Timeout', message: 'deadline', retryable: true };
    expect(replayResumed(o2).violations.join('\n')).toContain(`${affected.operationId}: lost events in the outage and ended FAILED Timeout`);
  });
});
