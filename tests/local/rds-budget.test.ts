/**
 * The RDS call budget (src/lib/rds-budget.ts) against dynalite, on a virtual clock: permits keep the calls
 * within a token bucket of the budgeted rate (whichever process takes them), space them after a burst, run
 * out at the horizon with a retryable error, and live in one item per region that carries the TTL attribute.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, RdsBudgetExhaustedError, withRetry } from '../../src/lib/errors';
import { VirtualClock } from '../../src/lib/local/clock';
import { startLocalDynamo, type LocalDynamo } from '../../src/lib/local/dynalite';
import type { Rds } from '../../src/lib/ports';
import { budgetedRds, budgetKey, RdsBudget } from '../../src/lib/rds-budget';
import { TTL_ATTRIBUTE } from '../../src/lib/tables';

let dynamo: LocalDynamo;
const TABLE = 'state';
// Each test starts an hour after the previous one: the budget of an earlier test is idle by then.
let hour = Math.floor(Date.parse('2026-11-24T02:00:00Z') / 3_600_000);
const freshClock = (offsetMs = 0) => new VirtualClock({ start: new Date((hour += 1) * 3_600_000 + offsetMs) });

beforeAll(async () => {
  dynamo = await startLocalDynamo({ stateTable: TABLE, auditTable: 'audit' });
});
afterAll(() => dynamo.stop());

function budget(clock: VirtualClock, callsPerSecond: number, horizonSeconds = 30) {
  return new RdsBudget({ dynamo: dynamo.client, tableName: TABLE, clock, callsPerSecond, horizonSeconds });
}

/**
 * Runs `tasks` to completion on the virtual clock: whenever every unfinished task sleeps on it, time moves
 * to the next timer. Returns each task's outcome (the virtual ms it finished at, or its error).
 */
async function drive(clock: VirtualClock, tasks: (() => Promise<void>)[]): Promise<({ atMs: number } | { error: unknown })[]> {
  let pending = tasks.length;
  let settle: () => void = () => {};
  const results = tasks.map((task) =>
    task().then(
      () => ({ atMs: clock.nowMsValue() }),
      (error: unknown) => ({ error }),
    ).finally(() => {
      pending -= 1;
      settle();
    }),
  );
  while (pending > 0) {
    if (clock.sleepers >= pending && clock.nextTimerAt() !== undefined) {
      clock.advanceTo(clock.nextTimerAt()!);
      continue;
    }
    await new Promise<void>((resolve) => {
      settle = resolve;
      void clock.whenSleepersChange().then(resolve);
    });
  }
  return Promise.all(results);
}

const times = (results: Awaited<ReturnType<typeof drive>>, startMs: number) =>
  results.map((r) => {
    if ('error' in r) throw r.error;
    return (r.atMs - startMs) / 1000;
  });

/** True when the calls at `at` (seconds) fit a token bucket of `rate`/s holding `burst`: no window of w seconds has more than burst + rate·w. */
function fitsBucket(at: number[], rate: number, burst: number): boolean {
  const t = [...at].sort((a, b) => a - b);
  for (let i = 0; i < t.length; i++) for (let j = i; j < t.length; j++) if (j - i + 1 > burst + rate * (t[j] - t[i]) + 1e-6) return false;
  return true;
}

