/**
 * Refresh without downtime, from faster sources: strategy swap (restore under a temporary name while the
 * old cluster serves, then swap the names), Aurora fast clones and point-in-time restores — whole
 * restores through the local runtime, including the failures a swap must put right.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { crashingRds, newCrashCounters } from '../../src/chaos/crash';
import { rdsFault } from '../../src/lib/local/rds';
import { LocalPipeline, type LocalPipelineOptions } from '../../src/lib/local/pipeline';
import { DEFAULT_SCENARIO, parseScenario } from '../../src/lib/local/scenario';
import { retiredClusterId, temporaryClusterId } from '../../src/lib/steps/names';
import { OPERATION_TAG } from '../../src/lib/tags';

const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function restore(options: LocalPipelineOptions, overrides: Record<string, unknown> = {}) {
  const p = await LocalPipeline.open(options);
  open.push(p);
  const id = await p.startRestore(p.request(overrides));
  await p.runUntilTerminal([id]);
  const state = (await p.status(id))!;
  const notes = (await p.outbox.list()).filter((m) => m.attributes.operation_id === id);
  return { p, id, state, notes, trail: await p.audit.trail(id) };
}

/** The built-in world with a clone target in us-east-1 that the pipeline manages. */
const withDev = () => {
  const s = structuredClone(DEFAULT_SCENARIO) as unknown as { regions: Record<string, { clusters: unknown[] }> };
  s.regions['us-east-1'].clusters.push({ id: 'aurora-dev', engine: 'aurora-postgresql', tags: { 'aurora-restore:managed-by': 'aurora-restore' }, instances: [{ id: 'aurora-dev-writer' }] });
  return parseScenario(s);
};

