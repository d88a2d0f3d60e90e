/**
 * The account's RDS call budget: every function takes a permit from one shared store before each RDS API
 * call, so a burst of restores waits its turn (in the SQS queues, and briefly in-process) instead of
 * hammering RDS into throttling. Throttled answers become rare; the retries and hand-backs that handle
 * them stay, for what the budget cannot see (other tools using the same account, a misconfigured rate).
 *
 * One budget per region: "Amazon RDS throttles API requests for each AWS account in each AWS Region", and
 * "By default, you can make up to 300 requests in a burst and a sustained 12 requests per second" (RDS User
 * Guide, Request throttling for the Amazon RDS API). RDS_CALLS_PER_SECOND (default 8) leaves the rest of the
 * sustained rate to the console, the CLI and the other tools of the account.
 *
 * The algorithm is GCRA (the generic cell rate algorithm, a token bucket written as one timestamp): the
 * region's item `rds-budget#<region>` in the state table holds `tat`, the theoretical arrival time of the
 * next call (epoch ms). With T = 1000 / rate ms and a burst of one second's worth of calls (τ = (rate − 1)·T):
 * - a saturated budget (tat ≥ now): `SET tat = tat + T` conditioned on `tat BETWEEN now AND now + horizon + τ`;
 *   the permit is for `tat − τ` (at once while inside the burst, else a wait on the clock);
 * - an idle one (tat < now, or no item yet): `SET tat = now + T` conditioned on that; the call goes at once.
 * Each permit is ONE conditional UpdateItem, evaluated atomically by DynamoDB: concurrent takers are
 * serialised on the item and each gets its own, distinct time ("a condition expression ... determines
 * whether the item should be modified"; when it does not hold the write fails with
 * ConditionalCheckFailedException: DynamoDB developer guide, condition expressions) — no read-modify-write,
 * no probing of slot after slot (a failed conditional write still consumes write capacity), and the calls
 * leave spaced at the budgeted rate instead of in bursts at the start of each second. Only the switch
 * between idle and saturated costs a failed write (guessed from the last `tat` this process saw). One item
 * per region is one partition at a few writes per second: "each individual partition is limited to 1,000
 * write units per second" (DynamoDB developer guide, warm throughput scenarios). The item carries the
 * table's TTL attribute (`expires_at`), moved a day ahead by every permit, so the item of a region no
 * longer used goes away.
 *
 * No permit within RDS_BUDGET_WAIT_SECONDS (default 5: a Lambda may sleep a few seconds, not more): the
 * caller takes a place in the queue of refused callers — `qtat`, a second timeline running on from the last
 * booked permit at the budgeted rate, one more conditional UpdateItem — and gets RdsBudgetExhaustedError
 * with `retryAfterSeconds`, when its place comes within half a horizon. The step runner turns that into
 * queueing (src/lib/step-runner.ts): an action step sends its SQS message again with that DelaySeconds, a
 * wait step defers its check by as much. The backlog waits in SQS, not in running functions, and comes
 * back spread at the rate the budget can serve it.
 * (Per-second counter items, `ADD calls :1` under `calls < :limit`, were the first design: under a burst,
 * takers that read the same counters all race for the same second; most lose and read again, about two
 * writes and a read per permit, and the calls of one second leave together. A fixed or random hand-back
 * delay was the second: the refused backlog came back every few seconds to be refused again.)
 *
 * Hand-written: DynamoDB-backed rate limiters on npm read the system time and sleep with real timers (the
 * local runtime and the tests run on a virtual clock, which must drive every wait), and most rely on
 * TransactWriteItems, which dynalite does not have; the algorithm is one conditional update.
 *
 * What the budget does not count: the SDK's own retries of a throttled call (adaptive retry mode, which then
 * slows the client down by itself), and the extra pages of a paginated listing (one permit per port call;
 * listing one cluster's snapshots is one page in practice).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RdsBudgetExhaustedError } from './errors';
import type { Clock, Metrics, Rds } from './ports';
import { TTL_ATTRIBUTE } from './tables';

export interface RdsBudgetOptions {
  dynamo: DynamoDBDocumentClient;
  /** The state table (DYNAMODB_TABLE_NAME). */
  tableName: string;
  clock: Clock;
  /** Permits per second per region (RDS_CALLS_PER_SECOND, > 0). */
  callsPerSecond: number;
  /** How far ahead a caller may wait in-process for its permit (RDS_BUDGET_WAIT_SECONDS, 1–60). */
  horizonSeconds: number;
  metrics?: Metrics;
}

