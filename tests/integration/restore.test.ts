import { afterEach, describe, expect, it } from 'vitest';
import { LocalPipeline, type LocalPipelineOptions } from '../../src/lib/local/pipeline';
import { DEFAULT_SCENARIO, parseScenario } from '../../src/lib/local/scenario';
import { createFaultPlan } from '../../src/lib/local/faults';
import { pipelineOrder } from '../../src/schemas/operation-state';

/**
 * Whole restores through the local runtime: the real handlers and subscription table over dynalite,
 * PGlite, the simulated Aurora control plane and the virtual clock. No mocks of our own code.
 */
const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function pipeline(options: LocalPipelineOptions = {}) {
  const p = await LocalPipeline.open(options);
  open.push(p);
  return p;
}

async function restore(p: LocalPipeline, overrides: Record<string, unknown> = {}) {
  const id = await p.startRestore(p.request(overrides));
  await p.runUntilTerminal([id]);
  const state = (await p.status(id))!;
  const trail = await p.audit.trail(id);
  const notes = (await p.outbox.list()).filter((m) => m.attributes.operation_id === id);
  return { id, state, trail, notes };
}

const mutatingCalls = (p: LocalPipeline) => {
  const c = p.rds.calls;
  return {
    copy: c.CopyDBClusterSnapshot,
    restore: c.RestoreDBClusterFromSnapshot,
    // Instances created, not CreateDBInstance calls: two wake-ups in the same second (here a 15-minute restore
    // and the 900 s safety net) may both ask, and RDS refuses the second (DBInstanceAlreadyExists), which the
    // step takes as its own instance — a refused call, not a second side effect.
    createInstance: p.rds.history.filter((t) => t.kind === 'instance' && t.from === null && t.to === 'creating').length,
    deleteCluster: c.DeleteDBCluster,
    deleteInstance: c.DeleteDBInstance,
    deleteSnapshot: c.DeleteDBClusterSnapshot,
    modify: c.ModifyDBCluster,
  };
};