describe('RdsBudget', () => {
  it('lets calls through at the budgeted rate, whichever process takes the permits', async () => {
    const clock = freshClock();
    const start = clock.nowMsValue();
    // Three "Lambda containers" (each with its own in-process state) taking 40 permits at the same instant.
    const budgets = [budget(clock, 5), budget(clock, 5), budget(clock, 5)];
    const at = times(await drive(clock, Array.from({ length: 40 }, (_, i) => () => budgets[i % 3].take('us-west-2'))), start);
    // One second's worth at once, then one every 1/5 s: 40 permits within (40 - 5) / 5 = 7 s, none lost to a race.
    expect(at.filter((t) => t === 0)).toHaveLength(5);
    expect(Math.max(...at)).toBeCloseTo(7, 6);
    expect(new Set(at.map((t) => t.toFixed(3))).size).toBe(36);
    // What RDS's token bucket sees: never more than a second's worth beyond the sustained rate.
    expect(fitsBucket(at, 5, 5)).toBe(true);
    expect(fitsBucket(at, 5, 4)).toBe(false);
  });

  it('spaces the calls after a burst at the budgeted rate, and starts afresh after a quiet spell', async () => {
    const clock = freshClock(300);
    const start = clock.nowMsValue();
    const b = budget(clock, 2);
    const at = times(await drive(clock, Array.from({ length: 5 }, () => () => b.take('us-west-2'))), start);
    // A burst of two go at once, then one every 0.5 s.
    expect(at.sort((x, y) => x - y)).toEqual([0, 0, 0.5, 1, 1.5]);
    clock.advanceBy(10_000);
    const later = clock.nowMsValue();
    expect(times(await drive(clock, [() => b.take('us-west-2'), () => b.take('us-west-2')]), later)).toEqual([0, 0]);
  });

  it('keeps one budget per region', async () => {
    const clock = freshClock();
    const start = clock.nowMsValue();
    const b = budget(clock, 1);
    const at = times(await drive(clock, ['us-east-1', 'us-west-2', 'eu-west-1'].map((r) => () => b.take(r))), start);
    expect(at).toEqual([0, 0, 0]);
  });

  it('raises a retryable RdsBudgetExhausted when the horizon is booked, which withRetry does not retry in-process', async () => {
    const clock = freshClock();
    const b = budget(clock, 1, 2);
    const results = await drive(clock, Array.from({ length: 5 }, () => () => b.take('us-west-2')));
    const errors = results.filter((r): r is { error: unknown } => 'error' in r).map((r) => r.error);
    expect(errors).toHaveLength(2); // now, +1 s, +2 s; the fourth would wait 3 s, beyond the 2-second horizon
    expect(errors[0]).toBeInstanceOf(RdsBudgetExhaustedError);
    // The refused take places in the queue (+3 s, +4 s) and are told to come back when their place is within half a horizon.
    expect(errors.map((e) => (e as RdsBudgetExhaustedError).retryAfterSeconds).sort()).toEqual([2, 3]);
    expect(classifyError(errors[0])).toMatchObject({ code: 'Throttled', retryable: true });
    expect((errors[0] as Error).message).toMatch(/RdsBudgetExhausted: .*us-west-2 \(1\/s\) is booked for the next 2 s/);

    let attempts = 0;
    await expect(
      withRetry(
        async () => {
          attempts += 1;
          throw errors[0];
        },
        { maxRetries: 3, intervalSeconds: 3, backoffRate: 2 },
        clock,
      ),
    ).rejects.toBe(errors[0]);
    expect(attempts).toBe(1);
  });

  it('sends a burst beyond the horizon back spread at the budgeted rate: each refused caller returns to a permit', async () => {
    const clock = freshClock();
    const start = clock.nowMsValue();
    const b = budget(clock, 10, 2);
    // 100 callers at once against 10/s with a 2-second horizon: 30 permits (10 at once, 20 over 2 s), 70 refused.
    const first = await drive(clock, Array.from({ length: 100 }, () => () => b.take('us-west-2')));
    const refused = first.filter((r): r is { error: RdsBudgetExhaustedError } => 'error' in r).map((r) => r.error);
    expect(refused).toHaveLength(70);
    const after = refused.map((e) => e.retryAfterSeconds).sort((x, y) => x - y);
    // Permits 2.1 … 9.0 s ahead (after the 30 booked, one every 0.1 s), less half the horizon, rounded up: 2 s to 8 s.
    expect(after[0]).toBe(2);
    expect(after.at(-1)).toBe(8);
    expect(after.filter((s) => s === 5)).toHaveLength(10);
    // Each comes back at its time and gets its permit without being refused again (no one else asks meanwhile).
    const retried = await drive(
      clock,
      after.map((s) => async () => {
        await clock.sleep(start + s * 1000 - clock.nowMsValue());
        await b.take('us-west-2');
      }),
    );
    const at = times(retried, start);
    expect(Math.max(...at)).toBeCloseTo(9, 6);
    expect(fitsBucket([...times(first.filter((r) => !('error' in r)), start), ...at], 10, 10)).toBe(true);
  });

  it('keeps its state in one item per region of the state table, with the TTL attribute', async () => {
    const clock = freshClock();
    const b = budget(clock, 4);
    await drive(clock, [() => b.take('ap-south-1'), () => b.take('ap-south-1')]);
    const item = (await dynamo.client.send(new GetCommand({ TableName: TABLE, Key: { operation_id: budgetKey('ap-south-1') } }))).Item;
    expect(item).toEqual({ operation_id: 'rds-budget#ap-south-1', tat: clock.nowMsValue() + 500, [TTL_ATTRIBUTE]: Math.floor(clock.nowMsValue() / 1000) + 86_400 });
  });

  it('refuses a rate or horizon it cannot honour', () => {
    const clock = freshClock();
    expect(() => budget(clock, 0)).toThrow(/callsPerSecond/);
    expect(() => budget(clock, 5, 61)).toThrow(/horizonSeconds/);
  });
});

describe('budgetedRds', () => {
  const rds = () => {
    const calls: string[] = [];
    const port = new Proxy({} as Rds, { get: (_, method) => async () => void calls.push(String(method)) });
    return { port, calls };
  };

  it('takes a permit in the region of each call before making it (a copy in its target region)', async () => {
    const taken: string[] = [];
    const { port, calls } = rds();
    const wrapped = budgetedRds(port, { take: async (region) => void taken.push(region) });
    await wrapped.describeCluster('us-west-2', 'c');
    await wrapped.copyClusterSnapshot({ sourceRegion: 'us-east-1', targetRegion: 'eu-west-1', sourceSnapshotArn: 'arn', targetSnapshotId: 's', tags: {} });
    await wrapped.listAutomatedSnapshots('us-east-1', 'c');
    expect(taken).toEqual(['us-west-2', 'eu-west-1', 'us-east-1']);
    expect(calls).toEqual(['describeCluster', 'copyClusterSnapshot', 'listAutomatedSnapshots']);
  });

  it('makes no call without a permit', async () => {
    const { port, calls } = rds();
    const refused = new RdsBudgetExhaustedError('us-west-2', 8, 30);
    const wrapped = budgetedRds(port, {
      take: async () => {
        throw refused;
      },
    });
    await expect(wrapped.deleteCluster('us-west-2', { clusterId: 'c' })).rejects.toBe(refused);
    expect(calls).toEqual([]);
  });
});