/** Key prefix of the budget's items in the state table. */
export const BUDGET_KEY_PREFIX = 'rds-budget#';
export const budgetKey = (region: string) => `${BUDGET_KEY_PREFIX}${region}`;
/** A region's item expires this long after its last permit. */
const KEEP_SECONDS = 86_400;
/** Rounds of (guess, other guess, read) before giving up on a permit that keeps moving under us. */
const MAX_ROUNDS = 3;
export const MAX_HORIZON_SECONDS = 60;

const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException || (e as { name?: string })?.name === 'ConditionalCheckFailedException';

export class RdsBudget {
  /** Milliseconds between two calls at the budgeted rate. */
  private readonly interval: number;
  /** Burst tolerance: up to one second's worth of calls go at once after a quiet spell. */
  private readonly tolerance: number;
  private readonly horizonMs: number;
  /** Per region, the last `tat` this process saw: is the budget saturated (try that update first) or idle? */
  private readonly lastTat = new Map<string, number>();

  constructor(private readonly options: RdsBudgetOptions) {
    if (!(options.callsPerSecond > 0)) throw new Error(`callsPerSecond: expected a positive number, got ${options.callsPerSecond}`);
    if (!(options.horizonSeconds >= 1 && options.horizonSeconds <= MAX_HORIZON_SECONDS)) {
      throw new Error(`horizonSeconds: expected 1 to ${MAX_HORIZON_SECONDS}, got ${options.horizonSeconds}`);
    }
    this.interval = 1000 / options.callsPerSecond;
    this.tolerance = (Math.max(1, Math.floor(options.callsPerSecond)) - 1) * this.interval;
    this.horizonMs = options.horizonSeconds * 1000;
  }

  /**
   * Takes a permit for one RDS call in `region`: returns when the call may be made (at once, or after a
   * wait on the clock of at most the horizon); throws RdsBudgetExhaustedError when the budget is booked
   * beyond the horizon.
   */
  async take(region: string): Promise<void> {
    const now = this.options.clock.now().getTime();
    const latest = now + this.horizonMs + this.tolerance;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const saturatedFirst = (this.lastTat.get(region) ?? -Infinity) >= now;
      for (const saturated of saturatedFirst ? [true, false] : [false, true]) {
        const tat = saturated ? await this.advance(region, now, latest) : await this.restart(region, now);
        if (tat === undefined) continue;
        this.lastTat.set(region, tat);
        const waitMs = tat - this.interval - this.tolerance - now;
        if (waitMs > 0) {
          this.options.metrics?.count('RdsBudgetWaits', 1, { region });
          await this.options.clock.sleep(waitMs);
        }
        return;
      }
      // Neither condition held: booked beyond the horizon (join the queue), or the item moved between the two updates (again).
      const queued = await this.enqueue(region, latest);
      if (queued === undefined) continue;
      this.lastTat.set(region, queued.tat);
      this.options.metrics?.count('RdsBudgetExhausted', 1, { region });
      throw new RdsBudgetExhaustedError(region, this.options.callsPerSecond, this.options.horizonSeconds, this.retryAfterSeconds(queued.qtat, now));
    }
    // Three rounds lost to concurrent writers (not seen on one item at a few writes per second): come back in a horizon.
    this.options.metrics?.count('RdsBudgetExhausted', 1, { region });
    throw new RdsBudgetExhaustedError(region, this.options.callsPerSecond, this.options.horizonSeconds, this.options.horizonSeconds);
  }

  /**
   * When a refused caller should come back: its place in the queue (`qtat`, as a permit's time is read from
   * `tat`) less half the horizon, so that on its return its permit is at most half a horizon away.
   */
  private retryAfterSeconds(qtat: number, now: number): number {
    const placeMs = qtat - this.interval - this.tolerance - now;
    return Math.max(1, Math.ceil(placeMs / 1000 - this.options.horizonSeconds / 2));
  }

  /**
   * Booked beyond the horizon: takes a place in the queue of refused callers, `qtat`, a second timeline
   * that runs on from the last booked permit (`tat`) at the budgeted rate. The permits are not reserved
   * (a refused caller may never come back): the place only says when the budget is expected to have room
   * for it, after everyone refused before it, so the backlog comes back spread at the rate it can be
   * served instead of all at once. Both updates are conditioned on `tat > latest` (still booked beyond
   * the horizon); undefined when neither applied (the budget has room again, or a race): take again.
   */
  private async enqueue(region: string, latest: number): Promise<{ tat: number; qtat: number } | undefined> {
    const base = { ExpressionAttributeValues: { ':interval': this.interval, ':latest': latest } };
    for (const input of [
      { ...base, UpdateExpression: 'SET qtat = qtat + :interval', ConditionExpression: 'tat > :latest AND qtat >= tat' },
      { ...base, UpdateExpression: 'SET qtat = tat + :interval', ConditionExpression: 'tat > :latest AND (attribute_not_exists(qtat) OR qtat < tat)' },
    ]) {
      const out = await this.updateItem(region, input, 'ALL_NEW');
      if (out) return { tat: Number(out.tat), qtat: Number(out.qtat) };
    }
    return undefined;
  }

  /** Saturated: the next time after the last booked one, if within the horizon. Returns the new tat. */
  private advance(region: string, now: number, latest: number): Promise<number | undefined> {
    return this.update(region, {
      UpdateExpression: 'SET tat = tat + :interval',
      ConditionExpression: 'tat BETWEEN :now AND :latest',
      ExpressionAttributeValues: { ':interval': this.interval, ':now': now, ':latest': latest, ':ttl': this.expiresAt(now) },
    });
  }

  /** Idle: the budget restarts from now. Returns the new tat. */
  private restart(region: string, now: number): Promise<number | undefined> {
    return this.update(region, {
      UpdateExpression: 'SET tat = :next',
      ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
      ExpressionAttributeValues: { ':next': now + this.interval, ':now': now, ':ttl': this.expiresAt(now) },
    });
  }

  private async update(
    region: string,
    input: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, number> },
  ): Promise<number | undefined> {
    const out = await this.updateItem(region, { ...input, UpdateExpression: `${input.UpdateExpression}, #ttl = :ttl` }, 'UPDATED_NEW');
    return out === undefined ? undefined : Number(out.tat);
  }

  /** One conditional UpdateItem of the region's item; undefined when its condition did not hold. */
  private async updateItem(
    region: string,
    input: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, number> },
    returnValues: 'UPDATED_NEW' | 'ALL_NEW',
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const usesTtl = input.UpdateExpression.includes('#ttl');
      const out = await this.options.dynamo.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { operation_id: budgetKey(region) },
          ...input,
          ...(usesTtl ? { ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE } } : {}),
          ReturnValues: returnValues,
        }),
      );
      return out.Attributes ?? {};
    } catch (e) {
      if (isConditionFailure(e)) return undefined;
      throw e;
    }
  }

  private expiresAt(now: number): number {
    return Math.floor(now / 1000) + KEEP_SECONDS;
  }
}

