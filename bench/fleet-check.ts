/**
 * `npx tsx bench/fleet-check.ts [--restores N] [--per-second R] [--burst B] [--budget C]`: one choreography
 * fleet under an account RDS rate limit, with the fleet figures (succeeded, throttled share, last
 * end against max(RDS floor, all RDS calls ÷ rate)). A quick check of the RDS call budget without the whole bench.
 */
import { parseArgs } from 'node:util';
import { MemoryMetrics } from '../src/lib/local/observability';
import { choreographyFleet } from './designs';
import { benchScenario, rdsFloorMs } from './scenario';

const { values } = parseArgs({
  options: {
    restores: { type: 'string', default: '1000' },
    'per-second': { type: 'string', default: '10' },
    burst: { type: 'string', default: '20' },
    budget: { type: 'string' },
    latency: { type: 'string', default: '60' },
  },
});
const restores = Number(values.restores);
const perSecond = Number(values['per-second']);
const rateLimit = { perSecond, burst: Number(values.burst) };
const wall = performance.now();
// Every metric the pipeline counted (retries, hand-backs, budget waits), summed over the run.
const metrics: Record<string, number> = {};
const count = MemoryMetrics.prototype.count;
MemoryMetrics.prototype.count = function (name, value = 1, dimensions) {
  const key = dimensions?.code ? `${name}.${dimensions.code}` : dimensions?.step ? `${name}.${dimensions.step}` : name;
  metrics[key] = (metrics[key] ?? 0) + value;
  return count.call(this, name, value, dimensions);
};
const run = await choreographyFleet({
  restores,
  rateLimit,
  rdsEventLatencyMaxSeconds: Number(values.latency),
  seed: 1,
  ...(values.budget !== undefined ? { rdsCallsPerSecond: Number(values.budget) } : {}),

});
const calls = Object.values(run.counters.rdsCalls).reduce((n, x) => n + x, 0);
const succeeded = run.samples.filter((s) => s.status === 'SUCCEEDED').length;
const lastEndS = Math.max(...run.samples.map((s) => ((s.endMs ?? Infinity) - s.startMs) / 1000));
const floorS = rdsFloorMs(benchScenario({ pairs: 1 }).durations) / 1000;
const boundS = Math.max(floorS, calls / perSecond);
const failures: Record<string, number> = {};
for (const s of run.samples) if (s.failure) failures[s.failure] = (failures[s.failure] ?? 0) + 1;
console.log(
  JSON.stringify(
    {
      restores,
      rateLimit,
      succeeded,
      failures,
      calls,
      throttled: run.counters.throttled,
      throttledShare: +(run.counters.throttled / calls).toFixed(4),
      lastEndS: +lastEndS.toFixed(0),
      floorS,
      boundS: +boundS.toFixed(0),
      endVsBound: +(lastEndS / boundS).toFixed(3),
      callsByAction: run.counters.rdsCalls,
      dynamo: run.counters.dynamo?.byCommand,
      metrics,
      reactions: Object.fromEntries(
        (['copy', 'delete', 'restore'] as const).map((k) => {
          const v = run.samples.map((s) => s.reactions[k]).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
          return [k, { p50: v[Math.floor(v.length / 2)] / 1000, p99: v[Math.floor(v.length * 0.99)] / 1000, max: v[v.length - 1] / 1000 }];
        }),
      ),
      inLambdaSleepS: Math.round((run.counters.inLambdaSleepMs ?? 0) / 1000),
      wallS: +((performance.now() - wall) / 1000).toFixed(1),
    },
    null,
    1,
  ),
);