describe('strategy swap', () => {
  it('replaces the target with the target name serving no database for at most the rename window (≤ 2 min), against ~35 min for replace', async () => {
    const swap = await restore({ scenario: DEFAULT_SCENARIO }, { strategy: 'swap' });
    const replace = await restore({ scenario: DEFAULT_SCENARIO });
    expect(swap.state.status).toBe('SUCCEEDED');
    expect(replace.state.status).toBe('SUCCEEDED');
    expect(swap.state.metrics.target_unavailable_seconds).toBeLessThanOrEqual(120);
    expect(replace.state.metrics.target_unavailable_seconds).toBeGreaterThanOrEqual(25 * 60);

    const { p, id } = swap;
    // The new cluster carries the target's name and endpoint; the temporary and retired names are gone.
    const cluster = await p.deps.rds.describeCluster('us-west-2', 'aurora-staging');
    expect(cluster?.tags[OPERATION_TAG]).toBe(id);
    expect(cluster?.endpoint).toMatch(/^aurora-staging\.cluster-/);
    expect(swap.state.restore_details.writer_endpoint).toBe(cluster?.endpoint);
    expect(await p.deps.rds.describeCluster('us-west-2', temporaryClusterId(id, 'aurora-staging'))).toBeUndefined();
    expect(await p.deps.rds.describeCluster('us-west-2', retiredClusterId(id, 'aurora-staging'))).toBeUndefined();
    // The old cluster served until the swap: it was renamed after the new one was ready, then deleted with a final snapshot.
    const transitions = p.rds.history.filter((t) => t.kind === 'cluster');
    const oldRenamed = transitions.find((t) => t.id === 'aurora-staging' && t.to === 'renaming')!;
    const newAvailable = transitions.find((t) => t.id === temporaryClusterId(id, 'aurora-staging') && t.to === 'available')!;
    expect(oldRenamed.atMs).toBeGreaterThan(newAvailable.atMs);
    expect(await p.deps.rds.describeClusterSnapshot('us-west-2', swap.state.restore_details.final_snapshot_id!)).toMatchObject({ status: 'available' });
    // Each rename is its own confirmed stage, in order.
    expect(swap.trail.map((a) => a.event_type).filter((t) => ['TARGET_RENAME_STARTED', 'TARGET_VACATED', 'NEW_CLUSTER_RENAME_STARTED', 'CLUSTERS_SWAPPED', 'RETIRE_STARTED', 'OLD_CLUSTER_RETIRED'].includes(t))).toEqual([
      'TARGET_RENAME_STARTED',
      'TARGET_VACATED',
      'NEW_CLUSTER_RENAME_STARTED',
      'CLUSTERS_SWAPPED',
      'RETIRE_STARTED',
      'OLD_CLUSTER_RETIRED',
    ]);
    expect(swap.notes).toHaveLength(1);
  });

  it('a restore that fails before the swap leaves the old cluster serving, untouched, and deletes the temporary one', async () => {
    const scenario = parseScenario({ ...structuredClone(DEFAULT_SCENARIO), failRestoreOf: ['aurora-staging-new-*'] });
    const { p, id, state, notes } = await restore({ scenario }, { strategy: 'swap' });
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ code: 'RestoreFailed' });
    expect(state.error!.message).toContain('the old cluster still serves as aurora-staging');
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toContain('the old cluster still serves as aurora-staging');
    const old = await p.deps.rds.describeCluster('us-west-2', 'aurora-staging');
    expect(old).toMatchObject({ status: 'available', members: ['aurora-staging-writer'] });
    expect(p.rds.history.filter((t) => t.id === 'aurora-staging' && t.from !== null)).toEqual([]);
    // The temporary cluster (failed, ours) is deleted without a final snapshot.
    await p.runtime.runUntilIdle({ maxVirtualMs: 3_600_000 });
    expect(await p.deps.rds.describeCluster('us-west-2', temporaryClusterId(id, 'aurora-staging'))).toBeUndefined();
  });

  it('a second rename that fails for good puts the old cluster back under the target name, and says so', async () => {
    const { p, id, state } = await restore(
      {
        scenario: DEFAULT_SCENARIO,
        wrapDeps: (deps) => ({
          ...deps,
          rds: Object.assign(Object.create(deps.rds), {
            renameCluster: (region: string, from: string, to: string) =>
              from.includes('-new-') ? Promise.reject(rdsFault('InvalidParameterValue', 'simulated: the new name is refused')) : deps.rds.renameCluster(region, from, to),
          }),
        }),
      },
      { strategy: 'swap' },
    );
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ step: 'swap-in', code: 'InvalidParameter' });
    expect(state.error!.message).toContain(`renamed back from ${retiredClusterId(id, 'aurora-staging')} to aurora-staging`);
    await p.runtime.runUntilIdle({ maxVirtualMs: 3_600_000 });
    const back = await p.deps.rds.describeCluster('us-west-2', 'aurora-staging');
    expect(back).toMatchObject({ status: 'available', members: ['aurora-staging-writer'] });
    expect(back?.tags[OPERATION_TAG]).not.toBe(id);
  });

  it('a second rename that fails for good while RDS refuses the rename back: the notification says where the old cluster is, never "being renamed back"', async () => {
    const { p, id, state, notes } = await restore(
      {
        scenario: DEFAULT_SCENARIO,
        wrapDeps: (deps) => ({
          ...deps,
          rds: Object.assign(Object.create(deps.rds), {
            renameCluster: (region: string, from: string, to: string) =>
              from.includes('-new-')
                ? Promise.reject(rdsFault('InvalidParameterValue', 'simulated: the new name is refused'))
                : to === 'aurora-staging'
                  ? Promise.reject(rdsFault('InvalidDBClusterStateFault', 'simulated: the cluster is modifying'))
                  : deps.rds.renameCluster(region, from, to),
          }),
        }),
      },
      { strategy: 'swap' },
    );
    const retired = retiredClusterId(id, 'aurora-staging');
    expect(state.status).toBe('FAILED');
    expect(state.error!.message).not.toContain('being renamed back');
    expect(state.error!.message).toContain(`kept as ${retired}`);
    expect(state.error!.message).toContain('rename it back by hand');
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toContain(`kept as ${retired}`);
    expect(await p.deps.rds.describeCluster('us-west-2', retired)).toMatchObject({ status: 'available' });
  });

  it('a crash between the two renames: the next wake-up finds the target name free and finishes the swap; each cluster renamed once', async () => {
    const counters = newCrashCounters();
    const { p, id, state } = await restore(
      {
        scenario: DEFAULT_SCENARIO,
        wrapDeps: (deps) => ({
          ...deps,
          rds: crashingRds(deps.rds, { rate: 0, seed: 1, counters, decide: (call, _r, n) => call === 'renameCluster' && n === 1 }),
        }),
      },
      { strategy: 'swap' },
    );
    expect(counters.afterSideEffect.renameCluster).toBeGreaterThanOrEqual(1);
    expect(state.status).toBe('SUCCEEDED');
    const renames = p.rds.history.filter((t) => t.kind === 'cluster' && t.to === 'renaming');
    expect(renames.map((t) => t.id).sort()).toEqual(['aurora-staging', temporaryClusterId(id, 'aurora-staging')].sort());
    expect((await p.deps.rds.describeCluster('us-west-2', 'aurora-staging'))?.tags[OPERATION_TAG]).toBe(id);
  });

  it('an allow-listed target without the managed-by tag is refused for swap before anything is done (its deletion after the rename would not be allowed)', async () => {
    const { p, state } = await restore({ scenario: DEFAULT_SCENARIO, env: { DELETION_ALLOW_LIST: 'analytics' } }, { strategy: 'swap', targetClusterId: 'analytics' });
    expect(state.error).toMatchObject({ step: 'snapshot-check', code: 'DeletionRefused' });
    expect(state.error!.message).toContain('a swap renames it');
    expect(p.rds.calls.CopyDBClusterSnapshot + p.rds.calls.RestoreDBClusterFromSnapshot).toBe(0);
  });
});

