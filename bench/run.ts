/**
 * `npm run bench`: the choreography against a polling baseline of the seed's Step Functions design,
 * side by side in one run, on the same simulated RDS and virtual clock, and the CLI's own latency. Writes
 * bench.md, bench.json and bench-*.svg into --out (default .aurora-restore/reports, outside the tracked
 * reports/: `--out reports` refreshes the committed report deliberately).
 *
 * Options: --restores N (per-restore sample, default 30) · --fleet 10,100,1000 (the sizes under the tight
 * 10/s limit; the AWS-default limit runs the sizes up to 100) · --nightly TARGETSxNIGHTS (default 6x6) ·
 * --rds-event-latency-max S (default 60) · --quick (small sizes, for a smoke run) · --out DIR
 *
 * The headline (reports/bench.json `headline`, the goals table at the top of bench.md) is computed from
 * the runs of this same invocation: bench/headline.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SUBSCRIPTIONS } from '../src/events/subscriptions';
import { measureBundles, type BundleFigure } from './bundles';
import { measureDowntime } from './downtime';
import { profile, type CpuBreakdown } from './cpu';
import { baselineFleet, baselineSequential, choreographyFleet, choreographySequential, type DesignRun } from './designs';
import { renderReport, type BenchResult, type FleetResult } from './report';
import { drawDurations, drawNightly } from './scenario';
import { goalsOf, headlineOf } from './headline';
import { seededRandom } from '../src/lib/local/faults';
import { cliLatencyMarkdown, measureCliLatency, withCliSection } from './cli';

const { values } = parseArgs({
  options: {
    restores: { type: 'string', default: '30' },
    fleet: { type: 'string', default: '10,100,1000' },
    'rds-event-latency-max': { type: 'string', default: '60' },
    'throughput-restores': { type: 'string', default: '100' },
    'bundle-runs': { type: 'string', default: '3' },
    nightly: { type: 'string', default: '6x6' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: '.aurora-restore/reports' },
  },
});

const quick = values.quick;
const restores = quick ? 3 : Number(values.restores);
const fleetSizes = (quick ? '10' : values.fleet!).split(',').map(Number);
const latencyMax = Number(values['rds-event-latency-max']);
const throughputRestores = quick ? 10 : Number(values['throughput-restores']);
const bundleRuns = quick ? 1 : Number(values['bundle-runs']);
const [nightlyTargets, nightlyNights] = (quick ? '2x2' : values.nightly!).split('x').map(Number);
const outDir = resolve(values.out!);
const POLLS = [30, 60];
const SEED = 1;
/** The headline's fleet runs at the tight limit (issue: "1,000 restores at 10 calls/s"); the default limit stops at 100 to keep the bench within 5 minutes. */
const ALL_RATE_LIMITS = [
  { name: 'AWS default (12/s, burst 300)', perSecond: 12, burst: 300, maxRestores: 100 },
  { name: 'tight (10/s, burst 20)', perSecond: 10, burst: 20, maxRestores: Infinity },
];
const HEADLINE_LIMIT = ALL_RATE_LIMITS[1];
/** --quick: the headline's limit only. */
const RATE_LIMITS = quick ? [HEADLINE_LIMIT] : ALL_RATE_LIMITS;

const benchStart = performance.now();
const log = (m: string) => process.stderr.write(`[bench ${((performance.now() - benchStart) / 1000).toFixed(1)}s] ${m}\n`);

// 1-2. Per-restore figures: restores one after another, each with its own RDS durations and start phase.
const durations = drawDurations(restores, 7);
const phase = seededRandom(11);
const offsetsSeconds = durations.map(() => Math.floor(phase() * 600) / 10);
const sequential = { durations, offsetsSeconds, rdsEventLatencyMaxSeconds: latencyMax, seed: SEED };

log(`per-restore: ${restores} restores, choreography (RDS event latency 0–${latencyMax} s)`);
const perRestore: DesignRun[] = [await choreographySequential(sequential)];
for (const pollSeconds of POLLS) {
  log(`per-restore: baseline polling every ${pollSeconds} s`);
  perRestore.push(await baselineSequential({ ...sequential, pollSeconds }));
}

// Sensitivity of the event-driven waits to RDS event delivery latency.
const sensitivity: { latencyMaxSeconds: number; run: DesignRun }[] = [];
for (const l of quick ? [0] : [0, 10, 300]) {
  if (l === latencyMax) continue;
  log(`sensitivity: RDS event latency 0–${l} s`);
  sensitivity.push({ latencyMaxSeconds: l, run: await choreographySequential({ ...sequential, rdsEventLatencyMaxSeconds: l }) });
}
sensitivity.push({ latencyMaxSeconds: latencyMax, run: perRestore[0] });

