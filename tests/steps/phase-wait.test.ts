import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NIGHTLY_SPREAD, RefreshHistory, predictWindow } from '../../src/lib/history';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { WINDOW_CHECK_SECONDS, phaseWaiting } from '../../src/lib/steps/phase-wait';
import { SAME_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startTables();
});
afterAll(() => dynamo.stop());

describe('predictWindow', () => {
  it('no history: no window', () => {
    expect(predictWindow(undefined)).toBeUndefined();
    expect(predictWindow([])).toBeUndefined();
  });
  it('one night: the median ± NIGHTLY_SPREAD', () => {
    expect(predictWindow([600])).toEqual({ expected: 600, from: 600 * (1 - NIGHTLY_SPREAD), to: 600 * (1 + NIGHTLY_SPREAD) });
  });
  it('a history wider than the spread widens the window to cover every night (and one slow night does not move the median)', () => {
    expect(predictWindow([600, 610, 400, 620, 900])).toEqual({ expected: 610, from: 395, to: 905 });
  });
});

describe('a wait with this target\'s history', () => {
  it('checks first at the window\'s start, then every WINDOW_CHECK_SECONDS inside it, then only the safety net', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.open(SAME_REGION);
    const state = await w.state(id);
    const history = new RefreshHistory({ dynamo: w.deps.dynamo, tableName: w.deps.config.DYNAMODB_TABLE_NAME, ttlDays: 90 });
    for (const s of [600, 620, 640]) await history.record(state.parameters.target_region, state.parameters.target_cluster_id, 'restore-cluster', s, w.clock.now());
    const startedAt = w.clock.now().toISOString();
    const wait = async () => {
      const ctx = await w.context(id, envelope, 'check-restore-status');
      return phaseWaiting(ctx, 'restore', 'restore-cluster', startedAt, { type: 'WAITING' });
    };
    // Window: min(620 × 0.9, 600 − 5) = 558 s … max(620 × 1.1, 640 + 5) = 682 s.
    expect(await wait()).toMatchObject({ kind: 'waiting', delaySeconds: 558, phase: { name: 'restore-cluster', started_at: startedAt }, audit: { details: { expected_seconds: 620 } } });
    w.clock.advanceTo(Date.parse(startedAt) + 560_000);
    expect((await wait()).delaySeconds).toBe(WINDOW_CHECK_SECONDS);
    w.clock.advanceTo(Date.parse(startedAt) + 690_000);
    expect((await wait()).delaySeconds).toBe(w.deps.config.SAFETY_RECHECK_SECONDS);
  });

  it('another target\'s history is not used', async () => {
    const w = await TestWorld.create(dynamo);
    const { id, envelope } = await w.open(SAME_REGION);
    const state = await w.state(id);
    const history = new RefreshHistory({ dynamo: w.deps.dynamo, tableName: w.deps.config.DYNAMODB_TABLE_NAME, ttlDays: 90 });
    await history.record(state.parameters.target_region, `${state.parameters.target_cluster_id}-other`, 'restore-cluster', 600, w.clock.now());
    const ctx = await w.context(id, envelope, 'check-restore-status');
    expect((await phaseWaiting(ctx, 'restore', 'restore-cluster', w.clock.now().toISOString(), { type: 'WAITING' })).delaySeconds).toBe(w.deps.config.SAFETY_RECHECK_SECONDS);
  });
});
