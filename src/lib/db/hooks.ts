/**
 * Post-restore SQL on the restored cluster, as the master user:
 * - a hook file runs in ONE transaction with its ledger row (`aurora_restore.hook_ledger`, keyed by operation
 *   and file): a crash after the COMMIT leaves the row, so the retry skips the file instead of running it twice;
 *   a crash before it leaves neither. Hook transactions of a database are serialised by an advisory lock, so a
 *   duplicate delivery running at the same time waits and then finds the row.
 * - statements run one by one (split with dbgate-query-splitter's PostgreSQL rules: quotes, dollar quotes,
 *   comments), each under `statement_timeout`, so a failure names the statement (its number and line) —
 *   and never data: the server's message is kept only for SQLSTATE classes that cannot quote values.
 * - a validation query runs in a READ ONLY transaction and must return one row of one column equal to the
 *   expected value (compared as text); its value is never reported.
 */
import { postgreSplitterOptions, splitQuery } from 'dbgate-query-splitter';
import type { Client } from 'pg';
import type { ValidationQuery } from '../../schemas/refresh-settings';
import type { DbCredentials, DbEndpoint, HookRun, SqlHook, ValidationResult } from '../ports';
import { describeServerError, inTransaction, run, withSession, type SessionOptions } from './session';

export const LEDGER_SCHEMA = 'aurora_restore';
export const LEDGER_TABLE = `${LEDGER_SCHEMA}.hook_ledger`;
/** pg_advisory_xact_lock key of hook transactions: hashtext('aurora_restore.hooks'), fixed here. */
const HOOK_LOCK_KEY = 741_260_517;

/** A hook or validation that failed, named by file (or validation) and statement; `sqlstate` when the server answered. */
export class SqlHookError extends Error {
  constructor(
    readonly kind: 'hook' | 'validation',
    message: string,
    readonly sqlstate?: string,
  ) {
    super(message);
    this.name = 'SqlHookError';
  }
}

export interface Statement {
  sql: string;
  /** 1-based line of the statement's first character that is not a comment or blank. */
  line: number;
}

/** Splits a SQL file into statements (empty ones dropped), with the line each starts on. */
export function splitStatements(sql: string): Statement[] {
  const parts = splitQuery(sql, { ...postgreSplitterOptions, returnRichInfo: true }) as unknown as { text: string; trimStart?: { line: number } }[];
  return parts
    .map((p) => ({ sql: p.text, line: (p.trimStart?.line ?? 0) + 1 + leadingLines(p.text) }))
    .filter((s) => stripComments(s.sql).trim() !== '');
}

/** Lines of comments and blanks before the statement's first token. */
function leadingLines(text: string): number {
  const m = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/.exec(text);
  return (m?.[0].match(/\n/g) ?? []).length;
}

const stripComments = (s: string) => s.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');

/** The statement's first words, for messages: code from the hook file, never data. */
const headOf = (s: Statement) => stripComments(s.sql).trim().replace(/\s+/g, ' ').slice(0, 60);

/** Transaction control would end the hook's transaction (and its ledger row with it) early. */
const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK|END|ABORT|START\s+TRANSACTION|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION|COMMIT\s+PREPARED|ROLLBACK\s+PREPARED)\b/i;

async function ensureLedger(client: Client): Promise<void> {
  await run(client, `CREATE SCHEMA IF NOT EXISTS ${LEDGER_SCHEMA}`, 'create the ledger schema');
  await run(
    client,
    `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
       operation_id text NOT NULL,
       file         text NOT NULL,
       sha256       text NOT NULL,
       cluster_id   text NOT NULL,
       statements   integer NOT NULL,
       runs         integer NOT NULL DEFAULT 1,
       first_ran_at timestamptz NOT NULL DEFAULT now(),
       last_ran_at  timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (operation_id, file))`,
    'create the ledger table',
  );
  // Only the master user (and what it grants) reads or writes the ledger.
  await run(client, `REVOKE ALL ON SCHEMA ${LEDGER_SCHEMA} FROM PUBLIC`, 'protect the ledger');
}

