/**
 * Turns the measurements into reports/bench.md (one headline table with the ratios, then the method,
 * the details and the caveats), reports/bench.json and the SVG plots.
 */
import { downtimeJson, downtimeMarkdown, type DowntimeRow } from './downtime';
import { RDS_ACTIONS } from '../src/lib/local/rds';
import type { Durations } from '../src/lib/local/scenario';
import { bundleSummary, type BundleFigure } from './bundles';
import type { CpuBreakdown } from './cpu';
import type { Goal, Headline } from './headline';
import { NIGHTLY_SPREAD } from '../src/lib/history';
import { WINDOW_CHECK_SECONDS } from '../src/lib/steps/phase-wait';
import { REACTIONS, type DesignRun, type Reaction } from './designs';
import { PRICES, baselineCost, choreographyCost, DEFAULT_ASSUMPTIONS, idlePollingUsdPerMonth, sqsRequestsOf, totalUsd, type CostLine } from './pricing';
import { summarize, type Summary } from './stats';
import { barChart, cdf, stepChart } from './svg';

export interface FleetResult {
  restores: number;
  rateLimit: { name: string; perSecond: number; burst: number };
  runs: DesignRun[];
}

export interface BenchResult {
  generatedAt: string;
  node: string;
  platform: string;
  options: { restores: number; fleetSizes: number[]; rdsEventLatencyMaxSeconds: number; polls: number[]; seed: number; throughputRestores: number; quick: boolean; nightly: { targets: number; nights: number } };
  /** The issue's headline figures, all from this run (bench/headline.ts). */
  headline: Headline;
  goals: Goal[];
  /** The nightly scenario (choreography, then polling every 30 s): every night (counts) and nights 2+ (times; the samples only, counters are of the whole run). */
  nightly: { all: DesignRun[]; fromNight2: DesignRun[] };
  durations: Durations[];
  perRestore: DesignRun[];
  sensitivity: { latencyMaxSeconds: number; run: DesignRun }[];
  throughput: DesignRun;
  profile: CpuBreakdown;
  profiledRestores: number;
  fleets: FleetResult[];
  bundles: BundleFigure[];
  polledQueues: number;
  /** Per strategy and source: how long the target's name serves no database, and the total time. */
  downtime: DowntimeRow[];
  benchSeconds: number;
}

const LABEL: Record<string, string> = { choreography: 'Choreography (this)', 'baseline-30s': 'Baseline, polls 30 s', 'baseline-60s': 'Baseline, polls 60 s' };
const label = (d: string) => LABEL[d] ?? d;
const DESCRIBE = RDS_ACTIONS.filter((a) => a.startsWith('Describe'));

