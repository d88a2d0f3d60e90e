/**
 * Whole restores that only work because the pipeline follows AWS's own rules, each of which the local
 * simulator enforces: RDS identifiers of at most 63 characters, the snapshot's engine version, the
 * writer after the cluster, and regional RDS events that reach the pipeline only through a forwarding
 * rule in their region.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RDS_SOURCE } from '../../src/events/rds';
import { LocalPipeline, type LocalPipelineOptions } from '../../src/lib/local/pipeline';
import { isRdsIdentifier } from '../../src/lib/local/rds/rules';
import { DEFAULT_SCENARIO, parseScenario, type ScenarioInput } from '../../src/lib/local/scenario';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';

const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function restore(options: LocalPipelineOptions, overrides: Record<string, unknown> = {}) {
  const events: string[] = [];
  const p = await LocalPipeline.open({ ...options, onEvent: (e) => e.source === RDS_SOURCE && events.push((e.detail as { EventID: string }).EventID) });
  open.push(p);
  const id = await p.startRestore(p.request(overrides));
  await p.runUntilTerminal([id]);
  return { p, id, state: (await p.status(id))!, trail: await p.audit.trail(id), rdsEventsOnPipelineBus: events };
}

/** A 29-character production cluster on 16.6 (newer than the region's default) in us-east-1; a managed staging target in us-west-2. */
const LONG_NAMES: ScenarioInput = {
  regions: {
    'us-east-1': {
      kmsKeys: ['arn:aws:kms:us-east-1:123456789012:key/east'],
      clusters: [
        {
          id: 'aurora-prod-orders-eu-primary',
          engine: 'aurora-postgresql',
          engineVersion: '16.6',
          deletionProtection: true,
          instances: [{ id: 'aurora-prod-orders-eu-primary-1' }],
          automatedSnapshots: { days: 2, hourUtc: 0, minuteUtc: 5 },
        },
      ],
    },
    'us-west-2': {
      kmsKeys: ['arn:aws:kms:us-west-2:123456789012:key/west'],
      clusters: [
        {
          id: 'orders-staging-eu-replacement-target',
          engine: 'aurora-postgresql',
          tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE },
          instances: [{ id: 'orders-staging-eu-replacement-target-writer' }],
        },
      ],
    },
  },
  request: {
    sourceClusterId: 'aurora-prod-orders-eu-primary',
    sourceRegion: 'us-east-1',
    targetRegion: 'us-west-2',
    targetClusterId: 'orders-staging-eu-replacement-target',
    deleteExisting: true,
  },
};

describe('AWS rules a real account enforces', () => {
  it('a cross-region restore of a 29-character source cluster succeeds, and every identifier it creates is valid for RDS', async () => {
    const { p, state } = await restore({ scenario: parseScenario(LONG_NAMES) });
    expect(state.status).toBe('SUCCEEDED');
    const created = p.rds.history.filter((t) => t.from === null && t.tags?.['aurora-restore:operation-id'] === state.operation_id);
    const finalSnapshot = state.restore_details.final_snapshot_id!;
    expect(created.map((t) => t.kind).sort()).toEqual(['cluster', 'instance', 'snapshot']);
    for (const id of [...created.map((t) => t.id), finalSnapshot]) {
      expect(isRdsIdentifier(id), `${id} (${id.length} characters)`).toBe(true);
      expect(id).toBe(id.toLowerCase());
    }
    expect(state.snapshot_details.target_snapshot_id!.length).toBeLessThanOrEqual(63);
    expect(state.snapshot_details.engine_version).toBe('16.6');
  });

  it('RDS events reach the pipeline only through a forwarding rule in their region: without one, a cross-region restore falls back to re-checks', async () => {
    const forwarded = await restore({ scenario: DEFAULT_SCENARIO });
    const unforwarded = await restore({ scenario: DEFAULT_SCENARIO, env: { TARGET_REGIONS: '' } });
    expect(forwarded.state.status).toBe('SUCCEEDED');
    expect(unforwarded.state.status).toBe('SUCCEEDED');

    // With the rule on us-west-2's default bus, the deletion and restore waits are woken by RDS events...
    expect(forwarded.rdsEventsOnPipelineBus).toEqual(expect.arrayContaining(['RDS-EVENT-0003', 'RDS-EVENT-0171', 'RDS-EVENT-0170', 'RDS-EVENT-0005']));
    const wokenBy = (trail: typeof forwarded.trail) => trail.filter((a) => a.details?.woken_by).map((a) => String(a.details!.woken_by));
    expect(wokenBy(forwarded.trail).some((w) => w.startsWith('RDS-EVENT-'))).toBe(true);
    // ...without it, us-west-2's events stay on its default bus and every wait ends on a safety-net re-check.
    expect(unforwarded.rdsEventsOnPipelineBus).toEqual([]);
    expect(wokenBy(unforwarded.trail).some((w) => w.startsWith('RDS-EVENT-'))).toBe(false);
    expect(unforwarded.state.metrics.total_duration_seconds!).toBeGreaterThan(forwarded.state.metrics.total_duration_seconds!);
  });
});
