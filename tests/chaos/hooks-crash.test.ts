import { describe, expect, it } from 'vitest';
import { checkInvariants, type RunObservation } from '../../src/chaos/invariants';
import { PROFILES } from '../../src/chaos/profiles';
import { runChaos } from '../../src/chaos/runner';

/**
 * The `hooks` chaos profile: setup-db-users dies right after a post-restore SQL file commits (before its state
 * write) or right before one runs, and SQS redelivers it. The chaos hook files record every run of themselves
 * (src/chaos/hooks), so a second run on the same cluster would show; the database's events, in order, show
 * whether any user got LOGIN before its validation passed.
 */
describe('chaos profile hooks: crashes in the middle of post-restore SQL', () => {
  let observation: RunObservation | undefined;

  it('20 operations, seed 5: no file runs twice, no user logs in before validation, every operation ends as designed', async () => {
    const report = await runChaos({ operations: 20, seed: 5, profile: PROFILES.hooks, inspect: (_, o) => void (observation = structuredClone(o)) });
    for (const i of report.invariants) expect(i.violations, i.name).toEqual([]);
    expect(report.outcomes.unexpected).toBe(0);
    expect(report.outcomes.notTerminal).toBe(0);
    // the crashes really happened, after commits and before runs, and were recovered from
    const crashes = report.faults.crashes.midHooks ?? {};
    expect(crashes['after-commit'] ?? 0).toBeGreaterThan(0);
    const hooked = observation!.operations.filter((o) => o.plan.hooks);
    expect(hooked.length).toBeGreaterThanOrEqual(3);
    const skipped = hooked.flatMap((o) => o.state?.restore_details.post_restore_hooks ?? []).filter((h) => h.outcome === 'already-ran');
    expect(skipped.length).toBeGreaterThan(0);
    const checked = Object.fromEntries(report.invariants.map((i) => [i.name, i.checked]));
    expect(checked['hooks-run-once']).toBeGreaterThan(0);
    expect(checked['no-login-before-validation']).toBeGreaterThan(0);
  }, 120_000);

  it('the two invariants fail when a file ran twice, or a user got LOGIN before its validation', () => {
    const o = structuredClone(observation!);
    const op = o.operations.find((x) => x.plan.hooks && x.state?.status === 'SUCCEEDED')!;
    const byName = (r: RunObservation) => Object.fromEntries(checkInvariants(r).map((i) => [i.name, i]));
    expect(byName(o)['hooks-run-once'].ok).toBe(true);
    o.postRestore!.hookRuns.find((r) => r.operationId === op.operationId)!.runs = 2;
    expect(byName(o)['hooks-run-once'].violations.join()).toMatch(/ran 2 times/);

    const p = structuredClone(observation!);
    const { username } = op.plan.hooks!;
    p.postRestore!.events.push({ kind: 'disable', usernames: [username] }, { kind: 'configure', usernames: [username] });
    expect(byName(p)['no-login-before-validation'].violations.join()).toMatch(/given LOGIN before/);
  });
});
