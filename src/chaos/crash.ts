/**
 * Crash injection for chaos runs, at the two places a Lambda can die that matter for correctness:
 * - after a side effect and before the state write: an `Rds` whose mutating calls succeed, then throw;
 * - after the work and before the ack: a handler that ran its batch, then reports it all failed.
 * Both throw an error the pipeline does not classify, so the step runner rethrows it and SQS redelivers
 * the message after its visibility timeout — exactly what a dying Lambda leads to.
 */
import { createHash } from 'node:crypto';
import type { SQSBatchResponse } from 'aws-lambda';
import type { DatabaseAdmin, Rds } from '../lib/ports';
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
  /** setup-db-users deaths around post-restore SQL: `after-commit` (the file committed) or `before-run`. */
  midHooks?: Record<string, number>;
}

export const newCrashCounters = (): CrashCounters => ({ afterSideEffect: {}, beforeAck: {}, midHooks: {} });

/** What the database saw, per operation, in order: how the chaos invariants judge "no login before validation". */
export type DbEvent =
  | { kind: 'disable'; usernames: string[] }
  | { kind: 'hook'; operationId: string; file: string; outcome: string }
  | { kind: 'validation-passed'; name: string }
  | { kind: 'configure'; usernames: string[] };

/**
 * Wraps a DatabaseAdmin for chaos runs: records every call that matters (`events`), and — with probability
 * `rate`, decided per (operation, file, attempt) from the seed — dies right after a post-restore SQL file
 * committed (its ledger row with it, its state write not yet made), or right before one runs.
 */
export function crashingDb(db: DatabaseAdmin, options: { rate: number; seed: number; counters: CrashCounters; events: DbEvent[] }): DatabaseAdmin {
  const attempts = new Map<string, number>();
  const count = (where: string) => {
    const c = (options.counters.midHooks ??= {});
    c[where] = (c[where] ?? 0) + 1;
  };
  return {
    configureUsers: async (endpoint, master, users) => {
      options.events.push({ kind: 'configure', usernames: users.map((u) => u.username) });
      return db.configureUsers(endpoint, master, users);
    },
    verifyLogin: (endpoint, user) => db.verifyLogin(endpoint, user),
    disableLogins: async (endpoint, master, usernames) => {
      const out = await db.disableLogins(endpoint, master, usernames);
      options.events.push({ kind: 'disable', usernames });
      return out;
    },
    runHook: async (endpoint, master, hook) => {
      const key = `${hook.operationId}|${hook.file}`;
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      const chance = hashedChance(`${options.seed}|hooks|${key}|${n}`);
      if (chance < options.rate / 4) {
        count('before-run');
        throw new SimulatedCrash(`before post-restore SQL ${hook.file} ran`);
      }
      const run = await db.runHook(endpoint, master, hook);
      options.events.push({ kind: 'hook', operationId: hook.operationId, file: hook.file, outcome: run.outcome });
      // Only a real commit can be crashed after (an already-ran file committed nothing now).
      if (run.outcome !== 'already-ran' && chance < options.rate) {
        count('after-commit');
        throw new SimulatedCrash(`after post-restore SQL ${hook.file} committed, before its state write`);
      }
      return run;
    },
    runValidation: async (endpoint, master, v, timeoutMs) => {
      const result = await db.runValidation(endpoint, master, v, timeoutMs);
      if (result.passed) options.events.push({ kind: 'validation-passed', name: v.name });
      return result;
    },
  };
}

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
