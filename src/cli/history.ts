/**
 * What the operations of a data folder look like, read straight from its files (dynamodb.json, the
 * tables' snapshot): `status`, `list` and `watch` of a finished operation answer in well under a second,
 * start nothing (no dynalite, no PGlite) and never write.
 */
import { join } from 'node:path';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { readTableSnapshot } from '../lib/local/table-snapshot';
import type { AuditEvent } from '../schemas/audit-event';
import type { OperationState } from '../schemas/operation-state';

/** The operation history a command reads: local files, or the deployed tables on AWS. */
export interface History {
  /** Where it reads, for messages (`data folder …`, `table … in us-east-1`). */
  where: string;
  list(): Promise<OperationState[]>;
  get(operationId: string): Promise<OperationState | undefined>;
  trail(operationId: string): Promise<AuditEvent[]>;
}

export class LocalHistory implements History {
  private constructor(
    readonly where: string,
    private readonly operations: Map<string, OperationState>,
    private readonly audit: AuditEvent[],
  ) {}

  /** Reads the data folder's tables; an empty history when it has none yet. */
  static async open(dir: string, tables: { state: string; audit: string }): Promise<LocalHistory> {
    const snapshot = await readTableSnapshot(join(dir, 'dynamodb.json'));
    const operations = new Map<string, OperationState>();
    // As StateStore.list: operation items only (not the lock and resource-index items).
    for (const item of snapshot?.tables[tables.state] ?? []) {
      const state = unmarshall(item) as OperationState;
      if (typeof state.operation_id === 'string' && state.operation_id.startsWith('restore-')) operations.set(state.operation_id, state);
    }
    const audit = (snapshot?.tables[tables.audit] ?? []).map((i) => unmarshall(i) as AuditEvent);
    return new LocalHistory(`data folder ${dir}`, operations, audit);
  }

  async list(): Promise<OperationState[]> {
    return [...this.operations.values()].sort((a, b) => b.start_time.localeCompare(a.start_time));
  }

  async get(operationId: string): Promise<OperationState | undefined> {
    return this.operations.get(operationId);
  }

  /** As AuditLog.trail: the operation's lines in sort-key order (time, then pipeline order). */
  async trail(operationId: string): Promise<AuditEvent[]> {
    return this.audit.filter((e) => e.operation_id === operationId).sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  }
}