describe('a restore end to end', () => {
  it('cross-region over an existing managed cluster: copies, deletes, restores, sets up users, archives, notifies', async () => {
    const p = await pipeline();
    const { state, trail, notes } = await restore(p);
    expect(state.status).toBe('SUCCEEDED');
    expect(state.error).toBeNull();
    expect(state.snapshot_details).toMatchObject({ copied: true, archive: 'deleted' });
    expect(state.restore_details).toMatchObject({ cluster_id: 'aurora-staging', deleted_existing_cluster: true, users: ['app', 'reporting'] });
    expect(state.restore_details.writer_endpoint).toMatch(/^aurora-staging\.cluster-.*\.us-west-2\.rds\.amazonaws\.com$/);
    // every step ran once, in pipeline order
    for (const step of pipelineOrder('replace').filter((s) => s !== 'sns-notification')) expect(state.steps[step]?.status, step).toBe('DONE');
    expect(mutatingCalls(p)).toEqual({ copy: 1, restore: 1, createInstance: 1, deleteCluster: 1, deleteInstance: 1, deleteSnapshot: 1, modify: 1 });
    // the seed's metrics: the copy took the simulated 12 minutes (seen when the check planned from its
    // PercentProgress found it available, a few seconds to minutes later), the whole restore ~37
    expect(state.metrics.snapshot_copy_duration_seconds).toBeGreaterThanOrEqual(720);
    expect(state.metrics.snapshot_copy_duration_seconds).toBeLessThanOrEqual(720 + 300);
    expect(state.metrics.total_duration_seconds).toBeGreaterThan(2000);
    // the restored cluster is there, tagged with the operation; the copied snapshot is gone; the final snapshot exists
    const cluster = await p.deps.rds.describeCluster('us-west-2', 'aurora-staging');
    expect(cluster?.tags['aurora-restore:operation-id']).toBe(state.operation_id);
    expect(await p.deps.rds.describeClusterSnapshot('us-west-2', state.snapshot_details.target_snapshot_id!)).toBeUndefined();
    expect(await p.deps.rds.describeClusterSnapshot('us-west-2', state.restore_details.final_snapshot_id!)).toBeDefined();
    // one notification, one terminal audit line, the trail ordered in time
    expect(notes).toHaveLength(1);
    expect(notes[0].subject).toContain('SUCCEEDED');
    expect(notes[0].attributes).toMatchObject({ status: 'SUCCEEDED', operation_id: state.operation_id });
    expect(trail.filter((e) => e.event_type === 'OPERATION_SUCCEEDED')).toHaveLength(1);
    expect(trail.map((e) => e.timestamp)).toEqual([...trail.map((e) => e.timestamp)].sort());
    // the target is free again, and the watchdog's deadline is cancelled
    expect(await p.store.lockHolder('us-west-2', 'aurora-staging')).toBeUndefined();
    expect(p.scheduler.pending().map((s) => s.name)).not.toContain(`${state.operation_id}-deadline`);
    // no password anywhere in state, audit or notifications
    const secrets = await p.deps.secrets.getJson('aurora-restore/clusters/aurora-staging/master') as { password: string };
    const app = await p.deps.secrets.getJson('aurora-restore/app-credentials') as { password: string };
    const everything = JSON.stringify({ state, trail, notes, archive: p.bus.archive.list() });
    expect(everything).not.toContain(secrets.password);
    expect(everything).not.toContain(app.password);
  });

  it('the next refresh replaces the cluster the previous one restored, reacting to its RDS events', async () => {
    const p = await pipeline();
    const first = await restore(p);
    const second = await restore(p);
    expect([first.state.status, second.state.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // the deleted cluster still carried the FIRST operation's tag; its deletion events reached the second
    const woken = second.trail.filter((e) => e.step === 'check-delete-status').map((e) => e.details.woken_by);
    expect(woken).toContain('RDS-EVENT-0003');
    expect(second.state.metrics.delete_duration_seconds).toBe(600); // 6 min instances + 4 min cluster, no polling lag
  });

  it('same region: skips the copy and keeps the source snapshot', async () => {
    const p = await pipeline();
    const { state, notes } = await restore(p, { targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', subnetGroup: undefined });
    expect(state.status).toBe('SUCCEEDED');
    expect(state.snapshot_details).toMatchObject({ copied: false, archive: 'not-copied' });
    expect(state.restore_details.deleted_existing_cluster).toBe(false);
    expect(p.rds.calls.CopyDBClusterSnapshot).toBe(0);
    expect(p.rds.calls.DeleteDBClusterSnapshot).toBe(0);
    expect(notes).toHaveLength(1);
  });

  it('a missing snapshot fails with SnapshotNotFound, a notification and an audit trail', async () => {
    const p = await pipeline();
    const { state, trail, notes } = await restore(p, { snapshotDate: '2025-01-01' });
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ step: 'snapshot-check', code: 'SnapshotNotFound' });
    expect(state.error!.message).toContain('2025-01-01');
    expect(notes).toHaveLength(1);
    expect(notes[0].subject).toContain('FAILED');
    expect(trail.map((e) => e.event_type)).toEqual(expect.arrayContaining(['STEP_FAILED', 'OPERATION_FAILED', 'NOTIFICATION_SENT']));
    expect(p.rds.calls.CopyDBClusterSnapshot).toBe(0);
    expect(await p.store.lockHolder('us-west-2', 'aurora-staging')).toBeUndefined();
  });

  it('refuses to delete a cluster the pipeline does not manage, and leaves it alone', async () => {
    const p = await pipeline();
    const { state, notes } = await restore(p, { targetClusterId: 'analytics' });
    expect(state.status).toBe('FAILED');
    // refused before anything was copied
    expect(state.error).toMatchObject({ step: 'snapshot-check', code: 'DeletionRefused' });
    expect(state.error!.message).toContain('managed-by');
    expect(p.rds.calls.CopyDBClusterSnapshot).toBe(0);
    expect(p.rds.calls.DeleteDBCluster + p.rds.calls.DeleteDBInstance).toBe(0);
    expect((await p.deps.rds.describeCluster('us-west-2', 'analytics'))?.status).toBe('available');
    expect(notes).toHaveLength(1);
  });

  it('refuses to replace an existing cluster unless asked', async () => {
    const p = await pipeline();
    const { state } = await restore(p, { deleteExisting: false });
    expect(state.error).toMatchObject({ step: 'snapshot-check', code: 'TargetExists' });
    expect(p.rds.calls.CopyDBClusterSnapshot + p.rds.calls.DeleteDBCluster).toBe(0);
  });

  it('a restore that RDS fails ends FAILED with RestoreFailed, from the RDS event confirmed by Describe', async () => {
    const scenario = parseScenario({ ...structuredClone(DEFAULT_SCENARIO), failRestoreOf: ['aurora-staging'] });
    const p = await pipeline({ scenario });
    const { state, notes } = await restore(p);
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ step: 'check-restore-status', code: 'RestoreFailed' });
    expect(notes).toHaveLength(1);
  });

  it('an operation that outlives STATE_MACHINE_TIMEOUT_SECONDS is failed by the watchdog', async () => {
    const p = await pipeline({ env: { STATE_MACHINE_TIMEOUT_SECONDS: '600' } });
    const { state } = await restore(p);
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ code: 'Timeout', step: 'check-copy-status' });
    expect(await p.store.lockHolder('us-west-2', 'aurora-staging')).toBeUndefined();
  });

  it('two requests for one target at once: exactly one proceeds, the other fails TargetBusy', async () => {
    const p = await pipeline();
    const a = await p.startRestore(p.request());
    const b = await p.startRestore(p.request());
    await p.runUntilTerminal([a, b]);
    const states = [(await p.status(a))!, (await p.status(b))!];
    expect(states.map((s) => s.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect(states.find((s) => s.status === 'FAILED')!.error?.code).toBe('TargetBusy');
    expect(p.rds.calls.RestoreDBClusterFromSnapshot).toBe(1);
  });
});

