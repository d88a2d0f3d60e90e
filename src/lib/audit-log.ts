import { redactSecrets } from './redact';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../schemas/audit-event';
import type { AnyStepName } from '../schemas/steps';
import { PIPELINE_ORDER } from '../schemas/operation-state';
import type { ErrorCode } from '../events/catalogue';

export interface AuditLogOptions {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  ttlDays: number;
}

export interface AuditEntry {
  operationId: string;
  at: Date;
  step: AnyStepName;
  type: string;
  status: AuditEvent['status'];
  details?: Record<string, unknown>;
  error?: { code: ErrorCode; message: string } | null;
  /** Position among this step's lines of the same instant; by default progress (INFO) before the result. */
  order?: number;
  /** Tells apart lines of the same step, type and instant (e.g. one per post-restore SQL file); part of the key. */
  seq?: string;
}

/** Where a step's lines sort among lines of the same instant: in pipeline order, guards last. */
const STEP_RANK: Record<AnyStepName, number> = Object.fromEntries(
  [...PIPELINE_ORDER, 'watchdog', 'dead-letter'].map((step, i) => [step, i]),
) as Record<AnyStepName, number>;

/** The audit trail (seed's audit table): every step transition and error, kept AUDIT_TTL_DAYS. */
export class AuditLog {
  constructor(private readonly options: AuditLogOptions) {}

  /**
   * Writes one line. The sort key is `${timestamp}#${step rank}#${order}#${step}#${type}`: the trail reads
   * in time order, lines of the same instant in pipeline order, and writing the same transition again (a
   * retried message) lands on the same item instead of a new line.
   */
  async record(e: AuditEntry): Promise<void> {
    const timestamp = e.at.toISOString();
    const rank = String(STEP_RANK[e.step]).padStart(2, '0');
    const order = e.order ?? (e.status === 'INFO' ? 0 : 1);
    const item: AuditEvent = {
      operation_id: e.operationId,
      sk: `${timestamp}#${rank}#${order}#${e.step}#${e.type}${e.seq ? `#${e.seq}` : ''}`,
      timestamp,
      step: e.step,
      event_type: e.type,
      status: e.status,
      details: redactSecrets(e.details ?? {}) as Record<string, unknown>,
      error: e.error ?? null,
      expires_at: Math.floor(e.at.getTime() / 1000) + this.options.ttlDays * 86400,
    };
    await this.options.dynamo.send(new PutCommand({ TableName: this.options.tableName, Item: item }));
  }

  async trail(operationId: string): Promise<AuditEvent[]> {
    const items: AuditEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.options.dynamo.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'operation_id = :id',
          ExpressionAttributeValues: { ':id': operationId },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((out.Items ?? []) as AuditEvent[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
