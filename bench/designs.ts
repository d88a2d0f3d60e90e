/**
 * Runs the same restores through both designs on the same simulated RDS (same scenario, same
 * lifecycle durations, same virtual clock start) and collects, per restore, when RDS finished each
 * wait and when the next step started, plus every counter the cost model needs.
 */
import { EVENT_SOURCE } from '../src/events/catalogue';
import { RDS_SOURCE } from '../src/events/rds';
import { VirtualClock } from '../src/lib/local/clock';
import { seededRandom } from '../src/lib/local/faults';
import { LocalPipeline } from '../src/lib/local/pipeline';
import { SimulatedRds, type LifecycleTransition, type RateLimit } from '../src/lib/local/rds';
import type { Durations, Scenario } from '../src/lib/local/scenario';
import { writerInstanceId } from '../src/lib/steps/names';
import { restoreRequest } from '../src/schemas/restore-request';
import { pollingStateMachine } from './baseline/definition';
import { PollingOrchestrator } from './baseline/orchestrator';
import { tapPipeline, type DynamoCounts } from './instrument';
import { benchScenario, rdsFloorMs, requestFor, targetClusterOf, TARGET_REGION } from './scenario';

export type Reaction = 'copy' | 'instancesGone' | 'delete' | 'restore';
export const REACTIONS: { key: Reaction; label: string; next: string }[] = [
  { key: 'copy', label: 'copy available → delete-rds starts', next: 'delete-rds' },
  { key: 'instancesGone', label: 'last instance gone → DeleteDBCluster issued', next: '(DeleteDBCluster call)' },
  { key: 'delete', label: 'cluster gone → restore-snapshot starts', next: 'restore-snapshot' },
  { key: 'restore', label: 'cluster + writer available → setup-db-users starts', next: 'setup-db-users' },
];

export interface RestoreSample {
  index: number;
  status: string;
  startMs: number;
  endMs?: number;
  floorMs?: number;
  /** Why it failed (error code), when it did. */
  failure?: string;
  reactions: Partial<Record<Reaction, number>>;
}

export interface DesignCounters {
  rdsCalls: Record<string, number>;
  throttled: number;
  retries: number;
  lambdaInvocations: number;
  /** Choreography only. */
  sqsMessages?: number;
  domainEvents?: Record<string, number>;
  rdsEventsDelivered?: number;
  schedulesCreated?: number;
  schedulesFired?: number;
  dynamo?: DynamoCounts;
  inLambdaSleepMs?: number;
  invocationsByStep?: Record<string, number>;
  /** Baseline only. */
  stateTransitions?: number;
  transitionsByState?: Record<string, number>;
}

export interface DesignRun {
  design: string;
  samples: RestoreSample[];
  counters: DesignCounters;
  wallMs: number;
  cpuMs: number;
  virtualMs: number;
}

const iso = (s?: string) => (s ? Date.parse(s) : undefined);

/** The RDS milestones of restore i after `fromMs`, from the simulator's lifecycle history. */
function milestones(history: LifecycleTransition[], pair: number, fromMs: number, copyId?: string) {
  const cluster = targetClusterOf(pair);
  const writer = writerInstanceId(cluster);
  const after = history.filter((h) => h.atMs >= fromMs && h.region === TARGET_REGION);
  const find = (p: (h: LifecycleTransition) => boolean) => after.find(p)?.atMs;
  const clusterUp = find((h) => h.kind === 'cluster' && h.id === cluster && h.from === 'creating' && h.to === 'available');
  const writerUp = find((h) => h.kind === 'instance' && h.id === writer && h.from === 'creating' && h.to === 'available');
  return {
    copyDone: copyId ? find((h) => h.kind === 'snapshot' && h.id === copyId && h.from === 'copying' && h.to === 'available') : undefined,
    instancesGone: find((h) => h.kind === 'instance' && h.id === writer && h.from === 'deleting' && h.to === null),
    clusterDeleteIssued: find((h) => h.kind === 'cluster' && h.id === cluster && h.to === 'deleting'),
    clusterGone: find((h) => h.kind === 'cluster' && h.id === cluster && h.from === 'deleting' && h.to === null),
    restoreDone: clusterUp !== undefined && writerUp !== undefined ? Math.max(clusterUp, writerUp) : undefined,
  };
}