function num(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(2);
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
const usd = (v: number) => (v === 0 ? '$0' : v < 0.01 ? `$${v.toFixed(6)}` : v < 1 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`);
const ratio = (a?: number, b?: number) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) ? '–' : b === 0 ? (a === 0 ? '1×' : 'n/a') : `${num(a / b, 2)}×`);

/** Per-restore figures of one design run. */
export function figures(run: DesignRun) {
  const n = run.samples.length;
  const c = run.counters;
  const per = (v: number | undefined) => (v ?? 0) / n;
  const reactions = Object.fromEntries(
    REACTIONS.map(({ key }) => [key, summarize(run.samples.map((s) => s.reactions[key]).filter((v): v is number => v !== undefined).map((ms) => ms / 1000))]),
  ) as Record<Reaction, Summary | undefined>;
  const done = run.samples.filter((s) => s.endMs !== undefined);
  const added = summarize(done.filter((s) => s.floorMs !== undefined).map((s) => (s.endMs! - s.startMs - s.floorMs!) / 1000));
  const total = summarize(done.map((s) => (s.endMs! - s.startMs) / 60_000));
  const calls = Object.fromEntries(RDS_ACTIONS.map((a) => [a, per(c.rdsCalls[a])])) as Record<string, number>;
  const describe = DESCRIBE.reduce((t, a) => t + calls[a], 0);
  const allCalls = RDS_ACTIONS.reduce((t, a) => t + calls[a], 0);
  const isChoreo = run.design === 'choreography';
  const domainEvents = Object.values(c.domainEvents ?? {}).reduce((t, x) => t + x, 0);
  const cost: CostLine[] = isChoreo ? choreographyCost(c, n) : baselineCost(c, n);
  const stateTable = Object.entries(c.dynamo?.writesByTable ?? {}).find(([t]) => !t.endsWith('-audit'))?.[1];
  const auditTable = Object.entries(c.dynamo?.writesByTable ?? {}).find(([t]) => t.endsWith('-audit'))?.[1];
  return {
    n,
    reactions,
    added,
    total,
    calls,
    describe,
    mutating: allCalls - describe,
    allCalls,
    lambda: per(c.lambdaInvocations),
    domainEvents: isChoreo ? domainEvents / n : 0,
    recheckEvents: isChoreo ? per(c.domainEvents?.RecheckDue) : 0,
    rdsEvents: isChoreo ? per(c.rdsEventsDelivered) : 0,
    schedulerInvocations: isChoreo ? per(c.schedulesFired) : 0,
    sqsMessages: isChoreo ? per(c.sqsMessages) : 0,
    sqsRequests: isChoreo ? sqsRequestsOf(c) / n : 0,
    transitions: per(c.stateTransitions),
    stateWrites: isChoreo ? (stateTable ?? 0) / n : per(c.lambdaInvocations),
    auditWrites: isChoreo ? (auditTable ?? 0) / n : per(c.lambdaInvocations),
    wru: isChoreo ? per(c.dynamo?.writeUnits) : 2 * per(c.lambdaInvocations),
    rru: isChoreo ? per(c.dynamo?.readUnits) : 0.5 * per(c.lambdaInvocations),
    cost,
    costTotal: totalUsd(cost),
    throttled: per(c.throttled),
  };
}

function fleetFigures(run: DesignRun) {
  const statuses: Record<string, number> = {};
  const failures: Record<string, number> = {};
  for (const s of run.samples) {
    statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    if (s.failure) failures[s.failure] = (failures[s.failure] ?? 0) + 1;
  }
  const ended = run.samples.filter((s) => s.endMs !== undefined).map((s) => (s.endMs! - s.startMs) / 60_000);
  const succeededAt = run.samples.filter((s) => s.status === 'SUCCEEDED').map((s) => (s.endMs! - s.startMs) / 60_000);
  const allCalls = Object.values(run.counters.rdsCalls).reduce((t, x) => t + x, 0);
  return {
    statuses,
    failures,
    allTerminal: run.samples.every((s) => ['SUCCEEDED', 'FAILED', 'TIMED_OUT'].includes(s.status)),
    completionMinutes: ended.length ? Math.max(...ended) : undefined,
    succeeded: statuses.SUCCEEDED ?? 0,
    succeededAt: succeededAt.sort((a, b) => a - b),
    p50Minutes: summarize(succeededAt)?.p50,
    throttled: run.counters.throttled,
    retries: run.counters.retries,
    allCalls,
    wallSeconds: run.wallMs / 1000,
  };
}

function mdTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderReport(r: BenchResult): { markdown: string; svgs: Record<string, string>; json: unknown } {
  const [choreo, ...baselines] = r.perRestore;
  const F = r.perRestore.map(figures);
  const [fc, ...fb] = F;
  const cols = ['Metric', ...r.perRestore.map((x) => label(x.design)), ...baselines.map((b) => `this / ${b.design.replace('baseline-', 'baseline ')}`)];
  const rows: string[][] = [];
  const row = (name: string, pick: (f: ReturnType<typeof figures>) => number | undefined, digits = 1) =>
    rows.push([name, ...F.map((f) => num(pick(f), digits)), ...fb.map((b) => ratio(pick(fc), pick(b)))]);
  const section = (name: string) => rows.push([`**${name}**`, ...F.map(() => ''), ...fb.map(() => '')]);

  section('Reaction after RDS finishes (seconds; lower is better)');
  for (const { key, label: l } of REACTIONS) {
    row(`${l}: mean`, (f) => f.reactions[key]?.mean);
    row(`${l}: p50`, (f) => f.reactions[key]?.p50);
    row(`${l}: p99`, (f) => f.reactions[key]?.p99);
  }
  section('Restore time');
  row('added time over the RDS floor, mean (s)', (f) => f.added?.mean);
  row('added time over the RDS floor, p50 (s)', (f) => f.added?.p50);
  row('added time over the RDS floor, p99 (s)', (f) => f.added?.p99);
  row('request → terminal, mean (min)', (f) => f.total?.mean);
  section('RDS API calls per restore (throttled per account)');
  row('all RDS calls', (f) => f.allCalls);
  row('Describe* calls', (f) => f.describe);
  row('mutating calls', (f) => f.mutating);
  for (const a of RDS_ACTIONS) row(`· ${a}`, (f) => f.calls[a]);
  section('Work per restore');
  row('Lambda invocations', (f) => f.lambda);
  row('Step Functions state transitions', (f) => f.transitions);
  row('domain events put on the bus (incl. RecheckDue)', (f) => f.domainEvents);
  row('· of which RecheckDue (Scheduler)', (f) => f.recheckEvents);
  row('Scheduler invocations', (f) => f.schedulerInvocations);
  row('RDS events delivered to the pipeline', (f) => f.rdsEvents);
  row('SQS messages', (f) => f.sqsMessages);
  row('SQS requests (send + receive + delete)', (f) => f.sqsRequests);
  row('DynamoDB writes, state table', (f) => f.stateWrites);
  row('DynamoDB writes, audit table', (f) => f.auditWrites);
  row('DynamoDB write request units', (f) => f.wru);
  row('DynamoDB read request units', (f) => f.rru);
  section('Estimated AWS cost, USD per 1,000 restores (us-east-1, no free tier; per restore = ÷ 1,000)');
  row('total', (f) => f.costTotal * 1000, 4);
  const costItems = [...new Set(F.flatMap((f) => f.cost.map((l) => l.item)))];
  for (const item of costItems) row(`· ${item}`, (f) => (f.cost.find((l) => l.item === item)?.usd ?? 0) * 1000, 4);

  // Fleet headline: the largest fleet under each rate limit.
  const biggest = Math.max(...r.fleets.map((f) => f.restores));
  for (const fleet of r.fleets.filter((f) => f.restores === biggest)) {
    const ff = fleet.runs.map(fleetFigures);
    section(`Fleet of ${biggest} concurrent restores, RDS API ${fleet.rateLimit.name}`);
    const frow = (name: string, pick: (f: ReturnType<typeof fleetFigures>) => number | undefined, digits = 1) =>
      rows.push([name, ...ff.map((f) => num(pick(f), digits)), ...ff.slice(1).map((b) => ratio(pick(ff[0]), pick(b)))]);
    frow('restores succeeded', (f) => f.succeeded, 0);
    frow('time until the last restore ended (min)', (f) => f.completionMinutes);
    frow('throttling errors (RDS answered Throttling)', (f) => f.throttled, 0);
    frow('RDS calls, all restores', (f) => f.allCalls, 0);
  }

  const headline = mdTable(cols, rows);
  const svgs = renderSvgs(r);
  const markdown = [
    '# Choreography vs. the seed\'s polling design — benchmark',
    '',
    `Generated by \`npm run bench\` on ${r.generatedAt} (Node ${r.node}, ${r.platform}); the whole run took ${num(r.benchSeconds, 0)} s.`,
    `Both designs drive the same simulated Aurora control plane (\`SimulatedRds\`) on a virtual clock, with the same RDS lifecycle durations, in one process. ` +
      `Per-restore figures come from ${r.options.restores} cross-region restores over an existing managed cluster (copy, delete instance + cluster, restore + writer, password rotation, copy deleted), run one after another, each with its own RDS durations drawn at random (seed 7) and a random 0–60 s start phase. ` +
      `RDS events reach the choreography 0–${r.options.rdsEventLatencyMaxSeconds} s (uniform) after the transition; the polling baseline subscribes to none.`,
    '',
    goalsSection(r),
    '',
    '## Per restore, side by side',
    '',
    'Ratios are this / baseline: below 1× the choreography needs less (or is faster).',
    '',
    headline,
    '',
    '![RDS API calls per restore](bench-rds-calls.svg)',
    '',
    ...REACTIONS.filter((x) => x.key !== 'instancesGone').map((x) => `![${x.label}](bench-latency-${x.key}.svg)`),
    '',
    ...r.fleets.filter((f) => f.restores === biggest).map((f, i) => `![Fleet of ${biggest}, ${f.rateLimit.name}](bench-fleet-${i}.svg)`),
    '',
    readingNotes(r, fc, fb),
    '',
    downtimeSection(r),
    '',
    nightlySection(r),
    '',
    methodSection(r),
    '',
    sensitivitySection(r),
    '',
    runtimeSection(r),
    '',
    fleetSection(r),
    '',
    bundleSection(r.bundles),
    '',
    pricesSection(r),
    '',
  ].join('\n');

  const { headline: h, goals, ...rest } = r;
  const json = {
    headline: h,
    goals,
    ...rest,
    nightly: Object.fromEntries(Object.entries(r.nightly).map(([k, runs]) => [k, runs.map((run) => ({ design: run.design, restores: run.samples.length, figures: figures(run) }))])),
    perRestore: r.perRestore.map((run) => ({ ...run, figures: figures(run) })),
    sensitivity: r.sensitivity.map((s) => ({ latencyMaxSeconds: s.latencyMaxSeconds, figures: figures(s.run) })),
    throughput: { ...r.throughput, samples: undefined, restores: r.throughput.samples.length },
    fleets: r.fleets.map((f) => ({ ...f, runs: f.runs.map((run) => ({ design: run.design, counters: run.counters, wallMs: run.wallMs, cpuMs: run.cpuMs, virtualMs: run.virtualMs, figures: fleetFigures(run) })) })),
    downtime: downtimeJson(r.downtime),
    prices: PRICES,
    assumptions: DEFAULT_ASSUMPTIONS,
  };
  void choreo;
  return { markdown, svgs, json };
}

