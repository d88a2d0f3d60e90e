/**
 * The headline of reports/bench.json: the goals, each measured in the same run, each stated met
 * or not with its figure (bench.md says why where it is not).
 */
import type { BundleFigure } from './bundles';
import type { DesignRun } from './designs';
import { benchScenario, rdsFloorMs } from './scenario';
import { summarize } from './stats';

export interface Headline {
  /** Choreography / 30-second polling, RDS calls per restore (the random scenario). */
  rdsCallsRatio: number;
  /** Added time over the RDS floor, choreography / 30-second polling, RDS events 0–60 s late. */
  addedTimeRatio: { random: number; nightly: number };
  copyReactionP50Seconds: number;
  fleet: { restores: number; perSecond: number; succeeded: number; throttledShare: number; endVsBound: number };
  bundleMaxBytes: number;
  coldImportMaxMs: number;
}

export interface Goal {
  name: string;
  goal: string;
  value: number;
  met: boolean;
}

const callsPerRestore = (run: DesignRun) => Object.values(run.counters.rdsCalls).reduce((a, b) => a + b, 0) / run.samples.length;
/** Mean seconds over the RDS floor of the restores that ended. */
export const addedSeconds = (run: DesignRun) =>
  summarize(run.samples.filter((s) => s.endMs !== undefined && s.floorMs !== undefined).map((s) => (s.endMs! - s.startMs - s.floorMs!) / 1000))?.mean ?? NaN;

export function headlineOf(input: {
  random: { choreography: DesignRun; polling30: DesignRun };
  nightly: { choreography: DesignRun; polling30: DesignRun };
  fleet: { choreography: DesignRun; perSecond: number };
  bundles: BundleFigure[];
}): Headline {
  const { random, nightly, fleet } = input;
  const copy = summarize(random.choreography.samples.map((s) => s.reactions.copy).filter((v): v is number => v !== undefined).map((ms) => ms / 1000));
  const f = fleet.choreography;
  const calls = Object.values(f.counters.rdsCalls).reduce((a, b) => a + b, 0);
  const floorSeconds = rdsFloorMs(benchScenario({ pairs: 1 }).durations) / 1000;
  const endSeconds = Math.max(...f.samples.filter((s) => s.endMs !== undefined).map((s) => (s.endMs! - s.startMs) / 1000));
  return {
    rdsCallsRatio: round(callsPerRestore(random.choreography) / callsPerRestore(random.polling30), 3),
    addedTimeRatio: {
      random: round(addedSeconds(random.choreography) / addedSeconds(random.polling30), 3),
      nightly: round(addedSeconds(nightly.choreography) / addedSeconds(nightly.polling30), 3),
    },
    copyReactionP50Seconds: round(copy?.p50 ?? NaN, 1),
    fleet: {
      restores: f.samples.length,
      perSecond: fleet.perSecond,
      succeeded: f.samples.filter((s) => s.status === 'SUCCEEDED').length,
      throttledShare: round(f.counters.throttled / Math.max(1, calls), 4),
      endVsBound: round(endSeconds / Math.max(floorSeconds, calls / fleet.perSecond), 3),
    },
    bundleMaxBytes: Math.max(...input.bundles.map((b) => b.bytes)),
    coldImportMaxMs: round(Math.max(...input.bundles.map((b) => b.importMs)), 1),
  };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The goals against the headline. */
export function goalsOf(h: Headline): Goal[] {
  const g = (name: string, goal: string, value: number, met: boolean): Goal => ({ name, goal, value, met });
  return [
    g('rdsCallsRatio', '≤ 0.15', h.rdsCallsRatio, h.rdsCallsRatio <= 0.15),
    g('addedTimeRatio.nightly', '≤ 0.5', h.addedTimeRatio.nightly, h.addedTimeRatio.nightly <= 0.5),
    g('addedTimeRatio.random', '≤ 1.0', h.addedTimeRatio.random, h.addedTimeRatio.random <= 1),
    g('copyReactionP50Seconds', '≤ 10', h.copyReactionP50Seconds, h.copyReactionP50Seconds <= 10),
    g('fleet.succeeded', `= ${h.fleet.restores}`, h.fleet.succeeded, h.fleet.succeeded === h.fleet.restores),
    g('fleet.throttledShare', '≤ 0.02', h.fleet.throttledShare, h.fleet.throttledShare <= 0.02),
    g('fleet.endVsBound', '≤ 1.1', h.fleet.endVsBound, h.fleet.endVsBound <= 1.1),
    g('bundleMaxBytes', '≤ 150,000', h.bundleMaxBytes, h.bundleMaxBytes <= 150_000),
    g('coldImportMaxMs', '≤ 40', h.coldImportMaxMs, h.coldImportMaxMs <= 40),
  ];
}
