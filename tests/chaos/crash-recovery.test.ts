import { afterEach, describe, expect, it } from 'vitest';
import { crashingHandler, crashingRds, newCrashCounters, type MutatingCall } from '../../src/chaos/crash';
import { LocalPipeline, type LocalPipelineOptions } from '../../src/lib/local/pipeline';
import { DEFAULT_SCENARIO, parseScenario } from '../../src/lib/local/scenario';

/**
 * Crashes at the two places a Lambda can die (after a side effect before its state write; after its
 * work before its ack), one at a time and on purpose, through the whole local pipeline. Each of these
 * was first found by a chaos run.
 */
const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

/** A pipeline whose Rds dies once, right after the first successful `call` on `resource`. */
async function crashOnce(call: MutatingCall, resource: string, options: LocalPipelineOptions = {}) {
  const counters = newCrashCounters();
  const p = await LocalPipeline.open({
    ...options,
    wrapDeps: (deps) => ({ ...deps, rds: crashingRds(deps.rds, { rate: 0, seed: 1, counters, decide: (c, r, n) => c === call && r === resource && n === 1 }) }),
  });
  open.push(p);
  return { p, counters };
}

async function run(p: LocalPipeline, overrides: Record<string, unknown> = {}) {
  const id = await p.startRestore(p.request(overrides));
  await p.runUntilTerminal([id]);
  return { id, state: (await p.status(id))!, trail: await p.audit.trail(id) };
}

describe('a crash after a side effect, before the state write', () => {
  it('after RestoreDBClusterFromSnapshot of a restore RDS then fails: the operation fails RestoreFailed, not Timeout', async () => {
    const scenario = parseScenario({ ...DEFAULT_SCENARIO, failRestoreOf: ['aurora-staging'] });
    const { p, counters } = await crashOnce('restoreClusterFromSnapshot', 'us-west-2/aurora-staging', { scenario });
    const { state } = await run(p);
    expect(counters.afterSideEffect.restoreClusterFromSnapshot).toBe(1);
    expect(state.status).toBe('FAILED');
    // The retry found its own cluster and went on; the wait saw RDS fail it.
    expect(state.error).toMatchObject({ code: 'RestoreFailed', step: 'check-restore-status' });
    expect(state.error!.message).toContain('failed');
    expect(p.rds.calls.RestoreDBClusterFromSnapshot).toBe(2); // the retry found its own cluster instead of creating one
    expect(p.rds.history.filter((t) => t.kind === 'cluster' && t.id === 'aurora-staging' && t.from === null)).toHaveLength(1);
  });

  it('after DeleteDBInstance in delete-rds: the instance-deleted event does not delete the cluster without its final snapshot', async () => {
    const { p, counters } = await crashOnce('deleteInstance', 'us-west-2/aurora-staging-writer');
    const { state } = await run(p);
    expect(counters.afterSideEffect.deleteInstance).toBe(1);
    expect(state.status).toBe('SUCCEEDED');
    expect(state.restore_details.deleted_existing_cluster).toBe(true);
    const finalId = state.restore_details.final_snapshot_id;
    expect(finalId).toBeDefined();
    // the old cluster was deleted once, with its final snapshot
    expect(p.rds.history.filter((t) => t.kind === 'cluster' && t.id === 'aurora-staging' && t.to === 'deleting')).toHaveLength(1);
    expect(await p.deps.rds.describeClusterSnapshot('us-west-2', finalId!)).toMatchObject({ status: 'available' });
  });

  it('after CreateDBInstance (check-restore-status, once the cluster is available): the next wake-up finds its own writer; one cluster, one instance', async () => {
    const { p, counters } = await crashOnce('createInstance', 'us-west-2/aurora-staging-writer');
    const { state } = await run(p);
    expect(counters.afterSideEffect.createInstance).toBe(1);
    expect(state.status).toBe('SUCCEEDED');
    // At most one more CreateDBInstance, refused by RDS (DBInstanceAlreadyExists): a wake-up in the same second
    // as the crashed one (the 15-minute restore and the 900 s safety net) asks too. One instance either way:
    expect(p.rds.calls.CreateDBInstance).toBeLessThanOrEqual(2);
    const created = p.rds.history.filter((t) => t.from === null && t.tags?.['aurora-restore:operation-id'] === state.operation_id);
    expect(created.map((t) => t.kind).sort()).toEqual(['cluster', 'instance', 'snapshot']);
  });
});

describe('a crash after the work, before the ack', () => {
  it('every message comes back; finished steps republish instead of redoing; one notification', async () => {
    const counters = newCrashCounters();
    const p = await LocalPipeline.open({
      // the first invocation of every step's function dies after its work, before its ack
      wrapHandler: (step, h) => {
        let first = true;
        const random = () => (first ? ((first = false), 0) : 1);
        return crashingHandler(step, h, { rate: 1, random, counters });
      },
    });
    open.push(p);
    const { state, trail } = await run(p);
    expect(state.status).toBe('SUCCEEDED');
    expect(Object.values(counters.beforeAck).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(p.rds.calls.RestoreDBClusterFromSnapshot).toBe(1);
    expect(p.rds.calls.CopyDBClusterSnapshot).toBe(1);
    expect(p.metrics.counts.Republished ?? 0).toBeGreaterThan(0);
    expect(trail.filter((a) => a.event_type === 'OPERATION_SUCCEEDED')).toHaveLength(1);
    expect((await p.outbox.list()).filter((m) => m.attributes.operation_id === state.operation_id)).toHaveLength(1);
  });
});
