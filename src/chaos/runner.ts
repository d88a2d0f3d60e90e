/**
 * A chaos run: N restores at once through the local runtime (same handlers, subscriptions, state and
 * audit code as on AWS) under a fault profile, then every invariant checked on what the run left.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { parseEventBody } from '../events/envelope';
import { RDS_SOURCE } from '../events/rds';
import { createFaultPlan, seededRandom } from '../lib/local/faults';
import { LocalPipeline } from '../lib/local/pipeline';
import type { SqsLambdaHandler } from '../lib/local/runtime';
import type { Notifier } from '../lib/ports';
import { OPERATION_TAG } from '../lib/tags';
import { isTerminal, PIPELINE_ORDER } from '../schemas/operation-state';
import type { StepName } from '../schemas/steps';
import { countingFaultPlan, type DeliveryFaultCounts } from './counting-faults';
import { crashingDb, crashingHandler, crashingRds, faultCountingRds, newCrashCounters, poisonedHandler, type CrashCounters, type DbEvent } from './crash';
import { checkInvariants, outcomeOf, type InvariantResult, type OperationObservation, type PreRunCluster, type RunObservation, type StepFingerprint } from './invariants';
import type { ChaosProfile } from './profiles';
import { buildChaosWorld, type OperationKind } from './world';

export interface ChaosOptions {
  operations: number;
  seed: number;
  profile: ChaosProfile;
  /** Progress lines (for the CLI). */
  log?: (line: string) => void;
  /** Called with the pipeline and what was observed, before the pipeline closes (tests, diagnostics). */
  inspect?: (pipeline: LocalPipeline, observation: RunObservation) => Promise<void> | void;
}

export interface ChaosReport {
  operations: number;
  seed: number;
  profile: ChaosProfile;
  wallMs: number;
  virtualMinutes: number;
  config: { LAMBDA_TIMEOUT_SECONDS: number; MAX_RETRIES: number; STATE_MACHINE_TIMEOUT_SECONDS: number; maxReceiveCount: number };
  faults: {
    delivery: DeliveryFaultCounts;
    rdsEvents: { emitted: number; dropped: number; duplicated: number; late: number };
    rdsThrottled: number;
    /** Faults the simulated RDS answered with, by name (Throttling, ServiceUnavailable, and the modeled ones the steps reconcile). */
    rdsFaults: Record<string, number>;
    crashes: CrashCounters;
    poisonedDeliveries: number;
    outage?: { from: string; to: string; eventsLost: number };
  };
  recovery: {
    retries: Record<string, number>;
    /** Invocations that threw (crashes, busy steps) and records reported failed: both come back via SQS. */
    failedInvocations: number;
    failedRecords: number;
    republished: number;
    deadLettered: number;
    replay?: { eventsReplayed: number; openOperations: number; affectedOperations: number };
  };
  rds: { calls: Record<string, number>; created: Record<string, number>; deleted: Record<string, number> };
  outcomes: {
    succeeded: number;
    failed: Record<string, number>;
    byKind: Record<string, Record<string, number>>;
    expected: number;
    transientExhaustion: number;
    unexpected: number;
    notTerminal: number;
  };
  runtime: { invocations: number; messages: number };
  invariants: InvariantResult[];
  ok: boolean;
}