/** The fleet run of the headline (the choreography's, at the headline's limit and size). */
const headlineFleetRun = (r: BenchResult) =>
  r.fleets.find((f) => f.rateLimit.perSecond === r.headline.fleet.perSecond && f.restores === r.headline.fleet.restores)?.runs[0];

/** The goals of the issue, each with its figure from this run and, where it is not met, why. */
function goalsSection(r: BenchResult): string {
  const why = (g: Goal) => (g.met ? '' : (GOAL_NOTES[g.name]?.(r) ?? ''));
  return [
    '## Goals',
    '',
    'Each figure is measured in this run (`headline` in bench.json). Where a goal is not met, the last column says why and what would meet it.',
    '',
    `The whole bench took ${num(r.benchSeconds / 60, 1)} minutes (goal ≤ 5 on 2 cores: ${r.benchSeconds <= 300 ? 'met' : '**not met**'}): the fleet of ${num(r.headline.fleet.restores, 0)} alone took ${num((headlineFleetRun(r)?.wallMs ?? NaN) / 60_000, 1)} minutes of one core (every RDS call of every restore through dynalite, the budget's writes included). \`npm run bench -- --fleet 10,100\` stays within 5 minutes; \`--quick\` is the smoke run.`,
    '',
    mdTable(['goal', 'target', 'measured', 'met', 'why not / what would meet it'], r.goals.map((g) => [`\`${g.name}\``, g.goal, num(g.value, 3), g.met ? 'yes' : '**no**', why(g)])),
  ].join('\n');
}