function reactionsOf(m: ReturnType<typeof milestones>, next: Record<string, number | undefined>): Partial<Record<Reaction, number>> {
  const gap = (a?: number, b?: number) => (a !== undefined && b !== undefined ? b - a : undefined);
  const out: Partial<Record<Reaction, number>> = {};
  const put = (k: Reaction, v?: number) => {
    if (v !== undefined) out[k] = v;
  };
  put('copy', gap(m.copyDone, next['delete-rds']));
  put('instancesGone', gap(m.instancesGone, m.clusterDeleteIssued));
  put('delete', gap(m.clusterGone, next['restore-snapshot']));
  put('restore', gap(m.restoreDone, next['setup-db-users']));
  return out;
}

export interface SequentialOptions {
  /** Per-restore lifecycle durations; restores run one after another, each with its own. */
  durations: Durations[];
  /** Virtual seconds of idle time before each restore (varies the phase against minute boundaries). */
  offsetsSeconds: number[];
  rdsEventLatencyMaxSeconds: number;
  seed: number;
  /** The source/target pair each restore refreshes (default: restore i refreshes pair i). The nightly scenario refreshes the same targets night after night. */
  pairs?: number[];
}

/** The pair restore i refreshes. */
const pairOf = (o: SequentialOptions, i: number) => o.pairs?.[i] ?? i;
/** How many source/target pairs the scenario needs. */
const pairCount = (o: SequentialOptions) => (o.pairs ? Math.max(...o.pairs) + 1 : o.durations.length);

export interface FleetOptions {
  restores: number;
  rateLimit?: RateLimit;
  rdsEventLatencyMaxSeconds: number;
  seed: number;
  durations?: Partial<Durations>;
  /** Wraps the measured part (requests → all terminal), e.g. with a profiler. */
  around?: (run: () => Promise<void>) => Promise<void>;
}

// ------------------------------------------------------------------------------ choreography

async function openChoreography(scenario: Scenario, seed: number, rateLimit?: RateLimit) {
  const pipeline = await LocalPipeline.open({ scenario, seed, rateLimit });
  const taps = tapPipeline(pipeline);
  const domainEvents: Record<string, number> = {};
  let rdsEvents = 0;
  pipeline.bus.addRule({
    name: 'bench-tap',
    pattern: { source: [EVENT_SOURCE, RDS_SOURCE] },
    target: (e) => {
      if (e.source === RDS_SOURCE) rdsEvents += 1;
      else domainEvents[e['detail-type']] = (domainEvents[e['detail-type']] ?? 0) + 1;
    },
  });
  let schedulesCreated = 0;
  const scheduleOnce = pipeline.scheduler.scheduleOnce.bind(pipeline.scheduler);
  pipeline.scheduler.scheduleOnce = async (input) => {
    schedulesCreated += 1;
    return scheduleOnce(input);
  };
  const counters = (): DesignCounters => {
    const stats = pipeline.runtime.stats();
    const invocationsByStep = Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, v.invocations]));
    return {
      rdsCalls: { ...pipeline.rds.calls },
      throttled: pipeline.rds.throttled,
      retries: pipeline.metrics.counts.Retries ?? 0,
      lambdaInvocations: Object.values(stats).reduce((n, s) => n + s.invocations, 0),
      sqsMessages: Object.values(stats).reduce((n, s) => n + s.messages, 0),
      domainEvents: { ...domainEvents },
      rdsEventsDelivered: rdsEvents,
      schedulesCreated,
      schedulesFired: pipeline.scheduler.firedCount(),
      dynamo: structuredClone(taps.dynamo),
      inLambdaSleepMs: taps.sleptMs(),
      invocationsByStep,
    };
  };
  return { pipeline, taps, counters };
}