describe('duplicates, reordering and lost events', () => {
  it('duplicated and reordered deliveries never repeat a finished step', async () => {
    const faults = createFaultPlan({ seed: 7, duplicateDelivery: 0.6, reorder: 0.6 });
    const p = await pipeline({ faults });
    const { state, notes, trail } = await restore(p);
    expect(state.status).toBe('SUCCEEDED');
    const stats = p.runtime.stats();
    const delivered = Object.values(stats).reduce((n, s) => n + s.messages, 0);
    const published = p.bus.archive.list().length;
    expect(delivered).toBeGreaterThan(published); // duplicates really were delivered
    expect(mutatingCalls(p)).toEqual({ copy: 1, restore: 1, createInstance: 1, deleteCluster: 1, deleteInstance: 1, deleteSnapshot: 1, modify: 1 });
    for (const step of pipelineOrder('replace').filter((s) => s !== 'sns-notification' && !s.startsWith('check-'))) {
      expect(state.steps[step].attempts, step).toBe(1);
    }
    expect(notes).toHaveLength(1);
    expect(trail.filter((e) => e.event_type === 'OPERATION_SUCCEEDED')).toHaveLength(1);
    // republished outcomes rewrite the same audit line: one result line per step, however many repeats
    const results = trail.filter((e) => e.status === 'SUCCESS' && e.step !== 'sns-notification').map((e) => e.step);
    expect(results).toEqual([...new Set(results)]);
    expect(p.metrics.counts.Republished).toBeGreaterThan(0);
  });

  it('a lost event is recovered by replaying its time window, without redoing finished steps', async () => {
    // The safety net beyond this run: a re-check within 15 minutes travels on SQS, not the bus, and would
    // recover the operation by itself; here only the replay can.
    const p = await pipeline({ env: { SAFETY_RECHECK_SECONDS: '3600' } });
    const id = await p.startRestore(p.request());
    // When the restore starts depends on when the copy was seen done (its checks follow PercentProgress):
    // run until RDS starts restoring the cluster, then take the bus down for the minute around the moment
    // it becomes available (the scenario's 15 minutes later). The events of that moment (RDS "created"
    // events, ...) are archived but reach no queue.
    const restoring = () => p.rds.history.some((t) => t.kind === 'cluster' && t.id === 'aurora-staging' && t.from === null);
    await p.runtime.runUntil(restoring, { maxVirtualMs: 40 * 60_000 });
    expect(restoring()).toBe(true);
    const available = p.clock.now().getTime() + 15 * 60_000;
    const [from, to] = [available - 60_000, available + 60_000];
    p.bus.setOutage(from, to);
    await p.runUntilTerminal([id], { maxVirtualMs: 30 * 60_000 }); // stop before the watchdog would fail it
    const stuck = (await p.status(id))!;
    // the RDS events and the re-check of that moment went into the outage: nothing moves it any more
    expect(['RESTORE_IN_PROGRESS', 'CLUSTER_AVAILABLE']).toContain(stuck.status);
    const before = mutatingCalls(p);

    p.bus.clearOutages();
    const { replayed, operations } = await p.replay({ from: new Date(from), to: new Date(to) });
    expect(replayed).toBeGreaterThan(0);
    expect(operations).toEqual([id]);
    const after = (await p.status(id))!;
    expect(after.status).toBe('SUCCEEDED');
    const calls = mutatingCalls(p);
    expect(calls.restore).toBe(1);
    expect(calls.copy).toBe(1);
    expect(calls.deleteCluster).toBe(before.deleteCluster);
    expect((await p.outbox.list()).filter((m) => m.attributes.operation_id === id)).toHaveLength(1);
  });
});