const MINUTE = 60_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const { profile, seed } = options;
  const log = options.log ?? (() => {});
  const world = buildChaosWorld(options.operations, seed, {
    throttleRate: profile.throttleRate,
    transientRate: profile.transientRate,
    eventDropRate: profile.eventDropRate,
    eventDuplicateRate: profile.eventDuplicateRate,
    eventLateMaxSeconds: profile.eventLateMaxSeconds,
  });
  const delivery = countingFaultPlan(
    createFaultPlan({ seed, duplicateDelivery: profile.duplicateDelivery, reorder: profile.reorder, schedulerDelayMs: profile.schedulerDelayMs }),
  );
  const crashes = newCrashCounters();
  const ackRandom = seededRandom(seed ^ 0xac4);
  const notifyCalls = new Map<string, number>();
  const deadLettered: RunObservation['deadLettered'] = [];
  const rdsFaults: Record<string, number> = {};
  const dbEvents: DbEvent[] = [];
  const poison = { poisoned: 0 };
  /** step → operations whose messages to that step are poison (filled once the operations have ids). */
  const poisonedIn = new Map<string, Set<string>>();
  const operationOfBody = (body: string) => {
    try {
      return (JSON.parse(body) as { detail?: { operationId?: string } }).detail?.operationId;
    } catch {
      return undefined;
    }
  };

  const pipeline = await LocalPipeline.open({
    scenario: world.scenario,
    faults: delivery.plan,
    seed,
    // A 120 s function timeout makes the SQS visibility timeout 12 min (6×), so a poison message reaches
    // its DLQ (5 receives) well before the operation's 2 h deadline.
    env: { LOG_LEVEL: 'SILENT', LAMBDA_TIMEOUT_SECONDS: '120' },
    wrapDeps: (deps) => ({
      ...deps,
      db: crashingDb(deps.db, { rate: profile.crashMidHooks, seed, counters: crashes, events: dbEvents }),
      rds: crashingRds(faultCountingRds(deps.rds, rdsFaults), { rate: profile.crashAfterSideEffect, seed, counters: crashes }),
      notifier: countingNotifier(deps.notifier, notifyCalls),
    }),
    wrapHandler: (step, handler) => {
      let tapped = step === 'dead-letter' ? tapDeadLetters(handler, deadLettered) : handler;
      if (world.operations.some((o) => o.poisonedStep === step)) {
        tapped = poisonedHandler(tapped, (body) => poisonedIn.get(step)?.has(operationOfBody(body) ?? '') ?? false, poison);
      }
      return crashingHandler(step, tapped, { rate: profile.crashBeforeAck, random: ackRandom, counters: crashes });
    },
  });
  try {
    const preRun = preRunClusters(world.scenario);
    const t0 = pipeline.clock.now().getTime();
    const plans = new Map<string, (typeof world.operations)[number]>();
    for (const op of world.operations) {
      const id = await pipeline.startRestore(pipeline.request(op.request));
      plans.set(id, op);
      if (op.poisonedStep) (poisonedIn.get(op.poisonedStep) ?? poisonedIn.set(op.poisonedStep, new Set()).get(op.poisonedStep)!).add(id);
    }
    const ids = [...plans.keys()];
    log(`${ids.length} restores requested (profile ${profile.name}, seed ${seed})`);

    let replay: RunObservation['replay'];
    let replayFigures: ChaosReport['recovery']['replay'];
    let outage: ChaosReport['faults']['outage'];
    const allNotified = async () => {
      const done = new Set((await pipeline.outbox.list()).map((m) => m.attributes.operation_id));
      return ids.every((id) => done.has(id));
    };

    if (profile.outageMinutes > 0) {
      const from = t0 + profile.outageStartMinute * MINUTE;
      const to = from + profile.outageMinutes * MINUTE;
      pipeline.bus.setOutage(from, to);
      const lostBefore = pipeline.bus.stats().lost;
      await pipeline.runtime.runUntil(allNotified, { maxVirtualMs: to - t0 });
      const eventsLost = pipeline.bus.stats().lost - lostBefore;
      outage = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), eventsLost };
      log(`outage ${outage.from} → ${outage.to}: ${eventsLost} event deliveries lost; replaying`);

      const open = (await pipeline.store.list()).filter((s) => plans.has(s.operation_id) && !isTerminal(s.status));
      const before: NonNullable<RunObservation['replay']>['before'] = {};
      for (const s of open) {
        const steps: Partial<Record<StepName, StepFingerprint>> = {};
        for (const step of PIPELINE_ORDER) {
          const r = s.steps[step];
          if (r?.status === 'DONE') steps[step] = { finished_at: r.finished_at, attempts: r.attempts };
        }
        before[s.operation_id] = steps;
      }
      const affected = lostOperations(pipeline, from, to, new Set(open.map((s) => s.operation_id)));
      const r = await pipeline.replay({ from: new Date(from), to: new Date(to) });
      replay = { before, affected: [...affected] };
      replayFigures = { eventsReplayed: r.replayed, openOperations: open.length, affectedOperations: affected.size };
      log(`replayed ${r.replayed} events for ${open.length} open operations (${affected.size} had lost events)`);
    } else {
      await pipeline.runUntilTerminal(ids);
    }
    // Drain what is left (deadlines, late events, re-check chains) so late duplicates are seen too.
    await pipeline.runtime.runUntilIdle({ maxVirtualMs: 6 * 3600_000 });
    const virtualMinutes = Math.round((pipeline.clock.now().getTime() - t0) / MINUTE);
    log(`run finished after ${virtualMinutes} virtual minutes, ${Math.round((Date.now() - started) / 100) / 10} s; checking invariants`);

    const outbox = await pipeline.outbox.list();
    const operations: OperationObservation[] = [];
    for (const [operationId, plan] of plans) {
      operations.push({
        operationId,
        plan,
        state: await pipeline.store.get(operationId),
        trail: await pipeline.audit.trail(operationId),
        notifications: outbox.filter((m) => m.attributes.operation_id === operationId),
        notifyCalls: notifyCalls.get(operationId) ?? 0,
      });
    }
    const observation: RunObservation = {
      operations,
      history: pipeline.rds.history,
      preRun,
      config: pipeline.config,
      locksLeft: await locksLeft(pipeline),
      deadLettersLeft: pipeline.runtime.deadLettered().map((d) => ({ step: d.step, messageId: d.messageId })),
      deadLettered,
      replay,
      postRestore: { events: dbEvents, hookRuns: await hookRuns(pipeline) },
    };
    const invariants = checkInvariants(observation);
    await options.inspect?.(pipeline, observation);

    const stats = pipeline.runtime.stats();
    const counts = pipeline.metrics.counts;
    const outcomes: ChaosReport['outcomes'] = { succeeded: 0, failed: {}, byKind: {}, expected: 0, transientExhaustion: 0, unexpected: 0, notTerminal: 0 };
    for (const o of operations) {
      const s = o.state;
      const label = s?.status === 'SUCCEEDED' ? 'SUCCEEDED' : s?.status === 'FAILED' ? `FAILED ${s.error?.code}` : `stuck ${s?.status}`;
      if (s?.status === 'SUCCEEDED') outcomes.succeeded++;
      else if (s?.status === 'FAILED') outcomes.failed[s.error?.code ?? '?'] = (outcomes.failed[s.error?.code ?? '?'] ?? 0) + 1;
      const kind = (outcomes.byKind[o.plan.kind as OperationKind] ??= {});
      kind[label] = (kind[label] ?? 0) + 1;
      const outcome = outcomeOf(o);
      if (outcome === 'expected') outcomes.expected++;
      else if (outcome === 'transient-exhaustion') outcomes.transientExhaustion++;
      else if (outcome === 'unexpected') outcomes.unexpected++;
      else outcomes.notTerminal++;
    }
    const created: Record<string, number> = {};
    const deleted: Record<string, number> = {};
    for (const t of pipeline.rds.history) {
      if (t.from === null && t.tags?.[OPERATION_TAG]) created[t.kind] = (created[t.kind] ?? 0) + 1;
      if (t.to === 'deleting' || (t.kind === 'snapshot' && t.to === null)) deleted[t.kind] = (deleted[t.kind] ?? 0) + 1;
    }
    const totals = Object.values(stats).reduce((t, c) => ({ invocations: t.invocations + c.invocations, messages: t.messages + c.messages, errors: t.errors + c.errors, failedRecords: t.failedRecords + c.failedRecords }), { invocations: 0, messages: 0, errors: 0, failedRecords: 0 });

    return {
      operations: operations.length,
      seed,
      profile,
      wallMs: Date.now() - started,
      virtualMinutes,
      config: {
        LAMBDA_TIMEOUT_SECONDS: pipeline.config.LAMBDA_TIMEOUT_SECONDS,
        MAX_RETRIES: pipeline.config.MAX_RETRIES,
        STATE_MACHINE_TIMEOUT_SECONDS: pipeline.config.STATE_MACHINE_TIMEOUT_SECONDS,
        maxReceiveCount: Object.values(pipeline.runtime.queues)[0]?.queue.maxReceiveCount ?? 0,
      },
      faults: {
        delivery: delivery.counts,
        rdsEvents: { ...pipeline.rds.eventStats },
        rdsThrottled: pipeline.rds.throttled,
        rdsFaults,
        crashes,
        poisonedDeliveries: poison.poisoned,
        outage,
      },
      recovery: {
        retries: Object.fromEntries(Object.entries(counts).filter(([k]) => k.startsWith('Retries.')).map(([k, n]) => [k.slice('Retries.'.length), n])),
        failedInvocations: totals.errors,
        failedRecords: totals.failedRecords,
        republished: counts.Republished ?? 0,
        deadLettered: new Set(deadLettered.map((d) => d.messageId)).size,
        replay: replayFigures,
      },
      rds: { calls: { ...pipeline.rds.calls }, created, deleted },
      outcomes,
      runtime: { invocations: totals.invocations, messages: totals.messages },
      invariants,
      ok: invariants.every((i) => i.ok),
    };
  } finally {
    await pipeline.close();
  }
}