const GOAL_NOTES: Record<string, (r: BenchResult) => string> = {
  'addedTimeRatio.random': (r) => {
    const [c, p] = [figures(r.perRestore[0]), figures(r.perRestore[1])];
    const fast = r.sensitivity.find((s) => s.latencyMaxSeconds <= 10);
    return `Four of the five waits end on an RDS event, modelled 0–${r.options.rdsEventLatencyMaxSeconds} s late (mean ${r.options.rdsEventLatencyMaxSeconds / 2} s each); 30-second polling waits 15 s on average per wait. With durations drawn at random there is no history to check earlier. Added ${num(c.added?.mean, 0)} s vs ${num(p.added?.mean, 0)} s.` +
      (fast ? ` With events 0–${fast.latencyMaxSeconds} s late it is ${num(figures(fast.run).added?.mean, 0)} s (${ratio(figures(fast.run).added?.mean, p.added?.mean)}): prompt events would meet it; polling faster would cost the calls goal.` : '');
  },
  'addedTimeRatio.nightly': (r) => `Nights 2+ check every ${WINDOW_CHECK_SECONDS} s inside each phase's expected window (the target's history ± ${NIGHTLY_SPREAD * 100} %); outside it the RDS event (0–${r.options.rdsEventLatencyMaxSeconds} s late) decides. Checking more often inside the window would meet it at more calls.`,
  rdsCallsRatio: (r) => `Calls per restore: ${num(figures(r.perRestore[0]).allCalls)} vs ${num(figures(r.perRestore[1]).allCalls)}.`,
  bundleMaxBytes: (r) => {
    const s = bundleSummary(r.bundles);
    return `The AWS SDK clients a handler uses are most of its bundle; with the SDK left to the Lambda runtime (which ships SDK v3) the largest is ${num(s.runtimeSdk.maxBytes, 0)} bytes. The deployment keeps bundling the SDK so the tested versions are the ones that run.`;
  },
  coldImportMaxMs: (r) => `Slowest cold import ${num(bundleSummary(r.bundles).deployed.maxImportMs, 0)} ms on this machine (${num(bundleSummary(r.bundles).runtimeSdk.maxImportMs, 0)} ms with the runtime's SDK); most of it is the SDK client's module graph.`,
  'fleet.throttledShare': (r) => {
    const f = headlineFleetRun(r);
    const at100 = r.fleets.find((x) => x.rateLimit.perSecond === r.headline.fleet.perSecond && x.restores === 100);
    return `${num(f?.counters.throttled, 0)} of ${num(f ? fleetFigures(f).allCalls : NaN, 0)} calls throttled. Every RDS call first takes a permit of the shared budget (RDS_CALLS_PER_SECOND, here 90 % of the limit: one conditional write on one DynamoDB item)` +
      (at100 ? `; at 100 restores that leaves ${num(at100.runs[0]!.counters.throttled, 0)} throttled calls` : '') +
      '. At 1,000 the cause of the rest is not established (a hypothesis: calls reaching RDS later than their permit, bunched after in-process waits, against a burst of 20). What would meet it: taking the permit with no await between it and the call, or a budget a little further under the limit.';
  },
  'fleet.endVsBound': (r) => {
    const f = headlineFleetRun(r);
    const perRestore = f ? fleetFigures(f).allCalls / f.samples.length : NaN;
    return `Calls per restore grow under load: ${num(perRestore, 1)} in this fleet against ${num(figures(r.perRestore[0]!).allCalls, 1)} one at a time (checks refused by the budget come back as more checks), and the bound counts the calls at the full limit while the budget runs at 90 % of it (alone ≈ 1.11). What would meet it: checks that a refusal defers rather than repeats, and a budget at the limit once throttling is rare.`;
  },
  'fleet.succeeded': () => 'Some restores of the fleet did not succeed: see the fleet section.',
};

function nightlySection(r: BenchResult): string {
  if (!r.nightly.all.length) return '';
  const [c, p] = r.nightly.fromNight2.map(figures);
  const [ca, pa] = r.nightly.all.map(figures);
  return [
    '## Nightly: the same targets, night after night',
    '',
    `${r.options.nightly.targets} targets refreshed on ${r.options.nightly.nights} nights; each night a target's RDS durations are its own ±10 % (seed 17). ` +
      `The choreography records each phase's duration per target (the state table) and checks every ${WINDOW_CHECK_SECONDS} s inside the window where the phase is expected to end (median ± ${NIGHTLY_SPREAD * 100} %, widened to every recorded night); the first night has no history, so the times count nights 2 to ${r.options.nightly.nights} (${c.n} restores per design), the RDS calls every night.`,
    '',
    mdTable(
      ['', label('choreography'), label('baseline-30s'), 'this / baseline'],
      [
        ['added time over the RDS floor, mean (s)', num(c.added?.mean), num(p.added?.mean), ratio(c.added?.mean, p.added?.mean)],
        ['added time, p50 (s)', num(c.added?.p50), num(p.added?.p50), ratio(c.added?.p50, p.added?.p50)],
        ['added time, p99 (s)', num(c.added?.p99), num(p.added?.p99), ratio(c.added?.p99, p.added?.p99)],
        ['RDS calls per restore (every night)', num(ca.allCalls), num(pa.allCalls), ratio(ca.allCalls, pa.allCalls)],
        ...REACTIONS.map(({ key, label: l }) => [`${l}: p50 (s)`, num(c.reactions[key]?.p50), num(p.reactions[key]?.p50), ratio(c.reactions[key]?.p50, p.reactions[key]?.p50)]),
      ],
    ),
  ].join('\n');
}

