import { afterEach, describe, expect, it } from 'vitest';
import { poisonedHandler } from '../../src/chaos/crash';
import { createFaultPlan } from '../../src/lib/local/faults';
import { LocalPipeline } from '../../src/lib/local/pipeline';

/** One active operation per target cluster, under contention and after a crashed operation. */
const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

const MINUTE = 60_000;

describe('one active operation per target cluster', () => {
  it('five requests for one cluster at once, with duplicated and reordered deliveries: one proceeds, four fail TargetBusy naming it', async () => {
    const p = await LocalPipeline.open({ faults: createFaultPlan({ seed: 5, duplicateDelivery: 0.5, reorder: 0.5 }) });
    open.push(p);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await p.startRestore(p.request()));
    await p.runUntilTerminal(ids);
    const states = await Promise.all(ids.map(async (id) => (await p.status(id))!));
    const winners = states.filter((s) => s.status === 'SUCCEEDED');
    const busy = states.filter((s) => s.error?.code === 'TargetBusy');
    expect(winners).toHaveLength(1);
    expect(busy).toHaveLength(4);
    for (const s of busy) {
      expect(s.error!.message).toContain(winners[0].operation_id);
      expect(s.steps['copy-snapshot']).toBeUndefined(); // refused before anything was done
    }
    expect(p.rds.calls.RestoreDBClusterFromSnapshot).toBe(1);
    expect(p.rds.calls.DeleteDBCluster).toBe(1);
    expect(await p.store.lockHolder('us-west-2', 'aurora-staging')).toBeUndefined();
    const notes = await p.outbox.list();
    expect(ids.map((id) => notes.filter((n) => n.attributes.operation_id === id).length)).toEqual([1, 1, 1, 1, 1]);
  }, 60_000);

  it('a cluster whose operation got stuck is refused while it lives, and accepted once the watchdog has failed it', async () => {
    const poisoned = new Set<string>();
    const operationOf = (body: string) => (JSON.parse(body) as { detail?: { operationId?: string } }).detail?.operationId ?? '';
    const p = await LocalPipeline.open({
      // restore-snapshot's function dies on every message of the first operation: it is stuck
      wrapHandler: (step, h) => (step === 'restore-snapshot' ? poisonedHandler(h, (body) => poisoned.has(operationOf(body)), { poisoned: 0 }) : h),
    });
    open.push(p);
    const t0 = p.clock.now().getTime();
    const stuck = await p.startRestore(p.request());
    poisoned.add(stuck);
    await p.runtime.runUntil(() => false, { maxVirtualMs: 30 * MINUTE });
    expect((await p.status(stuck))!.status).toBe('TARGET_CLEARED');

    const refused = await p.startRestore(p.request());
    await p.runUntilTerminal([refused]);
    expect((await p.status(refused))!.error).toMatchObject({ code: 'TargetBusy' });
    expect((await p.status(refused))!.error!.message).toContain(stuck);
    expect(await p.store.lockHolder('us-west-2', 'aurora-staging')).toBe(stuck);

    await p.runUntilTerminal([stuck]);
    const failed = (await p.status(stuck))!;
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ code: 'Timeout', step: 'restore-snapshot' });
    expect(p.clock.now().getTime() - t0).toBeGreaterThanOrEqual(p.config.STATE_MACHINE_TIMEOUT_SECONDS * 1000);
    expect(await p.store.lockHolder('us-west-2', 'aurora-staging')).toBeUndefined();

    const accepted = await p.startRestore(p.request());
    await p.runUntilTerminal([accepted]);
    const state = (await p.status(accepted))!;
    expect(state.status).toBe('SUCCEEDED');
    expect(state.restore_details.deleted_existing_cluster).toBe(false); // the stuck one had already cleared it
    // the stuck operation's dead-lettered message, arriving after its end, changed nothing
    await p.runtime.runUntilIdle({ maxVirtualMs: 6 * 3600_000 });
    expect(p.runtime.deadLettered()).toEqual([]);
    expect((await p.status(stuck))!.error?.code).toBe('Timeout');
    expect((await p.outbox.list()).filter((n) => n.attributes.operation_id === stuck)).toHaveLength(1);
  }, 60_000);
});