/** Clusters (and their instances) of the scenario before anything ran. */
function preRunClusters(scenario: ReturnType<typeof buildChaosWorld>['scenario']): Record<string, Record<string, PreRunCluster>> {
  const out: Record<string, Record<string, PreRunCluster>> = {};
  for (const [region, r] of Object.entries(scenario.regions)) {
    out[region] = {};
    for (const c of r.clusters) out[region][c.id] = { clusterId: c.id, deletionProtection: c.deletionProtection, tags: { ...c.tags }, instances: c.instances.map((i) => i.id) };
  }
  return out;
}

/** Operations (among `open`) with an event in the outage window: a domain event naming them, or an RDS event about their resources. */
function lostOperations(pipeline: LocalPipeline, fromMs: number, toMs: number, open: Set<string>): Set<string> {
  const affected = new Set<string>();
  for (const env of pipeline.bus.archive.list()) {
    const t = Date.parse(env.time);
    if (t < fromMs || t >= toMs || env['replay-name'] !== undefined) continue;
    const detail = env.detail as { operationId?: string; Tags?: Record<string, string>; SourceIdentifier?: string };
    let id = detail?.operationId;
    if (!id && env.source === RDS_SOURCE) id = detail?.Tags?.[OPERATION_TAG];
    if (id && open.has(id)) affected.add(id);
  }
  return affected;
}

