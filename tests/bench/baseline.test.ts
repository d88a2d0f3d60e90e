import { describe, expect, it } from 'vitest';
import { RDS_ACTIONS } from '../../src/lib/local/rds';
import { pollingStateMachine } from '../../bench/baseline/definition';
import { baselineFleet, baselineSequential, choreographySequential, type DesignRun } from '../../bench/designs';
import { drawDurations } from '../../bench/scenario';

const describes = (run: DesignRun) => RDS_ACTIONS.filter((a) => a.startsWith('Describe')).reduce((n, a) => n + run.counters.rdsCalls[a], 0);
const mutating = (run: DesignRun) => RDS_ACTIONS.filter((a) => !a.startsWith('Describe')).reduce((n, a) => n + run.counters.rdsCalls[a], 0);

describe('bench: polling baseline of the seed design', () => {
  const sequential = { durations: drawDurations(1), offsetsSeconds: [0], rdsEventLatencyMaxSeconds: 0, seed: 1 };

  it('completes a restore with the same mutating RDS work as the choreography, and more Describe calls', async () => {
    const choreography = await choreographySequential(sequential);
    const baseline = await baselineSequential({ ...sequential, pollSeconds: 30 });

    expect(choreography.samples.map((s) => s.status)).toEqual(['SUCCEEDED']);
    expect(baseline.samples.map((s) => s.status)).toEqual(['SUCCEEDED']);
    // Same actions on RDS: copy, delete instance + cluster, restore + writer, password, delete copy.
    expect(mutating(baseline)).toBe(7);
    expect(mutating(choreography)).toBe(7);
    expect(describes(baseline)).toBeGreaterThan(describes(choreography));
    // Every wait reaction was measured for both designs.
    for (const run of [choreography, baseline]) {
      expect(Object.keys(run.samples[0].reactions).sort()).toEqual(['copy', 'delete', 'instancesGone', 'restore']);
    }
    // Polling never reacts later than one interval after RDS finished.
    for (const ms of Object.values(baseline.samples[0].reactions)) expect(ms).toBeLessThanOrEqual(30_000);
  }, 60_000);

  it('bills one transition per state entered: three per poll (Wait, Task, Choice)', async () => {
    const run = await baselineSequential({ ...sequential, pollSeconds: 60 });
    const t = run.counters.transitionsByState!;
    expect(t.WaitForCopy).toBe(t.CheckCopyStatus);
    expect(t.CheckCopyStatus).toBe(t.IsCopyComplete);
    const loops = t.WaitForCopy + t.WaitForDelete + t.WaitForRestore;
    // Outside the loops: 7 tasks (snapshot-check … sns-notification), 2 "is it needed?" choices, Succeeded.
    expect(run.counters.stateTransitions).toBe(3 * loops + 10);
    expect(run.counters.lambdaInvocations).toBe(t.CheckCopyStatus + t.CheckDeleteStatus + t.CheckRestoreStatus + 7);
  });

  it('retries throttled tasks with the seed policy and still succeeds under a tight rate limit', async () => {
    const run = await baselineFleet({ restores: 2, rateLimit: { perSecond: 0.5, burst: 3 }, rdsEventLatencyMaxSeconds: 0, seed: 1, pollSeconds: 30 });
    expect(run.counters.throttled).toBeGreaterThan(0);
    expect(run.counters.retries).toBeGreaterThan(0);
    expect(run.samples.map((s) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('defines the seed retry policy on every Task', () => {
    const def = pollingStateMachine({ pollSeconds: 30 });
    const tasks = Object.entries(def.States).filter(([name, s]) => s.Type === 'Task' && name !== 'HandleFailure');
    expect(tasks).toHaveLength(10);
    for (const [, s] of tasks) {
      expect(s.Type === 'Task' && s.Retry?.[0]).toMatchObject({ IntervalSeconds: 3, MaxAttempts: 3, BackoffRate: 2 });
    }
    expect(def.TimeoutSeconds).toBe(7200);
  });
});