async function choreographySample(pipeline: LocalPipeline, id: string, index: number, startMs: number, floorMs?: number, pair = index): Promise<RestoreSample> {
  const state = await pipeline.status(id);
  const steps = state?.steps ?? {};
  const next = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, iso(v?.started_at)]));
  const m = milestones(pipeline.rds.history, pair, startMs, state?.snapshot_details.target_snapshot_id);
  return {
    index,
    status: state?.status ?? 'MISSING',
    startMs,
    endMs: state && ['SUCCEEDED', 'FAILED'].includes(state.status) ? iso(state.last_updated_time) : undefined,
    floorMs,
    failure: state?.error?.code,
    reactions: reactionsOf(m, next),
  };
}

/** Runs until the virtual clock reaches `atMs` (delivering whatever happens meanwhile). */
async function idleUntil(pipeline: LocalPipeline, atMs: number): Promise<void> {
  if (pipeline.clock.nowMsValue() >= atMs) return;
  pipeline.clock.setTimer(atMs, () => {}, 'bench idle');
  await pipeline.runtime.runUntil(() => pipeline.clock.nowMsValue() >= atMs);
}

export async function choreographySequential(o: SequentialOptions): Promise<DesignRun> {
  const scenario = benchScenario({ pairs: pairCount(o), rdsEventLatencyMaxSeconds: o.rdsEventLatencyMaxSeconds });
  const { pipeline, counters } = await openChoreography(scenario, o.seed);
  const samples: RestoreSample[] = [];
  const virtualStart = pipeline.clock.nowMsValue();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  try {
    for (let i = 0; i < o.durations.length; i++) {
      await idleUntil(pipeline, pipeline.clock.nowMsValue() + o.offsetsSeconds[i] * 1000);
      pipeline.rds.setDurations(o.durations[i]);
      const startMs = pipeline.clock.nowMsValue();
      const id = await pipeline.startRestore(pipeline.request(requestFor(pairOf(o, i))));
      await pipeline.runUntilTerminal([id]);
      samples.push(await choreographySample(pipeline, id, i, startMs, rdsFloorMs(o.durations[i]), pairOf(o, i)));
    }
    const cpuUsed = process.cpuUsage(cpu);
    const wallMs = performance.now() - wall;
    // Let anything still armed fire (re-checks already due; deadlines are cancelled when an operation ends).
    await pipeline.runtime.runUntilIdle({ maxVirtualMs: 24 * 3600_000 });
    return {
      design: 'choreography',
      samples,
      counters: counters(),
      wallMs,
      cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
      virtualMs: pipeline.clock.nowMsValue() - virtualStart,
    };
  } finally {
    await pipeline.close();
  }
}

export async function choreographyFleet(o: FleetOptions): Promise<DesignRun> {
  const scenario = benchScenario({ pairs: o.restores, durations: o.durations, rdsEventLatencyMaxSeconds: o.rdsEventLatencyMaxSeconds });
  const { pipeline, counters } = await openChoreography(scenario, o.seed, o.rateLimit);
  try {
    const startMs = pipeline.clock.nowMsValue();
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const ids: string[] = [];
    let virtualMs = 0;
    const measured = async () => {
      for (let i = 0; i < o.restores; i++) ids.push(await pipeline.startRestore(pipeline.request(requestFor(i))));
      virtualMs = (await pipeline.runUntilTerminal(ids, { maxVirtualMs: 24 * 3600_000 })).virtualMs;
    };
    await (o.around ? o.around(measured) : measured());
    const cpuUsed = process.cpuUsage(cpu);
    const wallMs = performance.now() - wall;
    const samples: RestoreSample[] = [];
    for (const [i, id] of ids.entries()) samples.push(await choreographySample(pipeline, id, i, startMs));
    return {
      design: 'choreography',
      samples,
      counters: counters(),
      wallMs,
      cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
      virtualMs,
    };
  } finally {
    await pipeline.close();
  }
}

// ---------------------------------------------------------------------------------- baseline