function readingNotes(r: BenchResult, fc: ReturnType<typeof figures>, fb: ReturnType<typeof figures>[]): string {
  const b30 = fb[0];
  const lines = [
    '### Reading the headline',
    '',
    `- **RDS API calls:** ${num(fc.allCalls)} per restore against ${num(b30.allCalls)} for 30-second polling (${ratio(fc.allCalls, b30.allCalls)}); Describe calls ${num(fc.describe)} vs ${num(b30.describe)}. ` +
      'The choreography checks the copy (RDS emits no event for it) when its PercentProgress predicts the end, not on a fixed grid; the delete and restore waits are woken by RDS events, with a 15-minute safety net (and, from the second night of a target, checks inside the window its history predicts: see Nightly).',
    `- **Reaction latency** (added time over the RDS floor, mean): ${num(fc.added?.mean, 0)} s for the choreography vs ${num(b30.added?.mean, 0)} s polling every 30 s and ${num(fb[1]?.added?.mean, 0)} s every 60 s. ` +
      `Its copy wait is planned from PercentProgress (no RDS event exists), and, with no history to predict from, its delete and restore waits are as quick as RDS events arrive, modelled here 0–${r.options.rdsEventLatencyMaxSeconds} s late. ` +
      `${crossover(r, b30)} So the "reacts as soon as RDS is done" claim holds only as far as RDS events are prompt; what the design reliably buys is far fewer RDS calls` +
      ((fc.added?.mean ?? Infinity) <= (fb[1]?.added?.mean ?? 0) ? ', at a latency no worse than 60-second polling.' : '.'),
    `- **Cost per restore:** ${usd(fc.costTotal)} vs ${usd(b30.costTotal)} (30 s) and ${usd(fb[1]?.costTotal ?? NaN)} (60 s), i.e. ${ratio(fc.costTotal, b30.costTotal)} and ${ratio(fc.costTotal, fb[1]?.costTotal)}: Step Functions bills every Wait/Task/Choice of every poll. ` +
      `The choreography has a fixed cost the baseline has not: Lambda's pollers long-poll its ${r.polledQueues} queues (step queues + DLQs) all the time, about ${usd(idlePollingUsdPerMonth(r.polledQueues).usd)} a month (estimate, see Prices); it breaks even with 30-second polling at about ${num(Math.round(idlePollingUsdPerMonth(r.polledQueues).usd / (b30.costTotal - fc.costTotal) / 10) * 10, 0)} restores a month and with 60-second polling at about ${num(Math.round(idlePollingUsdPerMonth(r.polledQueues).usd / ((fb[1]?.costTotal ?? NaN) - fc.costTotal) / 10) * 10, 0)}. Below that the seed's design is cheaper in dollars (not in RDS calls).`,
    `- **Fleets:** ${fleetNote(r)}`,
  ];
  return lines.join('\n');
}

/** Where the choreography's mean added time crosses 30-second polling, from the sensitivity runs. */
function crossover(r: BenchResult, b30: ReturnType<typeof figures>): string {
  const points = r.sensitivity.map((x) => ({ l: x.latencyMaxSeconds, added: figures(x.run).added?.mean ?? NaN }));
  const faster = points.filter((p) => p.added < (b30.added?.mean ?? 0)).map((p) => p.l);
  const slower = points.filter((p) => p.added >= (b30.added?.mean ?? 0)).map((p) => p.l);
  const best = points[0];
  return `With RDS events delivered ${best.l === 0 ? 'instantly' : `0–${best.l} s late`} the added time is ${num(best.added, 0)} s; ` +
    (faster.length ? `it beats 30-second polling with events up to 0–${Math.max(...faster)} s late` : 'it never beats 30-second polling') +
    (slower.length ? ` and loses from 0–${Math.min(...slower)} s.` : '.');
}

function fleetNote(r: BenchResult): string {
  const parts = r.fleets
    .filter((f) => f.restores === Math.max(...r.fleets.map((x) => x.restores)))
    .map((f) => `${f.rateLimit.name}: ${f.runs.map((run) => `${label(run.design).replace('Baseline, polls', 'polling')} ${fleetFigures(run).succeeded}`).join(', ')} of ${f.restores} succeeded`);
  const largest = r.fleets.filter((f) => f.restores === Math.max(...r.fleets.map((x) => x.restores)));
  const runs = largest.flatMap((f) => f.runs.map((run) => ({ f, run, ff: fleetFigures(run) })));
  const incomplete = runs.some(({ f, ff }) => ff.succeeded < f.restores);
  const choreoBest = largest.every((f) => f.runs.every((run) => fleetFigures(run).succeeded <= fleetFigures(f.runs[0]).succeeded));
  return `${parts.join('; ')}. ` +
    (incomplete
      ? "In the baseline a call still throttled after the seed's retries (3, 6, 12 s) fails its restore; the choreography hands such a message back to SQS (a wait step re-checks later), so its restores end later instead of failing, until maxReceiveCount or the deadline. "
      : '') +
    (choreoBest ? 'The choreography completes at least as many, because it makes a fraction of the calls, every call first takes a permit of the shared RDS call budget (a refused step waits in its queue instead of calling), and it retries the throttled call rather than the whole step. ' : '') +
    (runs.every(({ ff }) => ff.allTerminal) ? 'Every operation ended (succeeded or failed) in every design.' : 'Some operations did not end: see the fleet table.');
}

