/**
 * What RDS took, per target, night after night: the durations of the RDS lifecycles a refresh waits for
 * (the snapshot copy, deleting the instances and the cluster, restoring the cluster, creating the writer), so a wait can look again when this target's lifecycle is expected to end instead of after a fixed
 * safety net. The same target is refreshed from a similar snapshot every night, so its durations repeat
 * within a few per cent; a late or lost RDS event then costs seconds.
 *
 * One item per target in the state table (`hist#<region>#<cluster>`), the last HISTORY_LENGTH durations of
 * each phase, kept STATE_TTL_DAYS after the last refresh. The prediction is the median: one slow night
 * does not move it.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const PHASES = ['copy', 'delete-instances', 'delete-cluster', 'restore-cluster', 'create-writer'] as const;
export type Phase = (typeof PHASES)[number];
export const HISTORY_LENGTH = 5;

export type PhaseHistory = Partial<Record<Phase, number[]>>;

export class RefreshHistory {
  private readonly dynamo: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly ttlDays: number;

  constructor(options: { dynamo: DynamoDBDocumentClient; tableName: string; ttlDays: number }) {
    this.dynamo = options.dynamo;
    this.table = options.tableName;
    this.ttlDays = options.ttlDays;
  }

  /** RDS identifiers are case-insensitive and stored lowercase. */
  static key(region: string, clusterId: string): string {
    return `hist#${region}#${clusterId.toLowerCase()}`;
  }

  async get(region: string, clusterId: string): Promise<PhaseHistory> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { operation_id: RefreshHistory.key(region, clusterId) } }));
    return (out.Item?.phases as PhaseHistory | undefined) ?? {};
  }

  /** Appends one duration of a phase (keeping the last HISTORY_LENGTH). */
  async record(region: string, clusterId: string, phase: Phase, seconds: number, now: Date): Promise<void> {
    if (!(seconds > 0 && Number.isFinite(seconds))) return;
    // Read, then write the item whole: one operation holds the target at a time (the target lock).
    const phases = await this.get(region, clusterId);
    phases[phase] = [...(phases[phase] ?? []), Math.round(seconds * 10) / 10].slice(-HISTORY_LENGTH);
    await this.dynamo.send(
      new PutCommand({
        TableName: this.table,
        Item: { operation_id: RefreshHistory.key(region, clusterId), phases, expires_at: Math.floor(now.getTime() / 1000) + this.ttlDays * 86400 },
      }),
    );
  }
}

/**
 * How much a target's phase varies from night to night when the history cannot tell yet (one or two
 * nights): the same data size takes RDS about the same time, within ±10 % (the figure; our own
 * history widens it when it sees more).
 */
export const NIGHTLY_SPREAD = 0.1;

/**
 * When a phase is expected to end, seconds after it began: the median, and a window around it — ±NIGHTLY_SPREAD,
 * widened to cover every recorded duration (plus a few seconds for RDS's event time stamps).
 */
export function predictWindow(durations: readonly number[] | undefined): { expected: number; from: number; to: number } | undefined {
  const expected = predictSeconds(durations);
  if (expected === undefined || !durations) return undefined;
  return {
    expected,
    from: Math.max(0, Math.min(expected * (1 - NIGHTLY_SPREAD), Math.min(...durations) - 5)),
    to: Math.max(expected * (1 + NIGHTLY_SPREAD), Math.max(...durations) + 5),
  };
}

/** The expected duration of a phase: the median of its recorded durations (none: no prediction). */
export function predictSeconds(durations: readonly number[] | undefined): number | undefined {
  if (!durations?.length) return undefined;
  const sorted = [...durations].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