/** The region an RDS port call is sent to: its first argument, or the copy's target region (the call goes to the target's endpoint). */
const REGION_OF: { [K in keyof Rds]: (...args: Parameters<Rds[K]>) => string } = {
  describeClusterSnapshot: (region) => region,
  listAutomatedSnapshots: (region) => region,
  listManualSnapshots: (region) => region,
  copyClusterSnapshot: (input) => input.targetRegion,
  deleteClusterSnapshot: (region) => region,
  describeCluster: (region) => region,
  deleteCluster: (region) => region,
  restoreClusterFromSnapshot: (region) => region,
  restoreClusterToPointInTime: (region) => region,
  renameCluster: (region) => region,
  describeInstance: (region) => region,
  createInstance: (region) => region,
  deleteInstance: (region) => region,
  modifyClusterMasterPassword: (region) => region,
};

/**
 * The Rds port behind the budget: each method takes a permit in its call's region, then calls `rds`.
 * Errors (RDS's, or the budget's RdsBudgetExhaustedError) reach the caller unchanged.
 */
export function budgetedRds(rds: Rds, budget: Pick<RdsBudget, 'take'>): Rds {
  // A proxy, so the adapter's other members (its per-region SDK clients) stay reachable as they were.
  return new Proxy(rds, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !(key in REGION_OF) || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      const regionOf = REGION_OF[key as keyof Rds] as (...args: unknown[]) => string;
      return async (...args: unknown[]) => {
        await budget.take(regionOf(...args));
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

/** The budget the configuration asks for (undefined when RDS_CALLS_PER_SECOND is 0: no budget). */
export function rdsBudgetFor(input: {
  config: { RDS_CALLS_PER_SECOND: number; RDS_BUDGET_WAIT_SECONDS: number; DYNAMODB_TABLE_NAME: string };
  dynamo: DynamoDBDocumentClient;
  clock: Clock;
  metrics?: Metrics;
}): RdsBudget | undefined {
  const { config } = input;
  if (config.RDS_CALLS_PER_SECOND === 0) return undefined;
  return new RdsBudget({
    dynamo: input.dynamo,
    tableName: config.DYNAMODB_TABLE_NAME,
    clock: input.clock,
    callsPerSecond: config.RDS_CALLS_PER_SECOND,
    horizonSeconds: config.RDS_BUDGET_WAIT_SECONDS,
    metrics: input.metrics,
  });
}