function methodSection(r: BenchResult): string {
  return [
    '## How each figure was measured',
    '',
    '- **The world.** `bench/scenario.ts` builds N source/target pairs with `parseScenario` (source clusters with a daily automated snapshot in us-east-1; managed target clusters with a writer in us-west-2, encrypted with per-region KMS keys). Each restore copies the newest automated snapshot cross-region, deletes the target (instance, then cluster; no final snapshot), restores the cluster and a writer, rotates the master password and deletes the copy. Both designs run the same requests against a `SimulatedRds` built from the same scenario.',
    `- **RDS durations.** Per restore, uniform draws (minutes): copy 8–20, delete instance 4–8, delete cluster 2–6, restore cluster 10–20, create instance 8–14 (RDS creates the writer only once the restored cluster is available, so the two are sequential). \`SimulatedRds.setDurations\` applies them before each restore, identically for both designs. Fixed whole-minute durations would align with the pollers' ticks and make polling look either free or worst-case.`,
    '- **"RDS finished"** is the lifecycle transition in `SimulatedRds.history` (virtual time): copy `copying → available`; last instance `deleting → gone`; cluster `deleting → gone`; restore = the writer\'s `creating → available` (it is created once the cluster is available). **"Next step started"** is the step record `state.steps[step].started_at` for the choreography (delete-rds, restore-snapshot, setup-db-users) and the time the orchestrator enters the corresponding Task state for the baseline; "DeleteDBCluster issued" is the cluster\'s `→ deleting` transition.',
    '- **RDS floor** = copy + delete instance + delete cluster + max(restore cluster, create instance): the restore time if every wait ended the instant RDS was done. **Added time** = (terminal − request) − floor. Lambda/Step Functions hops take zero virtual time in both designs (on AWS each adds well under a second to both).',
    '- **Counts.** RDS calls by action from `SimulatedRds.calls`; Lambda invocations and SQS messages from `LocalRuntime.stats()`; events from a tap rule on the local bus; Scheduler invocations from `LocalScheduler.firedCount()`; DynamoDB requests and capacity units from an SDK middleware that sets `ReturnConsumedCapacity=TOTAL` (dynalite computes 1 WRU per KB written, the larger of old/new item on updates; a failed conditional write counts 1 WRU). Per-restore counts include the deadline schedule every operation arms (and cancels when it ends) and any re-check still armed when the operation ended, which fires into a no-op invocation. The baseline\'s Step Functions transitions, Lambda tasks and retries are counted by its interpreter.',
    `- **RDS event delivery latency.** AWS documents RDS events as delivered to EventBridge "in near-real time" and "on a best effort basis" (RDS User Guide, *Monitoring Amazon RDS events*; EventBridge reference, delivery type *best effort*) and publishes no latency figure; we found no measurement we could cite either. We model each RDS event as arriving a uniform 0–${r.options.rdsEventLatencyMaxSeconds} s late (mean ${r.options.rdsEventLatencyMaxSeconds / 2} s), a deliberately unflattering choice, and show the sensitivity below. Copy completion has no RDS event: the baseline polls it; the choreography checks first after COPY_RECHECK_SECONDS (150 s) and then when the PercentProgress seen so far predicts the end (src/lib/steps/copy-progress.ts), each re-check a delayed SQS message (to the second; EventBridge Scheduler, one-minute precision, only beyond 15 minutes). The simulator's PercentProgress sits at 0 for 5–35 % of the copy, then moves at an uneven rate in whole percents, drawn per copy (src/lib/local/rds/snapshots.ts) — never tuned to the predictor.`,
    '',
    '### What the baseline does',
    '',
    '`bench/baseline/` is a faithful polling orchestrator of the seed\'s design: a Step Functions state machine (`definition.ts`, Amazon States Language) run by a small interpreter (`orchestrator.ts`) on its own virtual clock. It invokes the ten steps in sequence as Lambda tasks (`tasks.ts`, the same RDS calls as our steps). Each wait is a loop **Wait (30 s or 60 s) → Task check-* → Choice**: check-copy-status calls DescribeDBClusterSnapshots; check-delete-status calls DescribeDBClusters (and DeleteDBCluster once the instances are gone); check-restore-status calls DescribeDBClusters + DescribeDBInstances. Every Task has the seed\'s `Retry` (IntervalSeconds 3, MaxAttempts 3, BackoffRate 2) and a `Catch` to the failure notification; the execution has TimeoutSeconds 7200 (STATE_MACHINE_TIMEOUT_SECONDS). State transitions are counted as Step Functions bills them: one per state entered, one per retry.',
    '',
    '### Reproduce',
    '',
    `\`npm run bench\` (this run: ${num(r.benchSeconds / 60, 1)} minutes on ${r.platform}). Options: \`--restores N\`, \`--fleet 10,100,1000\` (under the tight limit; the AWS-default limit runs the sizes up to 100), \`--nightly TARGETSxNIGHTS\`, \`--rds-event-latency-max S\`, \`--throughput-restores N\`, \`--bundle-runs N\`, \`--quick\`, \`--out DIR\`. Raw figures: \`reports/bench.json\`. Everything is seeded: the same options give the same virtual-time figures (wall-clock figures vary with the machine).`,
  ].join('\n');
}

function sensitivitySection(r: BenchResult): string {
  const rows = r.sensitivity.map(({ latencyMaxSeconds, run }) => {
    const f = figures(run);
    return [
      `0–${latencyMaxSeconds} s`,
      num(f.reactions.instancesGone?.p50),
      num(f.reactions.delete?.p50),
      num(f.reactions.delete?.p99),
      num(f.reactions.restore?.p50),
      num(f.reactions.restore?.p99),
      num(f.added?.mean),
      num(f.allCalls),
    ];
  });
  const base = r.perRestore.slice(1).map((run) => {
    const f = figures(run);
    return [label(run.design), num(f.reactions.instancesGone?.p50), num(f.reactions.delete?.p50), num(f.reactions.delete?.p99), num(f.reactions.restore?.p50), num(f.reactions.restore?.p99), num(f.added?.mean), num(f.allCalls)];
  });
  return [
    '## Sensitivity to RDS event delivery latency',
    '',
    'The same restores with RDS events delivered 0–L seconds late (uniform); the baselines for comparison. Seconds, except RDS calls per restore.',
    '',
    mdTable(['RDS event latency', 'instances gone → DeleteDBCluster p50', 'delete reaction p50', 'delete p99', 'restore reaction p50', 'restore p99', 'added time, mean', 'RDS calls'], [...rows, ...base]),
    '',
    'The safety-net re-check (SAFETY_RECHECK_SECONDS, 900 s) bounds the event-driven waits when events are later than that or lost.',
  ].join('\n');
}