function openBaseline(scenario: Scenario, pollSeconds: number, seed: number, rateLimit?: RateLimit) {
  const clock = new VirtualClock({ start: new Date(scenario.clockStart) });
  const rds = SimulatedRds.fromScenario(scenario, {
    clock,
    setTimer: (at, fn, label) => clock.setTimer(at, fn, label),
    emit: () => {}, // the polling design subscribes to no RDS event
    rateLimit,
    random: seededRandom(seed),
  });
  const targetKmsKeys = Object.fromEntries(Object.entries(scenario.regions).filter(([, r]) => r.kmsKeys.length).map(([name, r]) => [name, r.kmsKeys[0]]));
  const orchestrator = new PollingOrchestrator({ clock, rds: rds.adapter(), definition: pollingStateMachine({ pollSeconds }), targetKmsKeys });
  const counters = (): DesignCounters => ({
    rdsCalls: { ...rds.calls },
    throttled: rds.throttled,
    retries: orchestrator.counters.retries,
    lambdaInvocations: orchestrator.counters.lambdaInvocations,
    stateTransitions: orchestrator.counters.stateTransitions,
    transitionsByState: { ...orchestrator.counters.byState },
  });
  return { clock, rds, orchestrator, counters };
}

function baselineSample(rds: SimulatedRds, record: PollingOrchestrator['executions'][number], index: number, floorMs?: number, pair = index): RestoreSample {
  const m = milestones(rds.history, pair, record.startedAtMs, record.state.target?.id);
  return {
    index,
    status: record.status,
    startMs: record.startedAtMs,
    endMs: record.endedAtMs,
    floorMs,
    failure: record.status === 'TIMED_OUT' ? 'States.Timeout' : record.error?.Error,
    reactions: reactionsOf(m, record.taskStartedAtMs),
  };
}

const executionId = (i: number, clock: VirtualClock) => {
  const d = clock.now().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `restore-${d.slice(0, 8)}-${d.slice(8)}-b${String(i).padStart(5, '0')}`;
};

export async function baselineSequential(o: SequentialOptions & { pollSeconds: number }): Promise<DesignRun> {
  const scenario = benchScenario({ pairs: pairCount(o) });
  const { clock, rds, orchestrator, counters } = openBaseline(scenario, o.pollSeconds, o.seed);
  const virtualStart = clock.nowMsValue();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const samples: RestoreSample[] = [];
  for (let i = 0; i < o.durations.length; i++) {
    clock.advanceBy(o.offsetsSeconds[i] * 1000);
    rds.setDurations(o.durations[i]);
    const record = orchestrator.start(restoreRequest.parse(requestFor(pairOf(o, i))), executionId(i, clock));
    await orchestrator.runUntilDone();
    samples.push(baselineSample(rds, record, i, rdsFloorMs(o.durations[i]), pairOf(o, i)));
  }
  const cpuUsed = process.cpuUsage(cpu);
  return {
    design: `baseline-${o.pollSeconds}s`,
    samples,
    counters: counters(),
    wallMs: performance.now() - wall,
    cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
    virtualMs: clock.nowMsValue() - virtualStart,
  };
}

export async function baselineFleet(o: FleetOptions & { pollSeconds: number }): Promise<DesignRun> {
  const scenario = benchScenario({ pairs: o.restores, durations: o.durations });
  const { clock, rds, orchestrator, counters } = openBaseline(scenario, o.pollSeconds, o.seed, o.rateLimit);
  const startMs = clock.nowMsValue();
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const records = Array.from({ length: o.restores }, (_, i) => orchestrator.start(restoreRequest.parse(requestFor(i)), executionId(i, clock)));
  await orchestrator.runUntilDone({ maxVirtualMs: 24 * 3600_000 });
  const cpuUsed = process.cpuUsage(cpu);
  return {
    design: `baseline-${o.pollSeconds}s`,
    samples: records.map((r, i) => baselineSample(rds, r, i)),
    counters: counters(),
    wallMs: performance.now() - wall,
    cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
    virtualMs: Math.max(...records.map((r) => r.endedAtMs ?? startMs)) - startMs,
  };
}