describe('sources: clone and point in time', () => {
  it('a fast clone of the live source (same region) is restored, quicker than from a snapshot, with no copy', async () => {
    const { p, state } = await restore({ scenario: withDev() }, { source: 'clone', targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', snapshotDate: undefined });
    expect(state.status).toBe('SUCCEEDED');
    expect(p.rds.calls.RestoreDBClusterToPointInTime).toBe(1);
    expect(p.rds.calls.CopyDBClusterSnapshot + p.rds.calls.RestoreDBClusterFromSnapshot).toBe(0);
    expect(p.rds.toJSON().world.regions['us-east-1'].clusters['aurora-dev'].restoredFrom).toBe('copy-on-write:aurora-prod');
    expect(state.metrics.restore_duration_seconds).toBeLessThan(20 * 60);
  });

  it('a point-in-time copy at a given time succeeds; a time outside the window fails before any RDS change', async () => {
    const ok = await restore({ scenario: withDev() }, { source: 'point-in-time', restoreTime: '2026-11-24T01:00:00Z', targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', snapshotDate: undefined });
    expect(ok.state.status).toBe('SUCCEEDED');
    expect(ok.p.rds.toJSON().world.regions['us-east-1'].clusters['aurora-dev'].restoredFrom).toBe('full-copy:aurora-prod');
    const late = await restore({ scenario: withDev() }, { source: 'point-in-time', restoreTime: '2026-11-24T05:00:00Z', targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', snapshotDate: undefined });
    expect(late.state.error).toMatchObject({ step: 'snapshot-check', code: 'SourceNotRestorable' });
    expect(late.p.rds.calls.RestoreDBClusterToPointInTime + late.p.rds.calls.DeleteDBInstance + late.p.rds.calls.DeleteDBCluster).toBe(0);
  });

  it('clones only from CLONE_SOURCE_CLUSTERS; a cross-region clone is refused in the request itself', async () => {
    const refused = await restore({ scenario: withDev(), env: { CLONE_SOURCE_CLUSTERS: '' } }, { source: 'clone', targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', snapshotDate: undefined });
    expect(refused.state.error).toMatchObject({ code: 'SourceNotRestorable' });
    expect(refused.state.error!.message).toContain('CLONE_SOURCE_CLUSTERS');
    expect(() => refused.p.request({ source: 'clone', snapshotDate: undefined })).toThrow(/a clone restore stays in the source cluster's region/);
  });

  it('swap and clone together: the clone is built under the temporary name and swapped in', async () => {
    const { state } = await restore(
      { scenario: withDev() },
      { source: 'clone', strategy: 'swap', targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', snapshotDate: undefined, deleteExisting: true },
    );
    expect(state.status).toBe('SUCCEEDED');
    expect(state.metrics.target_unavailable_seconds).toBeLessThanOrEqual(120);
  });
});