/** Runs a hook file unless its ledger row (same operation, same file) says it ran; see the module comment. */
export async function runHook(options: SessionOptions, endpoint: DbEndpoint, master: DbCredentials, hook: SqlHook): Promise<HookRun> {
  const statements = splitStatements(hook.sql);
  const where = (s: Statement, i: number) => `${hook.file} statement ${i + 1} (line ${s.line}: ${headOf(s)})`;
  if (statements.length === 0) throw new SqlHookError('hook', `${hook.file} has no SQL statement`);
  statements.forEach((s, i) => {
    if (TRANSACTION_CONTROL.test(stripComments(s.sql).trim())) {
      throw new SqlHookError('hook', `${where(s, i)}: transaction control is not allowed in a hook (each file already runs in its own transaction)`);
    }
  });
  return withSession(options, endpoint, master, 'master', (client) =>
    inTransaction(client, async () => {
      await run(client, 'SELECT pg_advisory_xact_lock($1)', 'take the hook lock', [], [HOOK_LOCK_KEY]);
      await ensureLedger(client);
      const seen = await run(client, `SELECT sha256 FROM ${LEDGER_TABLE} WHERE operation_id = $1 AND file = $2 FOR UPDATE`, 'read the ledger', [], [hook.operationId, hook.file]);
      const before = seen.rows[0] as { sha256: string } | undefined;
      if (before && !hook.rerunnable) {
        if (before.sha256 !== hook.sha256) {
          throw new SqlHookError('hook', `${hook.file} changed since it ran on this cluster (sha256 ${before.sha256.slice(0, 12)}… then, ${hook.sha256.slice(0, 12)}… now); it is not re-runnable`);
        }
        return { outcome: 'already-ran', statements: statements.length };
      }
      // Settings of this transaction only: the timeout, and what a hook may want to know about the refresh.
      await run(client, `SELECT set_config('statement_timeout', $1, true), set_config('aurora_restore.operation_id', $2, true), set_config('aurora_restore.cluster_id', $3, true)`, 'set the statement timeout', [], [
        String(hook.statementTimeoutMs),
        hook.operationId,
        hook.clusterId,
      ]);
      for (const [i, s] of statements.entries()) {
        try {
          await client.query(s.sql);
        } catch (err) {
          const e = describeServerError(err);
          throw new SqlHookError('hook', `${where(s, i)} failed: ${e.text}`, e.code);
        }
      }
      await run(
        client,
        `INSERT INTO ${LEDGER_TABLE} (operation_id, file, sha256, cluster_id, statements) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (operation_id, file) DO UPDATE SET sha256 = EXCLUDED.sha256, runs = ${LEDGER_TABLE}.runs + 1, last_ran_at = now()`,
        'write the ledger row',
        [],
        [hook.operationId, hook.file, hook.sha256, hook.clusterId, statements.length],
      );
      return { outcome: before ? 'ran-again' : 'ran', statements: statements.length };
    }),
  );
}

/** Text form of a result value, as `expect` is compared: null stays null. */
const asText = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

/** Runs a validation query read-only; see the module comment. */
export async function runValidation(options: SessionOptions, endpoint: DbEndpoint, master: DbCredentials, v: ValidationQuery, timeoutMs: number): Promise<ValidationResult> {
  const statements = splitStatements(v.sql);
  if (statements.length !== 1) throw new SqlHookError('validation', `validation ${v.name}: expected one SQL statement, got ${statements.length}`);
  return withSession(options, endpoint, master, 'master', async (client) => {
    try {
      await run(client, 'BEGIN READ ONLY', 'begin a read-only transaction');
      await run(client, `SELECT set_config('statement_timeout', $1, true)`, 'set the statement timeout', [], [String(timeoutMs)]);
      let result;
      try {
        result = await client.query({ text: statements[0].sql, rowMode: 'array' });
      } catch (err) {
        const e = describeServerError(err);
        throw new SqlHookError('validation', `validation ${v.name} (${headOf(statements[0])}) failed: ${e.text}`, e.code);
      }
      const rows = result.rows as unknown[][];
      const shape = { rows: rows.length, columns: result.fields.length };
      const passed = shape.rows === 1 && shape.columns === 1 && asText(rows[0][0]) === asText(v.expect);
      return { passed, shape };
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  });
}
