/**
 * Measurement taps on a LocalPipeline, from the outside (no product code changes):
 * - DynamoDB: an SDK middleware asks every request for ReturnConsumedCapacity=TOTAL (dynalite computes
 *   it as DynamoDB does: 1 WRU per KB written, the larger of old/new item for updates) and counts
 *   requests and capacity per table and kind;
 * - in-Lambda waiting: the virtual time handlers spend in `clock.sleep` (retry backoff), billed as
 *   Lambda duration on AWS.
 */
import type { LocalPipeline } from '../src/lib/local/pipeline';

export interface DynamoCounts {
  writes: number;
  reads: number;
  writeUnits: number;
  readUnits: number;
  /** Requests by command name. */
  byCommand: Record<string, number>;
  /** Write requests by table. */
  writesByTable: Record<string, number>;
}

const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

export interface Taps {
  dynamo: DynamoCounts;
  sleptMs: () => number;
  /** Counters back to zero (between phases of one run). */
  reset(): void;
}

export function tapPipeline(pipeline: LocalPipeline): Taps {
  const dynamo: DynamoCounts = { writes: 0, reads: 0, writeUnits: 0, readUnits: 0, byCommand: {}, writesByTable: {} };
  pipeline.deps.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const name = String(context.commandName ?? 'unknown');
      const count = (units: number) => {
        dynamo.byCommand[name] = (dynamo.byCommand[name] ?? 0) + 1;
        if (WRITE_COMMANDS.has(name)) {
          dynamo.writes += 1;
          dynamo.writeUnits += units || 1;
          const table = String(input.TableName ?? '?');
          dynamo.writesByTable[table] = (dynamo.writesByTable[table] ?? 0) + 1;
        } else {
          dynamo.reads += 1;
          dynamo.readUnits += units || 0.5;
        }
      };
      try {
        const output = await next(args);
        const consumed = (output.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
        count((Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0));
        return output;
      } catch (e) {
        count(0); // a failed conditional write is still billed (at least 1 WRU)
        throw e;
      }
    },
    { step: 'serialize', priority: 'high', name: 'benchConsumedCapacity' },
  );

  let slept = 0;
  const clock = pipeline.clock;
  const sleep = clock.sleep.bind(clock);
  clock.sleep = (ms: number) => {
    slept += Math.max(0, ms);
    return sleep(ms);
  };

  return {
    dynamo,
    sleptMs: () => slept,
    reset() {
      Object.assign(dynamo, { writes: 0, reads: 0, writeUnits: 0, readUnits: 0, byCommand: {}, writesByTable: {} });
      slept = 0;
    },
  };
}