async function locksLeft(pipeline: LocalPipeline): Promise<{ key: string; holder: string }[]> {
  const items: { key: string; holder: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await pipeline.deps.dynamo.send(
      new ScanCommand({
        TableName: pipeline.config.DYNAMODB_TABLE_NAME,
        FilterExpression: 'begins_with(operation_id, :p)',
        ExpressionAttributeValues: { ':p': 'lock#' },
        ExclusiveStartKey: start,
      }),
    );
    for (const i of out.Items ?? []) items.push({ key: String(i.operation_id), holder: String(i.holder) });
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

function countingNotifier(notifier: Notifier, calls: Map<string, number>): Notifier {
  return {
    publish: async (n) => {
      const id = n.attributes.operation_id ?? '?';
      calls.set(id, (calls.get(id) ?? 0) + 1);
      return notifier.publish(n);
    },
  };
}

/** Records which operation each dead-lettered message named, then lets the real dead-letter handler run. */
function tapDeadLetters(handler: SqsLambdaHandler, seen: RunObservation['deadLettered']): SqsLambdaHandler {
  return async (event, context): Promise<SQSBatchResponse | void> => {
    for (const r of event.Records) {
      const step = r.eventSourceARN.split(':').pop()?.replace(/^aurora-restore-/, '').replace(/-dlq$/, '') ?? '?';
      let operationId: string | undefined;
      try {
        const parsed = parseEventBody(r.body);
        operationId = parsed.kind === 'domain' ? parsed.event.detail.operationId : parsed.detail.Tags?.[OPERATION_TAG];
      } catch {
        /* unreadable: the handler reports it */
      }
      seen.push({ step, messageId: r.messageId, operationId });
    }
    return handler(event, context);
  };
}

/** Rows the chaos hooks wrote (src/chaos/hooks): one per run of a file for an operation. None when no hook ran. */
async function hookRuns(pipeline: LocalPipeline): Promise<{ operationId: string; file: string; runs: number }[]> {
  const { Client } = await import('pg');
  const c = new Client({ ...(await pipeline.databaseAddress()), database: 'postgres', user: 'postgres' });
  await c.connect();
  try {
    const exists = await c.query(`SELECT to_regclass('public.hook_runs') AS t`);
    if (!exists.rows[0].t) return [];
    const r = await c.query('SELECT operation_id, file, count(*)::int AS runs FROM public.hook_runs GROUP BY 1, 2');
    return r.rows.map((x: { operation_id: string; file: string; runs: number }) => ({ operationId: x.operation_id, file: x.file, runs: x.runs }));
  } finally {
    await c.end();
  }
}
