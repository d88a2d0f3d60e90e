/**
 * How long the target's name serves no database, per strategy and source: the same refresh (a managed
 * target replaced night after night) with the snapshot (cross-region copy), a fast clone and a
 * point-in-time copy (same region), each with strategy replace and swap — on the simulated Aurora with
 * the benchmark's per-restore RDS durations. Downtime comes from the operation's own metric
 * (`target_unavailable_seconds`: replace, from deleting the old cluster to the new one being available;
 * swap, the two renames), total from `total_duration_seconds`.
 */
import { LocalPipeline } from '../src/lib/local/pipeline';
import { DEFAULT_SCENARIO, parseScenario, type Durations } from '../src/lib/local/scenario';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../src/lib/tags';

export interface DowntimeRow {
  strategy: 'replace' | 'swap';
  source: 'snapshot' | 'clone' | 'point-in-time';
  restores: number;
  succeeded: number;
  /** Seconds the target name served no database, per restore. */
  downtimeSeconds: number[];
  totalSeconds: number[];
}

const COMBINATIONS = [
  ['replace', 'snapshot'],
  ['swap', 'snapshot'],
  ['replace', 'clone'],
  ['swap', 'clone'],
  ['replace', 'point-in-time'],
  ['swap', 'point-in-time'],
] as const;

/** The built-in world plus a managed aurora-dev in the source region (the target of clones and point-in-time copies). */
function world() {
  const s = structuredClone(DEFAULT_SCENARIO) as unknown as { regions: Record<string, { clusters: unknown[] }> };
  s.regions['us-east-1'].clusters.push({ id: 'aurora-dev', engine: 'aurora-postgresql', tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE }, instances: [{ id: 'aurora-dev-writer' }] });
  return parseScenario(s);
}

export async function measureDowntime(durations: Durations[]): Promise<DowntimeRow[]> {
  const rows: DowntimeRow[] = [];
  for (const [strategy, source] of COMBINATIONS) {
    const pipeline = await LocalPipeline.open({ scenario: world(), seed: 1 });
    const row: DowntimeRow = { strategy, source, restores: durations.length, succeeded: 0, downtimeSeconds: [], totalSeconds: [] };
    try {
      for (const d of durations) {
        pipeline.rds.setDurations(d);
        const request =
          source === 'snapshot'
            ? { strategy, deleteExisting: true }
            : { strategy, source, targetRegion: 'us-east-1', targetClusterId: 'aurora-dev', subnetGroup: undefined, snapshotDate: undefined, deleteExisting: true };
        const id = await pipeline.startRestore(pipeline.request(request));
        await pipeline.runUntilTerminal([id]);
        const m = (await pipeline.status(id))!;
        if (m.status === 'SUCCEEDED') row.succeeded++;
        if (m.metrics.target_unavailable_seconds !== undefined) row.downtimeSeconds.push(m.metrics.target_unavailable_seconds);
        if (m.metrics.total_duration_seconds !== undefined) row.totalSeconds.push(m.metrics.total_duration_seconds);
      }
    } finally {
      await pipeline.close();
    }
    rows.push(row);
  }
  return rows;
}

const median = (xs: number[]) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const minutes = (s: number) => (Number.isNaN(s) ? '–' : `${(s / 60).toFixed(1)} min`);

/** The report's table: median and worst downtime, median total, per combination. */
export function downtimeMarkdown(rows: DowntimeRow[]): string {
  const lines = [
    '| strategy | source | restores (succeeded) | target name serves no database: median (max) | total: median |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.strategy} | ${r.source} | ${r.restores} (${r.succeeded}) | ${minutes(median(r.downtimeSeconds))} (${minutes(Math.max(...r.downtimeSeconds))}) | ${minutes(median(r.totalSeconds))} |`,
    ),
  ];
  return lines.join('\n');
}

export const downtimeJson = (rows: DowntimeRow[]) =>
  rows.map((r) => ({ strategy: r.strategy, source: r.source, restores: r.restores, succeeded: r.succeeded, downtimeMedianSeconds: median(r.downtimeSeconds), downtimeMaxSeconds: Math.max(...r.downtimeSeconds), totalMedianSeconds: median(r.totalSeconds) }));
