/**
 * The post-restore SQL of a refresh, run by setup-db-users as the master user before any application user
 * may log in: the request's files in order (each in its own transaction with its ledger row — see
 * src/lib/db/hooks.ts), then its validation queries. Each file is recorded with its SHA-256 in the state and
 * the audit trail as it commits; a failure is a PostRestoreFailure naming the file and statement (or the
 * validation), never data.
 */
import { createHash } from 'node:crypto';
import type { HookRecord } from '../../schemas/operation-state';
import type { PostRestore } from '../../schemas/refresh-settings';
import { SqlHookError } from '../db-admin';
import { PipelineError } from '../errors';
import type { DbCredentials, DbEndpoint } from '../ports';
import type { StepContext } from '../step-runner';

export class PostRestoreFailure extends Error {
  constructor(
    readonly code: 'PostRestoreSqlFailed' | 'ValidationFailed',
    message: string,
  ) {
    super(message);
    this.name = 'PostRestoreFailure';
  }
}

export const sha256Of = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export async function runPostRestore(
  ctx: StepContext,
  endpoint: DbEndpoint,
  master: DbCredentials,
  post: PostRestore,
  asMaster: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<{ files: HookRecord[]; validations: string[] }> {
  const { state, deps } = ctx;
  const operationId = state.operation_id;
  const audit = (type: string, status: 'INFO' | 'FAILURE', details: Record<string, unknown>, seq: string) =>
    ctx.audit.record({ operationId, at: deps.clock.now(), step: 'setup-db-users', type, status, details, seq, order: 0 });
  const timeoutMs = post.statementTimeoutSeconds * 1000;
  const files: HookRecord[] = [];

  for (const [i, f] of (post.sql?.files ?? []).entries()) {
    const { bucket, prefix } = post.sql!;
    const seq = `${String(i + 1).padStart(3, '0')}-${f.name}`;
    let sql: string;
    try {
      sql = await ctx.retry(() => deps.objects.getText(bucket, `${prefix}${f.name}`));
    } catch (e) {
      if (e instanceof PipelineError && e.code === 'PostRestoreSqlFailed') throw new PostRestoreFailure('PostRestoreSqlFailed', e.message);
      throw e;
    }
    const sha256 = sha256Of(sql);
    let run;
    try {
      run = await asMaster(() =>
        deps.db.runHook(endpoint, master, { operationId, clusterId: state.restore_details.cluster_id!, file: f.name, sha256, sql, rerunnable: f.rerunnable, statementTimeoutMs: timeoutMs }),
      );
    } catch (e) {
      if (!(e instanceof SqlHookError)) throw e;
      await audit('POST_RESTORE_SQL_FAILED', 'FAILURE', { file: f.name, sha256, error: e.message }, seq);
      throw new PostRestoreFailure('PostRestoreSqlFailed', `post-restore SQL ${e.message}`);
    }
    const record: HookRecord = { file: f.name, sha256, outcome: run.outcome, statements: run.statements, at: deps.clock.now().toISOString() };
    files.push(record);
    await ctx.store.appendRestoreDetail(operationId, 'post_restore_hooks', record, deps.clock.now());
    await audit(run.outcome === 'already-ran' ? 'POST_RESTORE_SQL_SKIPPED' : 'POST_RESTORE_SQL_RAN', 'INFO', { file: f.name, sha256, outcome: run.outcome, statements: run.statements }, seq);
  }

  const passed: string[] = [];
  for (const [i, v] of post.validations.entries()) {
    const seq = `${String(i + 1).padStart(3, '0')}-${v.name}`;
    let result;
    try {
      result = await asMaster(() => deps.db.runValidation(endpoint, master, v, timeoutMs));
    } catch (e) {
      if (!(e instanceof SqlHookError)) throw e;
      await audit('VALIDATION_FAILED', 'FAILURE', { validation: v.name, error: e.message }, seq);
      throw new PostRestoreFailure('ValidationFailed', e.message);
    }
    if (!result.passed) {
      // The value that came back may be data: only its shape is reported.
      const message = `validation ${v.name} did not return ${JSON.stringify(v.expect)}: it returned ${result.shape.rows} row(s) of ${result.shape.columns} column(s), and a different value (values are never reported)`;
      await audit('VALIDATION_FAILED', 'FAILURE', { validation: v.name, expected: v.expect, rows: result.shape.rows, columns: result.shape.columns }, seq);
      throw new PostRestoreFailure('ValidationFailed', message);
    }
    passed.push(v.name);
    await ctx.store.appendRestoreDetail(operationId, 'validations_passed', v.name, deps.clock.now());
    await audit('VALIDATION_PASSED', 'INFO', { validation: v.name, expected: v.expect }, seq);
  }
  return { files, validations: passed };
}
