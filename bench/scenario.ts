/**
 * The benchmark's world: N independent source/target pairs, each a cross-region restore of an
 * automated snapshot over an existing, pipeline-managed target cluster (so every restore does the
 * whole RDS work: describe, copy, wait, delete instance + cluster, wait, restore + writer, wait,
 * rotate the password, delete the copy). Built in code through parseScenario, so it is validated
 * exactly like a scenario file.
 */
import { parseScenario, type Durations, type Scenario } from '../src/lib/local/scenario';
import { seededRandom } from '../src/lib/local/faults';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../src/lib/tags';

export const SOURCE_REGION = 'us-east-1';
export const TARGET_REGION = 'us-west-2';
export const CLOCK_START = '2026-11-24T02:00:00Z';

const pad = (i: number) => String(i).padStart(4, '0');
export const sourceClusterOf = (i: number) => `bench-src-${pad(i)}`;
export const targetClusterOf = (i: number) => `bench-tgt-${pad(i)}`;

export interface BenchScenarioOptions {
  pairs: number;
  durations?: Partial<Durations>;
  /** RDS events reach the pipeline bus a uniform random 0..max seconds after the transition. */
  rdsEventLatencyMaxSeconds?: number;
}

export function benchScenario(options: BenchScenarioOptions): Scenario {
  const sources = [];
  const targets = [];
  for (let i = 0; i < options.pairs; i++) {
    sources.push({
      id: sourceClusterOf(i),
      engine: 'aurora-postgresql',
      instances: [{ id: `${sourceClusterOf(i)}-writer` }],
      automatedSnapshots: { days: 1, hourUtc: 0, minuteUtc: 5 },
    });
    targets.push({
      id: targetClusterOf(i),
      engine: 'aurora-postgresql',
      tags: { [MANAGED_BY_TAG]: MANAGED_BY_VALUE },
      instances: [{ id: `${targetClusterOf(i)}-writer` }],
    });
  }
  return parseScenario({
    account: '123456789012',
    clockStart: CLOCK_START,
    regions: {
      [SOURCE_REGION]: { kmsKeys: ['arn:aws:kms:us-east-1:123456789012:key/bench-source-key'], clusters: sources },
      [TARGET_REGION]: { kmsKeys: ['arn:aws:kms:us-west-2:123456789012:key/bench-target-key'], clusters: targets },
    },
    durations: options.durations ?? {},
    faults: { eventLateMaxSeconds: options.rdsEventLatencyMaxSeconds ?? 0 },
  });
}

/** The restore request for pair i (the same for both designs). */
export function requestFor(i: number) {
  return {
    sourceClusterId: sourceClusterOf(i),
    sourceRegion: SOURCE_REGION,
    targetRegion: TARGET_REGION,
    targetClusterId: targetClusterOf(i),
    deleteExisting: true,
    skipFinalSnapshot: true,
    instanceClass: 'db.r6g.large',
    subnetGroup: 'bench-db-subnets',
    securityGroupIds: ['sg-0a1b2c3d'],
  };
}

/**
 * Per-restore RDS lifecycle durations (minutes), drawn from a seeded generator so both designs see
 * the same sequence. Real durations vary with data size; fixed whole-minute durations would line up
 * with a poller's ticks and make its latency look like 0 (or always the worst case).
 */
export function drawDurations(count: number, seed = 7): Durations[] {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => Math.round((lo + random() * (hi - lo)) * 600) / 600; // 0.1 s steps
  return Array.from({ length: count }, () => ({
    copyMinutes: between(8, 20),
    restoreClusterMinutes: between(10, 20),
    createInstanceMinutes: between(8, 14),
    deleteInstanceMinutes: between(4, 8),
    deleteClusterMinutes: between(2, 6),
    renameMinutes: between(0.5, 2),
    cloneMinutes: between(3, 8),
    pointInTimeMinutes: between(15, 30),
  }));
}

/**
 * The nightly scenario: `targets` pairs refreshed one after another, night after night. Each target's RDS
 * durations are drawn once (as drawDurations) and vary ±10 % (uniform) from night to night, as they do
 * for the same data size. Returns the durations and the pair of every restore, night by night.
 */
export function drawNightly(targets: number, nights: number, seed = 17): { durations: Durations[]; pairs: number[]; nights: number[] } {
  const base = drawDurations(targets, seed);
  const random = seededRandom(seed + 1);
  const jitter = (v: number) => Math.round(v * (0.9 + random() * 0.2) * 600) / 600;
  const durations: Durations[] = [];
  const pairs: number[] = [];
  const nightOf: number[] = [];
  for (let n = 0; n < nights; n++) {
    for (let t = 0; t < targets; t++) {
      durations.push(Object.fromEntries(Object.entries(base[t]!).map(([k, v]) => [k, jitter(v)])) as unknown as Durations);
      pairs.push(t);
      nightOf.push(n);
    }
  }
  return { durations, pairs, nights: nightOf };
}

/**
 * The least a restore can take: every wait ends the moment RDS is done. Sequential: RDS creates the
 * writer only once the restored cluster is available ("You can create DB instances only after the
 * RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available").
 */
export function rdsFloorMs(d: Durations): number {
  return (d.copyMinutes + d.deleteInstanceMinutes + d.deleteClusterMinutes + d.restoreClusterMinutes + d.createInstanceMinutes) * 60_000;
}