function runtimeSection(r: BenchResult): string {
  const t = r.throughput;
  const n = t.samples.length;
  const perRestoreCpu = t.cpuMs / n;
  const ours = r.profile.byCategory.filter((c) => c.category.startsWith('pipeline code') || c.category.startsWith('local runtime') || c.category.startsWith('middy') || c.category === 'zod');
  const oursShare = ours.reduce((s, c) => s + c.share, 0);
  return [
    '## Runtime cost on this machine',
    '',
    `${n} concurrent restores (no rate limit) through \`LocalPipeline\`: **${num(t.wallMs / 1000, 1)} s wall, ${num(n / (t.wallMs / 1000), 1)} restores/s**, ${num(perRestoreCpu, 0)} ms of CPU per restore (\`process.cpuUsage\` around the batch divided by ${n}; it includes the in-process emulators dynalite and PGlite, and GC). ` +
      `Simulated waits cost nothing: the virtual clock jumps. Node runs the handlers, the runtime and both emulators on one thread, so this is one core.`,
    '',
    `Where that CPU goes (V8 sampling profiler, self time, ${r.profiledRestores} concurrent restores): our handlers, steps and local runtime (incl. middy and zod) take ${num(oursShare * 100, 0)} % ≈ **${num(perRestoreCpu * oursShare, 0)} ms per restore**; the rest is the emulators of AWS services and the SDK's HTTP path to dynalite.`,
    '',
    mdTable(['category', 'self time (ms)', 'share'], r.profile.byCategory.map((c) => [c.category, num(c.ms, 0), `${num(c.share * 100, 1)} %`])),
    '',
    'Hottest functions (self time):',
    '',
    mdTable(['function', 'ms'], r.profile.topFunctions.map((f) => [`\`${f.name}\``, num(f.ms, 0)])),
  ].join('\n');
}

function fleetSection(r: BenchResult): string {
  const rows: string[][] = [];
  for (const fleet of r.fleets) {
    for (const run of fleet.runs) {
      const f = fleetFigures(run);
      rows.push([
        fleet.rateLimit.name,
        String(fleet.restores),
        label(run.design),
        `${f.succeeded} / ${fleet.restores}`,
        Object.entries(f.failures).map(([k, v]) => `${k} ×${v}`).join(', ') || '–',
        f.allTerminal ? 'yes' : '**no**',
        num(f.completionMinutes),
        num(f.p50Minutes),
        String(f.throttled),
        String(f.retries),
        String(f.allCalls),
        f.wallSeconds.toFixed(2),
      ]);
    }
  }
  return [
    '## Fleet: concurrent restores under the account\'s RDS API rate limit',
    '',
    'All restores requested at once; one token bucket shared by every RDS call of the account (the simulator shares it across regions; on AWS each region has its own, so this is stricter). ' +
      'AWS documents the RDS default as "up to 300 requests in a burst and a sustained 12 requests per second" per account and region (RDS User Guide, *Request throttling for the Amazon RDS API*); the tight setting is the issue\'s example. ' +
      'Throttled calls are retried with the seed\'s policy (3 retries after 3, 6, 12 s) in both designs (the choreography adds equal jitter). In the baseline a restore whose call is still throttled after that fails (the Catch → failure notification). The choreography does not fail it: an action step hands its message back to SQS, which redelivers it after the visibility timeout (6 × the function timeout), and a wait step simply re-checks later; a restore fails only after maxReceiveCount (5) deliveries (dead letter → `StepFailedRepeatedly`) or at STATE_MACHINE_TIMEOUT_SECONDS (`Timeout`). ' +
      'The choreography also caps each step at 5 concurrent invocations of 10 messages (the subscription table), which spreads a burst; the baseline starts every execution at once. ' +
      'Executions started together stay in lockstep in the baseline (Wait states are exact and the seed\'s Retry has no jitter), so every poll round and every retry round of N executions hits RDS in the same instant; and a Step Functions retry re-runs the whole Lambda, repeating the calls that had succeeded (e.g. RestoreDBClusterFromSnapshot → already exists → describe → CreateDBInstance), while the choreography retries only the throttled call. That is why polling fails even 10 restores under the tight limit. On AWS, Lambda run times would blur the lockstep somewhat; the effect is the seed design\'s, not the simulator\'s.',
    '',
    mdTable(['RDS limit', 'N', 'design', 'succeeded', 'failures', 'all terminal', 'last ended (min)', 'p50 success (min)', 'throttled calls', 'retries', 'RDS calls', 'wall (s)'], rows),
  ].join('\n');
}

function downtimeSection(r: BenchResult): string {
  return [
    '## Downtime: strategy and source',
    '',
    `The same refresh of a managed target, ${r.downtime[0]?.restores ?? 0} times per row with the per-restore RDS durations above (renames 0.5–2 min, clones 3–8 min, point-in-time copies 15–30 min): ` +
      'the snapshot rows copy cross-region into aurora-staging, the clone and point-in-time rows restore the live source in its region into aurora-dev. ' +
      "Downtime is the operation's own `target_unavailable_seconds`: for replace, from deleting the old cluster to the new one (and its writer) being available; for swap, from the old cluster's rename to the new one taking the name (the old one serves until then).",
    '',
    downtimeMarkdown(r.downtime),
  ].join('\n');
}