// The nightly scenario: the same targets refreshed night after night, each night's RDS durations ±10 % of
// the target's own. The first night has no history to predict from: the nightly figures count nights 2+.
const nightly = drawNightly(nightlyTargets, nightlyNights);
const nightlyOptions = { durations: nightly.durations, pairs: nightly.pairs, offsetsSeconds: nightly.durations.map(() => Math.floor(phase() * 600) / 10), rdsEventLatencyMaxSeconds: latencyMax, seed: SEED };
log(`nightly: ${nightlyTargets} targets × ${nightlyNights} nights, choreography and polling every 30 s`);
const fromNight2 = (run: DesignRun): DesignRun => ({ ...run, samples: run.samples.filter((s) => nightly.nights[s.index]! >= 1) });
const nightlyAll = [await choreographySequential(nightlyOptions), await baselineSequential({ ...nightlyOptions, pollSeconds: 30 })];
const nightlyRuns = nightlyAll.map(fromNight2);
sensitivity.sort((a, b) => a.latencyMaxSeconds - b.latencyMaxSeconds);

// 3. Runtime cost: a batch of concurrent restores without throttling, timed, then again under the profiler.
log(`throughput: ${throughputRestores} concurrent restores`);
const throughput = await choreographyFleet({ restores: throughputRestores, rdsEventLatencyMaxSeconds: latencyMax, seed: SEED });
const profiled = quick ? 3 : Math.min(50, throughputRestores);
log(`profile: ${profiled} concurrent restores under the V8 sampling profiler`);
let breakdown: CpuBreakdown | undefined;
const profiledRun = await choreographyFleet({
  restores: profiled,
  rdsEventLatencyMaxSeconds: latencyMax,
  seed: SEED,
  around: async (run) => {
    breakdown = (await profile(run)).breakdown;
  },
});

// 4. Fleet under the account's RDS API rate limit.
const fleets: FleetResult[] = [];
for (const limit of RATE_LIMITS) {
  for (const n of fleetSizes.filter((size) => size <= limit.maxRestores)) {
    const rateLimit = { perSecond: limit.perSecond, burst: limit.burst };
    log(`fleet ${n} × ${limit.name}: choreography`);
    const runs = [await choreographyFleet({ restores: n, rateLimit, rdsEventLatencyMaxSeconds: latencyMax, seed: SEED })];
    // Polling every 60 s adds nothing to the comparison at 1,000 that 30 s does not show; it costs a minute of bench.
    for (const pollSeconds of n >= 1000 ? [30] : POLLS) runs.push(await baselineFleet({ restores: n, rateLimit, rdsEventLatencyMaxSeconds: latencyMax, seed: SEED, pollSeconds }));
    fleets.push({ restores: n, rateLimit: limit, runs });
  }
}

// 5. Downtime per strategy and source.
log('downtime: replace and swap, from a snapshot, a clone and a point in time');
const downtime = await measureDowntime(durations.slice(0, quick ? 1 : 3));

// 6. Handler bundles.
log('bundles: esbuild + cold imports');
const bundles: BundleFigure[] = await measureBundles({ root: process.cwd(), runs: bundleRuns });

const headlineFleet = fleets.find((f) => f.rateLimit.perSecond === HEADLINE_LIMIT.perSecond && f.restores === Math.max(...fleetSizes))!;
const headline = headlineOf({
  random: { choreography: perRestore[0], polling30: perRestore[1] },
  nightly: { choreography: nightlyRuns[0], polling30: nightlyRuns[1] },
  fleet: { choreography: headlineFleet.runs[0], perSecond: HEADLINE_LIMIT.perSecond },
  bundles,
});

const result: BenchResult = {
  generatedAt: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  options: { restores, fleetSizes, rdsEventLatencyMaxSeconds: latencyMax, polls: POLLS, seed: SEED, throughputRestores, quick, nightly: { targets: nightlyTargets, nights: nightlyNights } },
  headline,
  goals: goalsOf(headline),
  nightly: { all: nightlyAll, fromNight2: nightlyRuns },
  durations,
  perRestore,
  sensitivity,
  throughput,
  profile: breakdown!,
  profiledRestores: profiledRun.samples.length,
  fleets,
  bundles,
  polledQueues: SUBSCRIPTIONS.length * 2,
  downtime,
  benchSeconds: 0,
};
result.benchSeconds = (performance.now() - benchStart) / 1000;

mkdirSync(outDir, { recursive: true });
const { markdown, svgs, json } = renderReport(result);
// --quick leaves the CLI's latency out (it starts the CLI a few dozen times).
if (!quick) log('CLI latency');
const cliLatency = quick ? undefined : await measureCliLatency({ runs: 5 });
for (const [name, svg] of Object.entries(svgs)) writeFileSync(join(outDir, name), svg);
writeFileSync(join(outDir, 'bench.md'), cliLatency ? withCliSection(markdown, cliLatencyMarkdown(cliLatency)) : markdown);
writeFileSync(join(outDir, 'bench.json'), `${JSON.stringify({ ...(json as object), cliLatency }, null, 1)}\n`);
log(`wrote ${join(outDir, 'bench.md')}, bench.json and ${Object.keys(svgs).length} SVGs in ${result.benchSeconds.toFixed(0)} s`);
