/**
 * Crash injection for chaos runs, at the two places a Lambda can die that matter for correctness:
 * - after a side effect and before the state write: an `Rds` whose mutating calls succeed, then throw;
 * - after the work and before the ack: a handler that ran its batch, then reports it all failed.
 * Both throw an error the pipeline does not classify, so the step runner rethrows it and SQS redelivers
 * the message after its visibility timeout — exactly what a dying Lambda leads to.
 */
import { createHash } from 'node:crypto';
import type { SQSBatchResponse } from 'aws-lambda';
import type { Rds } from '../lib/ports';
import type { SqsLambdaHandler } from '../lib/local/runtime';
import type { Random } from '../lib/local/faults';

export class SimulatedCrash extends Error {
  constructor(where: string) {
    super(`the function died ${where}`);
    this.name = 'SimulatedCrash';
  }
}

/** RDS calls that change the world (the rest only describe it). */
export const MUTATING_RDS_CALLS = [
  'copyClusterSnapshot',
  'deleteClusterSnapshot',
  'deleteCluster',
  'restoreClusterFromSnapshot',
  'restoreClusterToPointInTime',
  'renameCluster',
  'createInstance',
  'deleteInstance',
  'modifyClusterMasterPassword',
] as const satisfies readonly (keyof Rds)[];
export type MutatingCall = (typeof MUTATING_RDS_CALLS)[number];

export interface CrashCounters {
  afterSideEffect: Record<string, number>;
  beforeAck: Record<string, number>;
}

export const newCrashCounters = (): CrashCounters => ({ afterSideEffect: {}, beforeAck: {} });

/**
 * A uniform number in [0, 1) from a hash of `key`: the crash decision for a call depends only on what
 * the call is (seed, action, resource, how many times it succeeded before), not on the order in which
 * concurrent invocations happen to reach it, so a seed crashes the same calls in every run.
 */
export function hashedChance(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 4294967296;
}

/** The resource a mutating call acts on, as `region/id` (its identity in the crash decision). */
function resourceOf(call: MutatingCall, args: unknown[]): string {
  const [a, b] = args as [unknown, unknown];
  const field = (o: unknown, k: string) => String((o as Record<string, unknown>)[k]);
  switch (call) {
    case 'copyClusterSnapshot':
      return `${field(a, 'targetRegion')}/${field(a, 'targetSnapshotId')}`;
    case 'deleteCluster':
    case 'restoreClusterFromSnapshot':
    case 'restoreClusterToPointInTime':
      return `${a}/${field(b, 'clusterId')}`;
    case 'createInstance':
      return `${a}/${field(b, 'instanceId')}`;
    default:
      return `${a}/${b}`;
  }
}

/**
 * Wraps `rds` so that, after a successful mutating call, it throws `SimulatedCrash` with probability
 * `rate`: the side effect happened, the caller never learns it.
 */
export function crashingRds(
  rds: Rds,
  options: {
    rate: number;
    seed: number;
    counters: CrashCounters;
    /** Overrides the random decision (tests): crash after the `n`th success of `call` on `resource`. */
    decide?: (call: MutatingCall, resource: string, n: number) => boolean;
  },
): Rds {
  if (options.rate <= 0 && !options.decide) return rds;
  const successes = new Map<string, number>();
  const wrapped: Rds = Object.create(rds);
  for (const call of MUTATING_RDS_CALLS) {
    const original = (rds[call] as (...a: unknown[]) => Promise<unknown>).bind(rds);
    (wrapped as unknown as Record<string, unknown>)[call] = async (...args: unknown[]) => {
      const result = await original(...args);
      const resource = resourceOf(call, args);
      const n = (successes.get(`${call}:${resource}`) ?? 0) + 1;
      successes.set(`${call}:${resource}`, n);
      const crash = options.decide ? options.decide(call, resource, n) : hashedChance(`${options.seed}|${call}:${resource}|${n}`) < options.rate;
      if (crash) {
        options.counters.afterSideEffect[call] = (options.counters.afterSideEffect[call] ?? 0) + 1;
        throw new SimulatedCrash(`after ${call} succeeded, before its state write`);
      }
      return result;
    };
  }
  // Describe calls go to the real simulator with the right `this`.
  for (const key of ['describeClusterSnapshot', 'listAutomatedSnapshots', 'describeCluster', 'describeInstance'] as const) {
    (wrapped as unknown as Record<string, unknown>)[key] = (rds[key] as (...a: unknown[]) => unknown).bind(rds);
  }
  return wrapped;
}

/**
 * Wraps a Lambda handler so that, with probability `rate`, it dies after running its batch and before
 * returning: the work is done, every message of the batch comes back after its visibility timeout.
 */
export function crashingHandler(
  step: string,
  handler: SqsLambdaHandler,
  options: { rate: number; random: Random; counters: CrashCounters },
): SqsLambdaHandler {
  if (options.rate <= 0) return handler;
  return async (event, context): Promise<SQSBatchResponse | void> => {
    const response = await handler(event, context);
    if (options.random() < options.rate) {
      options.counters.beforeAck[step] = (options.counters.beforeAck[step] ?? 0) + 1;
      throw new SimulatedCrash(`after handling ${event.Records.length} message(s) of ${step}, before acknowledging them`);
    }
    return response;
  };
}

/**
 * A poison message: the handler fails on the records `isPoisoned` picks, every time (reported in
 * batchItemFailures without being processed), and runs the others. After maxReceiveCount receives the
 * poisoned message reaches its DLQ, whose handler must turn it into RestoreFailed.
 */
export function poisonedHandler(handler: SqsLambdaHandler, isPoisoned: (body: string) => boolean, counters: { poisoned: number }): SqsLambdaHandler {
  return async (event, context): Promise<SQSBatchResponse | void> => {
    const poisoned = event.Records.filter((r) => isPoisoned(r.body));
    if (poisoned.length === 0) return handler(event, context);
    counters.poisoned += poisoned.length;
    const rest = event.Records.filter((r) => !isPoisoned(r.body));
    const response = rest.length > 0 ? await handler({ Records: rest }, context) : undefined;
    return { batchItemFailures: [...(response?.batchItemFailures ?? []), ...poisoned.map((r) => ({ itemIdentifier: r.messageId }))] };
  };
}

/** Counts the faults an Rds throws, by fault name (Throttling, ServiceUnavailable, ...). */
export function faultCountingRds(rds: Rds, counts: Record<string, number>): Rds {
  const wrapped: Rds = Object.create(rds);
  for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(rds)) as (keyof Rds)[]) {
    const original = rds[key];
    if (typeof original !== 'function' || (key as string) === 'constructor') continue;
    (wrapped as unknown as Record<string, unknown>)[key] = async (...args: unknown[]) => {
      try {
        return await (original as (...a: unknown[]) => Promise<unknown>).apply(rds, args);
      } catch (e) {
        const name = (e as Error)?.name ?? 'Error';
        counts[name] = (counts[name] ?? 0) + 1;
        throw e;
      }
    };
  }
  return wrapped;
}