function bundleSection(bundles: BundleFigure[]): string {
  if (!bundles.length) return '';
  const s = bundleSummary(bundles);
  const biggest = (f: (b: BundleFigure) => number) => bundles.reduce((a, b) => (f(b) > f(a) ? b : a));
  const big = biggest((b) => b.bytes);
  const bigRuntime = biggest((b) => b.runtimeSdk.bytes);
  const inputs = (t: { name: string; bytes: number }[]) => t.map((i) => `${i.name} ${num(i.bytes / 1024, 0)} KiB`).join(', ');
  const goal = (v: number, max: number, unit: string) => `${num(v, 0)} ${unit} (goal ≤ ${num(max, 0)}: ${v <= max ? 'met' : 'not met'})`;
  return [
    '## Handler bundles',
    '',
    "Each function's bundle as `serverless package` builds it: the esbuild API with serverless.yml's options (esm, target node24, mainFields module/main, minified, the require() banner) and its wiring (src/infra/esbuild-plugins.cjs over the table of src/infra/permissions.ts), so it carries only its own step and the SDK clients of its ports. A second variant leaves `@aws-sdk/*` and `@smithy/*` to the Lambda runtime, which includes the AWS SDK for JavaScript v3; the deployment keeps bundling it (\"the versions we test are the ones we run\"). Cold import = `await import(bundle)` timed inside a fresh `node` process (median of the runs; the runtime-SDK variant loads the SDK from node_modules, so its time counts it); process = the whole fresh process including Node start-up.",
    '',
    `- As deployed (SDK bundled): largest bundle ${goal(s.deployed.maxBytes, 150_000, 'bytes')}, slowest cold import ${goal(s.deployed.maxImportMs, 40, 'ms')}.`,
    `- SDK from the Lambda runtime: largest bundle ${goal(s.runtimeSdk.maxBytes, 150_000, 'bytes')}, slowest cold import ${goal(s.runtimeSdk.maxImportMs, 40, 'ms')}.`,
    '',
    mdTable(
      ['handler', 'adapters', 'bytes', 'gzip', 'cold import (ms)', 'process (ms)', 'runtime SDK: bytes', 'cold import (ms)'],
      bundles.map((b) => [b.handler, b.adapters.join(', '), num(b.bytes, 0), num(b.gzipBytes, 0), num(b.importMs, 0), num(b.processMs, 0), num(b.runtimeSdk.bytes, 0), num(b.runtimeSdk.importMs, 0)]),
    ),
    '',
    `Largest inputs of ${big.handler} as deployed: ${inputs(big.topInputs)}. With the SDK from the runtime, of ${bigRuntime.handler}: ${inputs(bigRuntime.runtimeSdk.topInputs)}.`,
  ].join('\n');
}

function pricesSection(r: BenchResult): string {
  const idle = idlePollingUsdPerMonth(r.polledQueues);
  return [
    '## Prices and assumptions',
    '',
    mdTable(['item', 'price', 'source'], Object.values(PRICES).map((p) => [p.item, `$${p.usd} per ${p.per === 1 ? '' : `${num(p.per, 0)} `}${p.unit}`, p.source])),
    '',
    `- Lambda duration is assumed ${DEFAULT_ASSUMPTIONS.lambdaMsPerInvocation} ms per invocation at ${DEFAULT_ASSUMPTIONS.lambdaMemoryMb} MB (LAMBDA_MEMORY_SIZE) for both designs; the choreography also pays for the virtual time its handlers sleep in retry backoff.`,
    '- The baseline\'s DynamoDB use follows the seed\'s data flow (each Lambda reads the state item, writes it back and writes one audit event), assumed ≤ 1 KB items; the choreography\'s is measured (its state item carries per-step records, so one write is several WRU).',
    '- RDS events arrive on the default bus for free; the forwarding rule to the pipeline bus is same-account delivery (not charged as custom events; even at $1/M they would add ~$0.000004 a restore).',
    '- Not included (same for both designs): SNS notification, Secrets Manager, CloudWatch Logs and metrics, KMS; RDS API calls have no per-call price.',
    `- Fixed cost of the choreography (not per restore): ${r.polledQueues} SQS queues polled by Lambda event source mappings, estimated at 15 ReceiveMessage a minute each (5 pollers × 20 s long polling; an assumption about AWS's pollers, not a published figure) = ${num(idle.requests / 1e6, 1)} M requests ≈ ${usd(idle.usd)} a month before the 1 M free requests.`,
  ].join('\n');
}

function renderSvgs(r: BenchResult): Record<string, string> {
  const svgs: Record<string, string> = {};
  for (const { key, label: l } of REACTIONS) {
    if (key === 'instancesGone') continue;
    svgs[`bench-latency-${key}.svg`] = stepChart({
      title: `Reaction: ${l} (CDF)`,
      xLabel: 'seconds after RDS finished',
      yLabel: 'fraction of restores',
      yMax: 1,
      series: r.perRestore.map((run) => ({ name: label(run.design), points: cdf(run.samples.map((s) => s.reactions[key]).filter((v): v is number => v !== undefined).map((ms) => ms / 1000)) })),
    });
  }
  const F = r.perRestore.map(figures);
  const actions = RDS_ACTIONS.filter((a) => F.some((f) => f.calls[a] > 0));
  svgs['bench-rds-calls.svg'] = barChart({
    title: 'RDS API calls per restore, by action',
    yLabel: 'calls per restore',
    categories: actions,
    series: r.perRestore.map((run, i) => ({ name: label(run.design), values: actions.map((a) => F[i].calls[a]) })),
  });
  const biggest = Math.max(...r.fleets.map((f) => f.restores));
  r.fleets.filter((f) => f.restores === biggest).forEach((fleet, i) => {
    svgs[`bench-fleet-${i}.svg`] = stepChart({
      title: `${biggest} concurrent restores, RDS API ${fleet.rateLimit.name}: succeeded over time`,
      xLabel: 'virtual minutes since all were requested',
      yLabel: 'restores succeeded',
      yMax: biggest,
      series: fleet.runs.map((run) => ({ name: label(run.design), points: fleetFigures(run).succeededAt.map((m, k) => [m, k + 1] as [number, number]) })),
    });
  });
  return svgs;
}
